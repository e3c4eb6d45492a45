//! OpenCard against the simulator: charge, signed webhooks in both orders, refusals.

use std::time::Duration;

use vngate::opencard::{OpenCard, OpenCardConfig, OpenCardRequest, SignOrder, StoredCharge};
use vngate::{CardStatus, Error};
use vngate_sim::sim::{OPENCARD_KSORT, OPENCARD_PROSE};
use vngate_sim::{Account, CallbackSink, Callbacks, FaultMode, Faults, Sim, With};

const WAIT: Duration = Duration::from_secs(5);

fn client(sim: &Sim, account: Account, order: SignOrder) -> OpenCard {
    OpenCard::new(
        OpenCardConfig::new(account.partner_id, account.partner_key).with(|o| {
            o.base_url = sim.url();
            o.sign_order = order;
            o.webhook_sign_order = order;
            o.http.timeout_ms = 2_000;
        }),
    )
    .unwrap()
}

fn viettel(code_last: char, serial: &str) -> OpenCardRequest {
    OpenCardRequest::new(
        "VIETTEL",
        format!("12345678901234{code_last}"),
        serial,
        10_000,
    )
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
            (hook.status, hook.amount, hook.unverified.actual_amount),
            (CardStatus::Success, Some(10_000), Some(8_000))
        );
        assert_eq!(hook.unverified.declared_value, Some(10_000));
        hook.check_against(&StoredCharge::new(request_id).with(|o| {
            o.amount = Some(10_000);
            o.telco = Some("VIETTEL".into());
        }))
        .unwrap();
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
            good.clone().with(|o| {
                o.telco = "GATE".into();
            }),
        ),
        (
            "code",
            good.clone().with(|o| {
                o.code = "1234".into();
            }),
        ),
        (
            "code",
            good.clone().with(|o| {
                o.code = "12345678901234X".into();
            }),
        ),
        (
            "serial",
            good.clone().with(|o| {
                o.serial = "100000000000071".into();
            }),
        ),
        (
            "amount",
            good.clone().with(|o| {
                o.amount = 0;
            }),
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
    let client = OpenCard::new(
        OpenCardConfig::new(OPENCARD_KSORT.partner_id, OPENCARD_KSORT.partner_key).with(|o| {
            o.base_url = sim.url();
            o.http.timeout_ms = 300;
        }),
    )
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

/// OpenCard signs `md5(KEY + amount + request_id + status + trans_id)` with no separator: from
/// one genuine failed webhook, a forger can move digits between the signed fields and keep
/// the signature. Non-canonical values are refused; canonical ones that still add up are
/// caught by matching the signed `request_id` to the stored charge.
#[test]
fn webhooks_re_signed_by_moving_digits_between_fields_are_refused() {
    let client = OpenCard::new(OpenCardConfig::new(
        OPENCARD_KSORT.partner_id,
        OPENCARD_KSORT.partner_key,
    ))
    .unwrap();
    let key = OPENCARD_KSORT.partner_key;
    // The genuine webhook: card error, nothing received.
    let sign = vngate::opencard::sign::webhook_sign(
        SignOrder::Ksort,
        key,
        "385673004",
        "3",
        "0",
        "18896004",
    );
    let body = |amount: &str, request_id: &str, status: &str, trans_id: &str| {
        format!(
            r#"{{"request_id":{request_id},"trans_id":{trans_id},"telco":"VIETTEL","declared_value":50000,"status":{status},"message":"x","amount":{amount},"actual_amount":0,"sign":"{sign}"}}"#
        )
    };
    let genuine = body("0", "\"385673004\"", "3", "\"18896004\"");
    let hook = client.parse_webhook(genuine.as_bytes()).unwrap();
    assert_eq!(hook.status, CardStatus::CardError);
    let stored = StoredCharge::new("385673004").with(|o| {
        o.amount = Some(50_000);
        o.telco = Some("VIETTEL".into());
    });
    hook.check_against(&stored).unwrap();

    // "038567300" + "43" + "1" + "8896004": the same signed string, now a success worth
    // 38 567 300. Refused: the amount is not canonical.
    let shifted = body("\"038567300\"", "\"43\"", "1", "\"8896004\"");
    assert!(
        matches!(client.parse_webhook(shifted.as_bytes()), Err(Error::BadReply { ref reason, .. }) if reason.contains("amount")),
        "{:?}",
        client.parse_webhook(shifted.as_bytes())
    );
    for (amount, request_id, status, trans_id) in [
        ("\" 0\"", "\"385673004\"", "3", "\"18896004\""),
        ("0", "\"0385673004\"", "3", "\"18896004\""),
        ("0", "\"385673004\"", "\"+3\"", "\"18896004\""),
        ("0", "\"385673004\"", "3", "\"\\u00318896004\""),
        ("0", "385673004.0", "3", "\"18896004\""),
    ] {
        let forged = body(amount, request_id, status, trans_id);
        assert!(
            matches!(
                client.parse_webhook(forged.as_bytes()),
                Err(Error::BadReply { .. })
            ),
            "{forged}"
        );
    }

    // "0" + "3856730043" + "1" + "8896004": canonical, and the signature holds: a "success"
    // for another request_id. Matching the stored charge refuses it.
    let canonical = body("0", "\"3856730043\"", "1", "\"8896004\"");
    let forged = client.parse_webhook(canonical.as_bytes()).unwrap();
    assert_eq!(forged.status, CardStatus::Success);
    assert!(matches!(
        forged.check_against(&stored),
        Err(Error::CallbackMismatch {
            field: "request_id",
            ..
        })
    ));
    // The unsigned fields are kept apart and matched when the caller gives them.
    let relabelled = genuine.replace("\"declared_value\":50000", "\"declared_value\":500000");
    let hook = client.parse_webhook(relabelled.as_bytes()).unwrap();
    assert_eq!(hook.unverified.declared_value, Some(500_000));
    assert!(matches!(
        hook.check_against(&stored),
        Err(Error::CallbackMismatch {
            field: "declared_value",
            ..
        })
    ));
}

#[test]
fn an_amount_that_is_no_face_value_is_refused_before_sending() {
    let sim = Sim::start();
    let client = client(&sim, OPENCARD_KSORT, SignOrder::Ksort);
    let card = viettel('1', "10000000000099").with(|o| {
        o.amount = 15_000;
    });
    assert!(matches!(
        client.charge(&card),
        Err(Error::InvalidInput { ref field, .. }) if field == "amount"
    ));
    let garena = OpenCardRequest::new("GARENA", "ABCDEFGHIJK1", "ABCDEFGHIJKL", 10_000);
    assert!(matches!(
        client.charge(&garena),
        Err(Error::InvalidInput { ref field, .. }) if field == "amount"
    ));
    assert_eq!(sim.requests(), 0);
}
