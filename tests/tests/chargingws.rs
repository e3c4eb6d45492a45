//! chargingws against the simulator: every operation, status path, scheme and transport.

use std::time::Duration;

use vngate::chargingws::{CardRequest, ChargingWs, ChargingWsConfig, SignScheme, Transport};
use vngate::{CardStatus, Error};
use vngate_sim::sim::{CHARGINGWS_S1, CHARGINGWS_S2, FEE_PERCENT, PENALTY_PERCENT};
use vngate_sim::{Account, CallbackSink, Callbacks, Sim, With};

const WAIT: Duration = Duration::from_secs(5);

fn client(sim: &Sim, account: Account, scheme: SignScheme, transport: Transport) -> ChargingWs {
    ChargingWs::new(
        ChargingWsConfig::new(sim.url(), account.partner_id, account.partner_key).with(|o| {
            o.sign_scheme = scheme;
            o.transport = transport;
            o.http.timeout_ms = 2_000;
        }),
    )
    .unwrap()
}

fn s1(sim: &Sim) -> ChargingWs {
    client(sim, CHARGINGWS_S1, SignScheme::S1, Transport::Form)
}

fn card(code: &str) -> CardRequest {
    CardRequest::new(
        "VIETTEL",
        code,
        "10004783347874",
        50_000,
        vngate::new_request_id(),
    )
}

fn with_callbacks(sim: &Sim, method: &str) -> CallbackSink {
    let sink = CallbackSink::start();
    sim.set_callbacks(Callbacks {
        chargingws_url: Some(sink.url()),
        chargingws_method: method.into(),
        delay_ms: 100,
        ..Callbacks::default()
    });
    sink
}

#[test]
fn every_scheme_and_transport_charges_receives_the_callback_and_checks() {
    let sim = Sim::start();
    let combos = [
        (CHARGINGWS_S1, SignScheme::S1, Transport::Form, "post"),
        (CHARGINGWS_S1, SignScheme::S1, Transport::Json, "get"),
        (CHARGINGWS_S1, SignScheme::S1, Transport::Get, "post"),
        (CHARGINGWS_S2, SignScheme::S2, Transport::Form, "get"),
        (CHARGINGWS_S2, SignScheme::S2, Transport::Json, "post"),
        (CHARGINGWS_S2, SignScheme::S2, Transport::Get, "get"),
    ];
    for (account, scheme, transport, method) in combos {
        let label = format!("{scheme:?}/{transport:?}/{method}");
        let sink = with_callbacks(&sim, method);
        let client = client(&sim, account, scheme, transport);
        // Leading zero in the serial, lower-case telco: both must survive signing.
        let request = card("664196324421").with(|o| {
            o.telco = "mobifone".into();
            o.serial = "089801001443088".into();
        });
        let submitted = client.charge(&request).unwrap();
        assert_eq!(submitted.status, CardStatus::Pending, "{label}");
        assert_eq!(
            submitted.request_id.as_deref(),
            Some(request.request_id.as_str())
        );
        assert_eq!(submitted.declared_value, Some(50_000));
        assert_eq!(submitted.value, None, "value is null while pending");
        assert_eq!(submitted.serial.as_deref(), Some("089801001443088"));
        assert!(submitted.raw.as_str().contains("PENDING"));

        let received = sink
            .recv(WAIT)
            .unwrap_or_else(|| panic!("{label}: no callback"));
        assert_eq!(received.method, method.to_uppercase());
        let callback = client.parse_callback(received.data()).unwrap();
        callback.check_against(&request).unwrap();
        assert_eq!(callback.status, CardStatus::Success, "{label}");
        assert_eq!(callback.message, "Thành công");
        assert_eq!(callback.value, Some(50_000));
        assert_eq!(callback.amount, Some(50_000 * (100 - FEE_PERCENT) / 100));
        assert_eq!(callback.card_value, (method == "get").then_some(50_000));

        let checked = client.check(&request).unwrap();
        assert_eq!(checked.status, CardStatus::Success, "{label}");
        assert_eq!(checked.trans_id, submitted.trans_id);
    }
}

#[test]
fn every_status_path() {
    let sim = Sim::start();
    let sink = with_callbacks(&sim, "post");
    let client = s1(&sim);
    // code's last digit → (status of the submit reply, final status, value, amount)
    let cases = [
        (
            '1',
            CardStatus::Pending,
            CardStatus::Success,
            Some(50_000),
            Some(40_000),
        ),
        (
            '2',
            CardStatus::Pending,
            CardStatus::WrongValue,
            Some(25_000),
            Some(25_000 * (100 - FEE_PERCENT - PENALTY_PERCENT) / 100),
        ),
        (
            '3',
            CardStatus::Pending,
            CardStatus::CardError,
            Some(0),
            Some(0),
        ),
    ];
    for (digit, first, last, value, amount) in cases {
        let request = card(&format!("31282144589298{digit}"));
        assert_eq!(client.charge(&request).unwrap().status, first);
        let callback = client
            .parse_callback(sink.recv(WAIT).unwrap().data())
            .unwrap();
        callback.check_against(&request).unwrap();
        assert_eq!(
            (callback.status, callback.value, callback.amount),
            (last, value, amount),
            "digit {digit}"
        );
        assert_eq!(client.check(&request).unwrap().status, last);
    }
    let maintenance = client.charge(&card("312821445892984")).unwrap();
    assert_eq!(
        (maintenance.status, maintenance.message.as_str()),
        (CardStatus::Maintenance, "Hệ thống bảo trì")
    );
    let rejected = client.charge(&card("312821445892985")).unwrap();
    assert_eq!(
        (rejected.status, rejected.message.as_str()),
        (CardStatus::Rejected, "Thẻ đã được sử dụng")
    );

    // …0 stays pending: no callback, and check still says 99 after the delay.
    let pending = card("312821445892980");
    assert_eq!(client.charge(&pending).unwrap().status, CardStatus::Pending);
    assert!(sink.recv(Duration::from_millis(400)).is_none());
    assert_eq!(client.check(&pending).unwrap().status, CardStatus::Pending);
}

