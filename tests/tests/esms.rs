//! eSMS against the simulator: the token flow, payouts on both channels, verify, query,
//! unsigned callbacks confirmed by query, refusals, bad input, unknown outcomes.

use std::time::Duration;

use vngate::esms::{
    Channel, DisburseRequest, DisbursementStatus, Esms, EsmsConfig, SignatureEncoding,
};
use vngate::{Error, Secret};
use vngate_sim::sim::{ESMS_API_TOKEN, ESMS_EMAIL, ESMS_PASSWORD, ESMS_SECRET_KEY};
use vngate_sim::{CallbackSink, Callbacks, FaultMode, Faults, Sim, With};

fn with_token(sim: &Sim) -> Esms {
    Esms::new(
        EsmsConfig::with_token(ESMS_API_TOKEN, ESMS_SECRET_KEY).with(|o| {
            o.base_url = sim.url();
            o.http.timeout_ms = 2_000;
        }),
    )
    .unwrap()
}

fn payout(order_id: &str, phone: &str, channel: Channel) -> DisburseRequest {
    DisburseRequest::new(50_000, channel, phone, order_id, "Trả thưởng_tháng 11")
}

#[test]
fn login_then_token_then_payout() {
    let sim = Sim::start();
    let client = Esms::new(EsmsConfig::with_token("unused", ESMS_SECRET_KEY).with(|o| {
        o.base_url = sim.url();
        o.api_token = None;
        o.email = Some(ESMS_EMAIL.into());
        o.password = Some(ESMS_PASSWORD.into());
    }))
    .unwrap();
    // The first payout logs in and makes an API token; the second reuses it.
    assert_eq!(
        client
            .disburse(&payout("login-1", "0335690164", Channel::Momo))
            .unwrap()
            .code,
        0
    );
    let before = sim.requests();
    assert_eq!(
        client
            .disburse(&payout("login-2", "0335690164", Channel::Zalopay))
            .unwrap()
            .code,
        0
    );
    assert_eq!(sim.requests(), before + 1, "the token is kept");

    let refused = Esms::new(EsmsConfig::with_token("unused", ESMS_SECRET_KEY).with(|o| {
        o.base_url = sim.url();
        o.api_token = None;
        o.email = Some(ESMS_EMAIL.into());
        o.password = Some(Secret::new("wrong-password"));
    }))
    .unwrap();
    match refused.disburse(&payout("login-3", "0335690164", Channel::Momo)) {
        Err(Error::Auth { reason }) => assert!(reason.contains("Sai")),
        other => panic!("{other:?}"),
    }
}

#[test]
fn payouts_settle_and_callbacks_are_confirmed_by_query() {
    let sim = Sim::start();
    sim.set_callbacks(Callbacks {
        delay_ms: 150,
        ..Callbacks::default()
    });
    let sink = CallbackSink::start();
    let client = with_token(&sim);
    for (order, phone, settled) in [
        ("ok-1", "0912345671", DisbursementStatus::Success),
        ("fail-1", "0912345673", DisbursementStatus::Failed),
    ] {
        let request = payout(order, phone, Channel::Momo).with(|o| {
            o.callback_url = Some(sink.url());
        });
        let created = client.disburse(&request).unwrap();
        assert_eq!(
            (created.code, created.status, created.amount),
            (0, Some(DisbursementStatus::Initial), Some(50_000))
        );
        assert_eq!(created.order_id.as_deref(), Some(order));
        let received = sink.recv(Duration::from_secs(5)).expect("a callback");
        let callback = client.parse_callback(&received.body).unwrap();
        assert!(!callback.confirmed);
        assert_eq!(callback.status, settled);
        let confirmed = client.confirm_callback(&callback).unwrap();
        assert_eq!(confirmed.status, Some(settled));

        // A forged callback (nothing signs them) is caught by the confirmation.
        let forged = String::from_utf8_lossy(&received.body)
            .replace("\"amount\":50000", "\"amount\":5000000");
        let forged = client.parse_callback(forged.as_bytes()).unwrap();
        assert!(matches!(
            client.confirm_callback(&forged),
            Err(Error::CallbackMismatch {
                field: "amount",
                ..
            })
        ));
    }
    let flipped = br#"{"orderId":"fail-1","status":3,"amount":50000}"#;
    let flipped = client.parse_callback(flipped).unwrap();
    assert!(matches!(
        client.confirm_callback(&flipped),
        Err(Error::CallbackMismatch {
            field: "status",
            ..
        })
    ));
}

