//! The callback relay end to end: the simulator's callbacks posted to the gateway's public
//! path, verified, settled, and delivered to an application that is down, then up, signed per
//! Standard Webhooks and checked here with an implementation of its own; forged callbacks kept
//! and never delivered; duplicates delivered once; polling and acknowledging.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine as _;
use hmac::{Hmac, KeyInit, Mac};
use serde_json::{Value, json};
use sha2::Sha256;
use vngate_serve::{RelayOptions, WebhookSecret};
use vngate_sim::server::{Reply, Server};
use vngate_sim::{Callbacks, Sim};

use common::{get, options, post, start_with};

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

/// What the application received: (webhook-id, body), every attempt it answered.
type Inbox = Arc<Mutex<Vec<(String, Value)>>>;

/// The application: checks every delivery's signature as Standard Webhooks says (HMAC-SHA256
/// over `id.timestamp.body` with the base64 secret after `whsec_`), and answers 200.
fn application(port: u16, inbox: Inbox) -> Server {
    let key = base64::engine::general_purpose::STANDARD
        .decode(SECRET.trim_start_matches("whsec_"))
        .unwrap();
    let handler = Arc::new(move |request: vngate_sim::server::Request| {
        let id = request.header("webhook-id").unwrap_or_default().to_owned();
        let timestamp = request.header("webhook-timestamp").unwrap_or_default();
        let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
        mac.update(format!("{id}.{timestamp}.").as_bytes());
        mac.update(&request.body);
        let expected = format!(
            "v1,{}",
            base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
        );
        let signed = request
            .header("webhook-signature")
            .is_some_and(|given| given.split(' ').any(|s| s == expected));
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let age = now.abs_diff(timestamp.parse::<u64>().unwrap_or(0));
        if !signed || age > 300 {
            return Reply::with_status(401, "text/plain", b"bad signature".to_vec());
        }
        let body: Value = serde_json::from_slice(&request.body).unwrap_or_default();
        inbox.lock().unwrap().push((id, body));
        Reply::json(&json!({"ok": true}))
    });
    Server::start(port, handler).unwrap()
}

