//! One HTTP/1.1 request and its reply, and the idle connections kept between them.
//!
//! vngate sends one kind of request (a GET with a query, or a POST with a short body, one
//! attempt, no redirect) and reads one kind of reply (a status, a few headers, a body of at
//! most `max_reply_bytes`). ureq's general request machinery (its `http` request and response
//! types, middleware, per-phase timings, sans-IO state machine and pool) was more than half of
//! a call's own CPU time on a kept-alive connection, so the exchange is written here for that
//! one kind: the request head and body built in one buffer and written once, the reply head
//! parsed in place with `httparse`, the body read by its length, its chunks or until the
//! connection closes. Connections still come from ureq's connector chain (vngate's TCP under
//! ureq's CONNECT proxy and rustls layers, see [`super::transport`]), so proxies, TLS and the
//! connect timeout keep their one implementation.
//!
//! Idle connections are kept per origin (scheme, host and port), newest first, each probed
//! when taken (see [`super::transport`]) and dropped after [`MAX_IDLE_AGE`]. A connection is
//! kept only after a reply that ended exactly where its framing said (HTTP/1.1, no
//! `Connection: close`, nothing unread after it).

use std::cell::RefCell;
use std::io::Write as _;
use std::rc::Rc;
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::{Duration, Instant};

use ureq::Timeout;
use ureq::http::Uri;
use ureq::http::uri::Scheme;
use ureq::unversioned::resolver::Resolver as _;
use ureq::unversioned::transport::{
    ConnectionDetails, Connector, NextTimeout, ShutdownHandle, Transport,
};

use super::resolve::CachingResolver;

/// How long an idle connection is kept (ureq's default): servers close theirs after 5 to 75 s,
/// and one found closed costs a probe and a new connection.
pub(crate) const MAX_IDLE_AGE: Duration = Duration::from_secs(15);

/// The most reply header lines read (ureq reads as many; a provider behind a CDN sends ~20).
const MAX_HEADERS: usize = 100;

type RunConnector =
    dyn Fn(&ConnectionDetails) -> Result<Box<dyn Transport>, ureq::Error> + Send + Sync;
type RegisterShutdown = dyn Fn(Weak<dyn ShutdownHandle>) -> Result<(), ureq::Error> + Send + Sync;
type CurrentTime = dyn Fn() -> ureq::unversioned::transport::time::Instant + Send + Sync;

/// Why an exchange failed.
#[derive(Debug)]
pub(crate) enum Failed {
    /// From the connector or a transport: sorted by `http::classify`.
    Io(ureq::Error),
    /// A reply that breaks HTTP/1.1 (bytes came back, but no reply can be read from them).
    Reply(String),
    /// A reply body over the limit.
    TooLarge(u64),
}

impl From<ureq::Error> for Failed {
    fn from(error: ureq::Error) -> Self {
        Self::Io(error)
    }
}

/// A request: method, URL, query, the caller's headers, and the body.
pub(crate) struct Request<'a> {
    pub post: bool,
    /// The URL as configured (the same for every call of an operation: parsed once, see
    /// [`Target`]).
    pub url: &'a str,
    /// The call's own query pairs, percent-encoded, added to the URL's query (`""`: none).
    pub query: &'a str,
    pub headers: &'a [(&'a str, &'a str)],
    pub content_type: Option<&'static str>,
    pub body: &'a [u8],
    /// A connection of its own: opened for this request, closed after its reply (and the
    /// server asked to close it too), never taken from or given to the idle ones.
    pub own_connection: bool,
}

/// The connections of one HTTP configuration: how they are opened, and the idle ones.
pub(crate) struct Connections {
    config: ureq::config::Config,
    resolver: CachingResolver,
    run_connector: Arc<RunConnector>,
    register_shutdown: Arc<RegisterShutdown>,
    current_time: Arc<CurrentTime>,
    timeout: Duration,
    connect_timeout: Duration,
    max_idle_per_origin: usize,
    max_idle: usize,
    idle: Mutex<Idle>,
}

/// The idle connections and the process they belong to.
struct Idle {
    pid: u32,
    generation: u64,
    /// Oldest first.
    connections: Vec<IdleConnection>,
}

struct IdleConnection {
    origin: Arc<str>,
    transport: Box<dyn Transport>,
    since: Instant,
}

