//! Every callback and webhook parser on arbitrary bytes: the first byte picks the parser.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use vngate::api::Client;

fn clients() -> &'static [Client; 4] {
    static CLIENTS: OnceLock<[Client; 4]> = OnceLock::new();
    CLIENTS.get_or_init(|| {
        [
            Client::new("chargingws", r#"{"base_url":"http://127.0.0.1:9","partner_id":"1","partner_key":"partner_key_example"}"#).unwrap(),
            Client::new("opencard", r#"{"base_url":"http://127.0.0.1:9","partner_id":"1","partner_key":"ockey"}"#).unwrap(),
            Client::new("esms", r#"{"base_url":"http://127.0.0.1:9","api_token":"t","secret_key":"k"}"#).unwrap(),
            // The transfer IPN, with the simulator's secret: its seeds verify.
            Client::new("appotapay", r#"{"base_url":"http://127.0.0.1:9","partner_code":"P","api_key":"a","secret_key":"sim-appota-secret-key"}"#).unwrap(),
        ]
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((which, body)) = data.split_first() else { return };
    let clients = clients();
    let client = &clients[usize::from(*which) % clients.len()];
    if let Ok(json) = client.parse_callback(body) {
        // A verified callback serialises to JSON.
        serde_json::from_str::<serde_json::Value>(&json).expect("results are JSON");
    }
});
