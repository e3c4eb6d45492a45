//! Hostile servers: every network operation of every provider against every way a
//! server can misbehave. Each must end in a typed error within the timeout + 1 s; a
//! money-moving operation must say "outcome unknown" (the request was taken), a read-only one
//! "bad reply" or "transport". The table is printed (`cargo test --test matrix -- --nocapture`)
//! and written to `target/hostile-matrix.md`.

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use vngate::appotapay::{
    AppotaPay, AppotaPayConfig, BankAccountRequest, BankTransferRequest, BuyRequest,
    DataPackagesRequest, FeeType, MobileTopupRequest,
};
use vngate::chargingws::{
    BuyCardsRequest, CardRequest, ChargingWs, ChargingWsConfig, RedownloadRequest, StockRequest,
    TopupOrderRequest, TopupStatusRequest,
};
use vngate::esms::{Channel, DisburseRequest, Esms, EsmsConfig};
use vngate::opencard::{OpenCard, OpenCardConfig, OpenCardRequest};
use vngate::topup::{RecheckRequest, Topup, TopupConfig, TopupRequest};
use vngate::{CardStatus, Error, HttpOptions};
use vngate_sim::sim::{
    APPOTAPAY_OAEP, CHARGINGWS_S1, ESMS_API_TOKEN, ESMS_EMAIL, ESMS_PASSWORD, ESMS_SECRET_KEY,
    OPENCARD_KSORT, PARTNER_KEY_PEM, TOPUP_SHA256,
};
use vngate_sim::{FaultMode, Faults, Sim, With};

const TIMEOUT_MS: u64 = 600;

type Operation = Box<dyn Fn(u64) -> Result<(), Error>>;

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

