//! The journal against the simulator: write-ahead records, never sent twice, credit once,
//! outcome unknown resolved by a reconcile (never guessed), secrets sealed and erased.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{card, client, journal, scratch, sent};
use serde_json::{Value, json};
use vngate::Error;
use vngate::api::Client;
use vngate_journal::{Filter, JournaledClient, State};
use vngate_sim::{CallbackSink, Callbacks, Faults, Sim};

fn state_of(client: &JournaledClient, reference: &str) -> State {
    client
        .journal()
        .list(&Filter::default())
        .unwrap()
        .into_iter()
        .find(|r| r.reference == reference && r.account == client.account())
        .map(|r| r.state)
        .expect("recorded")
}

#[test]
fn a_charge_is_journaled_never_sent_twice_and_credited_once() {
    charge_journaled_and_credited_once(None);
}

#[test]
fn on_postgresql_a_charge_is_journaled_never_sent_twice_and_credited_once() {
    if let Some(url) = common::postgres_database("charge") {
        charge_journaled_and_credited_once(Some(&url));
    }
}

#[test]
fn on_mariadb_a_charge_is_journaled_never_sent_twice_and_credited_once() {
    if let Some(url) = common::mysql_database("charge") {
        charge_journaled_and_credited_once(Some(&url));
    }
}

fn charge_journaled_and_credited_once(path: Option<&str>) {
    let sim = Sim::start();
    let sink = CallbackSink::start();
    sim.set_callbacks(Callbacks {
        chargingws_url: Some(sink.url()),
        delay_ms: 200,
        ..Callbacks::default()
    });
    let dir = scratch("charge");
    let journal = common::journal_at(&dir, path);
    let client = client(&sim, "chargingws", &journal);
    let request = card("jr-1", '1');
    let first: Value =
        serde_json::from_str(&client.call("charge", &request.to_string()).unwrap()).unwrap();
    assert_eq!(first["status"], 99, "{first}");
    assert_eq!(state_of(&client, "jr-1"), State::Pending);
    // The same reference again: answered by `check`, never charged again.
    let again: Value =
        serde_json::from_str(&client.call("charge", &request.to_string()).unwrap()).unwrap();
    assert!(again["status"].is_number(), "{again}");
    assert_eq!(sent(&sim, "jr-1"), 1, "{:?}", sim.money_log());
    // The PIN is not on disk in clear (SQLite's file and its WAL).
    let bytes = std::fs::read(dir.join("journal.db")).unwrap_or_default();
    let wal = std::fs::read(dir.join("journal.db-wal")).unwrap_or_default();
    for file in [&bytes, &wal] {
        assert!(
            !file.windows(15).any(|w| w == b"312821445892981"),
            "PIN in clear"
        );
    }
    // Whichever settle first sees it final credits (a slow run may see check's final answer
    // before the callback): exactly one, ever.
    let mut firsts = usize::from(client.settle("jr-1").unwrap().first);
    let callback = sink.recv(Duration::from_secs(5)).expect("a callback");
    client
        .parse_callback(callback.data(), Some(&request.to_string()))
        .unwrap();
    assert_eq!(state_of(&client, "jr-1"), State::Succeeded);
    let credit = client.settle("jr-1").unwrap();
    firsts += usize::from(credit.first) + usize::from(client.settle("jr-1").unwrap().first);
    assert_eq!((credit.state, firsts), (State::Succeeded, 1), "{credit:?}");
    assert_eq!(credit.answer.as_ref().unwrap()["request_id"], "jr-1");
    // Settled: calling again sends nothing. The recorded answer comes back when it says
    // succeeded; when a callback settled it after the answer, the error says where to look.
    match client.call("charge", &request.to_string()) {
        Ok(answer) => assert!(answer.contains("\"status\":1"), "{answer}"),
        Err(Error::InvalidInput { field, reason }) => {
            assert_eq!(field, "request_id");
            assert!(reason.contains("settle()"), "{reason}");
        }
        Err(other) => panic!("{other:?}"),
    }
    assert_eq!(sent(&sim, "jr-1"), 1);
    // Final: the sealed request (with the PIN) is erased.
    let record = client.journal().list(&Filter::default()).unwrap().remove(0);
    assert!(record.request.contains("***"), "{}", record.request);
    let events: Vec<String> = client
        .journal()
        .events(&record)
        .unwrap()
        .into_iter()
        .map(|(_, event, state)| format!("{event}:{state}"))
        .collect();
    assert_eq!(&events[..2], ["sent:sent", "answer:pending"], "{events:?}");
    // The callback's status is not signed: `check` settled it.
    assert!(
        events.contains(&"resolve:succeeded".to_owned()),
        "{events:?}"
    );
    assert_eq!(credit.settled_by.as_deref(), Some("resolve"));
    assert!(matches!(
        client.settle("never-1"),
        Err(Error::InvalidInput { field, .. }) if field == "reference"
    ));
}

