//! Which certificate authorities HTTPS trusts: Mozilla's bundled roots by default, the
//! system's store (`tls_roots: "system"`, where company CAs are installed), or a PEM file
//! (`ca_file`). A server whose certificate comes from a private CA is refused by the first and
//! trusted by the others.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::Command;
use std::sync::{Arc, Mutex};

use serde_json::json;
use vngate::Error;
use vngate::api::Client;

const FEES: &str = r#"[{"telco":"VIETTEL","value":10000,"fees":20,"penalty":50}]"#;

fn https_server() -> String {
    https_server_replying(FEES).0
}

/// An HTTPS server answering `body` to every request, and its handshakes (see
/// `serve_https`).
fn https_server_replying(body: &'static str) -> (String, Arc<Mutex<Vec<bool>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let handshakes = vngate_sim::server::serve_https(listener, body);
    (format!("https://localhost:{port}"), handshakes)
}

fn test_ca() -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("data/test-ca.pem")
        .display()
        .to_string()
}

fn fees(base_url: &str, extra: &serde_json::Value) -> Result<String, Error> {
    let mut config =
        json!({"base_url": base_url, "partner_id": "1", "partner_key": "k", "timeout_ms": 5000});
    config
        .as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    Client::new("chargingws", &config.to_string())?.call("fees", "{}")
}

#[test]
fn bundled_roots_refuse_a_private_ca_and_ca_file_trusts_it() {
    let url = https_server();
    match fees(&url, &json!({})) {
        Err(Error::Transport { reason }) => assert!(reason.contains("not sent"), "{reason}"),
        other => panic!("{other:?}"),
    }
    let trusted = fees(&url, &json!({"ca_file": test_ca()})).unwrap();
    assert!(trusted.contains("VIETTEL"), "{trusted}");
}