fn wait_for(what: &str, timeout: Duration, mut done: impl FnMut() -> bool) {
    let started = Instant::now();
    while !done() {
        assert!(started.elapsed() < timeout, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn events(url: &str, state: &str) -> Vec<Value> {
    let (status, events) = get(&format!("{url}/v1/events?state={state}"));
    assert_eq!(status, 200, "{events}");
    events.as_array().unwrap().clone()
}

#[test]
#[allow(clippy::too_many_lines)] // one story: down, retried, up, delivered, checked
fn callbacks_are_kept_verified_settled_and_delivered_signed_once_the_app_is_up() {
    let sim = Sim::start();
    // The application's port, free: it is down until the test starts it there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut options = options();
    options.relay = RelayOptions {
        deliver_to: Some(format!("http://127.0.0.1:{port}/vngate")),
        secret: Some(WebhookSecret::parse(SECRET).unwrap()),
        retry_base: Duration::from_millis(100),
        retry_max: Duration::from_millis(400),
        timeout: Duration::from_secs(2),
        ..RelayOptions::default()
    };
    let gateway = start_with(&sim, options);
    sim.set_callbacks(Callbacks {
        chargingws_url: Some(format!("{}/callbacks/chargingws/default", gateway.url)),
        delay_ms: 50,
        ..Callbacks::default()
    });
    // Four cards: two succeed, one is a bad card, one stays pending (no callback).
    let cards: Vec<(String, &str)> = ["1", "1", "3", "0"]
        .iter()
        .enumerate()
        .map(|(n, last)| (format!("relay-{n}"), *last))
        .collect();
    for (reference, last) in &cards {
        let card = json!({"telco": "VIETTEL", "code": format!("31234567890123{last}"),
                          "serial": format!("2000000000000{}", reference.len()), "amount": 10000,
                          "request_id": reference});
        let (status, answer) = post(
            &format!("{}/v1/chargingws/charge", gateway.url),
            &card.to_string(),
        );
        assert_eq!(status, 200, "{answer}");
    }
    // Three callbacks arrive and verify; the app is down, so their events wait and retry.
    wait_for("three verified callbacks", Duration::from_secs(10), || {
        get(&format!("{}/v1/callbacks?verified=true", gateway.url))
            .1
            .as_array()
            .map_or(0, Vec::len)
            == 3
    });
    // A forged callback (a status the site never sent, signed with a wrong key), a tampered
    // one, and junk: refused, kept for inspection, never delivered.
    let forged = json!({"status": 1, "message": "OK", "request_id": "relay-3", "declared_value": 10000,
                        "value": 10000, "amount": 10000, "code": "312345678901230",
                        "serial": "200000000000007", "telco": "VIETTEL", "trans_id": 1,
                        "callback_sign": "0123456789abcdef0123456789abcdef"});
    for body in [forged.to_string(), "not a callback".to_owned()] {
        let mut response = common::agent()
            .post(&format!("{}/callbacks/chargingws/default", gateway.url))
            .header("content-type", "application/json")
            .send(body.as_bytes())
            .unwrap();
        assert!(response.status().as_u16() >= 400, "{body}");
        let _ = response.body_mut().read_to_string();
    }
    let (_, refused) = get(&format!("{}/v1/callbacks?verified=false", gateway.url));
    assert_eq!(refused.as_array().unwrap().len(), 2, "{refused}");
    assert!(
        !refused.to_string().contains("312345678901230"),
        "a refused callback's data is shown: {refused}"
    );
    // The stored callbacks never show a PIN either (their data is sealed).
    let (_, verified) = get(&format!("{}/v1/callbacks?verified=true", gateway.url));
    assert!(
        !verified.to_string().contains("31234567890123"),
        "{verified}"
    );
    wait_for(
        "attempts while the app is down",
        Duration::from_secs(10),
        || {
            events(&gateway.url, "pending")
                .iter()
                .all(|e| e["attempts"].as_i64().unwrap_or(0) >= 2)
        },
    );
    let pending = events(&gateway.url, "pending");
    // callback.verified for 3 callbacks, money.settled for their 3 records.
    assert_eq!(pending.len(), 6, "{pending:#?}");
    let retried = pending
        .iter()
        .map(|e| e["attempts"].as_i64().unwrap())
        .sum::<i64>();
    // The app comes up.
    let inbox: Inbox = Arc::default();
    let _app = application(port, inbox.clone());
    wait_for("every event delivered", Duration::from_secs(15), || {
        events(&gateway.url, "pending").is_empty()
    });
    let received = inbox.lock().unwrap().clone();
    let ids: BTreeSet<&str> = received.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(ids.len(), 6, "{received:#?}");
    let mut settled: BTreeMap<String, String> = BTreeMap::new();
    for (_, body) in &received {
        assert!(
            !body.to_string().contains("31234567890123"),
            "a PIN reached the app: {body}"
        );
        if body["type"] == "money.settled" {
            let reference = body["data"]["reference"].as_str().unwrap().to_owned();
            let state = body["data"]["state"].as_str().unwrap().to_owned();
            assert!(
                settled.insert(reference, state).is_none(),
                "settled twice: {received:#?}"
            );
        }
    }
    assert_eq!(
        settled.get("relay-0").map(String::as_str),
        Some("succeeded")
    );
    assert_eq!(
        settled.get("relay-1").map(String::as_str),
        Some("succeeded")
    );
    assert_eq!(settled.get("relay-2").map(String::as_str), Some("failed"));
    assert!(
        !settled.contains_key("relay-3"),
        "a pending card was settled"
    );
    // Every attempt is logged: the failed ones while the app was down, then the delivery.
    let first = &pending[0]["id"];
    let (_, event) = get(&format!(
        "{}/v1/events/{}",
        gateway.url,
        first.as_str().unwrap()
    ));
    let attempts = event["attempts"].as_array().unwrap();
    assert!(attempts.len() >= 3, "{event}");
    assert_eq!(attempts.last().unwrap()["status"], 200, "{event}");
    assert!(attempts[0]["error"].is_string(), "{event}");
    println!(
        "relay: callbacks received {}, verified 3, refused 2; events {} delivered, {} failed attempts while the app was down",
        3 + 2,
        ids.len(),
        retried
    );
    // A settle after delivery: nothing new for the app.
    let before = received.len();
    let (status, _) = post(
        &format!("{}/v1/chargingws/settle", gateway.url),
        r#"{"reference": "relay-0"}"#,
    );
    assert_eq!(status, 200);
    std::thread::sleep(Duration::from_millis(700));
    assert_eq!(
        inbox.lock().unwrap().len(),
        before,
        "a settled record was told twice"
    );
}

#[test]
fn without_a_url_the_app_polls_and_acknowledges() {
    let sim = Sim::start();
    let gateway = start_with(&sim, options());
    let request = r#"{"phone": "0912345671", "amount": 10000, "client_trans_id": "poll-1"}"#;
    let (status, answer) = post(&format!("{}/v1/topup/topup", gateway.url), request);
    assert_eq!(status, 200, "{answer}");
    // The top-up answered final: one money.settled event, waiting to be taken.
    let pending = events(&gateway.url, "pending");
    assert_eq!(pending.len(), 1, "{pending:#?}");
    let event: Value = serde_json::from_str(pending[0]["payload"].as_str().unwrap()).unwrap();
    assert_eq!(event["type"], "money.settled");
    assert_eq!(event["data"]["reference"], "poll-1");
    // The event took nothing from the application's own settle: its `first` is still there,
    // once.
    let settle = || {
        post(
            &format!("{}/v1/topup/settle", gateway.url),
            r#"{"reference": "poll-1"}"#,
        )
        .1
    };
    assert_eq!(settle()["first"], true);
    assert_eq!(settle()["first"], false);
    let id = pending[0]["id"].as_str().unwrap();
    let (status, ack) = post(&format!("{}/v1/events/{id}/ack", gateway.url), "");
    assert_eq!(
        (status, ack["acknowledged"].as_bool()),
        (200, Some(true)),
        "{ack}"
    );
    let (_, again) = post(&format!("{}/v1/events/{id}/ack", gateway.url), "");
    assert_eq!(again["acknowledged"], false);
    assert!(events(&gateway.url, "pending").is_empty());
    assert_eq!(events(&gateway.url, "delivered").len(), 1);
    let (status, _) = post(&format!("{}/v1/events/evt_nosuch/ack", gateway.url), "");
    assert_eq!(status, 404);
    // The same reference again: answered by the resolving call, and no second event.
    let (status, _) = post(&format!("{}/v1/topup/topup", gateway.url), request);
    assert_eq!(status, 200);
    assert!(events(&gateway.url, "pending").is_empty());
}

/// A provider that sends one callback twice (it retries until it likes the answer): both are
/// answered and kept, the record is settled once, and the app hears of it once.
#[test]
fn a_callback_sent_twice_is_one_event() {
    let sim = Sim::start();
    let sink = vngate_sim::CallbackSink::start();
    sim.set_callbacks(Callbacks {
        chargingws_url: Some(sink.url()),
        delay_ms: 50,
        ..Callbacks::default()
    });
    let gateway = start_with(&sim, options());
    let card = json!({"telco": "VIETTEL", "code": "312345678901231", "serial": "20000000000099",
                      "amount": 10000, "request_id": "twice-1"});
    let (status, _) = post(
        &format!("{}/v1/chargingws/charge", gateway.url),
        &card.to_string(),
    );
    assert_eq!(status, 200);
    let callback = sink.recv(Duration::from_secs(10)).expect("a callback");
    for _ in 0..2 {
        let mut response = common::agent()
            .post(&format!("{}/callbacks/chargingws/default", gateway.url))
            .header("content-type", "application/json")
            .send(&callback.body[..])
            .unwrap();
        assert_eq!(response.status().as_u16(), 200);
        let _ = response.body_mut().read_to_string();
    }
    let (_, kept) = get(&format!("{}/v1/callbacks?verified=true", gateway.url));
    assert_eq!(kept.as_array().unwrap().len(), 2, "{kept}");
    let pending = events(&gateway.url, "pending");
    let kinds: Vec<&str> = pending
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        ["callback.verified", "money.settled"],
        "{pending:#?}"
    );
}

/// OpenCard's webhook names only OpenCard's own id: the gateway finds the charge it settled,
/// and the application hears of it by the charge's reference (its serial).
#[test]
fn an_opencard_webhook_settles_the_charge_it_names_by_the_providers_id() {
    let sim = Sim::start();
    let gateway = start_with(&sim, options());
    sim.set_callbacks(Callbacks {
        opencard_url: Some(format!("{}/callbacks/opencard/default", gateway.url)),
        delay_ms: 50,
        ..Callbacks::default()
    });
    let mut example: Value = serde_json::from_str(
        vngate::registry::find("opencard", "charge")
            .unwrap()
            .example
            .unwrap(),
    )
    .unwrap();
    // A PIN ending in 1: the simulator's card succeeds, and says so by webhook.
    let mut pin = example["code"].as_str().unwrap().to_owned();
    pin.pop();
    pin.push('1');
    example["code"] = pin.into();
    let (status, answer) = post(
        &format!("{}/v1/opencard/charge", gateway.url),
        &example.to_string(),
    );
    assert_eq!(status, 200, "{answer}");
    let serial = example["serial"].as_str().unwrap();
    let started = Instant::now();
    loop {
        let settled = events(&gateway.url, "pending")
            .into_iter()
            .find(|e| e["type"] == "money.settled");
        if let Some(event) = settled {
            let body: Value = serde_json::from_str(event["payload"].as_str().unwrap()).unwrap();
            assert_eq!(body["data"]["reference"], serial, "{body}");
            assert_eq!(body["data"]["settled_by"], "callback", "{body}");
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "no money.settled for the webhook: {answer} {:?} {:?}",
            get(&format!("{}/v1/callbacks", gateway.url)).1,
            get(&format!("{}/v1/journal/records", gateway.url)).1
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}
