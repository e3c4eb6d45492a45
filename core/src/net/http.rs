//! HTTP, configured once and explicitly, and the one place that decides what a failed call
//! means for money: "nothing changed" or "outcome unknown".

use std::io;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, TryLockError};
use std::time::Duration;

use serde::Deserialize;
use serde_json::{Map, Value};

use super::exchange::{self, Connections, Failed};
use crate::error::Error;
use crate::flat_json;
use crate::registry::Operation;
use crate::secret::{excerpt, reply_excerpt};

/// HTTP settings shared by every client. In a JSON config these keys sit beside the provider's
/// own keys. Clients built with the same settings in one process share one keep-alive pool.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(default)]
#[non_exhaustive]
pub struct HttpOptions {
    /// The whole call, from connecting to the last byte of the reply. Default 30 000 ms.
    pub timeout_ms: u64,
    /// Opening the connection (and the TLS handshake). Default 10 000 ms.
    pub connect_timeout_ms: u64,
    /// The largest reply body read; a larger reply is a bad reply. Default 1 MiB.
    pub max_reply_bytes: u64,
    /// An HTTP(S) CONNECT proxy URL (`http://user:password@host:3128`). Default none: vngate ignores `HTTP_PROXY` and friends, so
    /// a stray environment variable cannot route card PINs through an unknown host.
    pub proxy: Option<String>,
    /// Let money-moving calls (charge, buy, disburse, top-up) reuse pooled keep-alive
    /// connections. Default `false`: each opens a connection of its own and closes it after the
    /// reply, so a stray or late reply left on a pooled connection can never be read as its
    /// answer, and a pooled connection the server closed while idle can never turn a request
    /// that was not sent into "outcome unknown". `true` saves a TCP (and TLS) handshake per
    /// money call at the cost of both risks; read-only calls always use the pool. With `true`
    /// a journal's resolving calls use the pool too, and their answers settle a record only
    /// when they name it or agree with its stored request (a failure reply that names nothing
    /// leaves it open, and in time in `attention`).
    pub reuse_connections_for_money: bool,
    /// Allow a plain `http://` base URL for a provider whose documents use HTTPS (its calls
    /// carry keys, tokens or card PINs in clear text then). Default `false`; loopback URLs
    /// are always allowed.
    pub allow_insecure_http: bool,
    /// Which certificate authorities HTTPS trusts. Default [`TlsRoots::Bundled`].
    pub tls_roots: TlsRoots,
    /// Idle keep-alive connections kept per host for read-only calls. Default 16: one client is
    /// typically shared by a worker's threads (gunicorn threads, a C daemon's pool), and with
    /// fewer, threads that finish together open new connections (a TLS handshake each).
    pub max_idle_connections_per_host: usize,
    /// A PEM file of certificate authorities to trust instead of `tls_roots` (a company CA
    /// in a container without a system store). Read when a client is built (once per process
    /// while the file is unchanged).
    pub ca_file: Option<String>,
    /// How long a provider host's addresses are kept, in seconds, by a cache every client of
    /// the process shares. Default 60: a provider that moves its servers is followed within a
    /// minute, and a call costs no DNS query (nor a thread) in between. When a lookup fails,
    /// the addresses last seen are used. 0 looks the name up for every new connection (a
    /// kept-alive one stays with the address it was opened to).
    pub dns_cache_secs: u64,
}

/// The certificate authorities HTTPS trusts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum TlsRoots {
    /// Mozilla's roots, compiled into vngate: the same everywhere, and blind to the system's
    /// additions (and to a TLS-intercepting proxy's CA).
    #[default]
    Bundled,
    /// The system's store, as the OS's own tools trust it (Mozilla's roots plus any company CA
    /// installed with `update-ca-certificates` or the like): the PEM bundle named by
    /// `SSL_CERT_FILE`, or the distribution's bundle (Debian, Ubuntu, Alpine, Fedora, RHEL,
    /// SUSE). Read when a client is built (once per process while the file is unchanged).
    System,
}

impl Default for HttpOptions {
    fn default() -> Self {
        Self {
            timeout_ms: 30_000,
            connect_timeout_ms: 10_000,
            max_reply_bytes: 1024 * 1024,
            proxy: None,
            reuse_connections_for_money: false,
            allow_insecure_http: false,
            tls_roots: TlsRoots::Bundled,
            max_idle_connections_per_host: 16,
            ca_file: None,
            dns_cache_secs: 60,
        }
    }
}

impl std::fmt::Debug for HttpOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpOptions")
            .field("timeout_ms", &self.timeout_ms)
            .field("connect_timeout_ms", &self.connect_timeout_ms)
            .field("max_reply_bytes", &self.max_reply_bytes)
            .field("proxy", &self.proxy.as_deref().map(mask_userinfo))
            .field(
                "reuse_connections_for_money",
                &self.reuse_connections_for_money,
            )
            .field("allow_insecure_http", &self.allow_insecure_http)
            .field("tls_roots", &self.tls_roots)
            .field(
                "max_idle_connections_per_host",
                &self.max_idle_connections_per_host,
            )
            .field("ca_file", &self.ca_file)
            .field("dns_cache_secs", &self.dns_cache_secs)
            .finish()
    }
}

/// A URL with any `user:password@` replaced by `***@`: proxy URLs carry credentials.
fn mask_userinfo(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let authority_end = rest.find('/').unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{scheme}://***@{}", &rest[at + 1..]),
        None => url.to_owned(),
    }
}

/// Bumped by [`after_fork_in_child`]: every client then starts a fresh pool.
static FORK_GENERATION: AtomicU64 = AtomicU64::new(0);

