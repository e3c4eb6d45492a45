//! The benchmark's Rust side (`make bench` drives it, with the other fronts and the peers):
//!
//!     vngate-bench server [LATENCY_MS]    a fixed-reply HTTP/1.1 server on loopback; prints its URL
//!     vngate-bench tls-server             the same over TLS (the test CA's certificate for
//!                                         127.0.0.1); prints its URL, then the URL of a plain
//!                                         HTTP port that answers "FULL RESUMED": the handshakes
//!                                         so far, full and resumed
//!     vngate-bench rust-threads URL SECS  16 threads sharing one client (against a slow server)
//!     vngate-bench limit URL SECS         the keep-alive limit: calls/s of the least any client does
//!     vngate-bench limit-fresh URL SECS   the same with a new connection per request
//!     vngate-bench rust URL SECS          vngate's chargingws `check` (pooled connection), calls/s
//!     vngate-bench rust-money URL SECS    vngate's `charge` (a connection of its own), calls/s
//!     vngate-bench verify SECS            chargingws callback verifications/s
//!     vngate-bench memory URL N           RSS over N pooled checks, then N verifications
//!     vngate-bench micro                  signing, verification and reply parsing per provider
//!     vngate-bench callback               prints the signed callback the fronts verify
//!
//! The server answers every request with the same chargingws reply (status 99 for the card the
//! fronts send, request id `bench-1`); it never looks at the request beyond its length, so it
//! costs the same for every client.
//!
//! The limit client is this binary's own rather than `wrk`: on one connection it writes a
//! prebuilt request in one `write` and reads the reply (its length is known) with `read`s until
//! it is whole, which is the least work any HTTP client can do per call, and it needs nothing
//! installed. `limit-fresh` adds what any client must do for a new connection: connect, and
//! close after the reply.
//!
//! With `VNGATE_BENCH_CA` naming a CA file, the Rust client trusts it (`ca_file`): for the
//! TLS server.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

use vngate::chargingws::{CardRequest, ChargingWs, ChargingWsConfig};
use vngate_sim::sim::CHARGINGWS_S1;

/// The reply to every request: what a chargingws site answers for a pending card.
const REPLY_BODY: &str = r#"{"status":99,"message":"PENDING","request_id":"bench-1","trans_id":"7001","telco":"VIETTEL","code":"312821445892980","serial":"10004783347874","declared_value":10000,"value":null,"amount":null}"#;

fn reply() -> Vec<u8> {
    format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{REPLY_BODY}",
        REPLY_BODY.len()
    )
    .into_bytes()
}

/// Serves one connection: for each request (headers, then `Content-Length` bytes of body), the
/// fixed reply; closes when the client does or asks to.
fn serve(mut stream: impl Read + Write, reply: &[u8], latency: Duration) {
    let mut buf = Vec::with_capacity(8192);
    let mut chunk = [0u8; 8192];
    loop {
        let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
            match stream.read(&mut chunk) {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
            continue;
        };
        let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
        let length: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length:"))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0);
        while buf.len() < end + 4 + length {
            match stream.read(&mut chunk) {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        }
        buf.drain(..end + 4 + length);
        if !latency.is_zero() {
            std::thread::sleep(latency);
        }
        if stream.write_all(reply).is_err() || head.contains("connection: close") {
            return;
        }
    }
}

fn server(latency: Duration) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    println!("http://{}", listener.local_addr().expect("address"));
    let reply: &'static [u8] = reply().leak();
    for stream in listener.incoming().flatten() {
        let _ = stream.set_nodelay(true);
        std::thread::spawn(move || serve(stream, reply, latency));
    }
}

