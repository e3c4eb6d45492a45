//! Hostile servers: every network operation of every provider against every way a
//! server can misbehave. Each must end in a typed error within the timeout + 1 s; a
//! money-moving operation must say "outcome unknown" (the request was taken), a read-only one
//! "bad reply" or "transport". The table is printed (`cargo test --test matrix -- --nocapture`)
//! and written to `target/hostile-matrix.md`.

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use vngate::api::Client;
use vngate::chargingws::{CardRequest, ChargingWs, ChargingWsConfig};
use vngate::registry::{self, Kind};
use vngate::{CardStatus, Error, HttpOptions};
use vngate_sim::sim::{CHARGINGWS_S1, ESMS_EMAIL, ESMS_PASSWORD, PARTNER_KEY_PEM};
use vngate_sim::{FaultMode, Faults, Sim, With};

const TIMEOUT_MS: u64 = 600;

type Operation = Box<dyn Fn(u64) -> Result<(), Error> + Sync>;

fn http() -> HttpOptions {
    HttpOptions::default().with(|o| {
        o.timeout_ms = TIMEOUT_MS;
        o.connect_timeout_ms = 300;
    })
}

/// The chargingws client every test here uses: the S1 account, the matrix's timeouts.
fn chargingws(url: String) -> ChargingWs {
    ChargingWs::new(
        ChargingWsConfig::new(url, CHARGINGWS_S1.partner_id, CHARGINGWS_S1.partner_key).with(|o| {
            o.http = http();
        }),
    )
    .unwrap()
}

/// Each provider's client on the simulator's test account, with the matrix's timeouts. eSMS
/// has a token and a login, so that `login` and the rest each have what they need; AppotaPay
/// the key that decrypts codes.
fn client(sim: &Sim, provider: &str) -> Client {
    let mut config = sim.client_config(provider);
    let extra = match provider {
        "appotapay" => json!({"private_key_pem": PARTNER_KEY_PEM}),
        "esms" => json!({"email": ESMS_EMAIL, "password": ESMS_PASSWORD}),
        _ => json!({}),
    };
    let timeouts = json!({"timeout_ms": TIMEOUT_MS, "connect_timeout_ms": 300});
    let object = config.as_object_mut().unwrap();
    object.extend(extra.as_object().unwrap().clone());
    object.extend(timeouts.as_object().unwrap().clone());
    Client::new(provider, &config.to_string()).unwrap()
}

/// `op`'s declared example with its reference made unique by `n` (digits stay digits of the
/// same length: OpenCard's reference is the card's serial).
fn fresh(op: &registry::Operation, n: u64) -> String {
    let example = op
        .example
        .unwrap_or_else(|| panic!("{} {} declares no example", op.provider, op.name));
    let mut request: Value = serde_json::from_str(example).expect("an example is JSON");
    if let Some(field) = op.money.map(|m| m.reference_field)
        && let Some(Value::String(reference)) = request.get_mut(field)
    {
        *reference = if reference.bytes().all(|b| b.is_ascii_digit()) {
            let width = reference.len();
            format!(
                "{:0width$}",
                10u64.pow(u32::try_from(width - 1).unwrap()) + n
            )
        } else {
            format!("{reference}-m{n}")
        };
    }
    request.to_string()
}

/// Every network operation of the registry, called by name with its declared example:
/// (provider, operation, moves money, the call). `n` makes every reference unique.
fn operations(sim: &Sim) -> Vec<(&'static str, &'static str, bool, Operation)> {
    registry::OPERATIONS
        .iter()
        .filter(|op| op.kind != Kind::Local)
        .map(|op| {
            let client = client(sim, op.provider);
            let call: Operation = Box::new(move |n| client.call(op.name, &fresh(op, n)).map(drop));
            (op.provider, op.name, op.moves_money(), call)
        })
        .collect()
}