/// Tells vngate that this process is the child of a `fork()`: every client drops its pooled
/// connections (they are shared with the parent) before its next call. Clients also notice a
/// new process id on their own, so calling this is needed only where a process id can repeat
/// (a child of a child that exited); the Python module calls it from `os.register_at_fork`.
pub fn after_fork_in_child() {
    FORK_GENERATION.fetch_add(1, Ordering::SeqCst);
}

/// This process: its id and its fork generation (how many times [`after_fork_in_child`] was
/// called in it). Whatever holds a connection (a client's idle ones, a journal's to its
/// database) belongs to the pair it was made in: in a forked child the pair differs, and the
/// parent's connections must be neither used nor closed there (they are the parent's too).
#[must_use]
pub fn this_process() -> (u32, u64) {
    (std::process::id(), FORK_GENERATION.load(Ordering::SeqCst))
}

/// A configured HTTP client: idle keep-alive connections for read-only calls, shared by all
/// threads of one process, and a connection of its own for each money-moving call.
pub(crate) struct Http {
    connections: Arc<Connections>,
    reuse_connections_for_money: bool,
    max_reply_bytes: u64,
}

/// What makes two clients' connections interchangeable: everything they are built from.
/// Certificate authorities read from a file count by that file as it is now (a file changed
/// or replaced since is a new configuration), so that a client per request does not read and
/// parse a system bundle of 200 KB each time.
#[derive(PartialEq, Eq)]
struct ConnectionsKey {
    timeout_ms: u64,
    connect_timeout_ms: u64,
    proxy: Option<String>,
    roots: Option<FileIdentity>,
    max_idle_connections_per_host: usize,
    dns_cache_secs: u64,
}

/// A file as it is now: its path, size, modification time and (on unix) device, inode and
/// status-change time. The last is what a rewrite in place cannot hide: size and mtime can be
/// restored (`touch -r`), the ctime cannot (restoring the mtime sets it).
#[derive(PartialEq, Eq)]
struct FileIdentity {
    path: String,
    len: u64,
    modified: Option<std::time::SystemTime>,
    node: (u64, u64),
    changed: (i64, i64),
}

impl FileIdentity {
    fn of(field: &'static str, path: &str) -> Result<Self, Error> {
        let metadata = std::fs::metadata(path).map_err(|e| unreadable(field, path, &e))?;
        #[cfg(unix)]
        let (node, changed) = {
            use std::os::unix::fs::MetadataExt as _;
            (
                (metadata.dev(), metadata.ino()),
                (metadata.ctime(), metadata.ctime_nsec()),
            )
        };
        #[cfg(not(unix))]
        let (node, changed) = ((0, 0), (0, 0));
        Ok(Self {
            path: path.to_owned(),
            len: metadata.len(),
            modified: metadata.modified().ok(),
            node,
            changed,
        })
    }
}

/// How many configurations keep their connections when no client holds them any more.
const KEPT_CONFIGURATIONS: usize = 8;

/// The connections of the configurations built last, newest last.
static SHARED: Mutex<Vec<(ConnectionsKey, Arc<Connections>)>> = Mutex::new(Vec::new());

/// The connections for `key`: those of an earlier client built with the same configuration, or
/// new ones from `build`. A client per request (php-fpm, a web handler that builds its client
/// inside) thereby finds the previous request's idle connections, and its TLS sessions, the way
/// a client kept for the process's life would; the connections carry no credentials (each
/// request is signed on its own). The last [`KEPT_CONFIGURATIONS`] configurations stay after
/// their clients are gone; older ones live as long as a client holds them.
fn shared_connections(
    key: ConnectionsKey,
    build: impl FnOnce() -> Result<Connections, Error>,
) -> Result<Arc<Connections>, Error> {
    // Never waited for: after a `fork()` while another thread held it, the child would wait
    // forever. A client built while another thread builds one gets connections of its own.
    let mut shared = match SHARED.try_lock() {
        Ok(shared) => shared,
        Err(TryLockError::Poisoned(poisoned)) => poisoned.into_inner(),
        Err(TryLockError::WouldBlock) => return build().map(Arc::new),
    };
    if let Some(at) = shared.iter().position(|(k, _)| *k == key) {
        let entry = shared.remove(at);
        let connections = Arc::clone(&entry.1);
        shared.push(entry);
        return Ok(connections);
    }
    let connections = Arc::new(build()?);
    if shared.len() == KEPT_CONFIGURATIONS {
        shared.remove(0);
    }
    shared.push((key, Arc::clone(&connections)));
    Ok(connections)
}

impl std::fmt::Debug for Http {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // ureq's own Debug prints the proxy URL, which may carry a password.
        f.debug_struct("Http")
            .field(
                "reuse_connections_for_money",
                &self.reuse_connections_for_money,
            )
            .field("max_reply_bytes", &self.max_reply_bytes)
            .finish_non_exhaustive()
    }
}

/// A reply as it came: status and bytes.
pub(crate) struct Reply {
    pub status: u16,
    pub body: Vec<u8>,
}

/// Why no reply came.
#[derive(Debug)]
pub(crate) enum Failure {
    /// The request certainly did not leave this machine.
    NotSent(String),
    /// The request may have been delivered; no complete reply came back.
    NoReply(String),
}