#[test]
fn an_unknown_outcome_is_resolved_by_reconcile_never_read_as_failed() {
    unknown_resolved_by_reconcile(None);
}

#[test]
fn on_postgresql_an_unknown_outcome_is_resolved_by_reconcile() {
    if let Some(url) = common::postgres_database("unknown") {
        unknown_resolved_by_reconcile(Some(&url));
    }
}

#[test]
fn on_mariadb_an_unknown_outcome_is_resolved_by_reconcile() {
    if let Some(url) = common::mysql_database("unknown") {
        unknown_resolved_by_reconcile(Some(&url));
    }
}

fn unknown_resolved_by_reconcile(path: Option<&str>) {
    let sim = Sim::start();
    sim.set_callbacks(Callbacks {
        delay_ms: 0,
        ..Callbacks::default()
    });
    let dir = scratch("unknown");
    let journal = common::journal_at(&dir, path);
    let config = common::provider_config(&sim, "chargingws", &json!({"timeout_ms": 300}));
    let client = JournaledClient::new(
        Client::new("chargingws", &config.to_string()).unwrap(),
        Arc::clone(&journal),
    );
    sim.set_faults(Faults {
        latency_ms: 1_000,
        ..Faults::default()
    });
    let request = card("ju-1", '3');
    assert!(matches!(
        client.call("charge", &request.to_string()),
        Err(Error::OutcomeUnknown { .. })
    ));
    assert_eq!(state_of(&client, "ju-1"), State::Unknown);
    // While the provider is still unreachable, a reconcile changes nothing.
    let report = client.reconcile(&mut |_, _| {}).unwrap();
    assert_eq!((report.errors, report.resolved), (1, 0), "{report:?}");
    assert_eq!(state_of(&client, "ju-1"), State::Unknown);
    sim.set_faults(Faults::default());
    let record = journal.list(&Filter::default()).unwrap().remove(0);
    assert_eq!((record.attempts, record.state), (1, State::Unknown));
    assert!(
        record
            .error
            .as_deref()
            .unwrap_or("")
            .contains("outcome_unknown")
            || record.error.is_some()
    );
    let report = client.reconcile(&mut |_, _| {}).unwrap();
    assert_eq!(report.resolved, 1, "{report:?}");
    assert_eq!(
        state_of(&client, "ju-1"),
        State::Failed,
        "a bad card, by check"
    );
    assert_eq!(sent(&sim, "ju-1"), 1);
    assert!(client.settle("ju-1").unwrap().first);
}

#[test]
fn a_call_that_was_never_sent_may_be_sent_again() {
    never_sent_may_be_sent_again(None);
}

#[test]
fn on_postgresql_a_call_that_was_never_sent_may_be_sent_again() {
    if let Some(url) = common::postgres_database("not_sent") {
        never_sent_may_be_sent_again(Some(&url));
    }
}

#[test]
fn on_mariadb_a_call_that_was_never_sent_may_be_sent_again() {
    if let Some(url) = common::mysql_database("not_sent") {
        never_sent_may_be_sent_again(Some(&url));
    }
}

