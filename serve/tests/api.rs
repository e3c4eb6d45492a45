//! `vngate serve`'s API against the simulator: every operation of the registry through HTTP,
//! the token, bad input, the limits, an unknown outcome, the OpenAPI document.

use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use vngate::registry::{self, Kind};
use vngate_serve::{Account, Server};
use vngate_sim::{CallbackSink, Callbacks, FaultMode, Faults, Sim};

mod common;

use common::{
    OLD_TOKEN, TOKEN, agent, front, get, options, post, post_as, records, start, start_with,
    temp_dir,
};

/// The operation's example with its reference made unique by `n`.
fn fresh(op: &registry::Operation, n: u64) -> String {
    let mut request: Value = serde_json::from_str(op.example.unwrap()).unwrap();
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
            format!("{reference}-g{n}")
        };
    }
    request.to_string()
}

fn keys(value: &Value) -> BTreeSet<String> {
    value
        .as_object()
        .map(|map| map.keys().cloned().collect())
        .unwrap_or_default()
}

/// Every operation of the registry, by its name, through HTTP. Network operations send their
/// declared example: read-only ones answer what a direct call answers (its shape: tokens and
/// times differ), money ones are sent once, journaled, and the same reference again is not
/// resent. Local ones (callbacks, decryption) answer what a direct call answers, byte for
/// byte, for the same input.
#[test]
fn every_operation_is_served() {
    let sim = Sim::start();
    let gateway = start(&sim);
    let dir = temp_dir();
    let mut served = BTreeSet::new();
    for (n, op) in registry::OPERATIONS.iter().enumerate() {
        let url = format!("{}/v1/{}/{}", gateway.url, op.provider, op.name);
        let direct = front(&sim, op.provider, &dir.0);
        if op.kind == Kind::Local {
            let input = if op.request == "RawCallback" {
                json!({"data": "status=1&order_id=x"})
            } else if op.request == "DecryptCodeRequest" {
                json!({"code": "bm90IGEgY29kZQ=="})
            } else {
                json!({"data": "{\"status\":1,\"sign\":\"0\"}"})
            };
            let (status, answer) = post(&url, &input.to_string());
            let expected = match direct.call(op.name, &input.to_string()) {
                Ok(result) => (200, serde_json::from_str::<Value>(&result).unwrap()),
                Err(error) => (vngate_serve::status_of(error.kind()), error.to_json()),
            };
            assert_eq!((status, answer), expected, "{} {}", op.provider, op.name);
        } else if let Some(money) = op.money {
            let request = fresh(op, 1000 + n as u64);
            let reference: Value =
                serde_json::from_str::<Value>(&request).unwrap()[money.reference_field].clone();
            let sent_before = sim.money_log().len();
            let (status, answer) = post(&url, &request);
            assert_eq!(status, 200, "{} {}: {answer}", op.provider, op.name);
            assert_eq!(
                sim.money_log().len(),
                sent_before + 1,
                "{} {}",
                op.provider,
                op.name
            );
            // The same reference again: answered (by the resolving call), never resent.
            let (status, again) = post(&url, &request);
            assert_eq!(status, 200, "{} {} again: {again}", op.provider, op.name);
            assert_eq!(
                sim.money_log().len(),
                sent_before + 1,
                "{} {} resent",
                op.provider,
                op.name
            );
            let journaled = records(&gateway).into_iter().any(|r| {
                r["provider"] == op.provider
                    && r["operation"] == op.name
                    && Some(r["reference"].as_str().unwrap()) == reference.as_str()
            });
            assert!(
                journaled,
                "{} {} is not in the journal",
                op.provider, op.name
            );
        } else {
            let request = fresh(op, 1000 + n as u64);
            let (status, answer) = post(&url, &request);
            assert_eq!(status, 200, "{} {}: {answer}", op.provider, op.name);
            let direct: Value =
                serde_json::from_str(&direct.call(op.name, &request).unwrap()).unwrap();
            assert_eq!(keys(&answer), keys(&direct), "{} {}", op.provider, op.name);
        }
        served.insert(format!("/v1/{}/{}", op.provider, op.name));
    }
    assert_eq!(served.len(), registry::OPERATIONS.len());
    // The OpenAPI document describes exactly these operations (and the journal's paths).
    let (_, openapi) = get(&format!("{}/v1/openapi.json", gateway.url));
    let described: BTreeSet<String> = keys(&openapi["paths"])
        .into_iter()
        .filter(|path| {
            let parts: Vec<&str> = path.split('/').collect();
            parts.len() == 4 && vngate::api::PROVIDERS.contains(&parts[2]) && parts[3] != "settle"
        })
        .collect();
    assert_eq!(described, served);
}

