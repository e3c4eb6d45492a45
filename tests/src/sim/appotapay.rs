//! AppotaPay's server side: JWT and signature checks, a product catalogue, purchases with
//! RSA-encrypted card codes.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use hmac::{KeyInit, Mac};
use rsa::pkcs8::DecodePrivateKey;
use serde_json::{Value, json};
use sha2::Sha256;

use super::{State, hex, lock};
use crate::server::{Reply, Request};

/// An AppotaPay test partner.
#[derive(Debug, Clone, Copy)]
pub struct AppotaAccount {
    /// Partner code.
    pub partner_code: &'static str,
    /// API key.
    pub api_key: &'static str,
    /// Secret key.
    pub secret_key: &'static str,
    /// Whether codes are encrypted with PKCS#1 v1.5 instead of OAEP-SHA1.
    pub pkcs1v15: bool,
}

/// Codes encrypted with OAEP-SHA1.
pub const APPOTAPAY_OAEP: AppotaAccount = AppotaAccount {
    partner_code: "VNGATE_OAEP",
    api_key: "sim-appota-api-key",
    secret_key: "sim-appota-secret-key",
    pkcs1v15: false,
};
/// Codes encrypted with PKCS#1 v1.5.
pub const APPOTAPAY_PKCS1: AppotaAccount = AppotaAccount {
    partner_code: "VNGATE_PKCS1",
    api_key: "sim-appota-api-key-2",
    secret_key: "sim-appota-secret-key-2",
    pkcs1v15: true,
};

/// The partners' RSA key pair (their public half is what AppotaPay would hold).
pub const PARTNER_KEY_PEM: &str = include_str!("../../data/appotapay-partner-key.pem");

/// The starting balance of each partner.
pub const START_BALANCE: i64 = 10_000_000;

/// The catalogue: (type, code, name, value). `OUT1` is always out of stock.
const PRODUCTS: &[(&str, &str, &str, i64)] = &[
    ("APPOTA", "AC10", "Thẻ Appota 10.000đ", 10_000),
    ("APPOTA", "AC100", "Thẻ Appota 100.000đ", 100_000),
    ("VIETTEL", "VT10", "Thẻ Viettel 10.000đ", 10_000),
    ("VIETTEL", "VT50", "Thẻ Viettel 50.000đ", 50_000),
    ("VIETTEL", "OUT1", "Thẻ hết hàng", 10_000),
];

const JWT_HEADER: &[u8] = br#"{"typ":"JWT","alg":"HS256","cty":"appotapay-api;v=1"}"#;

#[derive(Debug, Clone)]
struct Purchase {
    partner: &'static str,
    cards: Vec<(String, String, i64)>,
    amount: i64,
    trans_id: String,
    /// A `partner_ref_id` ending in `-pending` answers 35 first and succeeds after the delay.
    pending_until: Option<Instant>,
}

/// What the simulator keeps for AppotaPay.
#[derive(Default)]
pub(super) struct Store {
    purchases: HashMap<String, Purchase>,
    balances: HashMap<&'static str, i64>,
    next_card: u64,
}

fn error(http: u16, code: i64, message: &str) -> Reply {
    let mut reply = Reply::json(&json!({"errorCode": code, "message": message}));
    reply.status = http;
    reply
}

fn hmac_hex(key: &str, text: &str) -> String {
    let mut mac = hmac::Hmac::<Sha256>::new_from_slice(key.as_bytes()).expect("any key length");
    mac.update(text.as_bytes());
    hex(&mac.finalize().into_bytes())
}