fn never_sent_may_be_sent_again(path: Option<&str>) {
    // The site is down (nothing listens on its port): refused, not sent. Then it is up, at the
    // same address: the same client identity sends the same reference.
    let port = free_port();
    let dir = scratch("not-sent");
    let journal = common::journal_at(&dir, path);
    let refused = JournaledClient::new(
        Client::new(
            "chargingws",
            &common::provider_config(
                &Sim::start(),
                "chargingws",
                &json!({"base_url": format!("http://127.0.0.1:{port}"), "timeout_ms": 500}),
            )
            .to_string(),
        )
        .unwrap(),
        Arc::clone(&journal),
    );
    let request = card("jn-1", '1');
    assert!(matches!(
        refused.call("charge", &request.to_string()),
        Err(Error::Transport { .. })
    ));
    assert_eq!(state_of(&refused, "jn-1"), State::NotSent);
    // Bad input is refused before anything is journaled: no record for what is never sent.
    let mut bad = request.clone();
    bad["request_id"] = json!("jn-2");
    bad["amount"] = json!(-1);
    assert!(matches!(
        refused.call("charge", &bad.to_string()),
        Err(Error::InvalidInput { field, .. }) if field == "amount"
    ));
    // A request id of 5 MB (refused by its length) is not written either.
    bad["amount"] = json!(50_000);
    bad["request_id"] = json!("x".repeat(5 << 20));
    assert!(matches!(
        refused.call("charge", &bad.to_string()),
        Err(Error::InvalidInput { field, .. }) if field == "request_id"
    ));
    let references: Vec<String> = journal
        .list(&Filter::default())
        .unwrap()
        .into_iter()
        .map(|r| r.reference)
        .collect();
    assert_eq!(references, ["jn-1"], "only what may be sent is recorded");
    let sim = Sim::start_on(port).unwrap();
    let working = client(&sim, "chargingws", &journal);
    working.call("charge", &request.to_string()).unwrap();
    assert_eq!(state_of(&working, "jn-1"), State::Pending);
    assert_eq!(sent(&sim, "jn-1"), 1);
    assert_eq!(
        journal.list(&Filter::default()).unwrap().len(),
        1,
        "one record, retaken"
    );
    // A reference is one call: reusing it for another operation is refused by name.
    let shop = json!({"service_code": "VIETTEL", "value": 10_000, "qty": 1, "request_id": "jn-1"});
    assert!(matches!(
        working.call("buy_cards", &shop.to_string()),
        Err(Error::InvalidInput { field, .. }) if field == "request_id"
    ));
}

#[test]
fn a_missing_key_or_a_wrong_key_is_refused_by_name() {
    let dir = scratch("keys");
    let mut config = common::config(&dir);
    config.key_file = None;
    config.key_env = Some("VNGATE_TEST_KEY_THAT_IS_NOT_SET".into());
    let err = vngate_journal::Journal::open(config).unwrap_err();
    assert!(err.to_string().contains("journal.key_env"), "{err}");
    // A journal written under one key does not open its sealed records under another.
    let sim = Sim::start();
    let client = client(&sim, "chargingws", &journal(&dir));
    client
        .call("charge", &card("jk-1", '0').to_string())
        .unwrap();
    let mut other_key = common::config(&dir);
    let path = dir.join("other-key");
    std::fs::write(&path, "ab".repeat(32)).unwrap();
    other_key.key_file = Some(path.to_str().unwrap().to_owned());
    // Refused when the journal is opened, before anything is written under it.
    let before = std::fs::read(dir.join("journal.db")).unwrap();
    let err = vngate_journal::Journal::open(other_key.clone()).unwrap_err();
    assert!(
        err.to_string().contains("journal.key_file: not the key"),
        "{err}"
    );
    assert_eq!(std::fs::read(dir.join("journal.db")).unwrap(), before);
    // A journal written before the key check: its sealed records judge the key (and the check
    // is written under the right one).
    rusqlite::Connection::open(dir.join("journal.db"))
        .unwrap()
        .execute("DELETE FROM key_check", [])
        .unwrap();
    let err = vngate_journal::Journal::open(other_key).unwrap_err();
    assert!(err.to_string().contains("not the key"), "{err}");
    vngate_journal::Journal::open(common::config(&dir)).unwrap();
    // An empty journal takes the first key it is opened with, and only that one.
    let empty = scratch("keys-empty");
    vngate_journal::Journal::open(common::config(&empty)).unwrap();
    let mut other_key = common::config(&empty);
    other_key.key_file = Some(path.to_str().unwrap().to_owned());
    assert!(vngate_journal::Journal::open(other_key).is_err());
}