/// What an HTTP request carries.
pub(crate) enum Payload<'a> {
    /// GET with these query parameters.
    Query(&'a [(&'a str, &'a str)]),
    /// POST `application/x-www-form-urlencoded`.
    Form(&'a [(&'a str, &'a str)]),
    /// POST `application/json` with this body.
    Json(String),
    /// POST with these parameters in the query string and an empty body.
    PostQuery(&'a [(&'a str, &'a str)]),
}

impl Http {
    pub(crate) fn new(options: &HttpOptions) -> Result<Self, Error> {
        if options.timeout_ms == 0 {
            return Err(Error::invalid("timeout_ms", "must be greater than 0"));
        }
        if options.connect_timeout_ms == 0 {
            return Err(Error::invalid(
                "connect_timeout_ms",
                "must be greater than 0",
            ));
        }
        if options.max_reply_bytes == 0 {
            return Err(Error::invalid("max_reply_bytes", "must be greater than 0"));
        }
        let proxy = match &options.proxy {
            None => None,
            Some(url) => {
                let proxy = ureq::Proxy::new(url)
                    .map_err(|_| Error::invalid("proxy", "not a valid proxy URL"))?;
                // ureq is built without SOCKS: it would fail every call (a panic, in fact).
                if !matches!(
                    proxy.protocol(),
                    ureq::ProxyProtocol::Http | ureq::ProxyProtocol::Https
                ) {
                    return Err(Error::invalid(
                        "proxy",
                        "SOCKS proxies are not supported: use an HTTP(S) CONNECT proxy",
                    ));
                }
                Some(proxy)
            }
        };
        let roots_file = roots_file(options)?;
        let key = ConnectionsKey {
            timeout_ms: options.timeout_ms,
            connect_timeout_ms: options.connect_timeout_ms,
            proxy: options.proxy.clone(),
            roots: match roots_file {
                Some((field, ref path)) => Some(FileIdentity::of(field, path)?),
                None => None,
            },
            max_idle_connections_per_host: options.max_idle_connections_per_host,
            dns_cache_secs: options.dns_cache_secs,
        };
        let connections = shared_connections(key, || {
            let roots = match &roots_file {
                Some((field, path)) => pem_roots(field, path)?,
                None => ureq::tls::RootCerts::WebPki,
            };
            Ok(connections_for(options, proxy.as_ref(), &roots))
        })?;
        Ok(Self {
            connections,
            reuse_connections_for_money: options.reuse_connections_for_money,
            max_reply_bytes: options.max_reply_bytes,
        })
    }
}

/// The connections for `options`, with their proxy and trusted certificate authorities.
fn connections_for(
    options: &HttpOptions,
    proxy: Option<&ureq::Proxy>,
    roots: &ureq::tls::RootCerts,
) -> Connections {
    // What the connector chain reads: the proxy, TLS, and the transports' buffers.
    let config = ureq::Agent::config_builder()
        .proxy(proxy.cloned())
        .tls_config(
            ureq::tls::TlsConfig::builder()
                .root_certs(roots.clone())
                .build(),
        )
        // Sent to a CONNECT proxy.
        .user_agent(concat!("vngate/", env!("CARGO_PKG_VERSION")))
        // Buffers for requests and reply heads of a few KiB, not ureq's 128 KiB each: they
        // are allocated and zeroed for every new connection (every money call), and glibc
        // gave 256 KiB back to the kernel after each call, then faulted it in again. A reply
        // head must fit in the input buffer; bodies stream through it.
        .input_buffer_size(32 * 1024)
        .output_buffer_size(16 * 1024)
        .build();
    Connections::new(
        config,
        super::transport::connector(),
        super::resolve::CachingResolver::new(Duration::from_secs(options.dns_cache_secs)),
        Duration::from_millis(options.timeout_ms),
        Duration::from_millis(options.connect_timeout_ms),
        options.max_idle_connections_per_host,
        // The total across hosts: clients of several providers built with the same settings
        // share these connections (a shop with chargingws, eSMS and topup on the defaults),
        // so room for four hosts' worth.
        options
            .max_idle_connections_per_host
            .saturating_mul(4)
            .max(10),
    )
}

thread_local! {
    /// Set inside [`with_own_connection`].
    static OWN_CONNECTION: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs `f` with its requests on connections of their own, as money-moving calls are made: for
/// a resolving call whose answer will settle a money record, so that a stray or late reply
/// left on a pooled connection (shared by every client of the process) can never be read as
/// its answer.
pub(crate) fn with_own_connection<T>(f: impl FnOnce() -> T) -> T {
    /// Restores the flag however `f` ends.
    struct Restore(bool);
    impl Drop for Restore {
        fn drop(&mut self) {
            OWN_CONNECTION.set(self.0);
        }
    }
    let _restore = Restore(OWN_CONNECTION.replace(true));
    f()
}

impl Http {
    /// Whether money-moving calls (and resolving calls made for a money record) may reuse
    /// pooled connections (`reuse_connections_for_money`).
    pub(crate) fn reuses_connections_for_money(&self) -> bool {
        self.reuse_connections_for_money
    }

    /// Whether a call has a connection of its own (opened for it, closed after the reply):
    /// money-moving calls unless reuse is allowed, and resolving calls made for a money record
    /// (see [`with_own_connection`]). Every other call uses the idle connections.
    fn own_connection(&self, moves_money: bool) -> bool {
        (moves_money || OWN_CONNECTION.get()) && !self.reuse_connections_for_money
    }

    /// Sends one request for `call`. Never retries. A failure is already the right [`Error`]
    /// for the call: "nothing changed" or "outcome unknown".
    pub(crate) fn send(
        &self,
        call: &Call<'_>,
        url: &str,
        headers: &[(&str, &str)],
        payload: Payload<'_>,
    ) -> Result<Reply, Error> {
        if log::log_enabled!(target: "vngate", log::Level::Debug) {
            log::debug!(
                target: "vngate",
                "{} {} request: {} {}",
                call.provider,
                call.operation,
                url_without_query(url),
                call.masked_fields(&payload)
            );
        }
        let started = std::time::Instant::now();
        let result = self
            .send_raw(call.money.is_some(), url, headers, payload)
            .map_err(|failure| call.failed(failure));
        if !log::log_enabled!(target: "vngate", log::Level::Info) {
            return result; // no line to write: nothing to format on the hot path
        }
        let millis = started.elapsed().as_millis();
        let reference = call
            .money
            .as_ref()
            .map(|m| format!(" {}={}", m.field, m.value))
            .unwrap_or_default();
        match &result {
            Ok(reply) => {
                log::info!(
                    target: "vngate",
                    "{} {}{reference}: HTTP {} in {millis} ms",
                    call.provider,
                    call.operation,
                    reply.status
                );
                log::debug!(
                    target: "vngate",
                    "{} {} reply: {}",
                    call.provider,
                    call.operation,
                    reply_excerpt(&reply.body, &call.secrets)
                );
            }
            Err(error) => log::info!(
                target: "vngate",
                "{} {}{reference}: {} in {millis} ms",
                call.provider,
                call.operation,
                error.kind()
            ),
        }
        result
    }

    fn send_raw(
        &self,
        moves_money: bool,
        url: &str,
        headers: &[(&str, &str)],
        payload: Payload<'_>,
    ) -> Result<Reply, Failure> {
        let own_connection = self.own_connection(moves_money);
        // A connection used once says so (RFC 9112, 9.6): the server closes it as soon as it
        // has answered, rather than keep it open until this side does, and the closed socket
        // waits out TIME_WAIT on the server, not among this host's ephemeral ports.
        let close = [("connection", "close")];
        let mut all = Vec::with_capacity(headers.len() + 1);
        all.extend_from_slice(headers);
        if own_connection {
            all.extend_from_slice(&close);
        }
        let query;
        let form;
        let json;
        let (post, query, content_type, body) = match payload {
            Payload::Query(params) => {
                query = query_pairs(params);
                (false, query.as_str(), None, &[][..])
            }
            Payload::Form(params) => {
                form = form_encoded(params);
                let form_type = "application/x-www-form-urlencoded";
                (true, "", Some(form_type), form.as_bytes())
            }
            Payload::Json(body) => {
                json = body;
                (true, "", Some("application/json"), json.as_bytes())
            }
            Payload::PostQuery(params) => {
                query = query_pairs(params);
                (true, query.as_str(), None, &[][..])
            }
        };
        let request = exchange::Request {
            post,
            url,
            query,
            headers: &all,
            content_type,
            body,
            own_connection,
        };
        match self.connections.exchange(&request, self.max_reply_bytes) {
            Ok((status, body)) => Ok(Reply { status, body }),
            Err(Failed::Io(error)) => Err(classify(&error)),
            Err(Failed::Reply(reason)) => Err(Failure::NoReply(reason)),
            Err(Failed::TooLarge(limit)) => Err(Failure::NoReply(format!(
                "reply body larger than {limit} bytes"
            ))),
        }
    }
}

/// The characters a query or form value keeps as they are (ureq's set, which these requests
/// were always encoded with): letters, digits and `-._~!()*`.
const ENCODED_IN_QUERY: &percent_encoding::AsciiSet = &percent_encoding::CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'$')
    .add(b'%')
    .add(b'&')
    .add(b'\'')
    .add(b'+')
    .add(b',')
    .add(b'/')
    .add(b':')
    .add(b';')
    .add(b'<')
    .add(b'=')
    .add(b'>')
    .add(b'?')
    .add(b'@')
    .add(b'[')
    .add(b'\\')
    .add(b']')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}');

/// `params` as a query (the part after `?`), each name and value percent-encoded.
fn query_pairs(params: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(params.len() * 24);
    push_pairs(&mut out, params, "%20");
    out
}

/// An `application/x-www-form-urlencoded` body: as a query, with `+` for a space.
fn form_encoded(params: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(params.len() * 24);
    push_pairs(&mut out, params, "+");
    out
}

/// `name=value&…`, each name and value percent-encoded, a space written as `space`.
fn push_pairs(out: &mut String, params: &[(&str, &str)], space: &str) {
    for (i, (name, value)) in params.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        push_encoded(out, name, space);
        out.push('=');
        push_encoded(out, value, space);
    }
}