impl Connections {
    /// `config` carries the proxy, TLS settings and buffer sizes the connector chain reads.
    pub(crate) fn new(
        config: ureq::config::Config,
        connector: impl Connector,
        resolver: CachingResolver,
        timeout: Duration,
        connect_timeout: Duration,
        max_idle_per_origin: usize,
        max_idle: usize,
    ) -> Self {
        let run_connector: Arc<RunConnector> = Arc::new(move |details: &ConnectionDetails| {
            let transport = connector
                .connect(details, None)?
                .ok_or(ureq::Error::ConnectionFailed)?;
            Ok(Box::new(transport) as Box<dyn Transport>)
        });
        let (pid, generation) = super::http::this_process();
        Self {
            config,
            resolver,
            run_connector,
            // Nothing shuts connections down from another thread: a call is stopped through
            // `super::interrupt`.
            register_shutdown: Arc::new(|_| Ok(())),
            current_time: Arc::new(ureq::unversioned::transport::time::Instant::now),
            timeout,
            connect_timeout,
            max_idle_per_origin,
            max_idle,
            idle: Mutex::new(Idle {
                pid,
                generation,
                connections: Vec::new(),
            }),
        }
    }

    /// Sends `request` once and reads its reply (status and body, at most `max_reply_bytes`).
    pub(crate) fn exchange(
        &self,
        request: &Request<'_>,
        max_reply_bytes: u64,
    ) -> Result<(u16, Vec<u8>), Failed> {
        let started = Instant::now();
        let deadline = started + self.timeout;
        let target = Target::of(request.url)?;
        let head = request_head(request, &target)?;
        // The process is asked once per call (a syscall): its idle connections are its own.
        let pooled = (!request.own_connection && self.max_idle_per_origin > 0)
            .then(|| (super::http::this_process(), Arc::clone(&target.origin)));
        let idle = pooled
            .as_ref()
            .and_then(|(process, origin)| self.take_idle(origin, *process));
        let mut transport = match idle {
            Some(transport) => transport,
            None => self.connect(&target.uri, target.https, started, deadline)?,
        };
        send(&mut *transport, &head, request.body, deadline)?;
        let (status, body, reusable) = read_reply(&mut *transport, max_reply_bytes, deadline)?;
        if let Some((process, origin)) = pooled.filter(|_| reusable) {
            self.put_idle(origin, transport, process);
        }
        Ok((status, body))
    }

    /// A new connection to `uri`'s origin, through the proxy if one is set. Every failure
    /// here comes before a request byte is written.
    fn connect(
        &self,
        uri: &Uri,
        https: bool,
        started: Instant,
        deadline: Instant,
    ) -> Result<Box<dyn Transport>, ureq::Error> {
        let left = deadline.saturating_duration_since(Instant::now());
        let timeout = timeout(self.connect_timeout.min(left), Timeout::Connect);
        let addrs = self.resolver.resolve(uri, &self.config, timeout)?;
        let details = ConnectionDetails {
            uri,
            addrs,
            config: &self.config,
            request_level: false,
            resolver: &self.resolver,
            now: ureq::unversioned::transport::time::Instant::Exact(started),
            timeout,
            current_time: Arc::clone(&self.current_time),
            run_connector: Arc::clone(&self.run_connector),
            register_shutdown: Arc::clone(&self.register_shutdown),
        };
        let transport = (self.run_connector)(&details)?;
        if https && !transport.is_tls() {
            return Err(ureq::Error::TlsRequired);
        }
        Ok(transport)
    }

    /// The newest idle connection to `origin` that is still open. Probed outside the lock: 16
    /// threads sharing a client do not wait on each other's syscalls.
    fn take_idle(&self, origin: &str, process: (u32, u64)) -> Option<Box<dyn Transport>> {
        loop {
            let candidate = {
                let mut idle = self.idle(process);
                let at = idle
                    .connections
                    .iter()
                    .rposition(|c| &*c.origin == origin)?;
                idle.connections.remove(at)
            };
            let mut transport = candidate.transport;
            if candidate.since.elapsed() < MAX_IDLE_AGE && transport.is_open() {
                return Some(transport);
            }
        }
    }

