//! HTTP, configured once and explicitly, and the one place that decides what a failed call
//! means for money: "nothing changed" or "outcome unknown".

use std::io;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, TryLockError};
use std::time::Duration;

use serde::Deserialize;
use serde_json::{Map, Value};

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
    /// the addresses last seen are used. 0 looks the name up on every call.
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

/// An agent with vngate's resolver: no thread and no DNS lookup per call.
fn agent(config: ureq::config::Config, dns_cache: Duration) -> ureq::Agent {
    ureq::Agent::with_parts(
        config,
        super::transport::connector(),
        super::resolve::CachingResolver::new(dns_cache),
    )
}

/// A configured HTTP client: a keep-alive pool for read-only calls, shared by all threads of
/// one process, and an agent that never pools for money-moving calls.
pub(crate) struct Http {
    agents: Arc<Agents>,
    reuse_connections_for_money: bool,
    max_reply_bytes: u64,
}

/// The agents of one HTTP configuration, shared by every client of the process built with the
/// same one (see [`shared_agents`]).
struct Agents {
    config: ureq::config::Config,
    dns_cache: Duration,
    pool: Mutex<Pool>,
    unpooled: ureq::Agent,
}

/// The pooled agent and the process it belongs to.
struct Pool {
    pid: u32,
    generation: u64,
    agent: ureq::Agent,
}

/// What makes two clients' agents interchangeable: everything the agents are built from.
/// Certificate authorities read from a file count by that file as it is now (a file changed
/// or replaced since is a new configuration), so that a client per request does not read and
/// parse a system bundle of 200 KB each time.
#[derive(PartialEq, Eq)]
struct AgentsKey {
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

/// How many configurations keep their agents when no client holds them any more.
const KEPT_CONFIGURATIONS: usize = 8;

/// The agents of the configurations built last, newest last.
static SHARED: Mutex<Vec<(AgentsKey, Arc<Agents>)>> = Mutex::new(Vec::new());

/// The agents for `key`: those of an earlier client built with the same configuration, or new
/// ones from `build`. A client per request (php-fpm, a web handler that builds its client
/// inside) thereby finds the previous request's idle connections, and its TLS sessions, the way
/// a client kept for the process's life would; the connections carry no credentials (each
/// request is signed on its own). The last [`KEPT_CONFIGURATIONS`] configurations stay after
/// their clients are gone; older ones live as long as a client holds them.
fn shared_agents(
    key: AgentsKey,
    build: impl FnOnce() -> Result<Agents, Error>,
) -> Result<Arc<Agents>, Error> {
    // Never waited for: after a `fork()` while another thread held it, the child would wait
    // forever. A client built while another thread builds one gets agents of its own.
    let mut shared = match SHARED.try_lock() {
        Ok(shared) => shared,
        Err(TryLockError::Poisoned(poisoned)) => poisoned.into_inner(),
        Err(TryLockError::WouldBlock) => return build().map(Arc::new),
    };
    if let Some(at) = shared.iter().position(|(k, _)| *k == key) {
        let entry = shared.remove(at);
        let agents = Arc::clone(&entry.1);
        shared.push(entry);
        return Ok(agents);
    }
    let agents = Arc::new(build()?);
    if shared.len() == KEPT_CONFIGURATIONS {
        shared.remove(0);
    }
    shared.push((key, Arc::clone(&agents)));
    Ok(agents)
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
    Query(&'a [(&'a str, String)]),
    /// POST `application/x-www-form-urlencoded`.
    Form(&'a [(&'a str, String)]),
    /// POST `application/json` with this body.
    Json(String),
    /// POST with these parameters in the query string and an empty body.
    PostQuery(&'a [(&'a str, String)]),
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
        let key = AgentsKey {
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
        let agents = shared_agents(key, || {
            let roots = match &roots_file {
                Some((field, path)) => pem_roots(field, path)?,
                None => ureq::tls::RootCerts::WebPki,
            };
            Ok(agents_for(options, proxy.as_ref(), &roots))
        })?;
        Ok(Self {
            agents,
            reuse_connections_for_money: options.reuse_connections_for_money,
            max_reply_bytes: options.max_reply_bytes,
        })
    }
}