#[test]
fn provider_refusals_are_results_with_their_codes() {
    let sim = Sim::start();
    let client = s1(&sim);
    let request = card("312821445892981");
    client.charge(&request).unwrap();
    let duplicate = client.charge(&request).unwrap();
    assert_eq!(
        (duplicate.status, duplicate.message.as_str()),
        (CardStatus::Other(102), "REQUEST_ID_EXISTED")
    );

    let unknown = client.check(&card("312821445892981")).unwrap();
    assert_eq!(
        (unknown.status, unknown.message.as_str()),
        (CardStatus::Other(101), "CARD_NOT_EXISTED")
    );

    let wrong_key = ChargingWs::new(ChargingWsConfig::new(
        sim.url(),
        CHARGINGWS_S1.partner_id,
        "not-the-key",
    ))
    .unwrap();
    let refused = wrong_key.charge(&card("312821445892981")).unwrap();
    assert_eq!(
        (refused.status, refused.message.as_str()),
        (CardStatus::Other(102), "INVALID_SIGNATURE")
    );

    // An S1 client for an S2 partner signs wrongly, and the site says so.
    let wrong_scheme = client_for(&sim, CHARGINGWS_S2, SignScheme::S1);
    assert_eq!(
        wrong_scheme
            .charge(&card("312821445892981"))
            .unwrap()
            .message,
        "INVALID_SIGNATURE"
    );

    let stranger = ChargingWs::new(ChargingWsConfig::new(sim.url(), "99999", "k")).unwrap();
    assert_eq!(
        stranger.charge(&card("312821445892981")).unwrap().message,
        "MERCHANT_NOT_EXISTED_OR_OFF"
    );
}

fn client_for(sim: &Sim, account: Account, scheme: SignScheme) -> ChargingWs {
    client(sim, account, scheme, Transport::Form)
}

#[test]
fn fees_in_both_shapes() {
    let sim = Sim::start();
    let flat = s1(&sim).fees().unwrap();
    let keyed = client_for(&sim, CHARGINGWS_S2, SignScheme::S2)
        .fees()
        .unwrap();
    assert!(flat.raw.as_str().starts_with('['));
    assert!(keyed.raw.as_str().starts_with('{'));
    for table in [&flat, &keyed] {
        assert_eq!(table.fees.len(), 36);
        let row = table
            .fees
            .iter()
            .find(|f| f.telco == "VNMOBI" && f.value == 50_000)
            .unwrap();
        assert_eq!(
            (row.fees, row.penalty),
            (FEE_PERCENT as f64, Some(PENALTY_PERCENT as f64))
        );
    }
}

#[test]
fn bad_input_is_refused_before_anything_is_sent() {
    let sim = Sim::start();
    let client = s1(&sim);
    let good = card("312821445892981");
    let cases: Vec<(&str, CardRequest)> = vec![
        (
            "telco",
            good.clone().with(|o| {
                o.telco = String::new();
            }),
        ),
        (
            "telco",
            good.clone().with(|o| {
                o.telco = "NOKIA".into();
            }),
        ),
        (
            "code",
            good.clone().with(|o| {
                o.code = "".into();
            }),
        ),
        (
            "code",
            good.clone().with(|o| {
                o.code = "3128-2144".into();
            }),
        ),
        (
            "code",
            good.clone().with(|o| {
                o.code = "31282144\u{0}5892981".into();
            }),
        ),
        (
            "code",
            good.clone().with(|o| {
                o.code = "9".repeat(100).into();
            }),
        ),
        (
            "serial",
            good.clone().with(|o| {
                o.serial = "1000 4783".into();
            }),
        ),
        (
            "amount",
            good.clone().with(|o| {
                o.amount = 0;
            }),
        ),
        (
            "amount",
            good.clone().with(|o| {
                o.amount = -50_000;
            }),
        ),
        (
            "request_id",
            good.clone().with(|o| {
                o.request_id = String::new();
            }),
        ),
        (
            "request_id",
            good.clone().with(|o| {
                o.request_id = "id with spaces".into();
            }),
        ),
        (
            "request_id",
            good.clone().with(|o| {
                o.request_id = "x".repeat(65);
            }),
        ),
    ];
    for (field, request) in &cases {
        for result in [client.charge(request), client.check(request)] {
            match result {
                Err(Error::InvalidInput { field: f, .. }) => assert_eq!(&f, field),
                other => panic!("{field}: {other:?}"),
            }
        }
    }
    assert_eq!(sim.requests(), 0, "nothing may reach the provider");
}

