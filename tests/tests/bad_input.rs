//! The bad-input matrix: every field of every operation's request, broken every way that must
//! fail (missing, empty, wrong type, too long, NUL, non-digits, unknown telco, bad amounts),
//! through `vngate::api`, the layer the C, PHP and Python fronts all call. Each case must be
//! `InvalidInput` naming the field, and the simulator must see no request at all.

use serde_json::{Value, json};
use vngate::Error;
use vngate::api::Client;
use vngate_sim::Sim;
use vngate_sim::sim::PARTNER_KEY_PEM;

/// (provider, config, operation, a valid request, its optional fields).
// One row per operation reads best as one table, however long.
#[allow(clippy::too_many_lines)]
fn operations(
    url: &str,
) -> Vec<(
    &'static str,
    Value,
    &'static str,
    Value,
    &'static [&'static str],
)> {
    let cws = json!({"base_url": url, "partner_id": "10001", "partner_key": "k"});
    let card = json!({"telco": "VIETTEL", "code": "312821445892981", "serial": "10004783347874", "amount": 50000, "request_id": "r1"});
    let appota = json!({"base_url": url, "partner_code": "P", "api_key": "a", "secret_key": "s", "private_key_pem": PARTNER_KEY_PEM});
    let esms = json!({"base_url": url, "api_token": "t", "secret_key": "k"});
    let topup = json!({"base_url": url, "username": "u", "private_key": "k"});
    vec![
        ("chargingws", cws.clone(), "charge", card.clone(), &[]),
        ("chargingws", cws.clone(), "check", card, &[]),
        (
            "chargingws",
            cws.clone(),
            "buy_cards",
            json!({"service_code": "VIETTEL", "value": 10000, "qty": 2, "request_id": "r1"}),
            &[],
        ),
        (
            "chargingws",
            cws.clone(),
            "redownload",
            json!({"request_id": "r1", "order_code": "O1"}),
            &["order_code"],
        ),
        (
            "chargingws",
            cws.clone(),
            "stock",
            json!({"service_code": "VIETTEL", "value": 10000, "qty": 1}),
            &[],
        ),
        (
            "chargingws",
            cws.clone(),
            "topup_order",
            json!({"service_code": "vinatt", "amount": 50000, "phone": "0912345671", "request_id": "r1"}),
            &[],
        ),
        (
            "chargingws",
            cws,
            "topup_status",
            json!({"request_id": "r1", "order_code": "O1"}),
            &["order_code"],
        ),
        (
            "opencard",
            json!({"base_url": url, "partner_id": "1", "partner_key": "k"}),
            "charge",
            json!({"telco": "VIETTEL", "code": "123456789012341", "serial": "10000000000001", "amount": 10000}),
            &[],
        ),
        (
            "appotapay",
            appota.clone(),
            "buy_cards",
            json!({"partner_ref_id": "r1", "product_code": "VT10", "quantity": 2}),
            &["type", "customer_phone"],
        ),
        (
            "appotapay",
            appota.clone(),
            "buy_cards",
            json!({"partner_ref_id": "r1", "product_code": "VT10", "quantity": 1, "type": "sms", "customer_phone": "0912345678"}),
            &["type"],
        ),
        (
            "appotapay",
            appota.clone(),
            "transaction",
            json!({"partner_ref_id": "r1"}),
            &[],
        ),
        (
            "appotapay",
            appota.clone(),
            "mobile_topup",
            json!({"partner_ref_id": "r1", "phone_number": "0912345678", "product_code": "viettel_10", "telco": "viettel", "telco_service_type": "prepaid"}),
            &["telco", "telco_service_type"],
        ),
        (
            "appotapay",
            appota.clone(),
            "topup_transaction",
            json!({"partner_ref_id": "r1"}),
            &[],
        ),
        (
            "appotapay",
            appota.clone(),
            "data_packages",
            json!({"phone_number": "0912345678", "telco_service_type": "postpaid", "value": 20_000}),
            &["telco_service_type", "value"],
        ),
        (
            "appotapay",
            appota.clone(),
            "bank_transfer",
            json!({"partner_ref_id": "r1", "bank_code": "TPBANK", "account_no": "0123456789", "account_type": "card",
                   "account_name": "NGUYEN VAN A", "amount": 100_000, "fee_type": "payer", "message": "Hoan tien",
                   "customer_phone_number": "0912345678", "contract_number": "HD01", "channel": "citad", "bank_id": "01310001"}),
            &[
                "account_type",
                "customer_phone_number",
                "contract_number",
                "channel",
                "bank_id",
            ],
        ),
        (
            "appotapay",
            appota.clone(),
            "transfer_transaction",
            json!({"partner_ref_id": "r1"}),
            &[],
        ),
        (
            "appotapay",
            appota.clone(),
            "bank_account_info",
            json!({"bank_code": "TPBANK", "account_no": "0123456789", "account_type": "account", "partner_ref_id": "r1"}),
            &["account_type", "partner_ref_id"],
        ),
        (
            "appotapay",
            appota,
            "decrypt_code",
            json!({"serial": "S1", "encrypted_code": "AAAA"}),
            &["serial"],
        ),
        (
            "esms",
            esms.clone(),
            "disburse",
            json!({"amount": 20000, "channel": "momo", "phone": "0912345671", "order_id": "o1", "description": "d", "callback_url": "https://shop.vn/cb"}),
            &["callback_url"],
        ),
        (
            "esms",
            esms.clone(),
            "verify_recipient",
            json!({"channel": "zalopay", "phone": "0912345671"}),
            &[],
        ),
        (
            "esms",
            esms.clone(),
            "query",
            json!({"order_id": "o1"}),
            &[],
        ),
        (
            "esms",
            esms,
            "generate_api_token",
            json!({"access_token": "a"}),
            &[],
        ),
        (
            "topup",
            topup.clone(),
            "topup",
            json!({"phone": "0912345671", "amount": 50000, "client_trans_id": "c1", "gateway": "VTL"}),
            &["client_trans_id", "gateway"],
        ),
        (
            "topup",
            topup,
            "recheck",
            json!({"id_transaction": "1"}),
            &[],
        ),
    ]
}