#[test]
fn a_record_is_resolved_and_settled_only_by_the_client_identity_that_made_it() {
    // Two sites (two simulators, one partner id) share a journal.
    let (site_a, site_b) = (Sim::start(), Sim::start());
    let dir = scratch("identity");
    let journal = journal(&dir);
    let a = client(&site_a, "chargingws", &journal);
    let b = client(&site_b, "chargingws", &journal);
    assert_ne!(
        a.account(),
        b.account(),
        "the default account is the site's"
    );
    a.call("charge", &card("ji-1", '0').to_string()).unwrap();
    // B knows nothing of A's records: its reconcile asks nothing, its settle refuses.
    let report = b.reconcile(&mut |_, _| {}).unwrap();
    assert_eq!(report.checked, 0, "{report:?}");
    assert!(b.settle("ji-1").is_err());
    // Filed under one account by choice: still only A resolves and settles A's record.
    let mut shared = common::config(&dir);
    shared.account = Some("shop".into());
    let shared = Arc::new(vngate_journal::Journal::open(shared).unwrap());
    let a = client(&site_a, "chargingws", &shared);
    let b = client(&site_b, "chargingws", &shared);
    a.call("charge", &card("ji-2", '0').to_string()).unwrap();
    let report = b.reconcile(&mut |_, _| {}).unwrap();
    assert_eq!((report.not_ours, report.resolved), (1, 0), "{report:?}");
    let refused = |result: Result<String, Error>| match result {
        Err(Error::InvalidInput { field, reason }) => {
            assert_eq!(field, "journal.account");
            assert!(reason.contains(&site_a.url()), "names the maker: {reason}");
        }
        other => panic!("{other:?}"),
    };
    refused(b.call("charge", &card("ji-2", '0').to_string()));
    refused(b.settle("ji-2").map(|s| format!("{s:?}")));
    // Site B never saw A's card (no PIN sent there), and A still resolves its own.
    assert_eq!(sent(&site_b, "ji-2"), 0);
    assert!(
        !site_b
            .money_log()
            .iter()
            .chain(site_b.money_log().iter())
            .any(|l| l.contains("ji-")),
        "{:?}",
        site_b.money_log()
    );
    let report = a.reconcile(&mut |_, _| {}).unwrap();
    assert_eq!(report.not_ours, 0, "{report:?}");
    let record = shared
        .list(&Filter::default())
        .unwrap()
        .into_iter()
        .find(|r| r.reference == "ji-2")
        .unwrap();
    assert_eq!(
        record.identity.as_deref(),
        Some(format!("chargingws {} 10001", site_a.url()).as_str())
    );
}

#[test]
fn callbacks_settle_the_operation_they_name_whatever_the_provider_operation() {
    // AppotaPay's transfer IPN settles a bank transfer, not its first money-moving operation
    // (buy_cards); eSMS's confirmed callback (a signed query) settles its payout; both through
    // the dispatcher's parse_callback / confirm_callback as the fronts call them.
    let sim = Sim::start();
    let sink = CallbackSink::start();
    sim.set_callbacks(Callbacks {
        appotapay_ipn_url: Some(sink.url()),
        delay_ms: 200,
        ..Callbacks::default()
    });
    let dir = scratch("callbacks");
    let journal = journal(&dir);
    let appotapay = client(&sim, "appotapay", &journal);
    let transfer = json!({"partner_ref_id": "jc-t-pending", "bank_code": "TPBANK", "account_no": "0123456789",
                          "account_name": "NGUYEN VAN A", "amount": 10_000, "fee_type": "payer", "message": "ipn"});
    appotapay
        .call("bank_transfer", &transfer.to_string())
        .unwrap();
    assert_eq!(state_of(&appotapay, "jc-t-pending"), State::Unknown);
    let ipn = sink.recv(Duration::from_secs(5)).expect("an IPN");
    let data = String::from_utf8(ipn.body).unwrap();
    appotapay
        .call("parse_callback", &json!({ "data": data }).to_string())
        .unwrap();
    assert_eq!(state_of(&appotapay, "jc-t-pending"), State::Succeeded);
    // The dispatcher's input rules hold on the journaled path too.
    assert!(matches!(
        appotapay.call("parse_callback", "{\"dta\":\"x\"}"),
        Err(Error::InvalidInput { .. })
    ));

    let esms = client(&sim, "esms", &journal);
    let payout = json!({"amount": 20_000, "channel": "momo", "phone": "0912345671", "order_id": "jc-e-1",
                        "description": "d", "callback_url": sink.url()});
    esms.call("disburse", &payout.to_string()).unwrap();
    assert_eq!(state_of(&esms, "jc-e-1"), State::Pending);
    let callback = sink.recv(Duration::from_secs(5)).expect("a callback");
    let data = String::from_utf8(callback.body).unwrap();
    esms.call("confirm_callback", &json!({ "data": data }).to_string())
        .unwrap();
    assert_eq!(state_of(&esms, "jc-e-1"), State::Succeeded);
}