/// `text` percent-encoded, a space written as `space`.
fn push_encoded(out: &mut String, text: &str, space: &str) {
    for part in percent_encoding::utf8_percent_encode(text, ENCODED_IN_QUERY) {
        out.push_str(if part == "%20" { space } else { part });
    }
}

/// The distributions' CA bundles, in the order `openssl` and Go look for them.
const SYSTEM_BUNDLES: &[&str] = &[
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/ca-bundle.pem",
    "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
    "/etc/ssl/cert.pem",
];

/// The PEM file of certificate authorities to trust, with the field that chose it; `None`:
/// the bundled ones.
fn roots_file(options: &HttpOptions) -> Result<Option<(&'static str, String)>, Error> {
    roots_file_of(options.tls_roots, options.ca_file.as_deref())
}

/// The certificate authorities HTTPS trusts for these options (a `ca_file`, else
/// `tls_roots`), as DER certificates; `None` for the bundled ones (Mozilla's, as the
/// `webpki-roots` crate has them). For the other TLS connections of a vngate deployment (the
/// journal's PostgreSQL), so that one setting means the same everywhere.
pub fn trusted_roots(
    tls_roots: TlsRoots,
    ca_file: Option<&str>,
) -> Result<Option<Vec<Vec<u8>>>, Error> {
    let Some((field, path)) = roots_file_of(tls_roots, ca_file)? else {
        return Ok(None);
    };
    let pem = std::fs::read(&path).map_err(|e| unreadable(field, &path, &e))?;
    let certs: Vec<Vec<u8>> = ureq::tls::parse_pem(&pem)
        .filter_map(|item| match item {
            Ok(ureq::tls::PemItem::Certificate(cert)) => Some(cert.der().to_vec()),
            _ => None,
        })
        .collect();
    if certs.is_empty() {
        return Err(Error::invalid(
            field,
            format!("{} holds no PEM certificate", crate::secret::quote(&path)),
        ));
    }
    Ok(Some(certs))
}