    /// Keeps `transport` for the next request to `origin`, dropping the oldest when full.
    fn put_idle(&self, origin: Arc<str>, transport: Box<dyn Transport>, process: (u32, u64)) {
        let dropped = {
            let mut idle = self.idle(process);
            let connections = &mut idle.connections;
            let now = Instant::now();
            let mut dropped: Vec<IdleConnection> = Vec::new();
            let expired = connections
                .iter()
                .take_while(|c| now.duration_since(c.since) >= MAX_IDLE_AGE)
                .count();
            dropped.extend(connections.drain(..expired));
            if connections.iter().filter(|c| c.origin == origin).count() >= self.max_idle_per_origin
                && let Some(at) = connections.iter().position(|c| c.origin == origin)
            {
                dropped.push(connections.remove(at));
            }
            if connections.len() >= self.max_idle.max(1) {
                dropped.push(connections.remove(0));
            }
            connections.push(IdleConnection {
                origin,
                transport,
                since: now,
            });
            dropped
        };
        drop(dropped); // closed outside the lock
    }

    /// The idle connections of `process` (see [`super::http::process`]). After a `fork()` the
    /// inherited ones are shared with the parent: they are never read, written or even closed
    /// here (a TLS close would write on the parent's connection), but leaked, and the child
    /// starts with none.
    fn idle(&self, (pid, generation): (u32, u64)) -> std::sync::MutexGuard<'_, Idle> {
        // Held only to move a connection in or out: a fork while another thread holds it is
        // as unlikely as for any allocator lock.
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        if idle.pid != pid || idle.generation != generation {
            std::mem::forget(std::mem::take(&mut idle.connections));
            idle.pid = pid;
            idle.generation = generation;
        }
        idle
    }
}

/// The port a URL of this scheme means when it names none.
fn default_port(https: bool) -> u16 {
    if https { 443 } else { 80 }
}

/// What a request's URL says, as the exchange uses it. A client calls a few URLs, each many
/// times: each is parsed once per thread (see [`Target::of`]), which was a tenth of a
/// kept-alive call's own CPU time.
struct Target {
    uri: Uri,
    https: bool,
    /// `http://host:port` (the port always written): the key idle connections are kept under.
    origin: Arc<str>,
    /// The `host` header: the host, and its port when not the scheme's default.
    host: Box<str>,
}

/// How many URLs each thread keeps parsed (the most recently used; a client calls one to
/// four, a process holds a client or two).
const TARGETS_KEPT: usize = 8;

thread_local! {
    /// The URLs this thread sent to lately, parsed: oldest first. A parse depends on the URL
    /// alone, so they are shared by every client the thread uses.
    static TARGETS: RefCell<Vec<(Box<str>, Rc<Target>)>> = const { RefCell::new(Vec::new()) };
}

impl Target {
    /// `url` parsed, from this thread's recent ones when it is among them.
    fn of(url: &str) -> Result<Rc<Self>, ureq::Error> {
        let kept = TARGETS
            .try_with(|targets| {
                let targets = targets.borrow();
                let (_, target) = targets.iter().find(|(kept, _)| **kept == *url)?;
                Some(Rc::clone(target))
            })
            .ok()
            .flatten();
        if let Some(target) = kept {
            return Ok(target);
        }
        let target = Rc::new(Self::parse(url)?);
        let _ = TARGETS.try_with(|targets| {
            let mut targets = targets.borrow_mut();
            if targets.len() >= TARGETS_KEPT {
                targets.remove(0);
            }
            targets.push((url.into(), Rc::clone(&target)));
        });
        Ok(target)
    }

    fn parse(url: &str) -> Result<Self, ureq::Error> {
        let uri: Uri = url
            .parse()
            .map_err(|e| ureq::Error::BadUri(format!("{e}")))?;
        let (Some(scheme), Some(host)) = (uri.scheme(), uri.host()) else {
            return Err(ureq::Error::BadUri("not an absolute URL".to_owned()));
        };
        let https = *scheme == Scheme::HTTPS;
        if !https && *scheme != Scheme::HTTP {
            return Err(ureq::Error::BadUri(format!("unknown scheme {scheme}")));
        }
        let scheme = if https { "https" } else { "http" };
        let port = uri.port_u16();
        let origin = format!("{scheme}://{host}:{}", port.unwrap_or(default_port(https)));
        let host = match port {
            Some(port) if port != default_port(https) => format!("{host}:{port}"),
            _ => host.to_owned(),
        };
        Ok(Self {
            origin: origin.into(),
            host: host.into(),
            uri,
            https,
        })
    }
}