#[test]
fn a_host_name_that_does_not_resolve_is_not_sent_and_closes_the_record() {
    // `.invalid` never resolves (RFC 2606): a bad base_url, a DNS outage, a machine offline.
    let dir = scratch("dns");
    let journal = journal(&dir);
    let config = json!({"base_url": "https://vngate-no-such-host.invalid", "partner_id": "10001",
                        "partner_key": "k", "timeout_ms": 2000});
    let plain = Client::new("chargingws", &config.to_string()).unwrap();
    let err = plain
        .call("charge", &card("jd-0", '1').to_string())
        .unwrap_err();
    assert!(
        matches!(&err, Error::Transport { reason } if reason.contains("not sent")),
        "{err:?}"
    );
    let journaled = JournaledClient::new(
        Client::new("chargingws", &config.to_string()).unwrap(),
        Arc::clone(&journal),
    );
    let err = journaled
        .call("charge", &card("jd-1", '1').to_string())
        .unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
    assert_eq!(state_of(&journaled, "jd-1"), State::NotSent);
}

#[test]
fn an_intent_an_earlier_vngate_left_is_closed_as_never_sent() {
    // Earlier versions committed "intent", then "sent" before the first byte; a process that
    // died between the two left an intent, which nothing sent. This one writes "sent" at once
    // and never writes an intent, but a reconcile still closes those it finds.
    let dir = scratch("old-intent");
    let mut config = common::config(&dir);
    config.min_age_secs = 0;
    let journal = Arc::new(vngate_journal::Journal::open(config.clone()).unwrap());
    // A port nothing listens on: the charge is refused before anything leaves (not_sent).
    let offline = JournaledClient::new(
        Client::new(
            "chargingws",
            &json!({"base_url": "http://127.0.0.1:9", "partner_id": "10001",
                    "partner_key": "sim-s1-partner-key"})
            .to_string(),
        )
        .unwrap(),
        Arc::clone(&journal),
    );
    offline
        .call("charge", &card("ji-1", '1').to_string())
        .unwrap_err();
    let db = rusqlite::Connection::open(&config.path).unwrap();
    db.execute(
        "UPDATE calls SET state = 'intent', updated_at = 0 WHERE reference = 'ji-1'",
        [],
    )
    .unwrap();
    assert_eq!(state_of(&offline, "ji-1"), State::Intent);
    let report = offline.reconcile(&mut |_, _| {}).unwrap();
    assert_eq!(report.not_sent, 1, "{report:?}");
    assert_eq!(state_of(&offline, "ji-1"), State::NotSent);
    let events = offline
        .journal()
        .events(&offline.journal().list(&Filter::default()).unwrap()[0])
        .unwrap();
    assert_eq!(events.last().unwrap().1, "abandoned", "{events:?}");
}

#[test]
fn never_executed_counts_from_the_latest_send_not_the_first_intent() {
    // A reference refused before sending, sent again later: "not found" right after that
    // second send must not close it as never executed.
    let dir = scratch("not-found-age");
    let mut config = common::config(&dir);
    config.not_found_after_secs = 1;
    let journal = Arc::new(vngate_journal::Journal::open(config).unwrap());
    let topup = json!({"partner_ref_id": "jf-1", "phone_number": "0912345678", "product_code": "viettel_50"});
    // One site, at one address throughout: down (refused), then up and receiving the
    // request without answering, then (a fresh simulator on that port) not knowing it.
    let port = free_port();
    let at_port = |sim: &Sim| {
        JournaledClient::new(
            Client::new(
                "appotapay",
                &common::provider_config(
                    sim,
                    "appotapay",
                    &json!({"base_url": format!("http://127.0.0.1:{port}"), "timeout_ms": 500}),
                )
                .to_string(),
            )
            .unwrap(),
            Arc::clone(&journal),
        )
    };
    let offline = at_port(&Sim::start());
    let err = offline
        .call("mobile_topup", &topup.to_string())
        .unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
    assert_eq!(state_of(&offline, "jf-1"), State::NotSent);
    std::thread::sleep(Duration::from_millis(1_500));
    // Sent now to a server that reads it and drops the connection: outcome unknown.
    let received = Sim::start_on(port).unwrap();
    received.set_faults(Faults {
        mode: vngate_sim::FaultMode::Drop,
        ..Faults::default()
    });
    let sending = at_port(&received);
    assert!(matches!(
        sending.call("mobile_topup", &topup.to_string()),
        Err(Error::OutcomeUnknown { .. })
    ));
    assert_eq!(state_of(&sending, "jf-1"), State::Unknown);
    drop(received);
    // A status call that does not know it yet 0 s after the send.
    let unaware = Sim::start_on(port).unwrap();
    let asking = at_port(&unaware);
    asking.reconcile(&mut |_, _| {}).unwrap();
    assert_eq!(
        state_of(&asking, "jf-1"),
        State::NotFound,
        "not yet old enough to be called never executed"
    );
}

