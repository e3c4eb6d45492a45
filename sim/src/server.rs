//! A small HTTP/1.1 server on loopback, written by hand so that it can misbehave on purpose:
//! every fault the simulator injects is a way of writing (or not writing) the reply.

use std::collections::BTreeMap;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// The largest request head and body the server reads.
const MAX_HEAD: usize = 64 * 1024;
const MAX_BODY: usize = 4 * 1024 * 1024;

/// A request as received.
#[derive(Debug, Clone)]
pub struct Request {
    /// `GET`, `POST`, …
    pub method: String,
    /// The path, without the query.
    pub path: String,
    /// The raw query string, without `?`.
    pub query: String,
    /// Header names in lower case.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
    /// How many requests came before this one on the same connection (0: a new connection).
    pub on_connection: u64,
}

impl Request {
    /// A header's value.
    #[must_use]
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Whether the client asks for the connection to be closed after the reply
    /// (`Connection: close`).
    #[must_use]
    pub fn asks_to_close(&self) -> bool {
        self.header("connection")
            .is_some_and(|v| v.eq_ignore_ascii_case("close"))
    }

    /// Whether the body is JSON.
    #[must_use]
    pub fn is_json(&self) -> bool {
        self.header("content-type")
            .is_some_and(|t| t.contains("json"))
    }

    /// The parameters, from the query string and then from a form or JSON body (JSON numbers
    /// become their text).
    pub fn params(&self) -> Result<BTreeMap<String, String>, String> {
        let mut params = decode_query(&self.query)?;
        if self.body.is_empty() {
            return Ok(params);
        }
        if self.is_json() {
            let value: serde_json::Value =
                serde_json::from_slice(&self.body).map_err(|e| e.to_string())?;
            let map = value.as_object().ok_or("the JSON body is not an object")?;
            for (key, value) in map {
                let text = match value {
                    serde_json::Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                params.insert(key.clone(), text);
            }
        } else {
            let body = std::str::from_utf8(&self.body).map_err(|e| e.to_string())?;
            params.extend(decode_query(body)?);
        }
        Ok(params)
    }
}

/// Decodes `a=1&b=x+y` (with `+` as a space).
pub fn decode_query(query: &str) -> Result<BTreeMap<String, String>, String> {
    let mut map = BTreeMap::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let decode = |s: &str| {
            percent_encoding::percent_decode_str(&s.replace('+', " "))
                .decode_utf8()
                .map(std::borrow::Cow::into_owned)
                .map_err(|e| e.to_string())
        };
        map.insert(decode(k)?, decode(v)?);
    }
    Ok(map)
}

/// Encodes one query or form component.
#[must_use]
pub fn encode_component(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// How the server misbehaves when writing a reply. The request is always read and handled
/// first, so a money-moving request under a fault has really been processed: exactly the case
/// where the client must report "outcome unknown".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultMode {
    /// Reply normally.
    #[default]
    None,
    /// `500` with a plain-text body.
    #[serde(rename = "status_500")]
    Status500,
    /// `502` with an HTML page, as a reverse proxy sends.
    #[serde(rename = "html_502")]
    Html502,
    /// `200` with bytes that are not JSON (nor UTF-8).
    Garbage,
    /// `200` with an empty body.
    Empty,
    /// The headers, then the body at one byte per second.
    SlowBody,
    /// Read the request, then close the connection without a word.
    Drop,
    /// A `Content-Length` larger than the body, then close.
    Truncated,
    /// A 100 MiB body.
    HugeBody,
    /// A chunked body that never ends.
    Endless,
    /// A `Content-Length` smaller than the body: the reader sees a cut reply.
    ShortLength,
    /// Half the reply, then a TCP reset.
    Reset,
    /// `302` back to the same URL, forever.
    Redirect,
    /// `200` with valid JSON of the wrong shape (or, for a text API, not its format).
    WrongShape,
    /// The reply, normally, on a kept-alive connection; when the next request arrives on that
    /// connection a copy of this reply is written before the real one: the stray reply a
    /// confused proxy or a late duplicate leaves on a pooled connection.
    StrayReply,
    /// The reply, normally, with the connection advertised as kept alive; the next request
    /// on that connection is read and dropped unhandled (the connection closes): a server's
    /// idle timeout firing just as a pooled connection is reused. Nothing was processed.
    IdleClose,
    /// The reply after `latency_ms`, on a connection kept open: set the latency beyond the
    /// client's timeout, and the answer arrives after the client gave up on it.
    LateReply,
    /// `503` before the request is processed (a load balancer in front of the provider): the
    /// simulator answers it without running it.
    Unprocessed,
    /// The reply with every `"code"` key renamed `"card_code"`, as some card shops name the
    /// codes they sell: the codes are there, under a name vngate does not read.
    RenamedCodes,
}

