//! The relay's store in the journal: callbacks kept sealed, events added once, claimed by one
//! server at a time (a lease), every attempt recorded, acknowledged once.

mod common;

use vngate_journal::relay::{Attempt, Next};

use common::{journal_at, mysql_database, postgres_database, scratch};

#[test]
fn callbacks_are_sealed_and_events_claimed_by_one_server_at_a_time_sqlite() {
    relay(None);
}

#[test]
fn callbacks_are_sealed_and_events_claimed_by_one_server_at_a_time_postgres() {
    if let Some(url) = postgres_database("relay") {
        relay(Some(&url));
    }
}

#[test]
fn callbacks_are_sealed_and_events_claimed_by_one_server_at_a_time_mysql() {
    if let Some(url) = mysql_database("relay") {
        relay(Some(&url));
    }
}

/// Two handles on one store (`path`: a database URL, else a SQLite file): two servers.
fn relay(path: Option<&str>) {
    let dir = scratch("relay");
    let a = journal_at(&dir, path);
    let b = journal_at(&dir, path);
    let pin = "312345678901231";
    let body = format!("{{\"code\":\"{pin}\",\"status\":1}}");
    let id = a
        .inbox_received("chargingws", "default", "POST", body.as_bytes())
        .unwrap();
    a.inbox_checked(id, false, None, Some(r#"{"kind":"signature_mismatch"}"#))
        .unwrap();
    let (kept, data) = b.inbox_data(id).unwrap().unwrap();
    assert_eq!(data, body.as_bytes());
    assert_eq!(
        (kept.verified, kept.size),
        (Some(false), i64::try_from(body.len()).unwrap())
    );
    assert_eq!(b.inbox(Some(false), 10).unwrap().len(), 1);
    assert!(b.inbox(Some(true), 10).unwrap().is_empty());
    // Sealed: the PIN is nowhere in the files (SQLite's; a server's are its own).
    for entry in std::fs::read_dir(&dir).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        assert!(
            !bytes.windows(pin.len()).any(|w| w == pin.as_bytes()),
            "a PIN in clear on disk"
        );
    }

    assert!(a.outbox_add("evt_1", "money.settled", "{}").unwrap());
    assert!(
        !b.outbox_add("evt_1", "money.settled", "{}").unwrap(),
        "one fact, one event"
    );
    assert!(a.outbox_add("evt_2", "callback.verified", "{}").unwrap());
    let claimed = a.outbox_claim("server-a", 60_000, 10).unwrap();
    assert_eq!(claimed.len(), 2);
    assert!(
        b.outbox_claim("server-b", 60_000, 10).unwrap().is_empty(),
        "claimed twice"
    );
    // A failed attempt: due again later, and not before.
    let now = claimed[0].created_at_ms;
    let failed = Attempt::new(now, "server-a", Some(503), Some("HTTP 503".into()), 3);
    a.outbox_attempted("evt_1", &failed, Next::RetryAt(now + 3_600_000))
        .unwrap();
    let delivered = Attempt::new(now, "server-a", Some(200), None, 2);
    a.outbox_attempted("evt_2", &delivered, Next::Delivered)
        .unwrap();
    assert!(
        b.outbox_claim("server-b", 60_000, 10).unwrap().is_empty(),
        "not due yet"
    );
    let (event, attempts) = b.outbox_event("evt_1").unwrap().unwrap();
    assert_eq!((event.state.as_str(), event.attempts), ("pending", 1));
    assert_eq!(attempts[0].status, Some(503));
    assert_eq!(b.outbox(Some("delivered"), 10).unwrap().len(), 1);
    // A lease that ends (a server that died mid-delivery): another takes the event.
    a.outbox_add("evt_3", "money.settled", "{}").unwrap();
    assert_eq!(a.outbox_claim("server-a", 0, 10).unwrap().len(), 1);
    let taken = b.outbox_claim("server-b", 60_000, 10).unwrap();
    assert_eq!(
        taken.iter().map(|e| e.id.as_str()).collect::<Vec<_>>(),
        ["evt_3"]
    );
    // Polled and acknowledged: once; given up: failed, kept.
    assert!(b.outbox_ack("evt_3").unwrap());
    assert!(!a.outbox_ack("evt_3").unwrap());
    a.outbox_attempted("evt_1", &failed, Next::GiveUp).unwrap();
    assert_eq!(b.outbox(Some("failed"), 10).unwrap().len(), 1);
    assert!(b.outbox(Some("nosuch"), 10).is_err());
    let _ = std::fs::remove_dir_all(&dir);
}