/// Checks `X-APPOTAPAY-AUTH` with its own JWT code; returns the partner.
fn authenticate(request: &Request) -> Result<AppotaAccount, Reply> {
    let unauthorized = || error(401, 14, "API Key không tồn tại");
    let header = request
        .header("x-appotapay-auth")
        .ok_or_else(unauthorized)?;
    let token = header.strip_prefix("Bearer ").unwrap_or(header);
    let parts: Vec<&str> = token.split('.').collect();
    let [head, payload, signature] = parts.as_slice() else {
        return Err(unauthorized());
    };
    if URL_SAFE_NO_PAD.decode(head).ok().as_deref() != Some(JWT_HEADER) {
        return Err(unauthorized());
    }
    let claims: Value = URL_SAFE_NO_PAD
        .decode(payload)
        .ok()
        .and_then(|p| serde_json::from_slice(&p).ok())
        .ok_or_else(unauthorized)?;
    let account = [APPOTAPAY_OAEP, APPOTAPAY_PKCS1]
        .into_iter()
        .find(|a| claims["iss"] == a.partner_code && claims["api_key"] == a.api_key)
        .ok_or_else(unauthorized)?;
    let mut mac = hmac::Hmac::<Sha256>::new_from_slice(account.secret_key.as_bytes())
        .expect("any key length");
    mac.update(format!("{head}.{payload}").as_bytes());
    let given = URL_SAFE_NO_PAD
        .decode(signature)
        .map_err(|_| unauthorized())?;
    mac.verify_slice(&given).map_err(|_| unauthorized())?;
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let jti_ok = claims["jti"]
        .as_str()
        .is_some_and(|j| j.starts_with(&format!("{}-", account.api_key)));
    if !jti_ok || claims["exp"].as_u64().is_none_or(|exp| exp < now) {
        return Err(unauthorized());
    }
    Ok(account)
}

fn encrypt(account: AppotaAccount, pin: &str) -> String {
    static KEY: OnceLock<rsa::PublicKey> = OnceLock::new();
    let key = KEY.get_or_init(|| {
        rsa::PrivateKey::from_pkcs8_pem(PARTNER_KEY_PEM)
            .expect("test key")
            .to_public_key()
    });
    let ciphertext = if account.pkcs1v15 {
        key.pkcs1v15_encrypt(pin.as_bytes())
    } else {
        key.oaep_encrypt::<sha1::Sha1>(pin.as_bytes())
    }
    .expect("a short PIN fits");
    STANDARD.encode(ciphertext)
}

fn purchase_reply(account: AppotaAccount, purchase: &Purchase, balance: Option<i64>) -> Reply {
    let cards: Vec<Value> = purchase
        .cards
        .iter()
        .map(|(serial, pin, value)| json!({"code": encrypt(account, pin), "serial": serial, "vendor": "appota", "value": value, "expiry": "29-09-2030"}))
        .collect();
    let mut body = json!({
        "errorCode": 0, "message": "Thành công", "cards": cards,
        "transaction": {"amount": purchase.amount, "appotapayTransId": purchase.trans_id, "time": "25-11-2026 10:10:10"},
    });
    if let Some(balance) = balance {
        // The document's example sends the balance as a string.
        body["account"] = json!({"balance": balance.to_string()});
    }
    Reply::json(&body)
}

pub(super) fn handle(state: &Arc<Mutex<State>>, request: &Request, delay: Duration) -> Reply {
    let account = match authenticate(request) {
        Ok(account) => account,
        Err(reply) => return reply,
    };
    let path = request.path.trim_start_matches("/api/v1/service");
    match path {
        "/shopcard/buy" => buy(state, request, account, delay),
        "/shopcard/products" => {
            let mut groups: Vec<(&str, Vec<Value>)> = Vec::new();
            for (kind, code, name, value) in PRODUCTS {
                let item = json!({"name": name, "code": code, "value": value});
                match groups.iter_mut().find(|(k, _)| k == kind) {
                    Some((_, items)) => items.push(item),
                    None => groups.push((kind, vec![item])),
                }
            }
            let data: Vec<Value> = groups
                .into_iter()
                .map(|(k, items)| json!({"productType": k, "productCodes": items}))
                .collect();
            Reply::json(&json!({"errorCode": 0, "message": "Thành công", "data": data}))
        }
        "/accounts/balance" => {
            let s = lock(state);
            let balance = s
                .appotapay
                .balances
                .get(account.partner_code)
                .copied()
                .unwrap_or(START_BALANCE);
            Reply::json(
                &json!({"errorCode": 0, "message": "Thành công", "account": {"balance": balance}}),
            )
        }
        _ => match path.strip_prefix("/shopcard/transaction/") {
            Some(id) => {
                let s = lock(state);
                match s
                    .appotapay
                    .purchases
                    .get(id)
                    .filter(|p| p.partner == account.partner_code)
                {
                    None => error(200, 36, "Giao dịch không tồn tại"),
                    Some(p) if p.pending_until.is_some_and(|t| Instant::now() < t) => {
                        error(200, 35, "Giao dịch đang chờ xử lý")
                    }
                    Some(p) => purchase_reply(account, p, None),
                }
            }
            None => error(404, 1, "Not found"),
        },
    }
}