fn roots_file_of(
    tls_roots: TlsRoots,
    ca_file: Option<&str>,
) -> Result<Option<(&'static str, String)>, Error> {
    if let Some(path) = ca_file {
        return Ok(Some(("ca_file", path.to_owned())));
    }
    match tls_roots {
        TlsRoots::Bundled => Ok(None),
        TlsRoots::System => {
            let from_env = std::env::var("SSL_CERT_FILE")
                .ok()
                .filter(|p| !p.is_empty());
            let path = from_env
                .or_else(|| {
                    SYSTEM_BUNDLES
                        .iter()
                        .find(|p| std::path::Path::new(p).is_file())
                        .map(|p| (*p).to_owned())
                })
                .ok_or_else(|| {
                    Error::invalid(
                        "tls_roots",
                        "no system certificate store found: install ca-certificates or set \
                         SSL_CERT_FILE",
                    )
                })?;
            Ok(Some(("tls_roots", path)))
        }
    }
}

/// Every certificate in a PEM file; none is an error naming `field`.
fn pem_roots(field: &'static str, path: &str) -> Result<ureq::tls::RootCerts, Error> {
    let pem = std::fs::read(path).map_err(|e| unreadable(field, path, &e))?;
    let mut certs = Vec::new();
    for item in ureq::tls::parse_pem(&pem) {
        if let Ok(ureq::tls::PemItem::Certificate(cert)) = item {
            certs.push(cert);
        }
    }
    if certs.is_empty() {
        return Err(Error::invalid(
            field,
            format!("{} holds no PEM certificate", crate::secret::quote(path)),
        ));
    }
    Ok(ureq::tls::RootCerts::from(certs))
}

/// A certificate file that cannot be read (its metadata or its text), as `field`'s error.
fn unreadable(field: &'static str, path: &str, error: &io::Error) -> Error {
    Error::invalid(
        field,
        format!("cannot read {}: {error}", crate::secret::quote(path)),
    )
}

/// Sorts a ureq error into "certainly not sent" and "may have been delivered". Anything not
/// known to happen before the first request byte is written counts as possibly delivered.
fn classify(error: &ureq::Error) -> Failure {
    use ureq::Timeout;
    let not_sent = match error {
        ureq::Error::HostNotFound
        | ureq::Error::ConnectionFailed
        | ureq::Error::BadUri(_)
        | ureq::Error::InvalidProxyUrl
        | ureq::Error::ConnectProxyFailed(_)
        | ureq::Error::Tls(_)
        | ureq::Error::Rustls(_)
        | ureq::Error::Timeout(Timeout::Resolve | Timeout::Connect) => true,
        ureq::Error::Io(io) => {
            matches!(
                io.kind(),
                io::ErrorKind::ConnectionRefused
                    | io::ErrorKind::HostUnreachable
                    | io::ErrorKind::NetworkUnreachable
                    | io::ErrorKind::AddrNotAvailable
            ) || failed_handshake(io)
                || super::resolve::failed_lookup(io)
                || super::interrupt::before_connecting(io)
        }
        _ => false,
    };
    let reason = match error {
        ureq::Error::Timeout(_) => "timed out".to_owned(),
        other => other.to_string(),
    };
    if not_sent {
        Failure::NotSent(reason)
    } else {
        Failure::NoReply(reason)
    }
}

/// ureq reports TLS failures as io errors wrapping rustls's. Certificate and protocol
/// mismatches can only happen in the handshake, before any request byte is sent.
fn failed_handshake(io: &io::Error) -> bool {
    io.get_ref()
        .and_then(|e| e.downcast_ref::<rustls::Error>())
        .is_some_and(|e| {
            matches!(
                e,
                rustls::Error::InvalidCertificate(_)
                    | rustls::Error::NoCertificatesPresented
                    | rustls::Error::PeerIncompatible(_)
                    | rustls::Error::UnsupportedNameType
            )
        })
}

/// One provider call in flight: its operation (from the registry), the caller's reference
/// when it moves money, and the secrets that must not appear in an error about it. Turns
/// every failure into the right [`Error`].
pub(crate) struct Call<'a> {
    pub provider: &'static str,
    pub operation: &'static str,
    /// For a money-moving call: the caller's reference and how to resolve an unknown outcome.
    pub money: Option<MoneyRef>,
    pub secrets: Vec<&'a str>,
}

/// The caller's handle on a money-moving call.
pub(crate) struct MoneyRef {
    pub field: &'static str,
    pub value: String,
    pub next_step: &'static str,
}

impl<'a> Call<'a> {
    /// The one constructor: a call of `op`. For a money-moving operation `reference` is the
    /// caller's value of its reference field; the registry names the field and the next step.
    pub(crate) fn new(op: &'static Operation, reference: &str, secrets: Vec<&'a str>) -> Self {
        Self {
            provider: op.provider,
            operation: op.name,
            money: op.money.map(|money| MoneyRef {
                field: money.reference_field,
                value: reference.to_owned(),
                next_step: money.next_step,
            }),
            secrets,
        }
    }

    /// A call that only reads: its failures change nothing at the provider.
    pub(crate) fn read_only(op: &'static Operation, secrets: Vec<&'a str>) -> Self {
        debug_assert!(!op.moves_money(), "{} moves money", op.name);
        Self::new(op, "", secrets)
    }