/// Every declared example is one the simulator answers: the docs show them, and the matrix
/// below sends them.
#[test]
fn every_example_is_answered() {
    let sim = Sim::start();
    let mut failures = Vec::new();
    for op in registry::OPERATIONS
        .iter()
        .filter(|op| op.kind != Kind::Local)
    {
        let client = client(&sim, op.provider);
        if let Err(e) = client.call(op.name, &fresh(op, 1)) {
            failures.push(format!("{} {}: {e}", op.provider, op.name));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

const FAULTS: &[(&str, FaultMode, u64)] = &[
    ("slow headers (1.5 s)", FaultMode::None, 1_500),
    ("slow body (1 byte/s)", FaultMode::SlowBody, 0),
    ("endless body", FaultMode::Endless, 0),
    ("100 MB body", FaultMode::HugeBody, 0),
    ("truncated body", FaultMode::Truncated, 0),
    ("short Content-Length", FaultMode::ShortLength, 0),
    ("reset mid-reply", FaultMode::Reset, 0),
    ("closed, no reply", FaultMode::Drop, 0),
    ("HTML 502", FaultMode::Html502, 0),
    ("text 500", FaultMode::Status500, 0),
    ("empty 200", FaultMode::Empty, 0),
    ("invalid UTF-8", FaultMode::Garbage, 0),
    ("JSON of the wrong shape", FaultMode::WrongShape, 0),
    ("redirect loop", FaultMode::Redirect, 0),
];

#[test]
fn every_operation_against_every_fault() {
    let sim = Sim::start();
    let ops = operations(&sim);
    let mut table = String::from("| fault |");
    for (provider, op, _, _) in &ops {
        let _ = write!(table, " {provider} {op} |");
    }
    table.push_str("\n|---|");
    table.push_str(&"---|".repeat(ops.len()));
    let mut failures = Vec::new();
    let mut n = 0;
    let mut rss_before = 0;
    for (name, mode, latency_ms) in FAULTS {
        if *mode == FaultMode::Endless {
            // Measured from the rows that send more than the limit, not from the start: the
            // file's other tests run beside the first rows, in the same process.
            rss_before = vngate_sim::rss_kib();
        }
        sim.set_faults(Faults {
            mode: *mode,
            latency_ms: *latency_ms,
        });
        let _ = write!(table, "\n| {name} |");
        // A row whose every call waits for its timeout runs its calls side by side (each
        // still timed alone): one after the other, the two such rows took 36 s of the suite.
        // The others run one at a time, so that the RSS measured around them is theirs.
        let waits = *latency_ms > 0 || *mode == FaultMode::SlowBody;
        let timed = |(i, call): (u64, &Operation)| {
            let started = Instant::now();
            let result = call(i);
            (result, started.elapsed())
        };
        let numbered = (n + 1..).zip(ops.iter().map(|(_, _, _, call)| call));
        let results: Vec<_> = if waits {
            std::thread::scope(|scope| {
                let calls: Vec<_> = numbered.map(|c| scope.spawn(move || timed(c))).collect();
                calls.into_iter().map(|c| c.join().unwrap()).collect()
            })
        } else {
            numbered.map(timed).collect()
        };
        n += ops.len() as u64;
        for ((provider, op, money, _), (result, took)) in ops.iter().zip(results) {
            let kind = result.as_ref().err().map_or("ok", Error::kind);
            let _ = write!(table, " {kind} {} ms |", took.as_millis());
            let right_kind = match &result {
                Err(Error::OutcomeUnknown { .. }) => *money,
                Err(Error::BadReply { .. } | Error::Transport { .. }) => !money,
                // A Content-Length shorter than the body is, for HTTP, a shorter reply: a text
                // reply cut at `1;88` still reads as `1;88`. JSON cut short does not parse.
                Ok(()) => *mode == FaultMode::ShortLength && *provider == "topup",
                Err(_) => false,
            };
            if !right_kind || took > Duration::from_millis(TIMEOUT_MS + 1_000) {
                failures.push(format!("{name} × {provider} {op}: {result:?} in {took:?}"));
            }
        }
    }
    // Every operation reads 100 MB and endless bodies: the reply limit (1 MiB) bounds memory.
    let grown = vngate_sim::rss_kib().saturating_sub(rss_before);
    let _ = write!(table, "\n\nRSS growth over the whole matrix: {grown} KiB");
    assert!(grown < 64 * 1024, "memory grew by {grown} KiB");
    println!("{table}");
    let _ = std::fs::write(
        concat!(env!("CARGO_MANIFEST_DIR"), "/../target/hostile-matrix.md"),
        &table,
    );
    assert!(failures.is_empty(), "{failures:#?}");
}

/// A TLS endpoint whose certificate no root vouches for: nothing is sent, even for a charge.
#[test]
fn an_untrusted_certificate_is_a_transport_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        // Answers the ClientHello with a self-signed certificate (tests/data/untrusted-*.pem).
        if let Ok((stream, _)) = listener.accept() {
            vngate_sim::server::serve_tls_once(stream);
        }
    });
    let client = chargingws(format!("https://localhost:{port}"));
    let started = Instant::now();
    let card = CardRequest::new(
        "VIETTEL",
        "312821445892980",
        "10004783347874",
        10_000,
        "tls-1",
    );
    match client.charge(&card) {
        Err(Error::Transport { reason }) => assert!(reason.contains("not sent"), "{reason}"),
        other => panic!("{other:?}"),
    }
    assert!(started.elapsed() < Duration::from_millis(TIMEOUT_MS + 1_000));
}

