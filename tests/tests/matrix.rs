//! The hostile-server matrix: every network operation of every provider against every way a
//! server can misbehave. Each must end in a typed error within the timeout + 1 s; a
//! money-moving operation must say "outcome unknown" (the request was taken), a read-only one
//! "bad reply" or "transport". The table is printed (`cargo test --test matrix -- --nocapture`)
//! and written to `target/hostile-matrix.md`.

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use vngate::appotapay::{AppotaPay, AppotaPayConfig, BuyRequest};
use vngate::chargingws::{CardRequest, ChargingWs, ChargingWsConfig};
use vngate::esms::{Channel, DisburseRequest, Esms, EsmsConfig};
use vngate::opencard::{OpenCard, OpenCardConfig, OpenCardRequest};
use vngate::topup::{RecheckRequest, Topup, TopupConfig, TopupRequest};
use vngate::{Error, HttpOptions};
use vngate_sim::sim::{
    APPOTAPAY_OAEP, CHARGINGWS_S1, ESMS_API_TOKEN, ESMS_SECRET_KEY, OPENCARD_KSORT,
    PARTNER_KEY_PEM, TOPUP_SHA256,
};
use vngate_sim::{FaultMode, Faults, Sim};

const TIMEOUT_MS: u64 = 600;

type Operation = Box<dyn Fn(u64) -> Result<(), Error>>;

fn http() -> HttpOptions {
    HttpOptions {
        timeout_ms: TIMEOUT_MS,
        connect_timeout_ms: 300,
        ..HttpOptions::default()
    }
}