    /// The request's fields for a debug log line: card PINs masked to their last two
    /// characters; signatures, checksums, every secret-sounding field (as excerpts judge them)
    /// and every configured secret replaced by `***`.
    fn masked_fields(&self, payload: &Payload<'_>) -> String {
        let mask = |name: &str, value: &str| -> String {
            let lower = name.to_ascii_lowercase();
            if lower == "code" {
                crate::secret::mask_pin(value)
            } else if lower.contains("sign")
                || lower.contains("checksum")
                || crate::secret::is_secret_key(name)
                || self
                    .secrets
                    .iter()
                    .any(|s| s.len() >= 4 && value.contains(s))
            {
                "***".to_owned()
            } else {
                crate::secret::excerpt(value, &self.secrets)
            }
        };
        match payload {
            Payload::Query(params) | Payload::Form(params) | Payload::PostQuery(params) => params
                .iter()
                .map(|(name, value)| format!("{name}={}", mask(name, value)))
                .collect::<Vec<_>>()
                .join(" "),
            Payload::Json(body) => match serde_json::from_str::<Value>(body) {
                Ok(Value::Object(map)) => map
                    .iter()
                    .map(|(name, value)| {
                        let text = value
                            .as_str()
                            .map_or_else(|| value.to_string(), str::to_owned);
                        format!("{name}={}", mask(name, &text))
                    })
                    .collect::<Vec<_>>()
                    .join(" "),
                _ => format!("<{} bytes>", body.len()),
            },
        }
    }

    /// The error for a reply that never came.
    pub(crate) fn failed(&self, failure: Failure) -> Error {
        // An error's words may quote the URL, and a query string may carry a key.
        let failure = match failure {
            Failure::NotSent(reason) => Failure::NotSent(excerpt(&reason, &self.secrets)),
            Failure::NoReply(reason) => Failure::NoReply(excerpt(&reason, &self.secrets)),
        };
        match failure {
            Failure::NotSent(reason) => Error::Transport {
                reason: format!("{}: {reason} (the request was not sent)", self.operation),
            },
            Failure::NoReply(reason) => self.unknown_or(reason, |reason| Error::Transport {
                reason: format!("{}: {reason}", self.operation),
            }),
        }
    }

    /// The error for a reply that came but cannot be read.
    pub(crate) fn bad_reply(&self, http_status: u16, reason: &str, body: &[u8]) -> Error {
        let text = reply_excerpt(body, &self.secrets);
        self.unknown_or(
            crate::error::bad_reply_reason(http_status, reason, &text),
            |_| Error::bad_reply(Some(http_status), reason, text.clone()),
        )
    }

    fn unknown_or(&self, reason: String, otherwise: impl FnOnce(String) -> Error) -> Error {
        match &self.money {
            Some(money) => Error::OutcomeUnknown {
                operation: self.operation,
                reference_field: money.field,
                reference: money.value.clone(),
                reason,
                next_step: money.next_step,
            },
            None => otherwise(reason),
        }
    }

    /// The one reply reader: runs `read` over a reply's fields; a field that is missing or of
    /// the wrong type is a bad reply (for a money-moving call, "outcome unknown").
    pub(crate) fn read<T>(
        &self,
        reply: &Reply,
        read: impl FnOnce() -> Result<T, crate::fields::FieldError>,
    ) -> Result<T, Error> {
        read().map_err(|reason| self.bad_reply(reply.status, &reason, &reply.body))
    }

    /// Reads a reply body as one JSON object, whatever the HTTP status: providers answer
    /// business errors with 4xx/5xx and a JSON body.
    pub(crate) fn json_object(&self, reply: &Reply) -> Result<Map<String, Value>, Error> {
        match serde_json::from_slice::<Value>(&crate::fields::exact_numbers(&reply.body)) {
            Ok(Value::Object(map)) => Ok(map),
            Ok(_) => Err(self.bad_reply(reply.status, "not a JSON object", &reply.body)),
            Err(_) => Err(self.bad_reply(reply.status, "not JSON", &reply.body)),
        }
    }

    /// [`Call::json_object`], read in place when the body is a flat object of plain values,
    /// as almost every reply is (see [`crate::flat_json`]).
    pub(crate) fn json_fields<'r>(&self, reply: &'r Reply) -> Result<flat_json::Object<'r>, Error> {
        match std::str::from_utf8(&reply.body)
            .ok()
            .and_then(flat_json::Flat::read)
        {
            Some(flat) => Ok(flat_json::Object::Flat(flat)),
            None => self.json_object(reply).map(flat_json::Object::Map),
        }
    }

    /// Reads a reply body as JSON of any shape.
    pub(crate) fn json_value(&self, reply: &Reply) -> Result<Value, Error> {
        serde_json::from_slice::<Value>(&crate::fields::exact_numbers(&reply.body))
            .map_err(|_| self.bad_reply(reply.status, "not JSON", &reply.body))
    }
}

/// A URL for a log line: no query string (topup sends its private key there).
fn url_without_query(url: &str) -> &str {
    url.split(['?', '#']).next().unwrap_or(url)
}

/// Which schemes a provider's URL may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scheme {
    /// The provider's documents use HTTPS and the calls carry keys, tokens or card PINs:
    /// `http://` only to loopback (a local simulator or tunnel) or with
    /// `allow_insecure_http: true`.
    Https { allow_insecure_http: bool },
    /// Either (a provider whose documented endpoint is plain HTTP; the caller's own URLs).
    Any,
}