/// A callback through the gateway: a charge made through it, the simulator's callback for it
/// posted back to `parse_callback` with the stored card, verified and settled in the journal.
#[test]
fn a_callback_settles_the_charge_it_names() {
    let sim = Sim::start();
    let sink = CallbackSink::start();
    sim.set_callbacks(Callbacks {
        chargingws_url: Some(sink.url()),
        delay_ms: 50,
        ..Callbacks::default()
    });
    let gateway = start(&sim);
    let card = json!({"telco": "VIETTEL", "code": "312345678901231", "serial": "20000000000001",
                      "amount": 10000, "request_id": "cb-1"});
    let (status, answer) = post(
        &format!("{}/v1/chargingws/charge", gateway.url),
        &card.to_string(),
    );
    assert_eq!(status, 200, "{answer}");
    let callback = sink.recv(Duration::from_secs(10)).expect("a callback");
    let input = json!({"data": String::from_utf8_lossy(callback.data()), "expected": card});
    let (status, verified) = post(
        &format!("{}/v1/chargingws/parse_callback", gateway.url),
        &input.to_string(),
    );
    assert_eq!(status, 200, "{verified}");
    let (status, settlement) = post(
        &format!("{}/v1/chargingws/settle", gateway.url),
        r#"{"reference": "cb-1"}"#,
    );
    assert_eq!(status, 200, "{settlement}");
    assert!(
        ["succeeded", "failed"].contains(&settlement["state"].as_str().unwrap_or_default()),
        "{settlement}"
    );
    // Matched against another card: refused.
    let tampered = input
        .to_string()
        .replace("20000000000001", "20000000000009");
    let (status, refused) = post(
        &format!("{}/v1/chargingws/parse_callback", gateway.url),
        &tampered,
    );
    assert_eq!(status, 422, "{refused}");
}

#[test]
fn no_token_no_call() {
    let sim = Sim::start();
    let gateway = start(&sim);
    let url = format!("{}/v1/topup/balance", gateway.url);
    let before = sim.requests();
    for token in [
        None,
        Some("wrong-token-0123456789abcdef"),
        Some(""),
        Some(&TOKEN[..TOKEN.len() - 1]),
    ] {
        let (status, answer) = post_as(&url, token, "{}");
        assert_eq!(status, 401, "{token:?}");
        assert_eq!(answer["kind"], "unauthorized");
    }
    // Not `Bearer`: refused too.
    let mut response = agent()
        .post(&url)
        .header("authorization", &format!("Basic {TOKEN}"))
        .send("{}")
        .unwrap();
    assert_eq!(response.status().as_u16(), 401);
    let _ = response.body_mut().read_to_string();
    assert_eq!(
        sim.requests(),
        before,
        "a refused request reached the provider"
    );
    // Both configured tokens open it (one being rotated out).
    assert_eq!(post_as(&url, Some(OLD_TOKEN), "{}").0, 200);
    assert_eq!(post_as(&url, Some(TOKEN), "{}").0, 200);
    // The health check and the API's description need none.
    let mut health = agent()
        .get(&format!("{}/health", gateway.url))
        .call()
        .unwrap();
    assert_eq!(health.status().as_u16(), 200);
    let _ = health.body_mut().read_to_string();
}

#[test]
fn bad_input_names_the_field_and_sends_nothing() {
    let sim = Sim::start();
    let gateway = start(&sim);
    let charge = format!("{}/v1/chargingws/charge", gateway.url);
    let before = sim.requests();
    for (body, field) in [
        (
            r#"{"telco": "VIETTEL", "code": "312345678901234", "serial": "20000000000001", "amount": 10000}"#,
            "request_id",
        ),
        (
            r#"{"telco": "VIETTEL", "code": "312345678901234", "serial": "20000000000001", "amount": -5, "request_id": "bad-1"}"#,
            "amount",
        ),
        ("not json", "request"),
        ("[1, 2]", "request"),
        ("\"text\"", "request"),
    ] {
        let (status, answer) = post(&charge, body);
        assert_eq!(status, 400, "{body}: {answer}");
        assert_eq!(answer["kind"], "invalid_input", "{body}");
        assert!(
            answer["field"].as_str().unwrap_or_default().contains(field),
            "{body}: {answer}"
        );
    }
    assert_eq!(sim.requests(), before, "bad input reached the provider");
    assert!(
        records(&gateway).iter().all(|r| r["state"] == "not_sent"),
        "{:?}",
        records(&gateway)
    );
    // Unknown places: 404 with what exists; a GET where a POST belongs: 405.
    for path in [
        "/v1/nosuch/charge",
        "/v1/chargingws/nosuch",
        "/v1/chargingws/charge?account=nosuch",
        "/nothing",
    ] {
        let (status, answer) = post(&format!("{}{path}", gateway.url), "{}");
        assert_eq!(status, 404, "{path}: {answer}");
        assert_eq!(answer["kind"], "not_found", "{path}");
    }
    let (status, _) = get(&charge);
    assert_eq!(status, 405);
    let (status, answer) = get(&format!("{}/v1/journal/records?state=nosuch", gateway.url));
    assert_eq!((status, answer["field"].as_str()), (400, Some("state")));
    assert_eq!(sim.requests(), before);
}

