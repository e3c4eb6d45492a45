//! eSMS disbursement's server side: login and token flow, signed create/verify/query-trx,
//! payouts that settle after the delay, and (unsigned) callbacks.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine as _;
use hmac::{KeyInit, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

use super::{State, callback_agent, deliver_later, hex, lock};
use crate::server::{Reply, Request};

/// The eSMS test account.
pub const ESMS_EMAIL: &str = "shop@vngate.test";
/// Its password.
pub const ESMS_PASSWORD: &str = "sim-esms-password";
/// A ready API token for that account.
pub const ESMS_API_TOKEN: &str = "sim-esms-api-token";
/// An access token the account holds from the start, as if `login` had given it: the one
/// the registry's example for `generate_api_token` sends.
pub const ESMS_ACCESS_TOKEN: &str = "sim-access-from-login";
/// The account's signing key.
pub const ESMS_SECRET_KEY: &str = "sim-esms-secret-key";

#[derive(Debug, Clone)]
struct Payout {
    amount: i64,
    channel: i64,
    transaction_id: String,
    callback_url: Option<String>,
    settles_at: Instant,
    /// Phones ending in 3 fail (MoMo 1007); ending in 0 stay processing; others succeed.
    final_status: i64,
}

/// What the simulator keeps for eSMS.
pub(super) struct Store {
    access_tokens: HashSet<String>,
    api_tokens: HashSet<String>,
    payouts: HashMap<String, Payout>,
    next: u64,
}

impl Default for Store {
    fn default() -> Self {
        Self {
            access_tokens: HashSet::from([ESMS_ACCESS_TOKEN.to_owned()]),
            api_tokens: HashSet::new(),
            payouts: HashMap::new(),
            next: 0,
        }
    }
}

fn reply(code: i64, message: &str, data: Option<Value>) -> Reply {
    let mut body = json!({"code": code, "message": message});
    if let Some(data) = data {
        body["data"] = data;
    }
    Reply::json(&body)
}

fn sign(values: &[&str]) -> String {
    let mut mac =
        hmac::Hmac::<Sha256>::new_from_slice(ESMS_SECRET_KEY.as_bytes()).expect("any key length");
    mac.update(values.join("_").as_bytes());
    hex(&mac.finalize().into_bytes())
}

fn status_of(payout: &Payout) -> i64 {
    if Instant::now() >= payout.settles_at {
        payout.final_status
    } else {
        2
    }
}

fn payout_json(order_id: &str, payout: &Payout, status: i64) -> Value {
    let (result_code, message) = match status {
        3 => ("0", "Thành công."),
        -1 => (
            "1007",
            "Giao dịch bị từ chối do tài khoản người dùng đang bị hạn chế.",
        ),
        _ => ("", "Đang xử lý"),
    };
    json!({
        "resultCode": result_code, "message": message, "transactionId": payout.transaction_id,
        "channelId": payout.channel, "method": 1, "amount": payout.amount, "status": status,
        "timestamp": 1_764_064_800, "orderId": order_id, "callbackUrl": payout.callback_url,
    })
}

/// A JSON body's fields as text (numbers as their digits).
struct Body(Value);

impl Body {
    fn text(&self, key: &str) -> String {
        match &self.0[key] {
            Value::String(s) => s.clone(),
            Value::Null => String::new(),
            other => other.to_string(),
        }
    }
}

pub(super) fn handle(state: &Arc<Mutex<State>>, request: &Request, delay: Duration) -> Reply {
    let body = Body(
        serde_json::from_slice(if request.body.is_empty() {
            b"{}"
        } else {
            &request.body
        })
        .unwrap_or(Value::Null),
    );
    let mut s = lock(state);
    if request.path == "/api/v2/disbursement/create" {
        let order_id = body.text("orderId");
        super::log_money(&mut s, "esms", "disburse", &order_id);
    }
    let store = &mut s.esms;
    match request.path.as_str() {
        "/api/v1/authentication" => login(store, &body),
        "/api/v1/user/generate-api-token" => generate_api_token(store, request),
        path => {
            let token = request.header("token").unwrap_or("");
            if token != ESMS_API_TOKEN && !store.api_tokens.contains(token) {
                return reply(-3, "Token không đúng", None);
            }
            match path {
                "/api/v2/disbursement/create" => create(store, &body, delay),
                "/api/v2/disbursement/verify" => verify(&body),
                "/api/v2/disbursement/query-trx" => query(store, &body),
                _ => reply(-8, "Not found", None),
            }
        }
    }
}

fn login(store: &mut Store, body: &Body) -> Reply {
    if body.text("username") != ESMS_EMAIL || body.text("password") != ESMS_PASSWORD {
        return Reply::json(&json!({"success": false, "message": "Sai tài khoản hoặc mật khẩu"}));
    }
    store.next += 1;
    let token = format!("sim-access-{}", store.next);
    crate::note_secret(&token);
    store.access_tokens.insert(token.clone());
    Reply::json(
        &json!({"data": {"accessToken": token, "isExpired": false, "expiredAt": "2026-11-26T10:00:00Z"}, "success": true, "message": "Success"}),
    )
}

fn generate_api_token(store: &mut Store, request: &Request) -> Reply {
    let bearer = request
        .header("authorization")
        .and_then(|h| h.strip_prefix("Bearer "))
        .unwrap_or("");
    if !store.access_tokens.contains(bearer) {
        return Reply::json(&json!({"success": false, "message": "Unauthorized"}));
    }
    store.next += 1;
    let token = format!("sim-api-token-{}", store.next);
    crate::note_secret(&token);
    store.api_tokens.insert(token.clone());
    Reply::json(
        &json!({"data": {"userId": 25, "scopes": null, "token": token}, "success": true, "message": "Success"}),
    )
}

fn create(store: &mut Store, body: &Body, delay: Duration) -> Reply {
    let (amount, channel, description, data, method, order_id) = (
        body.text("amount"),
        body.text("channel"),
        body.text("description"),
        body.text("disbursementData"),
        body.text("disbursementMethod"),
        body.text("orderId"),
    );
    if sign(&[&amount, &channel, &description, &data, &method, &order_id]) != body.text("signature")
    {
        return reply(-9, "Chữ ký không hợp lệ", None);
    }
    let Some(amount) = amount
        .parse::<i64>()
        .ok()
        .filter(|a| *a >= 10_000 && a % 1_000 == 0)
    else {
        return reply(-4, "Số tiền không hợp lệ", None);
    };
    let Some(phone) = phone_of(&data) else {
        return reply(-7, "disbursementData không hợp lệ", None);
    };
    if order_id.is_empty() || order_id.chars().count() > 50 {
        return reply(-5, "OrderId không hợp lệ", None);
    }
    if store.payouts.contains_key(&order_id) {
        return reply(-12, "OrderId bị trùng", None);
    }
    store.next += 1;
    let payout = Payout {
        amount,
        channel: channel.parse().unwrap_or(0),
        transaction_id: format!("{:032x}", 0xE5_0000_u64 + store.next),
        callback_url: Some(body.text("callbackUrl")).filter(|u| !u.is_empty()),
        settles_at: Instant::now() + delay,
        final_status: match phone.chars().last() {
            Some('3') => -1,
            Some('0') => 2,
            _ => 3,
        },
    };
    let data = payout_json(&order_id, &payout, 0);
    store.payouts.insert(order_id.clone(), payout.clone());
    if let (Some(url), false) = (payout.callback_url.clone(), payout.final_status == 2) {
        deliver_later(
            delay.as_millis().try_into().unwrap_or(u64::MAX),
            move || {
                let mut body = payout_json(&order_id, &payout, payout.final_status);
                if let Some(map) = body.as_object_mut() {
                    map.remove("callbackUrl");
                }
                let _ = callback_agent()
                    .post(&url)
                    .header("content-type", "application/json")
                    .send(body.to_string());
            },
        );
    }
    reply(0, "Success", Some(data))
}

fn phone_of(disbursement_data: &str) -> Option<String> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(disbursement_data)
        .ok()?;
    let value: Value = serde_json::from_slice(&bytes).ok()?;
    value["phone"].as_str().map(str::to_owned)
}