#[test]
fn verify_query_and_refusals() {
    let sim = Sim::start();
    let client = with_token(&sim);
    let ok = client
        .verify_recipient(Channel::Momo, "0912345671")
        .unwrap();
    assert_eq!((ok.code, ok.result_code.as_deref()), (0, Some("0")));
    let restricted = client
        .verify_recipient(Channel::Zalopay, "0912345673")
        .unwrap();
    assert_eq!(restricted.result_code.as_deref(), Some("1007"));

    client
        .disburse(&payout("dup-1", "0912345671", Channel::Momo))
        .unwrap();
    let duplicate = client
        .disburse(&payout("dup-1", "0912345671", Channel::Momo))
        .unwrap();
    assert_eq!((duplicate.code, duplicate.status), (-12, None));
    assert_eq!(client.query("never").unwrap().code, -14);

    let base64 = Esms::new(
        EsmsConfig::with_token(ESMS_API_TOKEN, ESMS_SECRET_KEY).with(|o| {
            o.base_url = sim.url();
            o.signature_encoding = SignatureEncoding::Base64;
        }),
    )
    .unwrap();
    assert_eq!(
        base64.query("dup-1").unwrap().code,
        -9,
        "the simulator wants hex"
    );
    let bad_token = Esms::new(EsmsConfig::with_token("nope", ESMS_SECRET_KEY).with(|o| {
        o.base_url = sim.url();
    }))
    .unwrap();
    assert_eq!(bad_token.query("dup-1").unwrap().code, -3);
}

#[test]
fn bad_input_is_refused_before_anything_is_sent() {
    let sim = Sim::start();
    let client = with_token(&sim);
    let good = payout("bad-1", "0912345671", Channel::Momo);
    for (field, request) in [
        (
            "amount",
            good.clone().with(|o| {
                o.amount = 9_000;
            }),
        ),
        (
            "amount",
            good.clone().with(|o| {
                o.amount = 10_500;
            }),
        ),
        (
            "phone",
            good.clone().with(|o| {
                o.phone = "12345".into();
            }),
        ),
        (
            "order_id",
            good.clone().with(|o| {
                o.order_id = String::new();
            }),
        ),
        (
            "order_id",
            good.clone().with(|o| {
                o.order_id = "x".repeat(51);
            }),
        ),
        (
            "description",
            good.clone().with(|o| {
                o.description = "d".repeat(256);
            }),
        ),
    ] {
        match client.disburse(&request) {
            Err(Error::InvalidInput { field: f, .. }) => assert_eq!(f, field),
            other => panic!("{field}: {other:?}"),
        }
    }
    assert!(matches!(
        client.verify_recipient(Channel::Momo, "0112"),
        Err(Error::InvalidInput { .. })
    ));
    assert_eq!(sim.requests(), 0);
}

#[test]
fn a_timeout_is_an_unknown_outcome_resolved_by_query() {
    let sim = Sim::start();
    let client = Esms::new(
        EsmsConfig::with_token(ESMS_API_TOKEN, ESMS_SECRET_KEY).with(|o| {
            o.base_url = sim.url();
            o.http.timeout_ms = 300;
        }),
    )
    .unwrap();
    sim.set_faults(Faults {
        mode: FaultMode::None,
        latency_ms: 1_000,
    });
    match client.disburse(&payout("slow-1", "0912345671", Channel::Momo)) {
        Err(Error::OutcomeUnknown {
            reference_field: "order_id",
            reference,
            ..
        }) => assert_eq!(reference, "slow-1"),
        other => panic!("{other:?}"),
    }
    sim.set_faults(Faults::default());
    assert_eq!(
        client.query("slow-1").unwrap().code,
        0,
        "the payout was created"
    );
}
