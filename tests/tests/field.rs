//! The field in the lab: the simulator keeps connections alive (as real servers do) and
//! misbehaves the way pooled connections go wrong in production: a stray reply left on a
//! connection, a server closing an idle connection as it is reused, an answer that arrives after
//! the client gave up. Every money-moving operation of the five providers is driven through
//! `vngate::api` under each; a result that is not the caller's own is counted as misattributed.
//!
//! Run with `--nocapture` to see the figures.

use std::collections::HashSet;
use std::time::Duration;

use serde_json::{Value, json};
use vngate::Error;
use vngate::api::Client;
use vngate_sim::sim::{
    APPOTAPAY_OAEP, CHARGINGWS_S1, ESMS_API_TOKEN, ESMS_SECRET_KEY, OPENCARD_KSORT,
    PARTNER_KEY_PEM, TOPUP_SHA256,
};
use vngate_sim::{FaultMode, Faults, Sim};

/// A money-moving operation: its client, its request for the n-th call, and what in its result
/// identifies the transaction it belongs to.
struct MoneyOp {
    provider: &'static str,
    operation: &'static str,
    client: Client,
    request: fn(u64) -> Value,
    /// The result field where the provider echoes the caller's reference (`f-{n}`), if it does.
    echoed: Option<&'static str>,
    /// The provider's own id for the transaction: a fresh one per call.
    identity: fn(&Value) -> Option<String>,
}

fn text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn money_ops(sim: &Sim, extra: &Value) -> Vec<MoneyOp> {
    let url = sim.url();
    let config = |mut base: Value| {
        if let (Some(map), Some(extra)) = (base.as_object_mut(), extra.as_object()) {
            map.extend(extra.clone());
        }
        base.to_string()
    };
    let client = |provider: &str, base: Value| Client::new(provider, &config(base)).unwrap();
    vec![
        MoneyOp {
            provider: "chargingws",
            operation: "charge",
            client: client(
                "chargingws",
                json!({"base_url": url, "partner_id": CHARGINGWS_S1.partner_id, "partner_key": CHARGINGWS_S1.partner_key}),
            ),
            request: |n| json!({"telco": "VIETTEL", "code": "312821445892980", "serial": format!("{:014}", 10_000_000_000_000 + n), "amount": 10_000, "request_id": format!("f-{n}")}),
            echoed: Some("request_id"),
            identity: |r| text(&r["trans_id"]),
        },
        MoneyOp {
            provider: "opencard",
            operation: "charge",
            client: client(
                "opencard",
                json!({"base_url": url, "partner_id": OPENCARD_KSORT.partner_id, "partner_key": OPENCARD_KSORT.partner_key}),
            ),
            request: |n| json!({"telco": "VIETTEL", "code": "123456789012340", "serial": format!("{:014}", 20_000_000_000_000 + n), "amount": 10_000}),
            echoed: None,
            identity: |r| text(&r["request_id"]),
        },
        MoneyOp {
            provider: "appotapay",
            operation: "buy_cards",
            client: client(
                "appotapay",
                json!({"base_url": url, "partner_code": APPOTAPAY_OAEP.partner_code, "api_key": APPOTAPAY_OAEP.api_key, "secret_key": APPOTAPAY_OAEP.secret_key, "private_key_pem": PARTNER_KEY_PEM}),
            ),
            request: |n| json!({"partner_ref_id": format!("f-{n}"), "product_code": "AC10", "quantity": 1}),
            echoed: None,
            identity: |r| text(&r["appotapay_trans_id"]),
        },
        MoneyOp {
            provider: "esms",
            operation: "disburse",
            client: client(
                "esms",
                json!({"base_url": url, "api_token": ESMS_API_TOKEN, "secret_key": ESMS_SECRET_KEY}),
            ),
            request: |n| json!({"amount": 10_000, "channel": "momo", "phone": "0912345671", "order_id": format!("f-{n}"), "description": "field"}),
            echoed: Some("order_id"),
            identity: |r| text(&r["transaction_id"]),
        },
        MoneyOp {
            provider: "topup",
            operation: "topup",
            client: client(
                "topup",
                json!({"base_url": format!("{url}/apipayment"), "username": TOPUP_SHA256.username, "private_key": TOPUP_SHA256.private_key}),
            ),
            request: |n| json!({"phone": "0912345671", "amount": 10_000, "client_trans_id": format!("f-{n}")}),
            echoed: None,
            identity: |r| text(&r["id_transaction"]),
        },
    ]
}