/// Clients built alike read a CA file once, not on every build; a file changed since is read
/// again: replaced by another CA, the next client no longer trusts the server.
#[test]
fn a_ca_file_changed_since_the_last_client_is_read_again() {
    let url = https_server();
    let dir = std::env::temp_dir().join(format!("vngate-ca-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let ca_file = dir.join("ca.pem");
    std::fs::copy(test_ca(), &ca_file).unwrap();
    let config = json!({"ca_file": ca_file.display().to_string()});
    assert!(fees(&url, &config).unwrap().contains("VIETTEL"));
    assert!(fees(&url, &config).unwrap().contains("VIETTEL"));
    // Another CA, and another size: a new configuration even where mtimes are coarse.
    let other = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data/untrusted-cert.pem");
    let mut replaced = std::fs::read(other).unwrap();
    replaced.extend_from_slice(b"\n");
    std::fs::write(&ca_file, replaced).unwrap();
    let refused = fees(&url, &config);
    std::fs::remove_dir_all(&dir).unwrap();
    match refused {
        Err(Error::Transport { reason }) => assert!(reason.contains("not sent"), "{reason}"),
        other => panic!("{other:?}"),
    }
}

/// A money-moving call opens a connection of its own (never a pooled one), so over HTTPS each
/// is a new TLS handshake: the client keeps its TLS sessions, so every one after the first
/// resumes (no certificate chain sent and verified again, no full key exchange).
#[test]
fn money_moving_calls_over_https_resume_the_tls_session() {
    const PENDING: &str = r#"{"status":99,"message":"PENDING","request_id":"r-1","trans_id":"7001","telco":"VIETTEL","code":"312821445892980","serial":"10004783347874","declared_value":10000,"value":null,"amount":null}"#;
    let (url, handshakes) = https_server_replying(PENDING);
    // A configuration no other test uses: clients built alike share their connections and
    // TLS sessions, and the other tests' servers here are "localhost" too, each with its own
    // ticket keys (a session from one of them would not resume here, and would be spent).
    let config = json!({"base_url": url, "partner_id": "1", "partner_key": "k",
        "timeout_ms": 5001, "ca_file": test_ca()});
    let client = Client::new("chargingws", &config.to_string()).unwrap();
    let card = json!({"telco": "VIETTEL", "code": "312821445892980",
        "serial": "10004783347874", "amount": 10000, "request_id": "r-1"});
    for _ in 0..3 {
        let reply = client.call("charge", &card.to_string()).unwrap();
        assert!(reply.contains(r#""trans_id":"7001""#), "{reply}");
    }
    assert_eq!(*handshakes.lock().unwrap(), [false, true, true]);
}

/// A CA file rewritten in place with another CA of the same size, its modification time put
/// back: the next client reads it again (its status-change time moved), and no longer trusts
/// the server.
#[test]
fn a_ca_file_rewritten_in_place_with_its_size_and_mtime_restored_is_read_again() {
    let url = https_server();
    let dir = std::env::temp_dir().join(format!("vngate-ca-same-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let ca_file = dir.join("ca.pem");
    let (trusted, other) = (
        std::fs::read(test_ca()).unwrap(),
        std::fs::read(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data/untrusted-cert.pem"))
            .unwrap(),
    );
    // Both padded with newlines to one size: PEM ignores them.
    let size = trusted.len().max(other.len()) + 1;
    let padded = |pem: &[u8]| {
        let mut bytes = pem.to_vec();
        bytes.resize(size, b'\n');
        bytes
    };
    std::fs::write(&ca_file, padded(&trusted)).unwrap();
    let config = json!({"ca_file": ca_file.display().to_string()});
    assert!(fees(&url, &config).unwrap().contains("VIETTEL"));
    let mtime = std::fs::metadata(&ca_file).unwrap().modified().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(20));
    std::fs::write(&ca_file, padded(&other)).unwrap();
    std::fs::File::options()
        .write(true)
        .open(&ca_file)
        .unwrap()
        .set_modified(mtime)
        .unwrap();
    assert_eq!(std::fs::metadata(&ca_file).unwrap().len(), size as u64);
    let refused = fees(&url, &config);
    std::fs::remove_dir_all(&dir).unwrap();
    match refused {
        Err(Error::Transport { reason }) => assert!(reason.contains("not sent"), "{reason}"),
        other => panic!("the old CA is still trusted: {other:?}"),
    }
}

#[test]
fn a_ca_file_that_is_not_pem_is_refused_when_the_client_is_built() {
    for (path, why) in [
        ("/nonexistent/ca.pem".to_owned(), "cannot read"),
        (
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("Cargo.toml")
                .display()
                .to_string(),
            "no PEM certificate",
        ),
    ] {
        match fees("https://localhost:1", &json!({"ca_file": path})) {
            Err(Error::InvalidInput { field, reason }) => {
                assert_eq!(field, "ca_file");
                assert!(reason.contains(why), "{reason}");
            }
            other => panic!("{other:?}"),
        }
    }
}

/// `tls_roots: "system"` reads the store named by `SSL_CERT_FILE`: run in a child process
/// with it pointing at the test CA (a process's environment is not the test's to change).
#[test]
fn system_roots_follow_ssl_cert_file() {
    if std::env::var("VNGATE_TRUST_CHILD").is_ok() {
        let url = https_server();
        let trusted = fees(&url, &json!({"tls_roots": "system"})).unwrap();
        assert!(trusted.contains("VIETTEL"), "{trusted}");
        return;
    }
    // Its output is kept: its own "test result" line would count twice in the totals.
    let child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "system_roots_follow_ssl_cert_file",
            "--nocapture",
        ])
        .env("VNGATE_TRUST_CHILD", "1")
        .env("SSL_CERT_FILE", test_ca())
        .output()
        .unwrap();
    assert!(
        child.status.success() && String::from_utf8_lossy(&child.stdout).contains("1 passed"),
        "the child with SSL_CERT_FILE failed: {}",
        String::from_utf8_lossy(&child.stdout)
    );
}

/// A CONNECT proxy (as squid or a company's egress proxy): reads `CONNECT host:port`, opens the
/// tunnel and copies bytes both ways. Returns its URL and the CONNECT lines it was sent.
fn connect_proxy() -> (String, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    use std::io::{BufRead, BufReader, Write};
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let log = seen.clone();
    std::thread::spawn(move || {
        for client in listener.incoming().flatten() {
            let log = log.clone();
            std::thread::spawn(move || {
                let mut reader = BufReader::new(client.try_clone().unwrap());
                let mut line = String::new();
                reader.read_line(&mut line).unwrap();
                log.lock().unwrap().push(line.trim().to_owned());
                let target = line.split_whitespace().nth(1).unwrap().to_owned();
                loop {
                    let mut header = String::new();
                    if reader.read_line(&mut header).unwrap() <= 2 {
                        break;
                    }
                }
                let upstream = std::net::TcpStream::connect(&target).unwrap();
                let mut to_client = client;
                to_client
                    .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
                    .unwrap();
                let (mut up_read, mut up_write) = (upstream.try_clone().unwrap(), upstream);
                let mut client_write = to_client.try_clone().unwrap();
                std::thread::spawn(move || std::io::copy(&mut reader, &mut up_write));
                let _ = std::io::copy(&mut up_read, &mut client_write);
            });
        }
    });
    (url, seen)
}

#[test]
fn a_connect_proxy_carries_https_calls_and_a_socks_proxy_is_refused() {
    let server = https_server();
    let (proxy, seen) = connect_proxy();
    let reply = fees(&server, &json!({"ca_file": test_ca(), "proxy": proxy})).unwrap();
    assert!(reply.contains("VIETTEL"), "{reply}");
    let host = server.trim_start_matches("https://");
    assert_eq!(*seen.lock().unwrap(), [format!("CONNECT {host} HTTP/1.1")]);

    // ureq is built without SOCKS: refused when the client is built, naming the field.
    let socks = fees(&server, &json!({"proxy": "socks5://127.0.0.1:1080"})).unwrap_err();
    assert!(
        matches!(&socks, Error::InvalidInput { field, .. } if field == "proxy"),
        "{socks:?}"
    );
}

/// A proxy that reads the CONNECT request and answers it with `reply`, then closes: the tunnel
/// never opens, so the request to the provider was never written. A charge through it is "not
/// sent", never "outcome unknown". Returns its URL.
fn broken_proxy(reply: &'static [u8]) -> String {
    use std::io::{BufRead, BufReader, Write};
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for client in listener.incoming().flatten() {
            let mut reader = BufReader::new(client.try_clone().unwrap());
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) <= 2 {
                    break;
                }
            }
            let mut client = client;
            let _ = client.write_all(reply);
            let _ = client.flush();
        }
    });
    url
}