/// A money call whose reply never comes: 504 with the reference and the resolving call; the
/// same request again is answered by the resolving call, never sent twice.
#[test]
fn an_unknown_outcome_is_said_and_resolved_not_resent() {
    let sim = Sim::start();
    let gateway = start(&sim);
    let url = format!("{}/v1/esms/disburse", gateway.url);
    let op = registry::find("esms", "disburse").unwrap();
    let request = fresh(op, 7);
    let reference = serde_json::from_str::<Value>(&request).unwrap()["order_id"].clone();
    sim.set_faults(Faults {
        mode: FaultMode::Drop,
        latency_ms: 0,
    });
    let (status, answer) = post(&url, &request);
    assert_eq!(status, 504, "{answer}");
    assert_eq!(answer["kind"], "outcome_unknown");
    assert_eq!(answer["reference"], reference);
    assert!(
        answer["next_step"].as_str().unwrap().contains("query"),
        "{answer}"
    );
    assert_eq!(sim.money_log().len(), 1);
    sim.set_faults(Faults::default());
    let (status, answer) = post(&url, &request);
    assert_eq!(status, 200, "{answer}");
    assert_eq!(sim.money_log().len(), 1, "resent");
}

#[test]
fn oversized_slow_and_idle_clients_cannot_hold_it() {
    let sim = Sim::start();
    let mut options = options();
    options.max_body_bytes = 1024;
    options.read_timeout = Duration::from_secs(1);
    let gateway = start_with(&sim, options);
    let url = format!("{}/v1/topup/balance", gateway.url);
    let big = format!("{{\"pad\": \"{}\"}}", "x".repeat(4096));
    let (status, answer) = post(&url, &big);
    assert_eq!(
        (status, answer["kind"].as_str()),
        (413, Some("payload_too_large"))
    );
    let addr = gateway.server.addr();
    // Chunked, with no length to refuse up front: cut at the limit. The server may answer 413
    // and close while chunks are still coming (the client then sees a reset, not the answer);
    // either way nothing reaches the provider.
    let before = sim.requests();
    let mut stream = TcpStream::connect(addr).unwrap();
    let _ = write!(
        stream,
        "POST /v1/topup/balance HTTP/1.1\r\nhost: x\r\nauthorization: Bearer {TOKEN}\r\ntransfer-encoding: chunked\r\n\r\n"
    );
    for _ in 0..8 {
        let _ = write!(stream, "200\r\n{}\r\n", "y".repeat(0x200));
    }
    let head = read_head(&mut stream);
    assert!(
        head.is_empty() || head.starts_with("HTTP/1.1 413"),
        "{head}"
    );
    assert_eq!(
        sim.requests(),
        before,
        "an oversized body reached the provider"
    );
    // Idle connections and ones that send half a head: closed after read_timeout, and a
    // real request is served meanwhile.
    let idle: Vec<TcpStream> = (0..50).map(|_| TcpStream::connect(addr).unwrap()).collect();
    let mut slow = TcpStream::connect(addr).unwrap();
    slow.write_all(b"POST /v1/topup/balance HTTP/1.1\r\nhost: x\r\n")
        .unwrap();
    assert_eq!(post(&url, "{}").0, 200);
    let started = Instant::now();
    slow.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut rest = Vec::new();
    let _ = slow.read_to_end(&mut rest);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "a slow head held the connection"
    );
    // A body that stops half-way: 408 after read_timeout.
    let mut stalled = TcpStream::connect(addr).unwrap();
    write!(
        stalled,
        "POST /v1/topup/balance HTTP/1.1\r\nhost: x\r\nauthorization: Bearer {TOKEN}\r\ncontent-length: 100\r\n\r\n{{\"a\":"
    )
    .unwrap();
    let head = read_head(&mut stalled);
    assert!(head.starts_with("HTTP/1.1 408"), "{head}");
    drop(idle);
}