/// A loopback port nothing listens on (until a simulator is started on it).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The callback `sink` receives for `reference`, within 5 s.
fn callback_for(sink: &CallbackSink, reference: &str) -> Value {
    loop {
        let received = sink.recv(Duration::from_secs(5)).expect("a callback");
        let body: Value = serde_json::from_slice(received.data()).unwrap();
        if body["request_id"] == reference {
            return body;
        }
    }
}

#[test]
fn an_unsigned_callback_status_is_a_hint_that_check_decides_and_settles_with_its_amount() {
    // chargingws signs a callback's code and serial, not its status or amounts.
    let sim = Sim::start();
    let sink = CallbackSink::start();
    sim.set_callbacks(Callbacks {
        chargingws_url: Some(sink.url()),
        delay_ms: 100,
        ..Callbacks::default()
    });
    let dir = scratch("hint");
    let journal = journal(&dir);
    let client = client(&sim, "chargingws", &journal);

    // A bad card whose callback is flipped to "success" in transit, while the site cannot be
    // asked: the record stays open (a hint is no final state), due for the reconciler.
    let bad = card("jh-1", '3');
    client.call("charge", &bad.to_string()).unwrap();
    let mut flipped = callback_for(&sink, "jh-1");
    flipped["status"] = json!(1);
    flipped["message"] = json!("Thành công");
    flipped["amount"] = json!(42_500);
    sim.set_faults(Faults {
        mode: vngate_sim::FaultMode::Status500,
        ..Faults::default()
    });
    let parsed = client
        .parse_callback(flipped.to_string().as_bytes(), Some(&bad.to_string()))
        .unwrap();
    assert!(
        parsed.contains("\"status\":1"),
        "the callback reads as sent: {parsed}"
    );
    assert_eq!(state_of(&client, "jh-1"), State::Pending);
    let record = journal.list(&Filter::default()).unwrap().remove(0);
    assert!(
        record
            .note
            .as_deref()
            .unwrap_or("")
            .contains("does not cover"),
        "{record:?}"
    );
    let settlement = client.settle("jh-1").unwrap();
    assert!(
        !settlement.first && settlement.amount.is_none(),
        "{settlement:?}"
    );
    // The site answers again: the reconciler's check decides.
    sim.set_faults(Faults::default());
    client.reconcile(&mut |_, _| {}).unwrap();
    let settlement = client.settle("jh-1").unwrap();
    assert_eq!(
        (
            settlement.state,
            settlement.first,
            settlement.settled_by.as_deref()
        ),
        (State::Failed, true, Some("resolve")),
        "{settlement:?}"
    );

    // A card good for half its declared value: its charge answered pending with the amount
    // of the declared value; the callback (a hint) makes check settle it, with check's amount.
    let half = card("jh-2", '2');
    let pending: Value =
        serde_json::from_str(&client.call("charge", &half.to_string()).unwrap()).unwrap();
    let callback = callback_for(&sink, "jh-2");
    client
        .parse_callback(callback.to_string().as_bytes(), Some(&half.to_string()))
        .unwrap();
    let settlement = client.settle("jh-2").unwrap();
    assert_eq!(
        (
            settlement.state,
            settlement.first,
            settlement.settled_by.as_deref()
        ),
        (State::Succeeded, true, Some("resolve")),
        "{settlement:?}"
    );
    let answer = settlement.answer.as_ref().unwrap();
    assert_eq!(answer["status"], 2, "check's answer: {answer}");
    assert_eq!(settlement.amount, answer["amount"].as_i64());
    assert!(
        settlement.amount.unwrap() < pending["amount"].as_i64().unwrap() / 2,
        "wrong value: less than half the pending reply's {pending} ({settlement:?})"
    );
    assert_eq!(sent(&sim, "jh-1") + sent(&sim, "jh-2"), 2);
}

