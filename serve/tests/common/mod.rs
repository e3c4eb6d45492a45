//! What the gateway's tests share: a gateway on the simulator's accounts with a journal, and
//! HTTP calls to it.

#![allow(dead_code)] // each test file uses its part

use std::time::Duration;

use serde_json::{Value, json};
use vngate_front::Front;
use vngate_serve::{Account, Options, Server, Token};
use vngate_sim::Sim;
use vngate_sim::sim::{ESMS_EMAIL, ESMS_PASSWORD, PARTNER_KEY_PEM};

/// The largest answer the tests read: the listings of a big load are tens of MiB.
const LISTING_LIMIT: u64 = 1 << 30;

pub const TOKEN: &str = "test-token-0123456789abcdef";
pub const OLD_TOKEN: &str = "old-token-0123456789abcdef";

pub struct Gateway {
    pub server: Server,
    pub url: String,
    pub dir: TempDir,
}

pub struct TempDir(pub std::path::PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub fn temp_dir() -> TempDir {
    let dir = std::env::temp_dir().join(format!("vngate-serve-test-{}", vngate::new_request_id()));
    std::fs::create_dir_all(&dir).unwrap();
    TempDir(dir)
}

/// The config of `provider`'s simulator account with a journal in `dir`.
pub fn config(sim: &Sim, provider: &str, dir: &std::path::Path) -> Value {
    let key = dir.join("journal.key");
    if !key.exists() {
        std::fs::write(&key, "11".repeat(32)).unwrap();
    }
    let mut config = sim.client_config(provider);
    match provider {
        "appotapay" => config["private_key_pem"] = PARTNER_KEY_PEM.into(),
        "esms" => {
            config["email"] = ESMS_EMAIL.into();
            config["password"] = ESMS_PASSWORD.into();
        }
        _ => {}
    }
    config["journal"] = json!({
        "path": dir.join("journal.db").display().to_string(),
        "key_file": key.display().to_string(),
        "account": "default",
    });
    config
}

pub fn front(sim: &Sim, provider: &str, dir: &std::path::Path) -> Front {
    Front::new(provider, &config(sim, provider, dir).to_string()).unwrap()
}

pub fn start_with(sim: &Sim, options: Options) -> Gateway {
    let dir = temp_dir();
    let accounts = vngate::api::PROVIDERS
        .iter()
        .map(|provider| Account {
            provider: (*provider).to_owned(),
            name: "default".into(),
            front: front(sim, provider, &dir.0),
        })
        .collect();
    let server = Server::start(accounts, options).unwrap();
    let url = format!("http://{}", server.addr());
    Gateway { server, url, dir }
}

pub fn options() -> Options {
    Options {
        listen: "127.0.0.1:0".parse().unwrap(),
        tokens: vec![Token::new(TOKEN), Token::new(OLD_TOKEN)],
        ..Options::default()
    }
}

pub fn start(sim: &Sim) -> Gateway {
    start_with(sim, options())
}

pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into()
}

/// POSTs `body` with `token` (none: no header); the status and the JSON answer.
pub fn post_as(url: &str, token: Option<&str>, body: &str) -> (u16, Value) {
    let mut request = agent().post(url).header("content-type", "application/json");
    if let Some(token) = token {
        request = request.header("authorization", &format!("Bearer {token}"));
    }
    answer(request.send(body).unwrap())
}

pub fn post(url: &str, body: &str) -> (u16, Value) {
    post_as(url, Some(TOKEN), body)
}

pub fn get(url: &str) -> (u16, Value) {
    answer(
        agent()
            .get(url)
            .header("authorization", &format!("Bearer {TOKEN}"))
            .call()
            .unwrap(),
    )
}

/// A response's status and its body as JSON (as text when it is not JSON).
fn answer(mut response: ureq::http::Response<ureq::Body>) -> (u16, Value) {
    let status = response.status().as_u16();
    let text = response
        .body_mut()
        .with_config()
        .limit(LISTING_LIMIT)
        .read_to_string()
        .unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

pub fn records(gateway: &Gateway) -> Vec<Value> {
    let (status, records) = get(&format!("{}/v1/journal/records", gateway.url));
    assert_eq!(status, 200, "{records}");
    records.as_array().unwrap().clone()
}