fn verify(body: &Body) -> Reply {
    let (channel, data, method) = (
        body.text("channel"),
        body.text("disbursementData"),
        body.text("disbursementMethod"),
    );
    if sign(&[&channel, &data, &method]) != body.text("signature") {
        return reply(-9, "Chữ ký không hợp lệ", None);
    }
    let (code, message) = if phone_of(&data).is_some_and(|p| p.ends_with('3')) {
        (
            "1007",
            "Giao dịch bị từ chối do tài khoản người dùng đang bị hạn chế.",
        )
    } else {
        ("0", "Tài khoản hợp lệ")
    };
    reply(
        0,
        "Success",
        Some(
            json!({"channel": channel.parse::<i64>().unwrap_or(0), "resultCode": code, "resultMessage": message}),
        ),
    )
}

fn query(store: &Store, body: &Body) -> Reply {
    let order_id = body.text("orderId");
    if sign(&[&order_id]) != body.text("signature") {
        return reply(-9, "Chữ ký không hợp lệ", None);
    }
    match store.payouts.get(&order_id) {
        None => reply(-14, "OrderId không tồn tại", None),
        Some(payout) => reply(
            0,
            "Success",
            Some(payout_json(&order_id, payout, status_of(payout))),
        ),
    }
}

/// What became of every payout, as the provider will end up reporting it.
pub(super) fn truth(store: &Store) -> Vec<Value> {
    store
        .payouts
        .iter()
        .map(|(order_id, payout)| {
            let state = match payout.final_status {
                3 => "succeeded",
                -1 => "failed",
                _ => "pending",
            };
            json!({"provider": "esms", "operation": "disburse", "reference": order_id,
                   "state": state, "amount": payout.amount})
        })
        .collect()
}