/// What a run of calls came to.
#[derive(Debug, Default)]
struct Tally {
    own: u64,
    misattributed: u64,
    outcome_unknown: u64,
    other_errors: Vec<String>,
}

/// Makes `calls` sequential calls of `op` and sorts each result.
fn drive(op: &MoneyOp, first: u64, calls: u64, seen: &mut HashSet<String>) -> Tally {
    let mut tally = Tally::default();
    for n in first..first + calls {
        let request = (op.request)(n).to_string();
        match op.client.call(op.operation, &request) {
            Ok(result) => {
                let result: Value = serde_json::from_str(&result).unwrap();
                let echo_ok = op
                    .echoed
                    .is_none_or(|field| text(&result[field]) == Some(format!("f-{n}")));
                let fresh = (op.identity)(&result).is_some_and(|id| seen.insert(id));
                if echo_ok && fresh {
                    tally.own += 1;
                } else {
                    tally.misattributed += 1;
                }
            }
            Err(Error::OutcomeUnknown { .. }) => tally.outcome_unknown += 1,
            Err(other) => tally.other_errors.push(other.to_string()),
        }
    }
    tally
}

const CALLS: u64 = 6;

/// Runs `CALLS` calls of every money-moving operation against a simulator with `mode` on;
/// returns each operation with its tally and how many of its requests the simulator handled.
fn under_fault(
    mode: FaultMode,
    extra: &serde_json::Value,
    label: &str,
) -> Vec<(MoneyOp, Tally, u64)> {
    let sim = Sim::start();
    sim.set_faults(Faults {
        mode,
        latency_ms: 0,
    });
    let mut n = 0;
    let mut results = Vec::new();
    for op in money_ops(&sim, extra) {
        let before = sim.requests();
        let tally = drive(&op, n, CALLS, &mut HashSet::new());
        n += CALLS;
        println!("{label:13} {}/{}: {tally:?}", op.provider, op.operation);
        let handled = sim.requests() - before;
        results.push((op, tally, handled));
    }
    results
}

#[test]
fn a_stray_reply_on_a_connection_is_never_read_as_a_money_call_answer() {
    for (op, tally, _) in under_fault(FaultMode::StrayReply, &json!({}), "stray reply") {
        assert_eq!(tally.misattributed, 0, "{}: {tally:?}", op.provider);
        assert_eq!(tally.own, CALLS, "{}: {tally:?}", op.provider);
    }
}

/// The control: with connections reused for money calls (the documented trade-off), the same
/// fault does misattribute replies, so the test above can fail and the fault is real.
/// Providers that echo the caller's reference turn it into "outcome unknown" instead.
#[test]
fn with_pooled_money_calls_the_stray_reply_is_caught_only_where_the_provider_echoes() {
    let reuse = json!({"reuse_connections_for_money": true});
    for (op, tally, _) in under_fault(FaultMode::StrayReply, &reuse, "stray, pooled") {
        if op.echoed.is_some() {
            assert_eq!(tally.misattributed, 0, "{}: {tally:?}", op.provider);
            assert!(tally.outcome_unknown > 0, "{}: {tally:?}", op.provider);
        } else {
            assert!(tally.misattributed > 0, "{}: {tally:?}", op.provider);
        }
    }
}

#[test]
fn a_server_closing_an_idle_connection_never_makes_an_unsent_money_call_unknown() {
    for (op, tally, handled) in under_fault(FaultMode::IdleClose, &json!({}), "idle close") {
        assert_eq!(tally.own, CALLS, "{}: {tally:?}", op.provider);
        assert_eq!(handled, CALLS, "every call was handled");
    }
}