/// The fixed-reply server over TLS 1.3 or 1.2 (rustls, its default session cache and tickets),
/// counting handshakes, full and resumed.
fn tls_server() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU64, Ordering};
    static FULL: AtomicU64 = AtomicU64::new(0);
    static RESUMED: AtomicU64 = AtomicU64::new(0);
    let mut config = vngate_sim::server::test_ca_server_config();
    // Room for every session a money run opens (one per call).
    config.session_storage = rustls::server::ServerSessionMemoryCache::new(1 << 20);
    let config = Arc::new(config);
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let control = TcpListener::bind("127.0.0.1:0").expect("bind");
    println!("https://{}", listener.local_addr().expect("address"));
    println!("http://{}", control.local_addr().expect("address"));
    std::thread::spawn(move || {
        for mut stream in control.incoming().flatten() {
            let mut head = [0u8; 1024];
            let _ = stream.read(&mut head);
            let body = format!(
                "{} {}\n",
                FULL.load(Ordering::SeqCst),
                RESUMED.load(Ordering::SeqCst)
            );
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    let reply: &'static [u8] = reply().leak();
    for stream in listener.incoming().flatten() {
        let _ = stream.set_nodelay(true);
        let config = Arc::clone(&config);
        std::thread::spawn(move || {
            let Ok(connection) = rustls::ServerConnection::new(config) else {
                return;
            };
            let mut tls = rustls::StreamOwned::new(connection, stream);
            while tls.conn.is_handshaking() {
                if tls.conn.complete_io(&mut tls.sock).is_err() {
                    return;
                }
            }
            match tls.conn.handshake_kind() {
                Some(rustls::HandshakeKind::Resumed) => RESUMED.fetch_add(1, Ordering::SeqCst),
                _ => FULL.fetch_add(1, Ordering::SeqCst),
            };
            serve(tls, reply, Duration::ZERO);
        });
    }
}

/// 16 threads sharing one client for `secs`: calls per second, all threads together.
fn threads(url: &str, secs: f64) {
    let client = client(url);
    let card = card();
    let done = std::sync::atomic::AtomicU64::new(0);
    let started = Instant::now();
    let deadline = started + Duration::from_secs_f64(secs);
    std::thread::scope(|scope| {
        for _ in 0..16 {
            scope.spawn(|| {
                while Instant::now() < deadline {
                    client.check(&card).expect("check");
                    done.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
            });
        }
    });
    let n = done.load(std::sync::atomic::Ordering::Relaxed);
    println!("{:.0}", n as f64 / started.elapsed().as_secs_f64());
}

/// Runs `call` for `secs` seconds; prints and returns calls per second.
fn rate(secs: f64, mut call: impl FnMut()) -> f64 {
    let deadline = Instant::now() + Duration::from_secs_f64(secs);
    let started = Instant::now();
    let mut n = 0u64;
    while Instant::now() < deadline {
        for _ in 0..16 {
            call();
        }
        n += 16;
    }
    let per_second = n as f64 / started.elapsed().as_secs_f64();
    println!("{per_second:.0}");
    per_second
}

/// RSS in KiB after a warm-up of 10 000 calls, halfway through `n` calls and after them, as
/// `a/b/c` (every front's bench prints the same).
fn memory(n: u64, mut call: impl FnMut()) -> String {
    for _ in 0..10_000 {
        call();
    }
    let before = vngate_sim::rss_kib();
    let mut halfway = 0;
    for i in 0..n {
        if i == n / 2 {
            halfway = vngate_sim::rss_kib();
        }
        call();
    }
    format!("{before}/{halfway}/{}", vngate_sim::rss_kib())
}

fn host_port(url: &str) -> &str {
    url.trim_start_matches("http://").trim_end_matches('/')
}

/// A request as a small client sends it: a form POST of about the size of vngate's `check`.
fn raw_request(url: &str, close: bool) -> Vec<u8> {
    let body = "telco=VIETTEL&code=312821445892980&serial=10004783347874&amount=10000&request_id=bench-1&partner_id=10001&sign=0123456789abcdef0123456789abcdef&command=check";
    format!(
        "POST /chargingws/v2 HTTP/1.1\r\nHost: {}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n{}\r\n{body}",
        host_port(url),
        body.len(),
        if close { "Connection: close\r\n" } else { "" }
    )
    .into_bytes()
}

fn read_reply(stream: &mut TcpStream, buf: &mut [u8], expected: usize) {
    let mut got = 0;
    while got < expected {
        match stream.read(&mut buf[got..]) {
            Ok(0) => panic!("the server closed the connection"),
            Ok(n) => got += n,
            Err(e) => panic!("read: {e}"),
        }
    }
}

fn limit(url: &str, secs: f64) {
    let request = raw_request(url, false);
    let expected = reply().len();
    let mut buf = vec![0u8; expected];
    let mut stream = TcpStream::connect(host_port(url)).expect("connect");
    stream.set_nodelay(true).expect("nodelay");
    rate(secs, || {
        stream.write_all(&request).expect("write");
        read_reply(&mut stream, &mut buf, expected);
    });
}

fn limit_fresh(url: &str, secs: f64) {
    let request = raw_request(url, true);
    let expected = reply().len();
    let mut buf = vec![0u8; expected];
    rate(secs, || {
        let mut stream = TcpStream::connect(host_port(url)).expect("connect");
        stream.set_nodelay(true).expect("nodelay");
        stream.write_all(&request).expect("write");
        read_reply(&mut stream, &mut buf, expected);
    });
}

fn client(url: &str) -> ChargingWs {
    let mut config =
        ChargingWsConfig::new(url, CHARGINGWS_S1.partner_id, CHARGINGWS_S1.partner_key);
    config.http.ca_file = std::env::var("VNGATE_BENCH_CA").ok();
    ChargingWs::new(config).expect("config")
}

fn card() -> CardRequest {
    CardRequest::new(
        "VIETTEL",
        "312821445892980",
        "10004783347874",
        10_000,
        "bench-1",
    )
}

/// A signed chargingws callback for the bench's card.
fn callback() -> String {
    let sign = vngate::chargingws::sign::callback_sign(
        CHARGINGWS_S1.partner_key,
        "312821445892980",
        "10004783347874",
    );
    format!(
        r#"{{"status":1,"message":"Thành công","request_id":"bench-1","trans_id":"7001","telco":"VIETTEL","code":"312821445892980","serial":"10004783347874","declared_value":10000,"value":10000,"amount":8500,"callback_sign":"{sign}"}}"#
    )
}

fn micro() {
    use vngate::api::Client;
    let per_op = |name: &str, secs: f64, call: &mut dyn FnMut()| {
        print!("{name}\t");
        rate(secs, call);
    };
    let c = client("http://127.0.0.1:9");
    let body = callback();
    per_op("chargingws callback (Rust)", 0.5, &mut || {
        c.parse_callback(body.as_bytes()).expect("valid");
    });
    let api = Client::new(
        "chargingws",
        &format!(
            r#"{{"base_url":"http://127.0.0.1:9","partner_id":"{}","partner_key":"{}"}}"#,
            CHARGINGWS_S1.partner_id, CHARGINGWS_S1.partner_key
        ),
    )
    .expect("config");
    per_op("chargingws callback (JSON API)", 0.5, &mut || {
        api.parse_callback(body.as_bytes()).expect("valid");
    });
    per_op("chargingws sign (md5)", 0.5, &mut || {
        std::hint::black_box(vngate::chargingws::sign::callback_sign(
            "sim-s1-partner-key",
            "312821445892980",
            "10004783347874",
        ));
    });
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let secs = |i: usize| args.get(i).and_then(|s| s.parse().ok()).unwrap_or(1.0);
    match args.first().map(String::as_str) {
        Some("server") => server(Duration::from_millis(
            args.get(1).and_then(|s| s.parse().ok()).unwrap_or(0),
        )),
        Some("tls-server") => tls_server(),
        Some("rust-threads") => threads(&args[1], secs(2)),
        Some("limit") => limit(&args[1], secs(2)),
        Some("limit-fresh") => limit_fresh(&args[1], secs(2)),
        Some("rust") => {
            let (c, card) = (client(&args[1]), card());
            rate(secs(2), || {
                c.check(&card).expect("check");
            });
        }
        Some("rust-money") => {
            let (c, card) = (client(&args[1]), card());
            rate(secs(2), || {
                c.charge(&card).expect("charge");
            });
        }
        Some("verify") => {
            let (c, body) = (client("http://127.0.0.1:9"), callback());
            rate(secs(1), || {
                c.parse_callback(body.as_bytes()).expect("valid");
            });
        }
        Some("memory") => {
            let (c, card, body) = (client(&args[1]), card(), callback());
            let n = args
                .get(2)
                .and_then(|s| s.parse().ok())
                .unwrap_or(1_000_000);
            let calls = memory(n, || {
                c.check(&card).expect("check");
            });
            let verifications = memory(n, || {
                c.parse_callback(body.as_bytes()).expect("valid");
            });
            println!("{calls} {verifications}");
        }
        Some("micro") => micro(),
        Some("callback") => print!("{}", callback()),
        _ => {
            eprintln!("usage: see the top of tests/src/bin/vngate-bench.rs");
            std::process::exit(2);
        }
    }
}