/// (provider, operation, moves money, the call). `n` makes every id unique.
// One row per operation reads best as one table, however long.
#[allow(clippy::too_many_lines)]
fn operations(sim: &Sim) -> Vec<(&'static str, &'static str, bool, Operation)> {
    let url = sim.url();
    let chargingws = std::rc::Rc::new(chargingws(url.clone()));
    let card = |n: u64| {
        CardRequest::new(
            "VIETTEL",
            "312821445892980",
            "10004783347874",
            10_000,
            format!("m-{n}"),
        )
    };
    let opencard = OpenCard::new(
        OpenCardConfig::new(OPENCARD_KSORT.partner_id, OPENCARD_KSORT.partner_key).with(|o| {
            o.base_url.clone_from(&url);
            o.http = http();
        }),
    )
    .unwrap();
    let appotapay = std::rc::Rc::new(
        AppotaPay::new(
            AppotaPayConfig::new(
                APPOTAPAY_OAEP.partner_code,
                APPOTAPAY_OAEP.api_key,
                APPOTAPAY_OAEP.secret_key,
            )
            .with(|o| {
                o.base_url.clone_from(&url);
                o.private_key_pem = Some(PARTNER_KEY_PEM.into());
                o.http = http();
            }),
        )
        .unwrap(),
    );
    let esms = std::rc::Rc::new(
        Esms::new(
            EsmsConfig::with_token(ESMS_API_TOKEN, ESMS_SECRET_KEY).with(|o| {
                o.base_url.clone_from(&url);
                o.http = http();
            }),
        )
        .unwrap(),
    );
    let topup = std::rc::Rc::new(
        Topup::new(
            TopupConfig::new(TOPUP_SHA256.username, TOPUP_SHA256.private_key).with(|o| {
                o.base_url = format!("{url}/apipayment");
                o.http = http();
            }),
        )
        .unwrap(),
    );
    let (c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11) = (
        chargingws.clone(),
        chargingws.clone(),
        chargingws.clone(),
        chargingws.clone(),
        chargingws.clone(),
        chargingws.clone(),
        chargingws.clone(),
        chargingws.clone(),
        chargingws.clone(),
        chargingws.clone(),
        chargingws,
    );
    let (a1, a2, a3, a4, a5, a6, a7, a8, a9, a10) = (
        appotapay.clone(),
        appotapay.clone(),
        appotapay.clone(),
        appotapay.clone(),
        appotapay.clone(),
        appotapay.clone(),
        appotapay.clone(),
        appotapay.clone(),
        appotapay.clone(),
        appotapay,
    );
    let (e1, e2, e3) = (esms.clone(), esms.clone(), esms);
    let esms_login = std::rc::Rc::new(
        Esms::new(EsmsConfig::with_token("unused", ESMS_SECRET_KEY).with(|o| {
            o.base_url.clone_from(&url);
            o.api_token = None;
            o.email = Some(ESMS_EMAIL.into());
            o.password = Some(ESMS_PASSWORD.into());
            o.http = http();
        }))
        .unwrap(),
    );
    let (l1, l2) = (esms_login.clone(), esms_login);
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
            "chargingws",
            "buy_cards",
            true,
            Box::new(move |n| {
                c4.buy_cards(&BuyCardsRequest::new(
                    "VIETTEL",
                    10_000,
                    1,
                    format!("m-buy-{n}"),
                ))
                .map(drop)
            }),
        ),
        (
            "chargingws",
            "redownload",
            false,
            Box::new(move |n| {
                c5.redownload(&RedownloadRequest::new(format!("m-buy-{n}")))
                    .map(drop)
            }),
        ),
        (
            "chargingws",
            "wallet_balance",
            false,
            Box::new(move |_| {
                c6.wallet_balance(&vngate::chargingws::WalletBalanceRequest::default())
                    .map(drop)
            }),
        ),
        (
            "chargingws",
            "stock",
            false,
            Box::new(move |_| c7.stock(&StockRequest::new("VIETTEL", 10_000, 1)).map(drop)),
        ),
        (
            "chargingws",
            "card_products",
            false,
            Box::new(move |_| c8.card_products().map(drop)),
        ),
        (
            "chargingws",
            "topup_order",
            true,
            Box::new(move |n| {
                c9.topup_order(&TopupOrderRequest::new(
                    "vinatt",
                    10_000,
                    "0912345671",
                    format!("m-top-{n}"),
                ))
                .map(drop)
            }),
        ),
        (
            "chargingws",
            "topup_status",
            false,
            Box::new(move |n| {
                c10.topup_status(&TopupStatusRequest::new(format!("m-top-{n}")))
                    .map(drop)
            }),
        ),
        (
            "chargingws",
            "topup_products",
            false,
            Box::new(move |_| c11.topup_products().map(drop)),
        ),
        (
            "opencard",
            "charge",
            true,
            Box::new(move |n| {
                let serial = format!("{:014}", 10_000_000_000_000 + n);
                opencard
                    .charge(&OpenCardRequest::new(
                        "VIETTEL",
                        "123456789012340",
                        serial,
                        10_000,
                    ))
                    .map(drop)
            }),
        ),
        (
            "appotapay",
            "buy_cards",
            true,
            Box::new(move |n| {
                a1.buy_cards(&BuyRequest::default().with(|o| {
                    o.partner_ref_id = format!("m-{n}");
                    o.product_code = "AC10".into();
                    o.quantity = 1;
                }))
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
            "appotapay",
            "mobile_topup",
            true,
            Box::new(move |n| {
                a5.mobile_topup(&MobileTopupRequest::new(
                    format!("m-tu-{n}"),
                    "0912345678",
                    "viettel_10",
                ))
                .map(drop)
            }),
        ),
        (
            "appotapay",
            "topup_transaction",
            false,
            Box::new(move |n| a6.topup_transaction(&format!("m-tu-{n}")).map(drop)),
        ),
        (
            "appotapay",
            "data_packages",
            false,
            Box::new(move |_| {
                a7.data_packages(&DataPackagesRequest::new("0912345678"))
                    .map(drop)
            }),
        ),
        (
            "appotapay",
            "bank_transfer",
            true,
            Box::new(move |n| {
                a8.bank_transfer(&BankTransferRequest::new(
                    format!("m-bt-{n}"),
                    "TPBANK",
                    "0123456789",
                    "NGUYEN VAN A",
                    10_000,
                    FeeType::Payer,
                    "matrix",
                ))
                .map(drop)
            }),
        ),
        (
            "appotapay",
            "transfer_transaction",
            false,
            Box::new(move |n| a9.transfer_transaction(&format!("m-bt-{n}")).map(drop)),
        ),
        (
            "appotapay",
            "bank_account_info",
            false,
            Box::new(move |_| {
                a10.bank_account_info(&BankAccountRequest::new("TPBANK", "0123456789"))
                    .map(drop)
            }),
        ),
        (
            "esms",
            "login",
            false,
            Box::new(move |_| l1.login().map(drop)),
        ),
        (
            "esms",
            "generate_api_token",
            false,
            Box::new(move |_| {
                l2.generate_api_token(&vngate::Secret::new("an-access-token"))
                    .map(drop)
            }),
        ),
        (
            "esms",
            "disburse",
            true,
            Box::new(move |n| {
                e1.disburse(&DisburseRequest::new(
                    10_000,
                    Channel::Momo,
                    "0912345671",
                    format!("m-{n}"),
                    "matrix",
                ))
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
                t1.topup(&TopupRequest::new("0912345671", 10_000).with(|o| {
                    o.client_trans_id = Some(format!("m-{n}"));
                }))
                .map(drop)
            }),
        ),
        (
            "topup",
            "recheck",
            false,
            Box::new(move |n| {
                t2.recheck(&RecheckRequest::by_client_trans_id(format!("m-{n}")))
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
    // The money column is the registry's, and every network operation is in the matrix.
    for (provider, op, money, _) in &ops {
        let entry = vngate::registry::find(provider, op).expect("a registered operation");
        assert_eq!(*money, entry.moves_money(), "{provider} {op}");
    }
    let network = vngate::registry::OPERATIONS
        .iter()
        .filter(|op| op.kind != vngate::registry::Kind::Local)
        .count();
    assert_eq!(
        ops.len(),
        network,
        "every network operation is in the matrix"
    );
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