/// A reply to write.
#[derive(Debug, Clone)]
pub struct Reply {
    /// HTTP status.
    pub status: u16,
    /// `Content-Type`.
    pub content_type: &'static str,
    /// Body.
    pub body: Vec<u8>,
    /// Sleep this long before writing anything.
    pub delay: Duration,
    /// How to write it.
    pub fault: FaultMode,
    /// Keep the connection open for the next request (HTTP/1.1 keep-alive), unless the client
    /// asked to close it. Off: `Connection: close` and close.
    pub keep_alive: bool,
}

impl Reply {
    /// A `200` JSON reply.
    #[must_use]
    pub fn json(value: &serde_json::Value) -> Self {
        Self::with_status(200, "application/json", value.to_string().into_bytes())
    }

    /// A `200` text reply.
    #[must_use]
    pub fn text(text: impl Into<String>) -> Self {
        Self::with_status(200, "text/plain; charset=utf-8", text.into().into_bytes())
    }

    /// Any reply, written normally.
    #[must_use]
    pub fn with_status(status: u16, content_type: &'static str, body: Vec<u8>) -> Self {
        Self {
            status,
            content_type,
            body,
            delay: Duration::ZERO,
            fault: FaultMode::None,
            keep_alive: true,
        }
    }
}

/// What the server calls for each request.
pub type Handler = Arc<dyn Fn(Request) -> Reply + Send + Sync>;

/// A running server; stops accepting when dropped, and its port is free again when the drop
/// returns (a test that starts another server on the same port cannot race the old one).
pub struct Server {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    accepting: Option<thread::JoinHandle<()>>,
}

impl Server {
    /// Serves `handler` on `127.0.0.1:port` (0: any free port).
    pub fn start(port: u16, handler: Handler) -> io::Result<Self> {
        let listener = TcpListener::bind(("127.0.0.1", port))?;
        let addr = listener.local_addr()?;
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = Arc::clone(&stop);
        let accepting = thread::Builder::new()
            .name("sim-accept".into())
            .spawn(move || {
                for stream in listener.incoming() {
                    if stopped.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(stream) = stream else { continue };
                    let handler = Arc::clone(&handler);
                    let _ = thread::Builder::new()
                        .name("sim-conn".into())
                        .spawn(move || serve_connection(&stream, &handler));
                }
            })?;
        Ok(Self {
            addr,
            stop,
            accepting: Some(accepting),
        })
    }