/// Checks a base URL with the URI parser the HTTP layer itself uses, so that a URL that could
/// never be sent is refused when the client is built, not reported as "outcome unknown" by a
/// money call later. Returns it without a trailing slash.
pub(crate) fn base_url(field: &'static str, url: &str, scheme: Scheme) -> Result<String, Error> {
    let shown = crate::secret::quote(url);
    let trimmed = url.trim_end_matches('/');
    let invalid = |why: &str| Error::invalid(field, format!("{why}: {shown}"));
    if !(trimmed.starts_with("https://") || trimmed.starts_with("http://")) {
        return Err(invalid("must start with http:// or https://"));
    }
    if trimmed.contains(char::is_whitespace) || trimmed.contains(['?', '#']) {
        return Err(invalid("must be a URL like https://host[:port][/path]"));
    }
    let uri = ureq::http::Uri::try_from(trimmed)
        .map_err(|_| invalid("is not a valid URL (host, port or characters)"))?;
    let authority = uri.authority().ok_or_else(|| invalid("has no host"))?;
    let host = authority.host();
    if host.is_empty() || authority.as_str().contains('@') {
        return Err(invalid(
            "must be https://host[:port][/path], without user or password",
        ));
    }
    // The parser keeps any digits as the port; a port must fit in 16 bits and not be 0.
    let port_text = authority
        .as_str()
        .rsplit_once(':')
        .filter(|(_, p)| !p.contains(']'))
        .map(|(_, p)| p);
    if let Some(port) = port_text
        && port.parse::<u16>().map_or(true, |p| p == 0)
    {
        return Err(invalid("has an invalid port"));
    }
    if let Scheme::Https {
        allow_insecure_http: false,
    } = scheme
        && uri.scheme_str() == Some("http")
        && !is_loopback(host)
    {
        return Err(invalid(
            "must use https:// (this provider's calls carry keys or tokens); set \
             allow_insecure_http: true to send them in clear text anyway",
        ));
    }
    Ok(trimmed.to_owned())
}

/// A checked URL's origin: `scheme://host[:port]`, lower-case (what tells one site from
/// another: the path is the protocol's).
pub(crate) fn origin(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let authority = rest.split('/').next().unwrap_or_default();
    format!("{scheme}://{authority}").to_ascii_lowercase()
}

impl Scheme {
    /// For a provider whose documents use HTTPS, as the caller's options allow.
    pub(crate) fn https(options: &HttpOptions) -> Self {
        Self::Https {
            allow_insecure_http: options.allow_insecure_http,
        }
    }
}