/// The request line and headers: `host`, the caller's headers, the body's type and length, and
/// vngate's `user-agent` and `accept`; names written in lower case, as ureq wrote them.
fn request_head(request: &Request<'_>, target: &Target) -> Result<Vec<u8>, ureq::Error> {
    let mut head = Vec::with_capacity(256 + request.headers.len() * 64 + request.query.len());
    head.extend_from_slice(if request.post { b"POST " } else { b"GET " });
    let path = target.uri.path_and_query().map_or("/", |p| p.as_str());
    head.extend_from_slice(path.as_bytes());
    if !request.query.is_empty() {
        head.push(if path.contains('?') { b'&' } else { b'?' });
        head.extend_from_slice(request.query.as_bytes());
    }
    head.extend_from_slice(b" HTTP/1.1\r\nhost: ");
    head.extend_from_slice(target.host.as_bytes());
    head.extend_from_slice(b"\r\n");
    for (name, value) in request.headers {
        // A name is a token; a value holds no line break or NUL (it would end the header and
        // start another): refused before anything is sent.
        if name.is_empty() || !name.bytes().all(is_token) {
            return Err(ureq::Error::BadUri(format!("invalid header name {name:?}")));
        }
        if value.bytes().any(|b| matches!(b, b'\r' | b'\n' | 0)) {
            return Err(ureq::Error::BadUri(format!(
                "the value of header {name} holds a line break"
            )));
        }
        push_header(&mut head, name, value.as_bytes());
    }
    if let Some(content_type) = request.content_type {
        push_header(&mut head, "content-type", content_type.as_bytes());
    }
    if request.post {
        let _ = write!(head, "content-length: {}\r\n", request.body.len());
    }
    push_header(
        &mut head,
        "user-agent",
        concat!("vngate/", env!("CARGO_PKG_VERSION")).as_bytes(),
    );
    push_header(&mut head, "accept", b"*/*");
    head.extend_from_slice(b"\r\n");
    Ok(head)
}

/// Whether `b` may be in a header name (RFC 9110, 5.6.2).
fn is_token(b: u8) -> bool {
    matches!(b, b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'!' | b'#'..=b'\'' | b'*' | b'+'
        | b'-' | b'.' | b'^'..=b'`' | b'|' | b'~')
}

/// `name: value` and its line end; the name in lower case, as ureq wrote names.
fn push_header(head: &mut Vec<u8>, name: &str, value: &[u8]) {
    head.extend(name.bytes().map(|b| b.to_ascii_lowercase()));
    head.extend_from_slice(b": ");
    head.extend_from_slice(value);
    head.extend_from_slice(b"\r\n");
}

/// The time left before `deadline`, as a transport takes it. Out of time, the error says
/// whether the request may have left: not before vngate's TCP transport was asked for the reply
/// (it writes what it was given then), so until then the error is the connect timeout's,
/// which `http::classify` reads as "not sent".
fn left(deadline: Instant, sent: bool) -> Result<NextTimeout, ureq::Error> {
    let left = deadline.saturating_duration_since(Instant::now());
    if left.is_zero() {
        let reason = if sent {
            Timeout::Global
        } else {
            Timeout::Connect
        };
        return Err(ureq::Error::Timeout(reason));
    }
    Ok(timeout(left, Timeout::Global))
}

/// `after` as a transport takes it, `reason` being what running out of it is reported as.
fn timeout(after: Duration, reason: Timeout) -> NextTimeout {
    NextTimeout {
        after: after.into(),
        reason,
        per_read: None,
        per_write: None,
    }
}

/// Hands the head and the body to the transport, through its output buffer. vngate's TCP
/// transport writes them in one `write` when the reply is first awaited.
fn send(
    transport: &mut dyn Transport,
    head: &[u8],
    body: &[u8],
    deadline: Instant,
) -> Result<(), ureq::Error> {
    for mut bytes in [head, body] {
        while !bytes.is_empty() {
            let output = transport.buffers().output();
            let n = output.len().min(bytes.len());
            if n == 0 {
                return Err(ureq::Error::Io(std::io::Error::other(
                    "the transport has no output buffer",
                )));
            }
            output[..n].copy_from_slice(&bytes[..n]);
            transport.transmit_output(n, left(deadline, false)?)?;
            bytes = &bytes[n..];
        }
    }
    Ok(())
}