    /// The bound address.
    #[must_use]
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`.
    #[must_use]
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so that it sees the flag, and wait until it has closed the
        // listener.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(accepting) = self.accepting.take() {
            let _ = accepting.join();
        }
    }
}

fn serve_connection(stream: &TcpStream, handler: &Handler) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let _ = stream.set_nodelay(true);
    let mut reader = BufReader::new(stream);
    let mut previous: Option<Reply> = None;
    for on_connection in 0.. {
        let Ok(mut request) = read_request(&mut reader) else {
            return;
        };
        request.on_connection = on_connection;
        let client_closes = request.asks_to_close();
        match previous.as_ref().map(|p| p.fault) {
            // The server "timed out" this idle connection as the request arrived.
            Some(FaultMode::IdleClose) => return,
            Some(FaultMode::StrayReply) => {
                let mut stray = previous.clone().unwrap_or_else(|| Reply::text(""));
                stray.fault = FaultMode::None;
                stray.delay = Duration::ZERO;
                if write_reply(stream, &stray, true).is_err() {
                    return;
                }
            }
            _ => {}
        }
        let reply = handler(request);
        let keep = reply.keep_alive && !client_closes && keeps_connection(reply.fault);
        match write_reply(stream, &reply, keep) {
            Ok(()) if keep => previous = Some(reply),
            _ => {
                let _ = stream.shutdown(Shutdown::Both);
                return;
            }
        }
    }
}

/// Whether a connection can carry another request after a reply written with this fault.
fn keeps_connection(fault: FaultMode) -> bool {
    matches!(
        fault,
        FaultMode::None
            | FaultMode::Status500
            | FaultMode::Html502
            | FaultMode::Garbage
            | FaultMode::Empty
            | FaultMode::WrongShape
            | FaultMode::StrayReply
            | FaultMode::IdleClose
            | FaultMode::LateReply
            | FaultMode::Unprocessed
            | FaultMode::RenamedCodes
    )
}

fn read_request(reader: &mut BufReader<&TcpStream>) -> io::Result<Request> {
    let invalid = |what: &str| io::Error::new(io::ErrorKind::InvalidData, what.to_owned());
    let mut line = String::new();
    if reader.by_ref().take(MAX_HEAD as u64).read_line(&mut line)? == 0 {
        return Err(io::Error::from(io::ErrorKind::UnexpectedEof));
    }
    let mut parts = line.split_whitespace();
    let (Some(method), Some(target)) = (parts.next(), parts.next()) else {
        return Err(invalid("bad request line"));
    };
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let (method, path, query) = (method.to_owned(), path.to_owned(), query.to_owned());
    let mut headers = Vec::new();
    let mut head_size = line.len();
    loop {
        let mut header = String::new();
        let n = reader
            .by_ref()
            .take(MAX_HEAD as u64)
            .read_line(&mut header)?;
        head_size += n;
        if n == 0 || head_size > MAX_HEAD {
            return Err(invalid("bad request head"));
        }
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
        }
    }
    let length = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .map_or(Ok(0), |(_, v)| v.parse::<usize>())
        .map_err(|_| invalid("bad content-length"))?;
    if length > MAX_BODY {
        return Err(invalid("body too large"));
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    Ok(Request {
        method,
        path,
        query,
        headers,
        body,
        on_connection: 0,
    })
}

/// Writes one reply. With `keep` the connection stays open for the next request; otherwise
/// the reply says `Connection: close` and the caller closes it.
fn write_reply(mut stream: &TcpStream, reply: &Reply, keep: bool) -> io::Result<()> {
    if !reply.delay.is_zero() {
        thread::sleep(reply.delay);
    }
    let connection = if keep { "keep-alive" } else { "close" };
    let head = |status: u16, content_type: &str, length: usize| {
        format!(
            "HTTP/1.1 {status} {}\r\nContent-Type: {content_type}\r\nContent-Length: {length}\r\nConnection: {connection}\r\n\r\n",
            reason(status)
        )
    };
    match reply.fault {
        FaultMode::None
        | FaultMode::StrayReply
        | FaultMode::IdleClose
        | FaultMode::LateReply
        | FaultMode::Unprocessed => {
            stream
                .write_all(head(reply.status, reply.content_type, reply.body.len()).as_bytes())?;
            stream.write_all(&reply.body)?;
        }
        FaultMode::RenamedCodes => {
            let body = String::from_utf8_lossy(&reply.body).replace("\"code\":", "\"card_code\":");
            stream.write_all(head(reply.status, reply.content_type, body.len()).as_bytes())?;
            stream.write_all(body.as_bytes())?;
        }
        FaultMode::Status500 => {
            let body = b"Internal Server Error";
            stream.write_all(head(500, "text/plain", body.len()).as_bytes())?;
            stream.write_all(body)?;
        }
        FaultMode::Html502 => {
            let body = b"<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>";
            stream.write_all(head(502, "text/html", body.len()).as_bytes())?;
            stream.write_all(body)?;
        }
        FaultMode::Garbage => {
            let body = b"\x00\xff\xfegarbage{{\x01]]";
            stream.write_all(head(200, "application/json", body.len()).as_bytes())?;
            stream.write_all(body)?;
        }
        FaultMode::Empty => stream.write_all(head(200, "application/json", 0).as_bytes())?,
        FaultMode::SlowBody => {
            stream
                .write_all(head(reply.status, reply.content_type, reply.body.len()).as_bytes())?;
            for byte in &reply.body {
                stream.write_all(&[*byte])?;
                stream.flush()?;
                thread::sleep(Duration::from_secs(1));
            }
        }
        FaultMode::Drop => {}
        FaultMode::Truncated => {
            stream.write_all(
                head(reply.status, reply.content_type, reply.body.len() + 100).as_bytes(),
            )?;
            stream.write_all(&reply.body)?;
        }
        FaultMode::Endless => {
            stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")?;
            let chunk = format!("{:x}\r\n{}\r\n", 8192, " ".repeat(8192));
            // Bounded all the same: the simulator stops after 1 GiB if the client never does.
            for _ in 0..(1usize << 30) / 8192 {
                stream.write_all(chunk.as_bytes())?;
            }
        }
        FaultMode::ShortLength => {
            stream.write_all(
                head(reply.status, reply.content_type, reply.body.len() / 2).as_bytes(),
            )?;
            stream.write_all(&reply.body)?;
        }
        FaultMode::Reset => {
            stream
                .write_all(head(reply.status, reply.content_type, reply.body.len()).as_bytes())?;
            stream.write_all(&reply.body[..reply.body.len() / 2])?;
            stream.flush()?;
            reset_on_close(stream);
            return Ok(());
        }
        FaultMode::Redirect => {
            stream.write_all(b"HTTP/1.1 302 Found\r\nLocation: /chargingws/v2\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")?;
        }
        FaultMode::WrongShape => {
            let body = br#"{"data":[1,2,3],"note":"not what you expected"}"#;
            stream.write_all(head(200, "application/json", body.len()).as_bytes())?;
            stream.write_all(body)?;
        }
        FaultMode::HugeBody => {
            const HUGE: usize = 100 * 1024 * 1024;
            stream.write_all(head(200, "application/json", HUGE).as_bytes())?;
            let chunk = vec![b' '; 64 * 1024];
            for _ in 0..HUGE / chunk.len() {
                stream.write_all(&chunk)?;
            }
        }
    }
    stream.flush()
}

/// Sets `SO_LINGER` to zero, so that closing the socket sends a TCP reset instead of a FIN
/// (std's `set_linger` is not stable yet).
#[allow(unsafe_code)]
fn reset_on_close(stream: &TcpStream) {
    use std::os::fd::AsRawFd;
    let linger = libc::linger {
        l_onoff: 1,
        l_linger: 0,
    };
    let size = libc::socklen_t::try_from(std::mem::size_of::<libc::linger>()).unwrap_or(8);
    // SAFETY: the descriptor is the stream's own, open for the call; `linger` is a valid
    // `struct linger` and `size` is its size, as setsockopt(2) requires.
    unsafe {
        libc::setsockopt(
            stream.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            (&raw const linger).cast(),
            size,
        );
    }
}

/// Answers one TLS handshake with a self-signed certificate (`tests/data/untrusted-*.pem`), so
/// that a client that checks certificates refuses it; then closes.
///
/// # Panics
/// When the bundled test certificate cannot be read (a broken checkout).
pub fn serve_tls_once(stream: TcpStream) {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let cert =
        CertificateDer::from_pem_slice(include_bytes!("../../tests/data/untrusted-cert.pem"))
            .expect("test certificate");
    let key = PrivateKeyDer::from_pem_slice(include_bytes!("../../tests/data/untrusted-key.pem"))
        .expect("test key");
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("TLS 1.2 and 1.3")
    .with_no_client_auth()
    .with_single_cert(vec![cert], key)
    .expect("a valid certificate");
    let Ok(connection) = rustls::ServerConnection::new(Arc::new(config)) else {
        return;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let mut tls = rustls::StreamOwned::new(connection, stream);
    let mut buf = [0u8; 1024];
    // Drives the handshake; the client aborts it with an alert.
    let _ = tls.read(&mut buf);
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        _ => "Unknown",
    }
}

/// A TLS server's configuration with the test CA's leaf certificate (`tests/data/test-leaf-*.pem`,
/// for `localhost` and `127.0.0.1`, signed by `tests/data/test-ca.pem`), TLS 1.2 and 1.3,
/// rustls's defaults otherwise (its session cache and tickets).
///
/// # Panics
/// When the bundled test certificate cannot be read (a broken checkout).
#[must_use]
pub fn test_ca_server_config() -> rustls::ServerConfig {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let cert =
        CertificateDer::from_pem_slice(include_bytes!("../../tests/data/test-leaf-cert.pem"))
            .expect("test certificate");
    let key = PrivateKeyDer::from_pem_slice(include_bytes!("../../tests/data/test-leaf-key.pem"))
        .expect("test key");
    rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .expect("TLS 1.2 and 1.3")
        .with_no_client_auth()
        .with_single_cert(vec![cert], key)
        .expect("a valid certificate")
}

/// Serves HTTPS on `listener` with [`test_ca_server_config`]: every request gets
/// `body` as a `200` JSON reply, then the connection closes. For the trust-root tests: a client
/// trusting the test CA gets the reply; one with Mozilla's roots refuses the handshake.
/// Returns, growing as requests are served, whether each connection's handshake resumed an
/// earlier session (`true`) or was a full one.
///
/// # Panics
/// When the bundled test certificate cannot be read (a broken checkout).
#[must_use]
pub fn serve_https(listener: TcpListener, body: &'static str) -> Arc<Mutex<Vec<bool>>> {
    let config = Arc::new(test_ca_server_config());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let handshakes = Arc::clone(&seen);
    thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            let Ok(connection) = rustls::ServerConnection::new(Arc::clone(&config)) else {
                continue;
            };
            let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
            let mut tls = rustls::StreamOwned::new(connection, stream);
            let mut head = Vec::new();
            let mut byte = [0u8; 1];
            while !head.ends_with(b"\r\n\r\n") && head.len() < MAX_HEAD {
                match tls.read(&mut byte) {
                    Ok(1) => head.push(byte[0]),
                    _ => break,
                }
            }
            if let Some(kind) = tls.conn.handshake_kind() {
                handshakes
                    .lock()
                    .unwrap()
                    .push(kind == rustls::HandshakeKind::Resumed);
            }
            let reply = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = tls.write_all(reply.as_bytes());
            tls.conn.send_close_notify();
            let _ = tls.flush();
        }
    });
    seen
}
