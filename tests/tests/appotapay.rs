//! AppotaPay against the simulator: buying (both paddings, both key formats), transaction,
//! products, balance, every error class, bad input and unknown outcomes.

use vngate::Error;
use vngate::appotapay::{AppotaPay, AppotaPayConfig, BuyRequest, BuyType, Padding, PurchaseStatus};
use vngate_sim::sim::{
    APPOTAPAY_OAEP, APPOTAPAY_PKCS1, AppotaAccount, PARTNER_KEY_PEM, START_BALANCE,
};
use vngate_sim::{Callbacks, FaultMode, Faults, Sim, With};

const PKCS1_PEM: &str = include_str!("../data/appotapay-partner-key-pkcs1.pem");

fn client(sim: &Sim, account: AppotaAccount, padding: Padding, pem: &str) -> AppotaPay {
    AppotaPay::new(
        AppotaPayConfig::new(account.partner_code, account.api_key, account.secret_key).with(|o| {
            o.base_url = sim.url();
            o.private_key_pem = Some(pem.into());
            o.padding = padding;
            o.http.timeout_ms = 2_000;
        }),
    )
    .unwrap()
}

fn oaep(sim: &Sim) -> AppotaPay {
    client(sim, APPOTAPAY_OAEP, Padding::OaepSha1, PARTNER_KEY_PEM)
}

fn buy(id: &str, product: &str, quantity: i64) -> BuyRequest {
    BuyRequest::default().with(|o| {
        o.partner_ref_id = id.into();
        o.product_code = product.into();
        o.quantity = quantity;
    })
}

#[test]
fn buys_and_decrypts_codes_with_both_paddings_and_key_formats() {
    let sim = Sim::start();
    for (label, client, id) in [
        (
            "oaep/pkcs8",
            client(&sim, APPOTAPAY_OAEP, Padding::OaepSha1, PARTNER_KEY_PEM),
            "buy-oaep",
        ),
        (
            "pkcs1v15/pkcs1",
            client(&sim, APPOTAPAY_PKCS1, Padding::Pkcs1v15, PKCS1_PEM),
            "buy-pkcs1",
        ),
    ] {
        let result = client.buy_cards(&buy(id, "VT50", 3)).unwrap();
        assert_eq!(
            (result.status, result.error_code),
            (PurchaseStatus::Success, 0),
            "{label}"
        );
        assert_eq!(result.cards.len(), 3);
        assert_eq!(result.amount, Some(150_000));
        assert_eq!(
            result.balance,
            Some(START_BALANCE - 150_000),
            "a string balance is read"
        );
        for card in &result.cards {
            let code = card
                .code
                .as_ref()
                .unwrap_or_else(|| panic!("{label}: {:?}", card.code_error));
            assert_eq!(code.as_str().len(), 13);
            assert_eq!(
                (card.value, card.expiry.as_deref()),
                (Some(50_000), Some("2030-09-29"))
            );
        }
        // transaction re-delivers the same codes.
        let again = client.transaction(id).unwrap();
        assert_eq!(again.status, PurchaseStatus::Success);
        let codes = |r: &vngate::appotapay::BuyResult| {
            r.cards.iter().map(|c| c.code.clone()).collect::<Vec<_>>()
        };
        assert_eq!(codes(&again), codes(&result));
    }
}

#[test]
fn the_wrong_padding_keeps_the_card_and_its_serial() {
    let sim = Sim::start();
    let wrong = client(&sim, APPOTAPAY_OAEP, Padding::Pkcs1v15, PARTNER_KEY_PEM);
    let result = wrong.buy_cards(&buy("wrong-padding", "AC10", 1)).unwrap();
    assert_eq!(
        result.status,
        PurchaseStatus::Success,
        "the purchase stands"
    );
    let card = &result.cards[0];
    assert!(card.code.is_none());
    assert_eq!(card.code_error.as_ref().unwrap().serial, card.serial);
    // Decrypting it later with the right padding recovers it.
    let right = oaep(&sim);
    assert!(
        right
            .decrypt_code(&card.serial, &card.encrypted_code)
            .is_ok()
    );
}

#[test]
fn every_error_class() {
    let sim = Sim::start();
    sim.set_callbacks(Callbacks {
        delay_ms: 200,
        ..Callbacks::default()
    });
    let client = oaep(&sim);
    client.buy_cards(&buy("dup-1", "AC10", 1)).unwrap();
    let cases = [
        (buy("dup-1", "AC10", 1), PurchaseStatus::Duplicate, 31),
        (buy("stock-1", "OUT1", 1), PurchaseStatus::Failed, 72),
        (buy("nope-1", "ZZ99", 1), PurchaseStatus::Failed, 71),
        (buy("rich-1", "AC100", 100), PurchaseStatus::Failed, 12),
        (buy("later-pending", "AC10", 1), PurchaseStatus::Unknown, 35),
    ];
    for (request, status, code) in cases {
        let result = client.buy_cards(&request).unwrap();
        assert_eq!(
            (result.status, result.error_code),
            (status, code),
            "{}",
            request.partner_ref_id
        );
        assert!(!result.message.is_empty());
    }
    // The pending purchase resolves through transaction, never through a second buy.
    assert_eq!(
        client.transaction("later-pending").unwrap().status,
        PurchaseStatus::Unknown
    );
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert_eq!(
        client.transaction("later-pending").unwrap().status,
        PurchaseStatus::Success
    );
    assert_eq!(
        client.transaction("never-bought").unwrap().status,
        PurchaseStatus::NotFound
    );

    let wrong_secret = AppotaPay::new(
        AppotaPayConfig::new(
            APPOTAPAY_OAEP.partner_code,
            APPOTAPAY_OAEP.api_key,
            "not-the-secret",
        )
        .with(|o| {
            o.base_url = sim.url();
        }),
    )
    .unwrap();
    // A refused JWT is a credentials problem on every operation, not a failed purchase.
    let refusals = [
        wrong_secret.buy_cards(&buy("auth-1", "AC10", 1)).map(drop),
        wrong_secret.transaction("auth-1").map(drop),
        wrong_secret.products().map(drop),
        wrong_secret.balance().map(drop),
    ];
    for refused in refusals {
        match refused {
            Err(Error::Auth { reason }) => {
                assert!(reason.contains("HTTP 401, errorCode 14"), "{reason}");
                assert!(reason.contains("API Key không tồn tại"), "{reason}");
            }
            other => panic!("a JWT signed with the wrong secret: {other:?}"),
        }
    }
    // A code no document lists: nobody can say nothing was bought.
    let odd = client.buy_cards(&buy("odd-1", "ODD77", 1)).unwrap();
    assert_eq!((odd.status, odd.error_code), (PurchaseStatus::Unknown, 77));
}