fn is_loopback(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Clients built alike share connections; while the registry is held (by a thread a
    /// `fork()` left behind, say), a client is still built at once, with connections of its own.
    #[test]
    fn clients_share_connections_and_never_wait_for_the_registry() {
        let options = HttpOptions {
            timeout_ms: 12_345,
            ..HttpOptions::default()
        };
        // Other tests build clients in parallel: one that holds the registry for a moment
        // gives a client connections of its own, so a shared pair is asked for a few times.
        let shared = (0..100).find_map(|_| {
            let (a, b) = (Http::new(&options).unwrap(), Http::new(&options).unwrap());
            Arc::ptr_eq(&a.connections, &b.connections).then_some(a.connections)
        });
        let shared = shared.expect("clients built alike share their connections");
        let held = SHARED.lock().unwrap();
        let (sender, built) = std::sync::mpsc::channel();
        std::thread::spawn(move || sender.send(Http::new(&options).map(|http| http.connections)));
        let built = built.recv_timeout(Duration::from_secs(5));
        drop(held);
        let built = built.expect("a client is built without waiting for the registry");
        assert!(!Arc::ptr_eq(&shared, &built.unwrap()));
    }

    /// Encoded as ureq encoded them: a provider that compares what it received with what was
    /// signed sees the same bytes as before.
    #[test]
    fn queries_and_forms_are_encoded_as_before() {
        let params = [
            ("a b", "x y+z"),
            ("k", "&=?#/:;,@$%'\"<>[]^`{|}\\"),
            ("safe", "AZaz09-._~!()*"),
            ("vi", "Thẻ\n\u{7f}"),
            ("empty", ""),
        ];
        let expected = "a%20b=x%20y%2Bz\
            &k=%26%3D%3F%23%2F%3A%3B%2C%40%24%25%27%22%3C%3E%5B%5D%5E%60%7B%7C%7D%5C\
            &safe=AZaz09-._~!()*&vi=Th%E1%BA%BB%0A%7F&empty=";
        assert_eq!(query_pairs(&params), expected);
        assert_eq!(query_pairs(&[]), "");
        assert_eq!(form_encoded(&params), expected.replace("%20", "+"));
        assert_eq!(form_encoded(&[]), "");
    }

    fn field_of(url: &str, scheme: Scheme) -> Option<String> {
        match base_url("base_url", url, scheme) {
            Ok(_) => None,
            Err(Error::InvalidInput { field, .. }) => Some(field),
            Err(other) => panic!("{other:?}"),
        }
    }

    #[test]
    fn urls_that_could_never_be_sent_are_refused_when_the_client_is_built() {
        let strict = Scheme::Https {
            allow_insecure_http: false,
        };
        for bad in [
            "http://exa^mple.com",
            "http://[::1",
            "https://ví-dụ.vn",
            "https://example.com:99999",
            "https://example.com:0",
            "https://user:pass@example.com",
            "https://",
            "ftp://example.com",
            "https://exa mple.com",
        ] {
            assert_eq!(
                field_of(bad, Scheme::Any).as_deref(),
                Some("base_url"),
                "{bad}"
            );
        }
        for good in [
            "https://thesieure.com",
            "https://example.com:8443/api/",
            "http://127.0.0.1:8080",
            "http://[::1]:8080",
            "http://localhost:1/x",
            "https://xn--v-dg-7ra9f.vn",
        ] {
            assert_eq!(field_of(good, strict), None, "{good}");
        }
    }

    /// A server that answers each request on a connection with the next of its replies, and
    /// counts the connections it accepted. A connection marked `true` is kept open once its
    /// replies are written (a client that sent on it again would wait for its timeout).
    type Script = Vec<(bool, Vec<&'static [u8]>)>;
    fn scripted(connections: Script) -> (String, std::thread::JoinHandle<usize>) {
        use std::io::{Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/api", listener.local_addr().unwrap());
        let server = std::thread::spawn(move || {
            let mut accepted = 0;
            let mut kept = Vec::new();
            for (keep_open, replies) in connections {
                let (mut stream, _) = listener.accept().unwrap();
                accepted += 1;
                for reply in replies {
                    // One request: the head, then its Content-Length of body.
                    let mut request = Vec::new();
                    let mut byte = [0u8; 1];
                    while !request.ends_with(b"\r\n\r\n") {
                        assert_eq!(stream.read(&mut byte).unwrap(), 1, "a whole request");
                        request.push(byte[0]);
                    }
                    let head = String::from_utf8(request).unwrap();
                    let length: usize = head
                        .lines()
                        .find_map(|l| l.strip_prefix("content-length: "))
                        .map_or(0, |n| n.parse().unwrap());
                    stream.read_exact(&mut vec![0; length]).unwrap();
                    stream.write_all(reply).unwrap();
                }
                if keep_open {
                    kept.push(stream);
                }
            }
            accepted
        });
        (url, server)
    }

    fn post(http: &Http, url: &str) -> Result<Reply, Failure> {
        http.send_raw(false, url, &[], Payload::Form(&[("a", "b")]))
    }

    /// Chunked replies (with an informational reply before one) are read whole, and the
    /// connection carries the next request; a reply that leaves bytes behind it, or says
    /// `Connection: close`, or is HTTP/1.0, is the last on its connection.
    #[test]
    fn a_connection_is_kept_only_after_a_reply_that_ended_where_it_said() {
        let options = HttpOptions {
            // A configuration of its own: no other test's idle connections.
            timeout_ms: 4_321,
            ..HttpOptions::default()
        };
        let http = Http::new(&options).unwrap();
        let (url, server) = scripted(vec![
            (true, vec![
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\n{\"a\r\n5;x=y\r\n\":1}\n\r\n0\r\n\r\n",
                b"HTTP/1.1 103 Early Hints\r\nLink: </x>\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok",
                // Two bytes more than its length says.
                b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokXX",
            ]),
            (true, vec![b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nConnection: close\r\n\r\n1"]),
            (true, vec![b"HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\n2"]),
            // Its body ends when the connection closes.
            (false, vec![b"HTTP/1.1 500 Oops\r\n\r\nuntil the end"]),
        ]);
        let replies: Vec<(u16, Vec<u8>)> = (0..6)
            .map(|_| post(&http, &url).map(|r| (r.status, r.body)).unwrap())
            .collect();
        let expected: Vec<(u16, &[u8])> = vec![
            (200, b"{\"a\":1}\n"),
            (201, b"ok"),
            (200, b"ok"),
            (200, b"1"),
            (200, b"2"),
            (500, b"until the end"),
        ];
        for (got, want) in replies.iter().zip(&expected) {
            assert_eq!((got.0, got.1.as_slice()), *want);
        }
        assert_eq!(server.join().unwrap(), 4);
    }

    /// What breaks HTTP is a reply that never came (the outcome of a money call unknown),
    /// never a reply.
    #[test]
    fn broken_replies_are_no_reply() {
        let options = HttpOptions {
            timeout_ms: 4_322,
            max_reply_bytes: 8,
            ..HttpOptions::default()
        };
        let http = Http::new(&options).unwrap();
        let (url, server) = scripted(vec![
            (false, vec![b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n"]),
            (false, vec![b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n9\r\n123456789\r\n0\r\n\r\n"]),
            (false, vec![b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"]),
            (false, vec![b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nabc"]),
            (false, vec![b"HTTP/1.1 101 Switching Protocols\r\n\r\n"]),
            (false, vec![b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n1"]),
            (false, vec![b"hello\r\n\r\n"]),
        ]);
        for expected in [
            "reply body larger than 8 bytes",
            "reply body larger than 8 bytes",
            "a broken chunked body (no chunk size)",
            "the connection closed after 3 of the reply's 5 bytes",
            "the server switched protocols",
            "invalid Content-Length",
            "not an HTTP reply",
        ] {
            match post(&http, &url) {
                Err(Failure::NoReply(reason)) => {
                    assert!(reason.starts_with(expected), "{reason} / {expected}");
                }
                Err(other) => panic!("{expected}: {other:?}"),
                Ok(reply) => panic!("{expected}: read as a reply, HTTP {}", reply.status),
            }
        }
        assert_eq!(server.join().unwrap(), 7);
    }

    #[test]
    fn debug_masks_proxy_credentials() {
        let options = HttpOptions {
            proxy: Some("http://shop:hunter2-proxy@proxy.local:3128".into()),
            ..HttpOptions::default()
        };
        let shown = format!("{options:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("http://***@proxy.local:3128"), "{shown}");
    }

    #[test]
    fn plain_http_needs_an_explicit_option_where_the_provider_uses_https() {
        let strict = Scheme::Https {
            allow_insecure_http: false,
        };
        assert_eq!(
            field_of("http://thesieure.com", strict).as_deref(),
            Some("base_url")
        );
        let allowed = Scheme::Https {
            allow_insecure_http: true,
        };
        assert_eq!(field_of("http://thesieure.com", allowed), None);
        assert_eq!(
            field_of("http://210.211.109.117/apipayment", Scheme::Any),
            None
        );
    }
}