/// (provider, operation, moves money, the call). `n` makes every id unique.
// One row per operation reads best as one table, however long.
#[allow(clippy::too_many_lines)]
fn operations(sim: &Sim) -> Vec<(&'static str, &'static str, bool, Operation)> {
    let url = sim.url();
    let chargingws = std::rc::Rc::new(
        ChargingWs::new(ChargingWsConfig {
            http: http(),
            ..ChargingWsConfig::new(
                url.clone(),
                CHARGINGWS_S1.partner_id,
                CHARGINGWS_S1.partner_key,
            )
        })
        .unwrap(),
    );
    let card = |n: u64| CardRequest {
        telco: "VIETTEL".into(),
        code: "312821445892980".into(),
        serial: "10004783347874".into(),
        amount: 10_000,
        request_id: format!("m-{n}"),
    };
    let opencard = OpenCard::new(OpenCardConfig {
        base_url: url.clone(),
        http: http(),
        ..OpenCardConfig::new(OPENCARD_KSORT.partner_id, OPENCARD_KSORT.partner_key)
    })
    .unwrap();
    let appotapay = std::rc::Rc::new(
        AppotaPay::new(AppotaPayConfig {
            base_url: url.clone(),
            private_key_pem: Some(PARTNER_KEY_PEM.into()),
            http: http(),
            ..AppotaPayConfig::new(
                APPOTAPAY_OAEP.partner_code,
                APPOTAPAY_OAEP.api_key,
                APPOTAPAY_OAEP.secret_key,
            )
        })
        .unwrap(),
    );
    let esms = std::rc::Rc::new(
        Esms::new(EsmsConfig {
            base_url: url.clone(),
            http: http(),
            ..EsmsConfig::with_token(ESMS_API_TOKEN, ESMS_SECRET_KEY)
        })
        .unwrap(),
    );
    let topup = std::rc::Rc::new(
        Topup::new(TopupConfig {
            base_url: format!("{url}/apipayment"),
            http: http(),
            ..TopupConfig::new(TOPUP_SHA256.username, TOPUP_SHA256.private_key)
        })
        .unwrap(),
    );
    let (c1, c2, c3) = (chargingws.clone(), chargingws.clone(), chargingws);
    let (a1, a2, a3, a4) = (
        appotapay.clone(),
        appotapay.clone(),
        appotapay.clone(),
        appotapay,
    );
    let (e1, e2, e3) = (esms.clone(), esms.clone(), esms);
    let (t1, t2, t3) = (topup.clone(), topup.clone(), topup);
    vec![
        (
            "chargingws",
            "charge",
            true,
            Box::new(move |n| c1.charge(&card(n)).map(drop)),
        ),
        (
            "chargingws",
            "check",
            false,
            Box::new(move |n| c2.check(&card(n)).map(drop)),
        ),
        (
            "chargingws",
            "fees",
            false,
            Box::new(move |_| c3.fees().map(drop)),
        ),
        (
            "opencard",
            "charge",
            true,
            Box::new(move |n| {
                let serial = format!("{:014}", 10_000_000_000_000 + n);
                opencard
                    .charge(&OpenCardRequest {
                        telco: "VIETTEL".into(),
                        code: "123456789012340".into(),
                        serial,
                        amount: 10_000,
                    })
                    .map(drop)
            }),
        ),
        (
            "appotapay",
            "buy_cards",
            true,
            Box::new(move |n| {
                a1.buy_cards(&BuyRequest {
                    partner_ref_id: format!("m-{n}"),
                    product_code: "AC10".into(),
                    quantity: 1,
                    ..BuyRequest::default()
                })
                .map(drop)
            }),
        ),
        (
            "appotapay",
            "transaction",
            false,
            Box::new(move |n| a2.transaction(&format!("m-{n}")).map(drop)),
        ),
        (
            "appotapay",
            "products",
            false,
            Box::new(move |_| a3.products().map(drop)),
        ),
        (
            "appotapay",
            "balance",
            false,
            Box::new(move |_| a4.balance().map(drop)),
        ),
        (
            "esms",
            "disburse",
            true,
            Box::new(move |n| {
                e1.disburse(&DisburseRequest {
                    amount: 10_000,
                    channel: Channel::Momo,
                    phone: "0912345671".into(),
                    order_id: format!("m-{n}"),
                    description: "matrix".into(),
                    callback_url: None,
                })
                .map(drop)
            }),
        ),
        (
            "esms",
            "verify_recipient",
            false,
            Box::new(move |_| e2.verify_recipient(Channel::Momo, "0912345671").map(drop)),
        ),
        (
            "esms",
            "query",
            false,
            Box::new(move |n| e3.query(&format!("m-{n}")).map(drop)),
        ),
        (
            "topup",
            "topup",
            true,
            Box::new(move |n| {
                t1.topup(&TopupRequest {
                    phone: "0912345671".into(),
                    amount: 10_000,
                    client_trans_id: Some(format!("m-{n}")),
                    gateway: None,
                })
                .map(drop)
            }),
        ),
        (
            "topup",
            "recheck",
            false,
            Box::new(move |n| {
                t2.recheck(&RecheckRequest {
                    id_transaction: None,
                    client_trans_id: Some(format!("m-{n}")),
                })
                .map(drop)
            }),
        ),
        (
            "topup",
            "balance",
            false,
            Box::new(move |_| t3.balance().map(drop)),
        ),
    ]
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
    let rss_before = vngate_sim::rss_kib();
    for (name, mode, latency_ms) in FAULTS {
        sim.set_faults(Faults {
            mode: *mode,
            latency_ms: *latency_ms,
        });
        let _ = write!(table, "\n| {name} |");
        for (provider, op, money, call) in &ops {
            n += 1;
            let started = Instant::now();
            let result = call(n);
            let took = started.elapsed();
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
    // 14 operations read 100 MB and endless bodies: the reply limit (1 MiB) bounds memory.
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
    let client = ChargingWs::new(ChargingWsConfig {
        http: http(),
        ..ChargingWsConfig::new(
            format!("https://localhost:{port}"),
            CHARGINGWS_S1.partner_id,
            CHARGINGWS_S1.partner_key,
        )
    })
    .unwrap();
    let started = Instant::now();
    let card = CardRequest {
        telco: "VIETTEL".into(),
        code: "312821445892980".into(),
        serial: "10004783347874".into(),
        amount: 10_000,
        request_id: "tls-1".into(),
    };
    match client.charge(&card) {
        Err(Error::Transport { reason }) => assert!(reason.contains("not sent"), "{reason}"),
        other => panic!("{other:?}"),
    }
    assert!(started.elapsed() < Duration::from_millis(TIMEOUT_MS + 1_000));
}
