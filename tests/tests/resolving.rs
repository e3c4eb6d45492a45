//! The registry's resolving calls, as a journal or a reconciler uses them: for every
//! money-moving operation, the input built from the request (and its answer) is one the
//! resolving operation takes, and its answer says where the money stands, the same as the
//! call's own answer once settled.

use serde_json::json;
use vngate::Outcome;
use vngate::api::Client;
use vngate::registry;
use vngate_sim::Sim;
use vngate_sim::sim::{
    APPOTAPAY_OAEP, CHARGINGWS_S1, ESMS_API_TOKEN, ESMS_SECRET_KEY, TOPUP_SHA256,
};

#[test]
fn every_resolving_call_takes_its_input_from_the_request_and_answers_an_outcome() {
    let sim = Sim::start();
    let url = sim.url();
    let cws = json!({"base_url": url, "partner_id": CHARGINGWS_S1.partner_id, "partner_key": CHARGINGWS_S1.partner_key});
    let appota = json!({"base_url": url, "partner_code": APPOTAPAY_OAEP.partner_code,
                        "api_key": APPOTAPAY_OAEP.api_key, "secret_key": APPOTAPAY_OAEP.secret_key});
    let id = || vngate::new_request_id();
    let cases = [
        (
            "chargingws",
            cws.clone(),
            "charge",
            json!({"telco": "VIETTEL", "code": "312821445892981", "serial": "10004783347874", "amount": 50_000, "request_id": id()}),
        ),
        (
            "chargingws",
            cws.clone(),
            "buy_cards",
            json!({"service_code": "VIETTEL", "value": 10_000, "qty": 1, "request_id": id()}),
        ),
        (
            "chargingws",
            cws,
            "topup_order",
            json!({"service_code": "vinatt", "amount": 10_000, "phone": "0912345671", "request_id": id()}),
        ),
        (
            "appotapay",
            appota.clone(),
            "buy_cards",
            json!({"partner_ref_id": id(), "product_code": "VT10", "quantity": 1}),
        ),
        (
            "appotapay",
            appota.clone(),
            "mobile_topup",
            json!({"partner_ref_id": id(), "phone_number": "0912345678", "product_code": "viettel_10"}),
        ),
        (
            "appotapay",
            appota,
            "bank_transfer",
            json!({"partner_ref_id": id(), "bank_code": "TPBANK", "account_no": "0123456789", "account_name": "NGUYEN VAN A",
                "amount": 10_000, "fee_type": "payer", "message": "resolve"}),
        ),
        (
            "esms",
            json!({"base_url": url, "api_token": ESMS_API_TOKEN, "secret_key": ESMS_SECRET_KEY}),
            "disburse",
            json!({"amount": 10_000, "channel": "momo", "phone": "0912345671", "order_id": id(), "description": "d"}),
        ),
        (
            "topup",
            json!({"base_url": format!("{url}/apipayment"), "username": TOPUP_SHA256.username, "private_key": TOPUP_SHA256.private_key}),
            "topup",
            json!({"phone": "0912345671", "amount": 10_000}),
        ),
    ];
    let mut covered = Vec::new();
    for (provider, config, operation, request) in cases {
        let client = Client::new(provider, &config.to_string()).unwrap();
        let op = registry::find(provider, operation).unwrap();
        let money = op.money.unwrap();
        // The reference first, as a journal does before anything is sent.
        let request = client.prepare(operation, &request.to_string()).request_json;
        let answer = client.call_answer(operation, &request).unwrap();
        assert!(
            answer.outcome.is_some(),
            "{provider} {operation}: no outcome"
        );
        let input = money
            .resolving_input(&request, Some(&answer.json))
            .unwrap_or_else(|| panic!("{provider} {operation}: no resolving input"));
        let resolving_op = money.resolved_by.unwrap();
        let resolved = client
            .call_answer(resolving_op, &input)
            .unwrap_or_else(|e| panic!("{provider} {resolving_op} {input}: {e}"));
        let outcome = resolved
            .outcome
            .expect("a resolving call answers an outcome");
        assert_ne!(
            outcome,
            Outcome::NotFound,
            "{provider} {resolving_op} {input}"
        );
        if answer.outcome.is_some_and(Outcome::is_final) {
            assert_eq!(Some(outcome), answer.outcome, "{provider} {operation}");
        }
        covered.push(format!("{provider} {operation}"));
    }
    // Every money-moving operation with a resolving call is here.
    let expected: Vec<String> = registry::OPERATIONS
        .iter()
        .filter(|op| op.money.is_some_and(|m| m.resolved_by.is_some()))
        .map(|op| format!("{} {}", op.provider, op.name))
        .collect();
    assert_eq!(covered, expected);
    // OpenCard has none: its webhook settles it.
    assert!(
        registry::find("opencard", "charge")
            .and_then(|op| op.money)
            .is_some_and(|m| m.resolved_by.is_none() && m.resolving_input("{}", None).is_none())
    );
}