/// The agents for `options`, with their proxy and trusted certificate authorities.
fn agents_for(
    options: &HttpOptions,
    proxy: Option<&ureq::Proxy>,
    roots: &ureq::tls::RootCerts,
) -> Agents {
    let builder = || {
        ureq::Agent::config_builder()
            .timeout_global(Some(Duration::from_millis(options.timeout_ms)))
            .timeout_connect(Some(Duration::from_millis(options.connect_timeout_ms)))
            // Providers put their error JSON in 4xx/5xx bodies: read them, never hide them.
            .http_status_as_error(false)
            // A redirected POST may be replayed as a GET or to another host; a provider that
            // redirects is misconfigured, and the reply says so.
            .max_redirects(0)
            .proxy(proxy.cloned())
            .tls_config(
                ureq::tls::TlsConfig::builder()
                    .root_certs(roots.clone())
                    .build(),
            )
            .user_agent(concat!("vngate/", env!("CARGO_PKG_VERSION")))
            // Buffers for requests and reply heads of a few KiB, not ureq's 128 KiB each:
            // they are allocated and zeroed for every new connection (every money call),
            // and glibc gave 256 KiB back to the kernel after each call, then faulted it in
            // again. A reply head over 32 KiB is refused; bodies stream through.
            .input_buffer_size(32 * 1024)
            .output_buffer_size(16 * 1024)
            .max_response_header_size(32 * 1024)
    };
    let unpooled = builder()
        .max_idle_connections(0)
        .max_idle_connections_per_host(0)
        .build();
    let config = builder()
        .max_idle_connections_per_host(options.max_idle_connections_per_host)
        // The total across hosts: clients of several providers built with the same
        // settings share these agents (a shop with chargingws, eSMS and topup on the
        // defaults), so room for four hosts' worth.
        .max_idle_connections(
            options
                .max_idle_connections_per_host
                .saturating_mul(4)
                .max(10),
        )
        .build();
    let dns_cache = Duration::from_secs(options.dns_cache_secs);
    Agents {
        pool: Mutex::new(Pool {
            pid: std::process::id(),
            generation: FORK_GENERATION.load(Ordering::SeqCst),
            agent: agent(config.clone(), dns_cache),
        }),
        config,
        dns_cache,
        unpooled: agent(unpooled, dns_cache),
    }
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

    /// The agent for a call: the pool of this process for read-only calls (and money calls
    /// when reuse is allowed), else one that opens a connection per request; and whether the
    /// call has such a connection of its own (closed after the reply).
    fn agent(&self, moves_money: bool) -> (ureq::Agent, bool) {
        let agents = &*self.agents;
        let own = moves_money || OWN_CONNECTION.get();
        if own && !self.reuse_connections_for_money {
            return (agents.unpooled.clone(), true);
        }
        let (pid, generation) = (std::process::id(), FORK_GENERATION.load(Ordering::SeqCst));
        // Held only to clone an Arc: a fork while another thread holds it is as unlikely as
        // for any allocator lock.
        let mut pool = agents.pool.lock().unwrap_or_else(PoisonError::into_inner);
        if pool.pid != pid || pool.generation != generation {
            // This process is a fork: the pooled sockets are shared with the parent. Never
            // read, write or even close them here (a TLS close would write on the parent's
            // connection): leak the old pool and start an empty one.
            let inherited = std::mem::replace(
                &mut pool.agent,
                agent(agents.config.clone(), agents.dns_cache),
            );
            std::mem::forget(inherited);
            pool.pid = pid;
            pool.generation = generation;
        }
        (pool.agent.clone(), false)
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
        let (agent, own_connection) = self.agent(moves_money);
        // A connection used once says so (RFC 9112, 9.6): the server closes it as soon as it
        // has answered, rather than keep it open until this side does, and the closed socket
        // waits out TIME_WAIT on the server, not among this host's ephemeral ports.
        let close = own_connection.then_some(("connection", "close"));
        let all = || headers.iter().copied().chain(close);
        let result = match payload {
            Payload::Query(params) => with_headers(agent.get(url), all())
                .query_pairs(params.iter().map(|(k, v)| (*k, v.as_str())))
                .call(),
            Payload::Form(params) => with_headers(agent.post(url), all())
                .send_form(params.iter().map(|(k, v)| (*k, v.as_str()))),
            Payload::Json(body) => with_headers(
                agent.post(url).header("content-type", "application/json"),
                all(),
            )
            .send(body),
            Payload::PostQuery(params) => with_headers(agent.post(url), all())
                .query_pairs(params.iter().map(|(k, v)| (*k, v.as_str())))
                .send_empty(),
        };
        let mut response = result.map_err(|e| classify(&e))?;
        let status = response.status().as_u16();
        let body = response
            .body_mut()
            .with_config()
            .limit(self.max_reply_bytes)
            .read_to_vec()
            .map_err(|e| match e {
                ureq::Error::BodyExceedsLimit(limit) => {
                    Failure::NoReply(format!("reply body larger than {limit} bytes"))
                }
                other => classify(&other),
            })?;
        Ok(Reply { status, body })
    }
}

/// `request` with `headers` added.
fn with_headers<'h, B>(
    mut request: ureq::RequestBuilder<B>,
    headers: impl Iterator<Item = (&'h str, &'h str)>,
) -> ureq::RequestBuilder<B> {
    for (name, value) in headers {
        request = request.header(name, value);
    }
    request
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

    /// Clients built alike share agents; while the registry is held (by a thread a `fork()`
    /// left behind, say), a client is still built at once, with agents of its own.
    #[test]
    fn clients_share_agents_and_never_wait_for_the_registry() {
        let options = HttpOptions {
            timeout_ms: 12_345,
            ..HttpOptions::default()
        };
        // Other tests build clients in parallel: one that holds the registry for a moment
        // gives a client agents of its own, so a shared pair is asked for a few times.
        let shared = (0..100).find_map(|_| {
            let (a, b) = (Http::new(&options).unwrap(), Http::new(&options).unwrap());
            Arc::ptr_eq(&a.agents, &b.agents).then_some(a.agents)
        });
        let shared = shared.expect("clients built alike share their agents");
        let held = SHARED.lock().unwrap();
        let (sender, built) = std::sync::mpsc::channel();
        std::thread::spawn(move || sender.send(Http::new(&options).map(|http| http.agents)));
        let built = built.recv_timeout(Duration::from_secs(5));
        drop(held);
        let built = built.expect("a client is built without waiting for the registry");
        assert!(!Arc::ptr_eq(&shared, &built.unwrap()));
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