#[test]
fn bad_config_is_refused_naming_the_field() {
    let sim = Sim::start();
    for (config, field) in [
        (ChargingWsConfig::new("ftp://x", "1", "k"), "base_url"),
        (ChargingWsConfig::new(sim.url(), "", "k"), "partner_id"),
        (ChargingWsConfig::new(sim.url(), "1", ""), "partner_key"),
        (
            ChargingWsConfig::new(sim.url(), "1", "k").with(|o| {
                o.http.timeout_ms = 0;
            }),
            "timeout_ms",
        ),
    ] {
        match ChargingWs::new(config) {
            Err(Error::InvalidInput { field: f, .. }) => assert_eq!(f, field),
            other => panic!("{field}: {other:?}"),
        }
    }
}

#[test]
fn a_config_reads_from_json_with_defaults() {
    let config: ChargingWsConfig = serde_json::from_str(
        r#"{"base_url":"https://thesieure.com","partner_id":"1","partner_key":"k","sign_scheme":"s2","transport":"json","timeout_ms":5000}"#,
    )
    .unwrap();
    assert_eq!(
        (config.sign_scheme, config.transport, config.path.as_str()),
        (SignScheme::S2, Transport::Json, "/chargingws/v2")
    );
    assert_eq!(
        (config.http.timeout_ms, config.http.connect_timeout_ms),
        (5000, 10_000)
    );
    assert!(!format!("{config:?}").contains("\"k\""));
}

#[test]
fn a_misspelt_config_key_is_refused_by_name() {
    let config: ChargingWsConfig = serde_json::from_str(
        r#"{"base_url":"https://thesieure.com","partner_id":"1","partner_key":"k","timeout_ms":5000,"sign_schme":"s2"}"#,
    )
    .unwrap();
    assert_eq!(config.http.timeout_ms, 5000, "HTTP keys are not unknown");
    match ChargingWs::new(config) {
        Err(Error::InvalidInput { field, .. }) => assert_eq!(field, "sign_schme"),
        other => panic!("{other:?}"),
    }
}

/// An amount that is not a face value of the telco is refused before anything is sent,
/// naming `amount`; the set can be replaced in the config or read from the site's fee table.
#[test]
fn amounts_that_are_not_face_values_are_refused_before_sending() {
    let sim = Sim::start();
    let card = |amount: i64, n: u32| {
        CardRequest::new(
            "VIETTEL",
            "312821445892981",
            "10004783347874",
            amount,
            format!("fv-{amount}-{n}"),
        )
    };
    let refused = |client: &ChargingWs, amount: i64| match client.charge(&card(amount, 0)) {
        Err(Error::InvalidInput { field, reason }) => {
            assert_eq!(field, "amount", "{reason}");
            reason
        }
        other => panic!("{amount}: {other:?}"),
    };
    let defaults = client(&sim, CHARGINGWS_S1, SignScheme::S1, Transport::Form);
    refused(&defaults, 55_000);
    refused(&defaults, 5_000_000);
    assert_eq!(sim.requests(), 0, "nothing was sent");
    defaults.charge(&card(30_000, 1)).unwrap();

    let custom = ChargingWs::new(
        ChargingWsConfig::new(
            sim.url(),
            CHARGINGWS_S1.partner_id,
            CHARGINGWS_S1.partner_key,
        )
        .with(|o| {
            o.face_values = [("viettel".to_owned(), vec![55_000])].into();
        }),
    )
    .unwrap();
    custom.charge(&card(55_000, 2)).unwrap();
    refused(&custom, 50_000);

    // The site's own table (the simulator lists 10 000 … 500 000, without 30 000).
    let from_fees = ChargingWs::new(
        ChargingWsConfig::new(
            sim.url(),
            CHARGINGWS_S1.partner_id,
            CHARGINGWS_S1.partner_key,
        )
        .with(|o| {
            o.face_values_from_fees = true;
        }),
    )
    .unwrap();
    let before = sim.requests();
    // Bad input is refused before the fee table is read: nothing reaches the site.
    let bad_code = card(50_000, 5).with(|o| {
        o.code = "31282A".into();
    });
    assert!(matches!(
        from_fees.charge(&bad_code),
        Err(Error::InvalidInput { ref field, .. }) if field == "code"
    ));
    assert_eq!(sim.requests(), before, "nothing sent for bad input");
    assert!(refused(&from_fees, 30_000).contains("10000, 20000, 50000"));
    from_fees.charge(&card(50_000, 3)).unwrap();
    from_fees.charge(&card(20_000, 4)).unwrap();
    assert_eq!(
        sim.requests() - before,
        3,
        "one fee table, then two charges"
    );
}
