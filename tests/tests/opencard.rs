//! OpenCard against the simulator: charge, signed webhooks in both orders, refusals.

use std::time::Duration;

use vngate::opencard::{OpenCard, OpenCardConfig, OpenCardRequest, SignOrder};
use vngate::{CardStatus, Error, HttpOptions};
use vngate_sim::sim::{OPENCARD_KSORT, OPENCARD_PROSE};
use vngate_sim::{Account, CallbackSink, Callbacks, FaultMode, Faults, Sim};

const WAIT: Duration = Duration::from_secs(5);

fn client(sim: &Sim, account: Account, order: SignOrder) -> OpenCard {
    OpenCard::new(OpenCardConfig {
        base_url: sim.url(),
        sign_order: order,
        webhook_sign_order: order,
        http: HttpOptions {
            timeout_ms: 2_000,
            ..HttpOptions::default()
        },
        ..OpenCardConfig::new(account.partner_id, account.partner_key)
    })
    .unwrap()
}

fn viettel(code_last: char, serial: &str) -> OpenCardRequest {
    OpenCardRequest {
        telco: "VIETTEL".into(),
        code: format!("12345678901234{code_last}").into(),
        serial: serial.into(),
        amount: 10_000,
    }
}

fn with_webhooks(sim: &Sim) -> CallbackSink {
    let sink = CallbackSink::start();
    sim.set_callbacks(Callbacks {
        opencard_url: Some(sink.url()),
        delay_ms: 100,
        ..Callbacks::default()
    });
    sink
}

#[test]
fn charge_then_verified_webhook_in_both_orders() {
    let sim = Sim::start();
    let sink = with_webhooks(&sim);
    for (account, order, serial) in [
        (OPENCARD_KSORT, SignOrder::Ksort, "10000000000001"),
        (OPENCARD_PROSE, SignOrder::Prose, "10000000000002"),
    ] {
        let client = client(&sim, account, order);
        let submitted = client.charge(&viettel('1', serial)).unwrap();
        assert_eq!(submitted.status, CardStatus::Pending);
        let request_id = submitted
            .request_id
            .clone()
            .expect("OpenCard assigns the request_id");
        let hook = client
            .parse_webhook(&sink.recv(WAIT).expect("a webhook").body)
            .unwrap();
        assert_eq!(hook.request_id, request_id);
        assert_eq!(
            (hook.status, hook.amount, hook.actual_amount),
            (CardStatus::Success, Some(10_000), Some(8_000))
        );
        assert_eq!(hook.declared_value, Some(10_000));
    }
}

#[test]
fn wrong_value_webhook_signs_a_float_amount_as_php_prints_it() {
    let sim = Sim::start();
    let sink = with_webhooks(&sim);
    let client = client(&sim, OPENCARD_KSORT, SignOrder::Ksort);
    client.charge(&viettel('2', "10000000000003")).unwrap();
    let received = sink.recv(WAIT).unwrap();
    assert!(String::from_utf8_lossy(&received.body).contains("\"amount\":5000.0"));
    let hook = client.parse_webhook(&received.body).unwrap();
    assert_eq!(
        (hook.status, hook.amount),
        (CardStatus::WrongValue, Some(5_000))
    );

    // A webhook checked with the other order, or tampered, is refused.
    let prose = self::client(&sim, OPENCARD_KSORT, SignOrder::Prose);
    assert_eq!(
        prose.parse_webhook(&received.body),
        Err(Error::SignatureMismatch { field: "sign" })
    );
    let tampered = String::from_utf8_lossy(&received.body).replace("\"status\":2", "\"status\":1");
    assert_eq!(
        client.parse_webhook(tampered.as_bytes()),
        Err(Error::SignatureMismatch { field: "sign" })
    );
}

#[test]
fn refusals_are_results() {
    let sim = Sim::start();
    let client = client(&sim, OPENCARD_KSORT, SignOrder::Ksort);
    let card = viettel('3', "10000000000004");
    assert_eq!(client.charge(&card).unwrap().status, CardStatus::Pending);
    let again = client.charge(&card).unwrap();
    assert_eq!(
        (again.status, again.message.as_str()),
        (CardStatus::CardError, "CARD_EXISTED")
    );
    let maintenance = client.charge(&viettel('4', "10000000000005")).unwrap();
    assert_eq!(maintenance.status, CardStatus::Maintenance);
    // The prose-order client signs differently from what a ksort partner expects.
    let wrong_order = self::client(&sim, OPENCARD_KSORT, SignOrder::Prose);
    assert_eq!(
        wrong_order
            .charge(&viettel('1', "10000000000006"))
            .unwrap()
            .message,
        "INVALID_SIGNATURE"
    );
}

#[test]
fn bad_input_is_refused_before_anything_is_sent() {
    let sim = Sim::start();
    let client = client(&sim, OPENCARD_KSORT, SignOrder::Ksort);
    let good = viettel('1', "10000000000007");
    let cases = [
        (
            "telco",
            OpenCardRequest {
                telco: "GATE".into(),
                ..good.clone()
            },
        ),
        (
            "code",
            OpenCardRequest {
                code: "1234".into(),
                ..good.clone()
            },
        ),
        (
            "code",
            OpenCardRequest {
                code: "12345678901234X".into(),
                ..good.clone()
            },
        ),
        (
            "serial",
            OpenCardRequest {
                serial: "100000000000071".into(),
                ..good.clone()
            },
        ),
        (
            "amount",
            OpenCardRequest {
                amount: 0,
                ..good.clone()
            },
        ),
    ];
    for (field, request) in &cases {
        match client.charge(request) {
            Err(Error::InvalidInput { field: f, .. }) => assert_eq!(&f, field),
            other => panic!("{field}: {other:?}"),
        }
    }
    assert_eq!(sim.requests(), 0);
}

#[test]
fn a_timeout_is_an_unknown_outcome_naming_the_serial() {
    let sim = Sim::start();
    sim.set_faults(Faults {
        mode: FaultMode::None,
        latency_ms: 1_500,
    });
    let client = OpenCard::new(OpenCardConfig {
        base_url: sim.url(),
        http: HttpOptions {
            timeout_ms: 300,
            ..HttpOptions::default()
        },
        ..OpenCardConfig::new(OPENCARD_KSORT.partner_id, OPENCARD_KSORT.partner_key)
    })
    .unwrap();
    match client.charge(&viettel('1', "10000000000008")) {
        Err(Error::OutcomeUnknown {
            reference_field,
            reference,
            ..
        }) => {
            assert_eq!(
                (reference_field, reference.as_str()),
                ("serial", "10000000000008")
            );
        }
        other => panic!("{other:?}"),
    }
}