#[test]
fn a_late_reply_is_outcome_unknown_and_never_the_next_calls_answer() {
    let sim = Sim::start();
    let mut n = 3_000;
    for op in money_ops(&sim, &json!({"timeout_ms": 300})) {
        sim.set_faults(Faults {
            mode: FaultMode::LateReply,
            latency_ms: 700,
        });
        let late = drive(&op, n, 1, &mut HashSet::new());
        assert_eq!(late.outcome_unknown, 1, "{}: {late:?}", op.provider);
        sim.set_faults(Faults::default());
        // Let the late answer reach the client's side of the connection before the next call.
        std::thread::sleep(Duration::from_millis(500));
        let tally = drive(&op, n + 1, CALLS, &mut HashSet::new());
        n += CALLS + 1;
        println!("late reply    {}/{}: {tally:?}", op.provider, op.operation);
        assert_eq!(tally.misattributed, 0, "{}: {tally:?}", op.provider);
        assert_eq!(tally.own, CALLS, "{}: {tally:?}", op.provider);
    }
}

#[test]
fn read_only_calls_share_pooled_connections_and_money_calls_do_not() {
    let sim = Sim::start();
    let client = Client::new(
        "chargingws",
        &json!({"base_url": sim.url(), "partner_id": CHARGINGWS_S1.partner_id, "partner_key": CHARGINGWS_S1.partner_key}).to_string(),
    )
    .unwrap();
    for _ in 0..20 {
        client.call("fees", "{}").unwrap();
    }
    let (requests, connections) = (sim.requests(), sim.connections());
    println!("read-only: {requests} requests over {connections} connection(s)");
    assert_eq!(requests, 20);
    assert!(
        connections <= 2,
        "the pool is used: {connections} connections"
    );
    for n in 0..5 {
        let card = json!({"telco": "VIETTEL", "code": "312821445892980", "serial": "10004783347874", "amount": 10_000, "request_id": format!("p-{n}")});
        client.call("charge", &card.to_string()).unwrap();
    }
    let money_connections = sim.connections() - connections;
    println!("money: 5 requests over {money_connections} connection(s)");
    assert_eq!(
        money_connections, 5,
        "each money call has a connection of its own"
    );
    // And says so, so that the server closes it once it has answered; pooled ones do not.
    assert_eq!(
        sim.closing_requests(),
        5,
        "money calls ask for Connection: close"
    );
}

/// A client built per request (php-fpm, a web handler that makes its client inside) finds the
/// connection an earlier client with the same configuration left idle; a client with another
/// configuration (here another timeout) has agents of its own.
#[test]
fn clients_built_alike_share_the_pool_and_others_do_not() {
    let sim = Sim::start();
    let config = |timeout_ms: u64| {
        json!({"base_url": sim.url(), "partner_id": CHARGINGWS_S1.partner_id,
            "partner_key": CHARGINGWS_S1.partner_key, "timeout_ms": timeout_ms})
        .to_string()
    };
    for _ in 0..10 {
        let per_request = Client::new("chargingws", &config(30_000)).unwrap();
        per_request.call("fees", "{}").unwrap();
    }
    assert_eq!(sim.requests(), 10);
    // One; two if another test of this binary was building a client at the same moment (that
    // client then gets agents of its own rather than wait).
    let alike = sim.connections();
    assert!(alike <= 2, "ten clients built alike, {alike} connections");
    Client::new("chargingws", &config(29_000))
        .unwrap()
        .call("fees", "{}")
        .unwrap();
    assert_eq!(
        sim.connections(),
        alike + 1,
        "another configuration, another pool"
    );
}