/// How a reply's body ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Framing {
    /// No body (204, 304).
    None,
    Length(u64),
    Chunked,
    /// Read until the server closes the connection.
    Close,
}

/// What the reply head says.
#[derive(Debug, PartialEq, Eq)]
struct Head {
    status: u16,
    framing: Framing,
    /// HTTP/1.1 without `Connection: close`.
    keep_alive: bool,
}

/// Parses a complete reply head at the start of `input`: `None` while incomplete, else the
/// bytes it took and what it says.
fn parse_head(input: &[u8]) -> Result<Option<(usize, Head)>, Failed> {
    let mut headers =
        [const { std::mem::MaybeUninit::<httparse::Header<'_>>::uninit() }; MAX_HEADERS];
    let mut reply = httparse::Response::new(&mut []);
    let parsed = httparse::ParserConfig::default().parse_response_with_uninit_headers(
        &mut reply,
        input,
        &mut headers,
    );
    let used = match parsed {
        Ok(httparse::Status::Complete(used)) => used,
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(e) => return Err(Failed::Reply(format!("not an HTTP reply: {e}"))),
    };
    let status = reply.code.unwrap_or(0);
    let http11 = reply.version == Some(1);
    let (mut length, mut chunked, mut close) = (None::<u64>, false, !http11);
    for header in reply.headers.iter() {
        let value = header.value;
        if header.name.eq_ignore_ascii_case("content-length") {
            let parsed = std::str::from_utf8(value)
                .ok()
                .map(|v| v.trim_matches([' ', '\t']))
                .filter(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()))
                .and_then(|v| v.parse::<u64>().ok());
            match (parsed, length) {
                (Some(n), None) => length = Some(n),
                (Some(n), Some(m)) if n == m => {}
                _ => return Err(Failed::Reply("invalid Content-Length".to_owned())),
            }
        } else if header.name.eq_ignore_ascii_case("transfer-encoding") {
            chunked |= tokens(value).any(|t| t.eq_ignore_ascii_case(b"chunked"));
        } else if header.name.eq_ignore_ascii_case("connection") {
            close |= tokens(value).any(|t| t.eq_ignore_ascii_case(b"close"));
        }
    }
    let framing = if matches!(status, 100..=199 | 204 | 304) {
        Framing::None
    } else if chunked && http11 {
        // A length beside chunks is ignored (RFC 9112, 6.3).
        Framing::Chunked
    } else if let Some(n) = length {
        Framing::Length(n)
    } else {
        Framing::Close
    };
    Ok(Some((
        used,
        Head {
            status,
            framing,
            keep_alive: !close && framing != Framing::Close,
        },
    )))
}

/// The comma-separated tokens of a header value, trimmed.
fn tokens(value: &[u8]) -> impl Iterator<Item = &[u8]> {
    value.split(|&b| b == b',').map(<[u8]>::trim_ascii)
}

/// Waits for more input (writing what was transmitted first); `false` when the server closed
/// the connection.
fn more(transport: &mut dyn Transport, deadline: Instant) -> Result<bool, ureq::Error> {
    transport.await_input(left(deadline, true)?)
}

/// Reads the reply: its status, its body, and whether the connection can carry another
/// request (the reply ended exactly where its framing said, and nothing follows it).
fn read_reply(
    transport: &mut dyn Transport,
    max_reply_bytes: u64,
    deadline: Instant,
) -> Result<(u16, Vec<u8>, bool), Failed> {
    let mut sent = false;
    let head = loop {
        let input = transport.buffers().input();
        if let Some((used, head)) = parse_head(input)? {
            transport.buffers().input_consume(used);
            match head.status {
                101 => return Err(Failed::Reply("the server switched protocols".to_owned())),
                100..=199 => continue, // informational: the reply follows
                _ => break head,
            }
        }
        let buffers = transport.buffers();
        if buffers.input_append_buf().is_empty() {
            return Err(Failed::Reply(format!(
                "the reply head does not fit in {} bytes",
                buffers.input().len()
            )));
        }
        let timeout = left(deadline, sent)?;
        sent = true;
        if !transport.await_input(timeout)? {
            return Err(Failed::Reply(
                "the connection closed before a reply".to_owned(),
            ));
        }
    };
    let mut body = Vec::new();
    let too_large = || Failed::TooLarge(max_reply_bytes);
    match head.framing {
        Framing::None => {}
        Framing::Length(length) => {
            if length > max_reply_bytes {
                return Err(too_large());
            }
            let length = usize::try_from(length).map_err(|_| too_large())?;
            body.reserve_exact(length);
            loop {
                let input = transport.buffers().input();
                let n = input.len().min(length - body.len());
                body.extend_from_slice(&input[..n]);
                transport.buffers().input_consume(n);
                if body.len() == length {
                    break;
                }
                if !more(transport, deadline)? {
                    return Err(Failed::Reply(format!(
                        "the connection closed after {} of the reply's {length} bytes",
                        body.len()
                    )));
                }
            }
        }
        Framing::Chunked => {
            let mut chunks = Dechunker::default();
            loop {
                let input = transport.buffers().input();
                let used = chunks.feed(input, &mut body)?;
                transport.buffers().input_consume(used);
                if body.len() as u64 > max_reply_bytes {
                    return Err(too_large());
                }
                if chunks.ended() {
                    break;
                }
                if !more(transport, deadline)? {
                    return Err(Failed::Reply(
                        "the connection closed before the reply's last chunk".to_owned(),
                    ));
                }
            }
        }
        Framing::Close => loop {
            let input = transport.buffers().input();
            body.extend_from_slice(input);
            let n = input.len();
            transport.buffers().input_consume(n);
            if body.len() as u64 > max_reply_bytes {
                return Err(too_large());
            }
            if !more(transport, deadline)? {
                break;
            }
        },
    }
    let reusable = head.keep_alive && transport.buffers().input().is_empty();
    Ok((head.status, body, reusable))
}

/// Decodes a chunked body (RFC 9112, 7.1) as its bytes arrive: where it is in the body. Chunk
/// extensions and trailers are read past; a line may end in CRLF or a bare LF.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dechunker {
    /// The chunk size: its value and how many hex digits so far.
    Size(u64, u8),
    /// Past the size, up to the end of the line (an extension, or whitespace).
    SizeLine(u64),
    /// Bytes of chunk data still to come.
    Data(u64),
    /// The line end after a chunk's data.
    DataEnd {
        cr: bool,
    },
    /// A trailer line (or the blank line that ends the body); `blank` while nothing but a CR
    /// has come on this line.
    Trailer {
        blank: bool,
    },
    Ended,
}