/// A card that stays pending (PIN ending in 0), so that `check` finds it as it was taken.
fn pending_card(request_id: &str) -> CardRequest {
    CardRequest::new(
        "VIETTEL",
        "312821445892980",
        "10004783347874",
        10_000,
        request_id,
    )
}

/// Behind every "outcome unknown" of the matrix the provider really did take the request:
/// after each fault, `check` finds the card pending, so a resend would charge it twice.
#[test]
fn the_card_behind_every_unknown_charge_was_taken() {
    let sim = Sim::start();
    let client = chargingws(sim.url());
    for (n, (name, mode, latency_ms)) in FAULTS.iter().enumerate() {
        sim.set_faults(Faults {
            mode: *mode,
            latency_ms: *latency_ms,
        });
        let card = pending_card(&format!("taken-{n}"));
        match client.charge(&card) {
            Err(Error::OutcomeUnknown { reference, .. }) => assert_eq!(reference, card.request_id),
            other => panic!("{name}: {other:?}"),
        }
        sim.set_faults(Faults::default());
        assert_eq!(
            client.check(&card).unwrap().status,
            CardStatus::Pending,
            "{name}"
        );
    }
}

#[test]
fn html_error_pages_keep_their_status_and_an_excerpt() {
    let sim = Sim::start();
    sim.set_faults(Faults {
        mode: FaultMode::Html502,
        latency_ms: 0,
    });
    let client = ChargingWs::new(ChargingWsConfig::new(
        sim.url(),
        CHARGINGWS_S1.partner_id,
        CHARGINGWS_S1.partner_key,
    ))
    .unwrap();
    match client.fees() {
        Err(Error::BadReply {
            http_status: Some(502),
            excerpt,
            ..
        }) => assert!(excerpt.contains("502 Bad Gateway")),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_refused_connection_is_a_transport_error_even_for_charge() {
    // A port that was free a moment ago: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let client = chargingws(format!("http://127.0.0.1:{port}"));
    match client.charge(&pending_card("refused-1")) {
        Err(Error::Transport { reason }) => assert!(reason.contains("not sent"), "{reason}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn fault_modes_are_named_as_documented() {
    for (name, mode) in [
        ("status_500", FaultMode::Status500),
        ("html_502", FaultMode::Html502),
        ("slow_body", FaultMode::SlowBody),
        ("huge_body", FaultMode::HugeBody),
        ("stray_reply", FaultMode::StrayReply),
        ("idle_close", FaultMode::IdleClose),
        ("late_reply", FaultMode::LateReply),
    ] {
        let parsed: Faults = serde_json::from_str(&format!(r#"{{"mode":"{name}"}}"#)).unwrap();
        assert_eq!(parsed.mode, mode);
    }
}
