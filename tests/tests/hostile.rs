//! Hostile and broken servers: every fault gives a typed error within the timeout, and a
//! money-moving call reports "outcome unknown" whenever the request may have been delivered.

use std::net::TcpListener;
use std::time::{Duration, Instant};

use vngate::chargingws::{CardRequest, ChargingWs, ChargingWsConfig};
use vngate::{CardStatus, Error, HttpOptions};
use vngate_sim::sim::CHARGINGWS_S1;
use vngate_sim::{FaultMode, Faults, Sim};

const TIMEOUT_MS: u64 = 1_000;

fn client(url: String) -> ChargingWs {
    ChargingWs::new(ChargingWsConfig {
        http: HttpOptions {
            timeout_ms: TIMEOUT_MS,
            connect_timeout_ms: 500,
            ..HttpOptions::default()
        },
        ..ChargingWsConfig::new(url, CHARGINGWS_S1.partner_id, CHARGINGWS_S1.partner_key)
    })
    .unwrap()
}

/// A card that stays pending (PIN ending in 0), so that `check` finds it as it was taken.
fn card() -> CardRequest {
    CardRequest {
        telco: "VIETTEL".into(),
        code: "312821445892980".into(),
        serial: "10004783347874".into(),
        amount: 50_000,
        request_id: vngate::new_request_id(),
    }
}

#[test]
fn every_fault_is_a_typed_error_in_time_and_charge_is_never_guessed() {
    let sim = Sim::start();
    let client = client(sim.url());
    let faults = [
        (FaultMode::Status500, 0),
        (FaultMode::Html502, 0),
        (FaultMode::Garbage, 0),
        (FaultMode::Empty, 0),
        (FaultMode::SlowBody, 0),
        (FaultMode::Drop, 0),
        (FaultMode::Truncated, 0),
        (FaultMode::HugeBody, 0),
        (FaultMode::None, 3_000),
    ];
    for (mode, latency_ms) in faults {
        sim.set_faults(Faults { mode, latency_ms });
        let request = card();
        let started = Instant::now();
        let charged = client.charge(&request);
        let elapsed = started.elapsed();
        assert!(
            elapsed < Duration::from_millis(TIMEOUT_MS + 1_000),
            "{mode:?}: took {elapsed:?}"
        );
        match &charged {
            Err(Error::OutcomeUnknown {
                operation: "charge",
                reference_field: "request_id",
                reference,
                reason,
                ..
            }) => {
                assert_eq!(reference, &request.request_id, "{mode:?}");
                assert!(
                    !reason.contains(CHARGINGWS_S1.partner_key)
                        && !reason.contains("312821445892980"),
                    "{mode:?}: {reason}"
                );
            }
            other => panic!("{mode:?}: charge gave {other:?}"),
        }
        let checked = client.check(&request);
        assert!(
            matches!(
                checked,
                Err(Error::BadReply { .. } | Error::Transport { .. })
            ),
            "{mode:?}: check gave {checked:?}"
        );
        // The simulator did take the card: after the fault, check finds it, and a resend would
        // be refused as a duplicate.
        sim.set_faults(Faults::default());
        assert_eq!(
            client.check(&request).unwrap().status,
            CardStatus::Pending,
            "{mode:?}"
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
    match client(sim.url()).fees() {
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
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    match client(format!("http://127.0.0.1:{port}")).charge(&card()) {
        Err(Error::Transport { reason }) => assert!(reason.contains("not sent"), "{reason}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn errors_never_show_the_key_or_the_pin() {
    let sim = Sim::start();
    let client = client(sim.url());
    for mode in [FaultMode::Garbage, FaultMode::Html502, FaultMode::Drop] {
        sim.set_faults(Faults {
            mode,
            latency_ms: 0,
        });
        let err = client.charge(&card()).unwrap_err();
        for text in [err.to_string(), format!("{err:?}")] {
            assert!(
                !text.contains(CHARGINGWS_S1.partner_key) && !text.contains("312821445892980"),
                "{text}"
            );
        }
    }
    let debug = format!("{client:?} {:?}", card());
    assert!(
        !debug.contains(CHARGINGWS_S1.partner_key) && !debug.contains("312821445892980"),
        "{debug}"
    );
}

#[test]
fn fault_modes_are_named_as_documented() {
    for (name, mode) in [
        ("status_500", FaultMode::Status500),
        ("html_502", FaultMode::Html502),
        ("slow_body", FaultMode::SlowBody),
        ("huge_body", FaultMode::HugeBody),
    ] {
        let parsed: Faults = serde_json::from_str(&format!(r#"{{"mode":"{name}"}}"#)).unwrap();
        assert_eq!(parsed.mode, mode);
    }
}