fn buy(
    state: &Arc<Mutex<State>>,
    request: &Request,
    account: AppotaAccount,
    delay: Duration,
) -> Reply {
    let Ok(body) = serde_json::from_slice::<Value>(&request.body) else {
        return error(400, 1, "Thông tin yêu cầu thiếu hoặc không hợp lệ");
    };
    let text = |k: &str| match &body[k] {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    };
    let (ref_id, product, quantity, kind) = (
        text("partnerRefId"),
        text("productCode"),
        text("quantity"),
        text("type"),
    );
    let mut signed = vec![
        ("partnerRefId", ref_id.clone()),
        ("productCode", product.clone()),
        ("quantity", quantity.clone()),
    ];
    if kind == "sms" {
        signed.extend([
            ("customerPhone", text("customerPhone")),
            ("type", kind.clone()),
        ]);
    }
    signed.sort();
    let canonical: Vec<String> = signed.iter().map(|(k, v)| format!("{k}={v}")).collect();
    if hmac_hex(account.secret_key, &canonical.join("&")) != text("signature") {
        return error(200, 2, "Signature không hợp lệ");
    }
    if product == "ODD77" {
        // A code no AppotaPay document lists.
        return error(200, 77, "Lỗi không xác định");
    }
    let Some((_, _, _, value)) = PRODUCTS.iter().find(|p| p.1 == product) else {
        return error(200, 71, "Thẻ không tồn tại hoặc không có sẵn");
    };
    let Ok(quantity) = quantity.parse::<i64>() else {
        return error(200, 73, "Số lượng thẻ mua truyền vào không hợp lệ");
    };
    if !(1..=100).contains(&quantity) || (kind == "sms" && quantity != 1) {
        return error(200, 73, "Số lượng thẻ mua truyền vào không hợp lệ");
    }
    if product == "OUT1" {
        return error(200, 72, "Thẻ trong kho không đủ");
    }

    let mut s = lock(state);
    if s.appotapay.purchases.contains_key(&ref_id) {
        return error(200, 31, "Mã giao dịch bị trùng");
    }
    let amount = value * quantity;
    let balance = s
        .appotapay
        .balances
        .get(account.partner_code)
        .copied()
        .unwrap_or(START_BALANCE);
    if amount > balance {
        return error(200, 12, "Số dư không đủ");
    }
    s.appotapay
        .balances
        .insert(account.partner_code, balance - amount);
    let mut cards = Vec::new();
    if kind != "sms" {
        for _ in 0..quantity {
            s.appotapay.next_card += 1;
            let n = s.appotapay.next_card;
            cards.push((
                format!("SIM{n:09}"),
                format!("{:013}", 7_000_000_000_000 + n * 7919),
                *value,
            ));
        }
    }
    let purchase = Purchase {
        partner: account.partner_code,
        cards,
        amount,
        trans_id: format!("AP{}", 100_000 + s.appotapay.next_card),
        pending_until: ref_id.ends_with("-pending").then(|| Instant::now() + delay),
    };
    s.appotapay.purchases.insert(ref_id, purchase.clone());
    drop(s);
    if purchase.pending_until.is_some() {
        return error(
            200,
            35,
            "Giao dịch đang chờ xử lý vui lòng kiểm tra lại sau",
        );
    }
    purchase_reply(account, &purchase, Some(balance - amount))
}
