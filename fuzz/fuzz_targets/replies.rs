//! Every reply parser of the five providers: a loopback server answers with the fuzzer's bytes
//! and each network operation reads them. The first byte picks the operation, the second the
//! HTTP status. Nothing leaves the machine.
#![no_main]

use std::sync::{Arc, Mutex, OnceLock};

use libfuzzer_sys::fuzz_target;
use vngate::api::Client;
use vngate_sim::server::{Reply, Server};

struct Rig {
    _server: Server,
    body: Arc<Mutex<(u16, Vec<u8>)>>,
    clients: Vec<(Client, &'static str, &'static str)>,
}

const PEM: &str = include_str!("../../tests/data/appotapay-partner-key.pem");
/// The simulator's AppotaPay secret, so that seeds made from its replies verify.
const SIM_SECRET: &str = "sim-appota-secret-key";
const TRANSFER: &str = r#"{"partner_ref_id":"f1","bank_code":"TPBANK","account_no":"0123456789","account_name":"NGUYEN VAN A","amount":10000,"fee_type":"payer","message":"fuzz"}"#;

fn rig() -> &'static Rig {
    static RIG: OnceLock<Rig> = OnceLock::new();
    RIG.get_or_init(|| {
        let body: Arc<Mutex<(u16, Vec<u8>)>> = Arc::default();
        let served = Arc::clone(&body);
        let server = Server::start(
            0,
            Arc::new(move |_| {
                let (status, bytes) = served.lock().unwrap().clone();
                Reply::with_status(status, "application/json", bytes)
            }),
        )
        .unwrap();
        let url = server.url();
        let http = r#""timeout_ms":2000"#;
        let make = |provider: &str, config: String| Client::new(provider, &config).unwrap();
        let card = r#"{"telco":"VIETTEL","code":"312821445892981","serial":"10004783347874","amount":10000,"request_id":"f1"}"#;
        let pem = serde_json::to_string(PEM).unwrap();
        let clients = vec![
            (make("chargingws", format!(r#"{{"base_url":"{url}","partner_id":"1","partner_key":"k",{http}}}"#)), "charge", card),
            (make("chargingws", format!(r#"{{"base_url":"{url}","partner_id":"1","partner_key":"k",{http}}}"#)), "check", card),
            (make("chargingws", format!(r#"{{"base_url":"{url}","partner_id":"1","partner_key":"k",{http}}}"#)), "fees", "{}"),
            (
                make("opencard", format!(r#"{{"base_url":"{url}","partner_id":"1","partner_key":"k",{http}}}"#)),
                "charge",
                r#"{"telco":"VIETTEL","code":"123456789012341","serial":"10000000000001","amount":10000}"#,
            ),
            (
                make("appotapay", format!(r#"{{"base_url":"{url}","partner_code":"P","api_key":"a","secret_key":"s","private_key_pem":{pem},{http}}}"#)),
                "buy_cards",
                r#"{"partner_ref_id":"f1","product_code":"VT10","quantity":2}"#,
            ),
            (make("appotapay", format!(r#"{{"base_url":"{url}","partner_code":"P","api_key":"a","secret_key":"s",{http}}}"#)), "transaction", r#"{"partner_ref_id":"f1"}"#),
            (make("appotapay", format!(r#"{{"base_url":"{url}","partner_code":"P","api_key":"a","secret_key":"s",{http}}}"#)), "products", "{}"),
            (make("appotapay", format!(r#"{{"base_url":"{url}","partner_code":"P","api_key":"a","secret_key":"s",{http}}}"#)), "balance", "{}"),
            (
                make("esms", format!(r#"{{"base_url":"{url}","api_token":"t","secret_key":"k",{http}}}"#)),
                "disburse",
                r#"{"amount":10000,"channel":"momo","phone":"0912345671","order_id":"f1","description":"d"}"#,
            ),
            (make("esms", format!(r#"{{"base_url":"{url}","api_token":"t","secret_key":"k",{http}}}"#)), "verify_recipient", r#"{"channel":"zalopay","phone":"0912345671"}"#),
            (make("esms", format!(r#"{{"base_url":"{url}","api_token":"t","secret_key":"k",{http}}}"#)), "query", r#"{"order_id":"f1"}"#),
            (make("esms", format!(r#"{{"base_url":"{url}","email":"e","password":"p","secret_key":"k",{http}}}"#)), "login", "{}"),
            (make("topup", format!(r#"{{"base_url":"{url}","username":"u","private_key":"k",{http}}}"#)), "topup", r#"{"phone":"0912345671","amount":10000}"#),
            (make("topup", format!(r#"{{"base_url":"{url}","username":"u","private_key":"k",{http}}}"#)), "recheck", r#"{"id_transaction":"1"}"#),
            (make("topup", format!(r#"{{"base_url":"{url}","username":"u","private_key":"k",{http}}}"#)), "balance", "{}"),
            // The chargingws card shop and top-up service.
            (make("chargingws", format!(r#"{{"base_url":"{url}","partner_id":"1","partner_key":"k",{http}}}"#)), "buy_cards", r#"{"service_code":"VIETTEL","value":10000,"qty":1,"request_id":"f1"}"#),
            (make("chargingws", format!(r#"{{"base_url":"{url}","partner_id":"1","partner_key":"k",{http}}}"#)), "redownload", r#"{"request_id":"f1"}"#),
            (make("chargingws", format!(r#"{{"base_url":"{url}","partner_id":"1","partner_key":"k",{http}}}"#)), "wallet_balance", "{}"),
            (make("chargingws", format!(r#"{{"base_url":"{url}","partner_id":"1","partner_key":"k",{http}}}"#)), "stock", r#"{"service_code":"VIETTEL","value":10000,"qty":1}"#),
            (make("chargingws", format!(r#"{{"base_url":"{url}","partner_id":"1","partner_key":"k",{http}}}"#)), "card_products", "{}"),
            (make("chargingws", format!(r#"{{"base_url":"{url}","partner_id":"1","partner_key":"k",{http}}}"#)), "topup_order", r#"{"service_code":"vinatt","amount":10000,"phone":"0912345671","request_id":"f1"}"#),
            (make("chargingws", format!(r#"{{"base_url":"{url}","partner_id":"1","partner_key":"k",{http}}}"#)), "topup_status", r#"{"request_id":"f1"}"#),
            (make("chargingws", format!(r#"{{"base_url":"{url}","partner_id":"1","partner_key":"k",{http}}}"#)), "topup_products", "{}"),
            // AppotaPay's signed services: with the simulator's secret (its replies verify) and
            // with the check off (the fuzzer reaches every reader past the signature).
            (make("appotapay", format!(r#"{{"base_url":"{url}","partner_code":"P","api_key":"a","secret_key":"{SIM_SECRET}",{http}}}"#)), "mobile_topup", r#"{"partner_ref_id":"f1","phone_number":"0912345678","product_code":"viettel_10"}"#),
            (make("appotapay", format!(r#"{{"base_url":"{url}","partner_code":"P","api_key":"a","secret_key":"{SIM_SECRET}",{http}}}"#)), "topup_transaction", r#"{"partner_ref_id":"f1"}"#),
            (make("appotapay", format!(r#"{{"base_url":"{url}","partner_code":"P","api_key":"a","secret_key":"{SIM_SECRET}",{http}}}"#)), "data_packages", r#"{"phone_number":"0912345678"}"#),
            (make("appotapay", format!(r#"{{"base_url":"{url}","partner_code":"P","api_key":"a","secret_key":"{SIM_SECRET}",{http}}}"#)), "bank_transfer", TRANSFER),
            (make("appotapay", format!(r#"{{"base_url":"{url}","partner_code":"P","api_key":"a","secret_key":"{SIM_SECRET}",{http}}}"#)), "transfer_transaction", r#"{"partner_ref_id":"f1"}"#),
            (make("appotapay", format!(r#"{{"base_url":"{url}","partner_code":"P","api_key":"a","secret_key":"{SIM_SECRET}",{http}}}"#)), "bank_account_info", r#"{"bank_code":"TPBANK","account_no":"0123456789","partner_ref_id":"f1"}"#),
            (make("appotapay", format!(r#"{{"base_url":"{url}","partner_code":"P","api_key":"a","secret_key":"s","verify_response_signature":false,{http}}}"#)), "mobile_topup", r#"{"partner_ref_id":"f1","phone_number":"0912345678","product_code":"viettel_10"}"#),
            (make("appotapay", format!(r#"{{"base_url":"{url}","partner_code":"P","api_key":"a","secret_key":"s","verify_response_signature":false,{http}}}"#)), "bank_transfer", TRANSFER),
        ];
        Rig { _server: server, body, clients }
    })
}

fuzz_target!(|data: &[u8]| {
    let [which, status, body @ ..] = data else { return };
    let rig = rig();
    let (client, operation, request) = &rig.clients[usize::from(*which) % rig.clients.len()];
    let status = [200, 200, 400, 500, 502][usize::from(*status) % 5];
    *rig.body.lock().unwrap() = (status, body.to_vec());
    if let Ok(json) = client.call(operation, request) {
        serde_json::from_str::<serde_json::Value>(&json).expect("results are JSON");
    }
});