/// The document's own `products` example has `data` and no `errorCode`.
#[test]
fn products_without_an_error_code_are_read_as_success() {
    use std::sync::Arc;
    use vngate_sim::server::{Handler, Reply, Server};
    let handler: Handler = Arc::new(|_| {
        Reply::json(
            &serde_json::json!({"data": [{"productType": "card", "productCodes": [{"code": "VT10", "name": "Viettel 10k", "value": 10000}]}]}),
        )
    });
    let server = Server::start(0, handler).unwrap();
    let client = AppotaPay::new(AppotaPayConfig::new("P", "a", "s").with(|o| {
        o.base_url = server.url();
    }))
    .unwrap();
    let products = client.products().unwrap();
    assert_eq!((products.error_code, products.products.len()), (0, 1));
}

#[test]
fn sms_purchases_and_products_and_balance() {
    let sim = Sim::start();
    let client = oaep(&sim);
    let sms = buy("sms-1", "VT10", 1).with(|o| {
        o.r#type = BuyType::Sms;
        o.customer_phone = Some("0912345678".into());
    });
    let result = client.buy_cards(&sms).unwrap();
    assert_eq!(
        (result.status, result.cards.len()),
        (PurchaseStatus::Success, 0)
    );
    let products = client.products().unwrap();
    assert_eq!(products.products.len(), 5);
    assert!(
        products
            .products
            .iter()
            .any(|p| p.product_type == "VIETTEL" && p.code == "VT10" && p.value == Some(10_000))
    );
    assert_eq!(
        client.balance().unwrap().balance,
        Some(START_BALANCE - 10_000)
    );
}

#[test]
fn bad_input_is_refused_before_anything_is_sent() {
    let sim = Sim::start();
    let client = oaep(&sim);
    for (field, request) in [
        ("partner_ref_id", buy("", "AC10", 1)),
        ("partner_ref_id", buy("a/b", "AC10", 1)),
        ("product_code", buy("r", "", 1)),
        ("quantity", buy("r", "AC10", 0)),
        ("quantity", buy("r", "AC10", 101)),
        (
            "customer_phone",
            buy("r", "VT10", 1).with(|o| {
                o.r#type = BuyType::Sms;
            }),
        ),
        (
            "quantity",
            buy("r", "VT10", 2).with(|o| {
                o.r#type = BuyType::Sms;
                o.customer_phone = Some("0912345678".into());
            }),
        ),
    ] {
        match client.buy_cards(&request) {
            Err(Error::InvalidInput { field: f, .. }) => assert_eq!(f, field),
            other => panic!("{field}: {other:?}"),
        }
    }
    assert!(matches!(
        client.transaction("../balance"),
        Err(Error::InvalidInput { .. })
    ));
    assert_eq!(sim.requests(), 0);
}

#[test]
fn a_timeout_or_a_broken_reply_is_an_unknown_outcome() {
    let sim = Sim::start();
    let client = AppotaPay::new(
        AppotaPayConfig::new(
            APPOTAPAY_OAEP.partner_code,
            APPOTAPAY_OAEP.api_key,
            APPOTAPAY_OAEP.secret_key,
        )
        .with(|o| {
            o.base_url = sim.url();
            o.private_key_pem = Some(PARTNER_KEY_PEM.into());
            o.http.timeout_ms = 300;
        }),
    )
    .unwrap();
    for (i, faults) in [
        Faults {
            mode: FaultMode::None,
            latency_ms: 1_000,
        },
        Faults {
            mode: FaultMode::Html502,
            latency_ms: 0,
        },
    ]
    .into_iter()
    .enumerate()
    {
        sim.set_faults(faults);
        let id = format!("unknown-{i}");
        match client.buy_cards(&buy(&id, "AC10", 1)) {
            Err(Error::OutcomeUnknown {
                reference_field: "partner_ref_id",
                reference,
                ..
            }) => assert_eq!(reference, id),
            other => panic!("{faults:?}: {other:?}"),
        }
        sim.set_faults(Faults::default());
        // The simulator did sell the card: transaction finds it.
        assert_eq!(
            client.transaction(&id).unwrap().status,
            PurchaseStatus::Success
        );
    }
}