#[test]
fn a_stray_reply_on_a_pooled_connection_never_settles_another_record() {
    // Two top-ups the service has not settled at first (`-1` then success, `0` then a
    // refundable failure); a reply for the second is left on a pooled keep-alive connection
    // (a confused proxy, a late duplicate). The reconciler's recheck of the first must not
    // read it.
    let sim = Sim::start();
    sim.set_callbacks(Callbacks {
        delay_ms: 0,
        ..Callbacks::default()
    });
    let dir = scratch("stray");
    let journal = journal(&dir);
    let topup = client(&sim, "topup", &journal);
    for (reference, phone) in [("js-ok", "0912345678"), ("js-fails", "0912345679")] {
        let request = json!({"phone": phone, "amount": 10_000, "client_trans_id": reference});
        topup.call("topup", &request.to_string()).unwrap();
        assert_eq!(state_of(&topup, reference), State::Unknown);
    }
    let failing_id = journal
        .list(&Filter::default())
        .unwrap()
        .into_iter()
        .find(|r| r.reference == "js-fails")
        .and_then(|r| r.provider_reference)
        .expect("the service's id");
    // A plain client on the same settings shares the process's pool: its recheck's reply
    // ("-304;<id>") stays on the connection as a stray.
    let plain = Client::new(
        "topup",
        &common::provider_config(&sim, "topup", &json!({"timeout_ms": 2000})).to_string(),
    )
    .unwrap();
    sim.set_faults(Faults {
        mode: vngate_sim::FaultMode::StrayReply,
        ..Faults::default()
    });
    let stray = plain
        .call(
            "recheck",
            &json!({ "id_transaction": failing_id }).to_string(),
        )
        .unwrap();
    assert!(stray.contains("failed_refundable"), "{stray}");
    sim.set_faults(Faults::default());
    topup.reconcile(&mut |_, _| {}).unwrap();
    assert_eq!(state_of(&topup, "js-ok"), State::Succeeded);
    assert_eq!(state_of(&topup, "js-fails"), State::Failed);
}

#[test]
fn a_new_journal_file_and_its_wal_are_private_to_their_owner() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = scratch("private");
    let sim = Sim::start();
    let client = client(&sim, "chargingws", &journal(&dir));
    client
        .call("charge", &card("jp-1", '0').to_string())
        .unwrap();
    for name in ["journal.db", "journal.db-wal", "journal.db-shm"] {
        let mode = std::fs::metadata(dir.join(name))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "{name}: {mode:o}");
    }
}

#[test]
fn a_record_unresolved_past_its_deadline_enters_attention_and_still_settles_on_a_final_answer() {
    // `-99` stays unknown for ever at the top-up service; `-1` turns into a success later.
    let sim = Sim::start();
    sim.set_callbacks(Callbacks {
        delay_ms: 2_500,
        ..Callbacks::default()
    });
    let dir = scratch("attention");
    let mut config = common::config(&dir);
    config.attention_after_secs = 1;
    let journal = Arc::new(vngate_journal::Journal::open(config).unwrap());
    let topup = client(&sim, "topup", &journal);
    for (reference, phone) in [("ja-never", "0912345670"), ("ja-later", "0912345678")] {
        let request = json!({"phone": phone, "amount": 10_000, "client_trans_id": reference});
        topup.call("topup", &request.to_string()).unwrap();
    }
    let report = topup.reconcile(&mut |_, _| {}).unwrap();
    assert_eq!(report.attention, 0, "{report:?}");
    std::thread::sleep(Duration::from_millis(1_200));
    let report = topup.reconcile(&mut |_, _| {}).unwrap();
    assert_eq!(report.attention, 2, "{report:?}");
    assert_eq!(state_of(&topup, "ja-never"), State::Attention);
    let record = journal
        .list(&Filter::default())
        .unwrap()
        .into_iter()
        .find(|r| r.reference == "ja-never")
        .unwrap();
    assert!(
        record
            .note
            .as_deref()
            .unwrap_or("")
            .contains("after it was sent"),
        "{record:?}"
    );
    // The service settles the second: the reconciler's recheck moves it out of attention.
    std::thread::sleep(Duration::from_millis(1_500));
    let report = topup.reconcile(&mut |_, _| {}).unwrap();
    assert_eq!((report.resolved, report.attention), (1, 1), "{report:?}");
    assert_eq!(state_of(&topup, "ja-later"), State::Succeeded);
    assert_eq!(state_of(&topup, "ja-never"), State::Attention);
    assert!(topup.settle("ja-later").unwrap().first);
}