impl Default for Dechunker {
    fn default() -> Self {
        Self::Size(0, 0)
    }
}

impl Dechunker {
    fn ended(self) -> bool {
        self == Self::Ended
    }

    /// Decodes what it can of `input` into `body`; returns the bytes used (all of them unless
    /// the body ended before).
    fn feed(&mut self, input: &[u8], body: &mut Vec<u8>) -> Result<usize, Failed> {
        let bad = |what: &str| Failed::Reply(format!("a broken chunked body ({what})"));
        let mut at = 0;
        while at < input.len() {
            let byte = input[at];
            *self = match *self {
                Dechunker::Ended => return Ok(at),
                Dechunker::Data(left) => {
                    let n = (input.len() - at).min(usize::try_from(left).unwrap_or(usize::MAX));
                    body.extend_from_slice(&input[at..at + n]);
                    at += n;
                    let left = left - n as u64;
                    *self = if left == 0 {
                        Dechunker::DataEnd { cr: false }
                    } else {
                        Dechunker::Data(left)
                    };
                    continue;
                }
                Dechunker::Size(value, digits) => match (byte as char).to_digit(16) {
                    Some(digit) if digits < 15 => {
                        Dechunker::Size(value << 4 | u64::from(digit), digits + 1)
                    }
                    Some(_) => return Err(bad("chunk size too large")),
                    None if digits == 0 => return Err(bad("no chunk size")),
                    None if byte == b'\n' => after_size(value),
                    None if matches!(byte, b';' | b' ' | b'\t' | b'\r') => {
                        Dechunker::SizeLine(value)
                    }
                    None => return Err(bad("not a chunk size")),
                },
                Dechunker::SizeLine(value) => {
                    if byte == b'\n' {
                        after_size(value)
                    } else {
                        Dechunker::SizeLine(value)
                    }
                }
                Dechunker::DataEnd { cr } => match byte {
                    b'\r' if !cr => Dechunker::DataEnd { cr: true },
                    b'\n' => Dechunker::Size(0, 0),
                    _ => return Err(bad("chunk data longer than its size")),
                },
                Dechunker::Trailer { blank } => match byte {
                    b'\n' if blank => Dechunker::Ended,
                    b'\n' => Dechunker::Trailer { blank: true },
                    b'\r' => Dechunker::Trailer { blank },
                    _ => Dechunker::Trailer { blank: false },
                },
            };
            at += 1;
        }
        Ok(at)
    }
}