fn read_head(stream: &mut TcpStream) -> String {
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut buf = vec![0u8; 4096];
    let mut got = Vec::new();
    while !got.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => got.extend_from_slice(&buf[..n]),
        }
    }
    String::from_utf8_lossy(&got).into_owned()
}

#[test]
fn it_refuses_to_start_open_to_all_or_without_a_token() {
    let sim = Sim::start();
    let dir = temp_dir();
    let accounts = || {
        vec![Account {
            provider: "topup".into(),
            name: "default".into(),
            front: front(&sim, "topup", &dir.0),
        }]
    };
    let mut no_token = options();
    no_token.tokens.clear();
    assert!(
        Server::start(accounts(), no_token)
            .unwrap_err()
            .contains("token")
    );
    let mut public = options();
    public.listen = "0.0.0.0:0".parse().unwrap();
    assert!(
        Server::start(accounts(), public.clone())
            .unwrap_err()
            .contains("loopback")
    );
    public.public = true;
    Server::start(accounts(), public).unwrap().stop();
}

/// Every `$ref` of the OpenAPI document resolves (`schema/openapi.json`, the same document,
/// is kept current by the generator's test).
#[test]
fn every_reference_of_the_openapi_document_resolves() {
    let document = vngate_serve::openapi();
    let mut unresolved = Vec::new();
    check_refs(&document, &document, &mut unresolved);
    assert!(unresolved.is_empty(), "{unresolved:?}");
}

fn check_refs(value: &Value, root: &Value, unresolved: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, field) in map {
                if key == "$ref" {
                    let target = field.as_str().unwrap_or_default();
                    let pointer = target.trim_start_matches('#');
                    if root.pointer(pointer).is_none() {
                        unresolved.push(target.to_owned());
                    }
                } else {
                    check_refs(field, root, unresolved);
                }
            }
        }
        Value::Array(items) => items
            .iter()
            .for_each(|item| check_refs(item, root, unresolved)),
        _ => {}
    }
}

/// The ops page: signed out, sent to sign in; a token signs a browser in (an `HttpOnly`,
/// `SameSite=Strict` cookie); the reconcile button needs the session's CSRF token.
#[test]
fn the_ops_page_needs_a_session_and_its_form_token() {
    let sim = Sim::start();
    let gateway = start(&sim);
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .build()
        .into();
    let mut response = agent.get(&format!("{}/ops", gateway.url)).call().unwrap();
    assert_eq!(response.status().as_u16(), 303);
    assert_eq!(response.headers()["location"], "/ops/login");
    let _ = response.body_mut().read_to_string();
    let mut response = agent
        .post(&format!("{}/ops/login", gateway.url))
        .header("content-type", "application/x-www-form-urlencoded")
        .send(format!("token={TOKEN}"))
        .unwrap();
    assert_eq!(response.status().as_u16(), 303);
    let cookie = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    let _ = response.body_mut().read_to_string();
    let session = cookie.split(';').next().unwrap().to_owned();
    let mut response = agent
        .get(&format!("{}/ops", gateway.url))
        .header("cookie", &session)
        .call()
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let page = response.body_mut().read_to_string().unwrap();
    let csrf = page
        .split("name=csrf value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_owned();
    let reconcile = |form: &str| {
        let mut response = agent
            .post(&format!("{}/ops/reconcile", gateway.url))
            .header("cookie", &session)
            .header("content-type", "application/x-www-form-urlencoded")
            .send(form.to_owned())
            .unwrap();
        let _ = response.body_mut().read_to_string();
        response.status().as_u16()
    };
    assert_eq!(reconcile("csrf=forged"), 403);
    assert_eq!(reconcile(""), 403);
    assert_eq!(reconcile(&format!("csrf={csrf}")), 200);
    // A wrong token signs nobody in.
    let mut response = agent
        .post(&format!("{}/ops/login", gateway.url))
        .send("token=wrong-token-wrong-token".to_owned())
        .unwrap();
    assert_eq!(response.status().as_u16(), 401);
    assert!(response.headers().get("set-cookie").is_none());
    let _ = response.body_mut().read_to_string();
}