#[test]
fn an_answer_that_contradicts_the_stored_request_settles_nothing() {
    // AppotaPay's transfer status reply names no partnerRefId. With connections reused for
    // money (an option), a stray reply for another transfer can reach the reconciler's call:
    // its account and amount, which the stored request contradicts, keep it from settling.
    let sim = Sim::start();
    sim.set_callbacks(Callbacks {
        delay_ms: 0,
        ..Callbacks::default()
    });
    let dir = scratch("contradiction");
    let journal = journal(&dir);
    let config = common::provider_config(
        &sim,
        "appotapay",
        &json!({"timeout_ms": 2000, "reuse_connections_for_money": true}),
    );
    let appotapay = JournaledClient::new(
        Client::new("appotapay", &config.to_string()).unwrap(),
        Arc::clone(&journal),
    );
    for (reference, account, amount) in [
        ("jx-a-pending", "0123456789", 10_000),
        ("jx-b-fails", "0987654321", 20_000),
    ] {
        let transfer = json!({"partner_ref_id": reference, "bank_code": "TPBANK", "account_no": account,
                              "account_name": "NGUYEN VAN A", "amount": amount, "fee_type": "payer", "message": "x"});
        appotapay
            .call("bank_transfer", &transfer.to_string())
            .unwrap();
        assert_eq!(state_of(&appotapay, reference), State::Unknown);
    }
    let plain = Client::new("appotapay", &config.to_string()).unwrap();
    sim.set_faults(Faults {
        mode: vngate_sim::FaultMode::StrayReply,
        ..Faults::default()
    });
    let stray = plain
        .call(
            "transfer_transaction",
            &json!({"partner_ref_id": "jx-b-fails"}).to_string(),
        )
        .unwrap();
    assert!(stray.contains("\"status\":\"failed\""), "{stray}");
    sim.set_faults(Faults::default());
    let report = appotapay.reconcile(&mut |_, _| {}).unwrap();
    assert_eq!(
        state_of(&appotapay, "jx-a-pending"),
        State::Unknown,
        "B's failure is not A's: {report:?}"
    );
    let record = journal
        .list(&Filter::default())
        .unwrap()
        .into_iter()
        .find(|r| r.reference == "jx-a-pending")
        .unwrap();
    assert!(
        record
            .note
            .as_deref()
            .unwrap_or("")
            .contains("not this record"),
        "{record:?}"
    );
    // A's own answer names its account and amount: it settles A.
    let report = appotapay.reconcile(&mut |_, _| {}).unwrap();
    assert_eq!(
        state_of(&appotapay, "jx-a-pending"),
        State::Succeeded,
        "{report:?}"
    );
}

#[test]
fn a_webhook_that_arrives_before_its_charges_reply_is_recorded_still_settles_it() {
    // OpenCard's webhook names only OpenCard's own id, which the journal learns from the
    // charge's reply: sent at once, it can arrive while that reply is still being read.
    let sim = Sim::start();
    let sink = CallbackSink::start();
    sim.set_callbacks(Callbacks {
        opencard_url: Some(sink.url()),
        delay_ms: 0,
        ..Callbacks::default()
    });
    let dir = scratch("webhook-first");
    let journal = journal(&dir);
    let opencard = Arc::new(client(&sim, "opencard", &journal));
    let charges = 40;
    let handler = {
        let opencard = Arc::clone(&opencard);
        std::thread::spawn(move || {
            for _ in 0..charges {
                let webhook = sink.recv(Duration::from_secs(10)).expect("a webhook");
                opencard.parse_callback(webhook.data(), None).unwrap();
            }
        })
    };
    for i in 0..charges {
        let charge = json!({"telco": "VIETTEL", "code": "123456789012341",
                            "serial": format!("0999{i:010}"), "amount": 10_000});
        opencard.call("charge", &charge.to_string()).unwrap();
    }
    handler.join().unwrap();
    let states: Vec<State> = journal
        .list(&Filter::default())
        .unwrap()
        .into_iter()
        .map(|r| r.state)
        .collect();
    assert_eq!(states.len(), charges);
    assert!(states.iter().all(|s| *s == State::Succeeded), "{states:?}");
}