/// A signed body must mean one thing to every reader: repeated keys (JSON or query) and keys
/// PHP would rewrite (`status[]`, `request.id`) are refused, by every callback parser.
#[test]
fn callbacks_that_read_two_ways_are_refused() {
    let key = "partner_key_example";
    let cws = Client::new(
        "chargingws",
        &json!({"base_url": "https://thesieure.com", "partner_id": "1", "partner_key": key})
            .to_string(),
    )
    .unwrap();
    let get = "status=1&message=ok&request_id=989876&declared_value=50000&value=50000&amount=25000&code=314688440422676&serial=10003395125761&telco=VIETTEL&trans_id=1&callback_sign=3d0180dc59bc96342b39ea41006a1d40";
    cws.parse_callback(get.as_bytes()).unwrap();
    let post = r#"{"status":3,"message":"x","request_id":"989876","declared_value":50000,"value":0,"amount":0,"code":"314688440422676","serial":"10003395125761","telco":"VIETTEL","trans_id":1,"callback_sign":"3d0180dc59bc96342b39ea41006a1d40"}"#;
    cws.parse_callback(post.as_bytes()).unwrap();
    let opencard = Client::new(
        "opencard",
        &json!({"partner_id": "1", "partner_key": "ockey"}).to_string(),
    )
    .unwrap();
    let hook = r#"{"request_id":"385672323","trans_id":"10895648","telco":"VIETTEL","declared_value":10000,"status":3,"message":"CARD_INVALID","amount":0,"actual_amount":8600,"notified_at":"2025-11-16 06:02:35","sign":"42c114fba679c95505709bb4856ba52f"}"#;
    opencard.parse_callback(hook.as_bytes()).unwrap();
    let esms = Client::new(
        "esms",
        &json!({"api_token": "t", "secret_key": "k"}).to_string(),
    )
    .unwrap();
    let payout = r#"{"orderId":"o-1","status":-1,"amount":10000,"message":"x"}"#;
    esms.parse_callback(payout.as_bytes()).unwrap();

    let cases: Vec<(&Client, String)> = vec![
        (
            &cws,
            post.replace(r#""status":3,"#, r#""status":3,"status":1,"#),
        ),
        (&cws, format!("{get}&status=2")),
        (&cws, get.replace("status=1", "status%5B%5D=1&status=1")),
        (&cws, get.replace("request_id=", "request.id=1&request_id=")),
        (&cws, get.replace("message=ok", "message=ok&request+id=2")),
        (
            &opencard,
            hook.replace(r#""status":3,"#, r#""status":3,"status":1,"#),
        ),
        (
            &opencard,
            hook.replace(r#""amount":0,"#, r#""amount":0,"amount[]":1,"#),
        ),
        (
            &esms,
            payout.replace(r#""status":-1,"#, r#""status":-1,"status":3,"#),
        ),
    ];
    for (client, body) in cases {
        match client.parse_callback(body.as_bytes()) {
            Err(Error::BadReply { reason, .. }) => {
                assert!(
                    reason.contains("twice")
                        || reason.contains("repeats")
                        || reason.contains("ambiguous"),
                    "{body}: {reason}"
                );
            }
            other => panic!("{body}: {other:?}"),
        }
    }
}

/// One client shared by 16 threads (a worker's thread pool): read-only calls reuse the pool
/// instead of opening connections whenever threads finish together.
#[test]
fn sixteen_threads_sharing_a_client_reuse_the_pool() {
    let connections = |idle: Option<usize>| {
        let sim = Sim::start();
        let mut config = json!({"base_url": sim.url(), "partner_id": CHARGINGWS_S1.partner_id, "partner_key": CHARGINGWS_S1.partner_key});
        if let Some(idle) = idle {
            config["max_idle_connections_per_host"] = json!(idle);
        }
        let client = std::sync::Arc::new(Client::new("chargingws", &config.to_string()).unwrap());
        let threads: Vec<_> = (0..16)
            .map(|_| {
                let client = std::sync::Arc::clone(&client);
                std::thread::spawn(move || {
                    for _ in 0..20 {
                        client.call("fees", "{}").unwrap();
                    }
                })
            })
            .collect();
        for thread in threads {
            thread.join().unwrap();
        }
        assert_eq!(sim.requests(), 320);
        sim.connections()
    };
    let (three, default) = (connections(Some(3)), connections(None));
    println!(
        "16 threads x 20 read-only calls: {three} connections with 3 idle per host, {default} with the default 16"
    );
    assert!(default <= 20, "{default} connections for 16 threads");
}

/// What the Python front does on its main thread: a check asked while the call waits ends a
/// hung call at once (a signal handler that raised), with the money call's reference.
#[test]
fn an_interrupt_check_ends_a_hung_call_at_once() {
    let sim = Sim::start();
    sim.set_faults(Faults {
        mode: FaultMode::None,
        latency_ms: 20_000,
    });
    let client = Client::new(
        "chargingws",
        &json!({"base_url": sim.url(), "partner_id": CHARGINGWS_S1.partner_id, "partner_key": CHARGINGWS_S1.partner_key}).to_string(),
    )
    .unwrap();
    let card = json!({"telco": "VIETTEL", "code": "312821445892980", "serial": "10004783347874", "amount": 10_000, "request_id": "int-1"});
    let started = std::time::Instant::now();
    let stop_after =
        |after: Duration| -> Box<dyn Fn() -> bool> { Box::new(move || started.elapsed() >= after) };
    let charged = vngate::interrupt::with_check(stop_after(Duration::from_millis(300)), || {
        client.call("charge", &card.to_string())
    });
    let waited = started.elapsed();
    println!("interrupted charge after {waited:?}: {charged:?}");
    assert!(waited < Duration::from_secs(2), "{waited:?}");
    match charged {
        Err(Error::OutcomeUnknown {
            reference, reason, ..
        }) => {
            assert_eq!(reference, "int-1");
            assert!(reason.contains("interrupted"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    let started = std::time::Instant::now();
    let fees = vngate::interrupt::with_check(
        Box::new(move || started.elapsed() >= Duration::from_millis(300)),
        || client.call("fees", "{}"),
    );
    assert!(started.elapsed() < Duration::from_secs(2));
    assert!(
        matches!(&fees, Err(Error::Transport { reason }) if reason.contains("interrupted")),
        "{fees:?}"
    );
    // Without a check the same client waits for its reply as before (the fault lifted).
    sim.set_faults(Faults::default());
    client.call("fees", "{}").unwrap();
}

/// vngate's connections keep buffers of a few KiB (not 128 KiB each, zeroed for every money
/// call's new connection): a reply head too big for them is refused at once, never read in
/// part, and for a money call that reached the server it is "outcome unknown".
#[test]
fn a_reply_head_over_32_kib_is_refused_and_a_money_call_is_unknown() {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut stream = stream;
            let mut request = [0u8; 4096];
            let _ = stream.read(&mut request);
            let padding = "x".repeat(40 * 1024);
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nX-Padding: {padding}\r\nContent-Length: 2\r\n\r\n{{}}"
            );
            // Kept open: the client must give up by itself, not because the server closed.
            std::thread::spawn(move || {
                std::thread::sleep(Duration::from_secs(10));
                drop(stream);
            });
        }
    });
    let client = Client::new(
        "chargingws",
        &json!({"base_url": url, "partner_id": CHARGINGWS_S1.partner_id, "partner_key": CHARGINGWS_S1.partner_key, "timeout_ms": 5_000}).to_string(),
    )
    .unwrap();
    let card = json!({"telco": "VIETTEL", "code": "312821445892980", "serial": "10004783347874", "amount": 10_000, "request_id": "big-1"});
    let started = std::time::Instant::now();
    let charged = client.call("charge", &card.to_string());
    println!(
        "40 KiB reply head: {charged:?} after {:?}",
        started.elapsed()
    );
    assert!(
        matches!(&charged, Err(Error::OutcomeUnknown { reference, reason, .. })
            if reference == "big-1" && reason.contains("does not fit")),
        "{charged:?}"
    );
    let fees = client.call("fees", "{}");
    assert!(matches!(fees, Err(Error::Transport { .. })), "{fees:?}");
    assert!(started.elapsed() < Duration::from_secs(4));
}