#[test]
fn a_proxy_that_never_opens_the_tunnel_means_the_money_call_was_not_sent() {
    let replies: [&'static [u8]; 5] = [
        b"\x00\xffgarbage\r\n\r\n",
        b"NOT HTTP AT ALL\r\n\r\n",
        b"HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n",
        b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n",
        b"",
    ];
    for reply in replies {
        // Nothing listens on the provider's port: only the proxy could have delivered anything.
        for base_url in ["https://127.0.0.1:9", "http://127.0.0.1:9"] {
            let proxy = broken_proxy(reply);
            let config = json!({"base_url": base_url, "partner_id": "1", "partner_key": "k",
                                "timeout_ms": 3000, "proxy": proxy,
                                "allow_insecure_http": true});
            let client = Client::new("chargingws", &config.to_string()).unwrap();
            let card = json!({"telco": "VIETTEL", "code": "312821445892981",
                              "serial": "10004783347874", "amount": 50000, "request_id": "proxy-1"});
            let error = client.call("charge", &card.to_string()).unwrap_err();
            let shown = String::from_utf8_lossy(reply);
            assert!(
                matches!(&error, Error::Transport { reason } if reason.contains("not sent")),
                "{base_url} via a proxy answering {shown:?}: {error:?}"
            );
        }
    }
}