/// What follows a chunk size line: the chunk's data, or the trailers after the last chunk.
fn after_size(value: u64) -> Dechunker {
    if value == 0 {
        Dechunker::Trailer { blank: true }
    } else {
        Dechunker::Data(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(text: &str) -> Head {
        parse_head(text.as_bytes()).unwrap().unwrap().1
    }

    #[test]
    fn a_head_says_how_its_body_ends_and_whether_the_connection_stays() {
        let h = head("HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\n");
        assert_eq!(
            (h.status, h.framing, h.keep_alive),
            (200, Framing::Length(12), true)
        );
        let h =
            head("HTTP/1.1 200 OK\r\ncontent-length: 3\r\nConnection: keep-alive, Close\r\n\r\n");
        assert_eq!((h.framing, h.keep_alive), (Framing::Length(3), false));
        let h = head(
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\nContent-Length: 5\r\n\r\n",
        );
        assert_eq!((h.framing, h.keep_alive), (Framing::Chunked, true));
        let h = head("HTTP/1.1 502 Bad Gateway\r\n\r\n");
        assert_eq!(
            (h.status, h.framing, h.keep_alive),
            (502, Framing::Close, false)
        );
        let h = head("HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\n");
        assert_eq!((h.framing, h.keep_alive), (Framing::Length(2), false));
        let h = head("HTTP/1.1 204 No Content\r\nContent-Length: 2\r\n\r\n");
        assert_eq!((h.framing, h.keep_alive), (Framing::None, true));
        assert!(
            parse_head(b"HTTP/1.1 200 OK\r\nContent-Len")
                .unwrap()
                .is_none()
        );
        for bad in [
            "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
            "HTTP/1.1 200 OK\r\nContent-Length: +1\r\n\r\n",
            "HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999999\r\n\r\n",
            "SSH-2.0-OpenSSH_9.6\r\n\r\n",
        ] {
            assert!(
                matches!(parse_head(bad.as_bytes()), Err(Failed::Reply(_))),
                "{bad:?}"
            );
        }
        // The same length twice is one length.
        let h = head("HTTP/1.1 200 OK\r\nContent-Length: 4\r\nContent-Length: 4\r\n\r\n");
        assert_eq!(h.framing, Framing::Length(4));
    }

    /// Every split of a chunked body into two arrivals decodes to the same bytes and ends at
    /// the same place.
    #[test]
    fn chunks_decode_however_they_arrive() {
        let wire =
            b"5;ext=1\r\nhello\r\n1\n \r\n10\r\n0123456789abcdef\r\n0\r\nX-Trailer: 1\r\n\r\nNEXT";
        let end = wire.len() - 4;
        for split in 0..=wire.len() {
            let (mut chunks, mut body) = (Dechunker::default(), Vec::new());
            let first = chunks.feed(&wire[..split], &mut body).unwrap();
            let used = if chunks.ended() {
                first
            } else {
                assert_eq!(first, split);
                split + chunks.feed(&wire[split..], &mut body).unwrap()
            };
            assert!(chunks.ended(), "split at {split}");
            assert_eq!(used, end, "split at {split}");
            assert_eq!(body, b"hello 0123456789abcdef", "split at {split}");
        }
    }

    #[test]
    fn broken_chunks_are_refused() {
        for wire in [
            &b"x\r\n"[..],
            b"\r\n",
            b"3\r\nabcd\r\n",
            b"1234567890abcdef0\r\n",
        ] {
            let mut body = Vec::new();
            assert!(
                Dechunker::default().feed(wire, &mut body).is_err(),
                "{:?}",
                String::from_utf8_lossy(wire)
            );
        }
    }

    #[test]
    fn request_heads_are_written_whole_and_refuse_a_header_that_would_split() {
        let request = |url: &str, query: &str, headers: &[(&str, &str)], post: bool| {
            request_head(
                &Request {
                    post,
                    url,
                    query,
                    headers,
                    content_type: post.then_some("application/json"),
                    body: b"{}",
                    own_connection: false,
                },
                &Target::parse(url).unwrap(),
            )
            .map(|head| String::from_utf8(head).unwrap())
        };
        let agent = concat!("vngate/", env!("CARGO_PKG_VERSION"));
        assert_eq!(
            request("https://h.vn:443/a?b=1", "", &[("X-Key", "v")], true).unwrap(),
            format!(
                "POST /a?b=1 HTTP/1.1\r\nhost: h.vn\r\nx-key: v\r\ncontent-type: \
                 application/json\r\ncontent-length: 2\r\nuser-agent: {agent}\r\naccept: \
                 */*\r\n\r\n"
            )
        );
        assert_eq!(
            request("http://[::1]:8080", "", &[], false).unwrap(),
            format!(
                "GET / HTTP/1.1\r\nhost: [::1]:8080\r\nuser-agent: {agent}\r\naccept: */*\r\n\r\n"
            )
        );
        // A call's query goes after the URL's own, joined as a query joins its pairs.
        let line = |url: &str, query: &str| {
            let head = request(url, query, &[], false).unwrap();
            head.lines().next().unwrap().to_owned()
        };
        assert_eq!(line("http://h/p", "a=1&b=2"), "GET /p?a=1&b=2 HTTP/1.1");
        assert_eq!(line("http://h/p?x=1", "a=1"), "GET /p?x=1&a=1 HTTP/1.1");
        assert_eq!(line("http://h", "a=1"), "GET /?a=1 HTTP/1.1");
        assert_eq!(line("http://h/p?x=1", ""), "GET /p?x=1 HTTP/1.1");
        for headers in [
            &[("X-Key", "v\r\nx-injected: 1")][..],
            &[("X Key", "v")],
            &[("", "v")],
            &[("X-Key:", "v")],
        ] {
            assert!(
                request("http://h/", "", headers, false).is_err(),
                "{headers:?}"
            );
        }
    }

    /// Out of time before the reply was awaited, nothing was written: the connect timeout's
    /// error ("not sent"); after, the call's.
    #[test]
    fn out_of_time_before_the_request_was_written_is_not_sent() {
        let now = Instant::now();
        assert!(matches!(
            left(now, false),
            Err(ureq::Error::Timeout(Timeout::Connect))
        ));
        assert!(matches!(
            left(now, true),
            Err(ureq::Error::Timeout(Timeout::Global))
        ));
        let later = left(now + Duration::from_secs(5), false).unwrap();
        assert_eq!(later.reason, Timeout::Global);
    }

    /// A URL is parsed once per thread: the next call to it takes the same parse, and a
    /// thread keeps its most recent few.
    #[test]
    fn urls_are_parsed_once_per_thread() {
        std::thread::spawn(|| {
            let first = Target::of("http://127.0.0.1:8080/chargingws/v2").unwrap();
            let again = Target::of("http://127.0.0.1:8080/chargingws/v2").unwrap();
            assert!(Rc::ptr_eq(&first, &again));
            for i in 0..TARGETS_KEPT {
                Target::of(&format!("http://h{i}/")).unwrap();
            }
            assert_eq!(TARGETS.with(|targets| targets.borrow().len()), TARGETS_KEPT);
            let after = Target::of("http://127.0.0.1:8080/chargingws/v2").unwrap();
            assert!(!Rc::ptr_eq(&first, &after), "the oldest was dropped");
            assert!(matches!(
                Target::of("ftp://h/").map(|_| ()),
                Err(ureq::Error::BadUri(_))
            ));
            assert!(matches!(
                Target::of("/relative").map(|_| ()),
                Err(ureq::Error::BadUri(_))
            ));
        })
        .join()
        .unwrap();
    }

    #[test]
    fn origins_always_carry_their_port() {
        let origin_of = |url: &str| Target::parse(url).unwrap().origin;
        assert_eq!(
            &*origin_of("https://api.example.vn/x"),
            "https://api.example.vn:443"
        );
        assert_eq!(
            &*origin_of("http://127.0.0.1:8080"),
            "http://127.0.0.1:8080"
        );
        assert_eq!(&*origin_of("http://user:pw@[::1]/"), "http://[::1]:80");
        assert_eq!(&*origin_of("http://[::1]:81"), "http://[::1]:81");
    }
}