/// The ways to break one field that must be refused; `None` removes it.
fn breakages(field: &str, valid: &Value) -> Vec<(String, Option<Value>)> {
    let mut cases = vec![
        ("missing".to_owned(), None),
        ("huge".to_owned(), Some(json!("9".repeat(100_000)))),
    ];
    match valid {
        Value::String(_) => {
            cases.push(("wrong type".into(), Some(json!([1, 2]))));
            cases.push(("NUL".into(), Some(json!("12\u{0}34"))));
            // Free text may be empty only where nothing requires it: every string here is required.
            cases.push(("empty".into(), Some(json!(""))));
        }
        Value::Number(_) => {
            cases.push(("wrong type".into(), Some(json!("50000"))));
            cases.push(("negative".into(), Some(json!(-10_000))));
            cases.push(("zero".into(), Some(json!(0))));
            cases.push(("fraction".into(), Some(json!(1.5))));
        }
        _ => {}
    }
    let extra = match field {
        "telco" => Some(("unknown telco", json!("NOKIA"))),
        "code"
        | "serial"
        | "phone"
        | "customer_phone"
        | "phone_number"
        | "customer_phone_number" => Some(("non-digits", json!("09123x5678"))),
        "amount" => Some(("not a multiple", json!(15_500))),
        "quantity" => Some(("too many", json!(101))),
        "channel" => Some(("unknown channel", json!("paypal"))),
        "gateway" => Some(("unknown gateway", json!("XYZ"))),
        _ => None,
    };
    cases.extend(extra.map(|(case, value)| (case.to_owned(), Some(value))));
    cases
}

/// Cases a field may legitimately accept: a game-card code with letters is valid, the serial
/// and code of a decrypt request are free text, an OpenCard amount has no multiple rule, …
fn acceptable(provider: &str, operation: &str, field: &str, case: &str) -> bool {
    matches!(
        (provider, operation, field, case),
        (_, "decrypt_code", "serial", "non-digits")
            | ("chargingws" | "opencard", _, "amount", "not a multiple")
            | ("appotapay", "buy_cards", "quantity", "not a multiple")
            | ("appotapay", "bank_transfer", "amount", "not a multiple")
    )
}

#[test]
fn every_field_of_every_operation_broken_every_way() {
    let sim = Sim::start();
    let url = sim.url();
    let mut checked = 0;
    let mut failures = Vec::new();
    for (provider, config, operation, request, optional) in operations(&url) {
        let client = Client::new(provider, &config.to_string()).unwrap();
        let fields: Vec<(String, Value)> = request
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        for (field, valid) in fields {
            for (case, value) in breakages(&field, &valid) {
                if (value.is_none() && optional.contains(&field.as_str()))
                    || acceptable(provider, operation, &field, &case)
                {
                    continue;
                }
                let mut broken = request.clone();
                match value {
                    Some(value) => broken[&field] = value,
                    None => {
                        broken.as_object_mut().unwrap().remove(&field);
                    }
                }
                checked += 1;
                match client.call(operation, &broken.to_string()) {
                    Err(Error::InvalidInput {
                        field: named,
                        reason,
                    }) => {
                        let right =
                            named == field || (field == "id_transaction" && case == "missing");
                        if !right || reason.contains("312821445892981") {
                            failures.push(format!(
                                "{provider} {operation} {field} {case}: named {named:?}: {reason}"
                            ));
                        }
                    }
                    other => {
                        failures.push(format!("{provider} {operation} {field} {case}: {other:?}"));
                    }
                }
            }
        }
    }
    println!("{checked} broken requests, each refused naming its field");
    assert!(failures.is_empty(), "{failures:#?}");
    assert!(checked > 150, "{checked}");
    assert_eq!(sim.requests(), 0, "nothing may reach a provider");
}
