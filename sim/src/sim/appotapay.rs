//! AppotaPay's server side: JWT and signature checks, a product catalogue, purchases with
//! RSA-encrypted card codes; mobile top-up (v1 and v2), data packages, bank transfers, the
//! account check and the transfer IPN, with replies signed by its own code.
//!
//! Deterministic outcomes of the top-up and transfer services, by `partnerRefId` suffix:
//! `-pending` answers 35 and settles as a success after the callback delay (a transfer then
//! POSTs a signed IPN to `appotapay_ipn_url`); `-fails` answers 35 and settles as 33 (failed);
//! `-badsig` succeeds with a wrong reply signature (the status call signs it right). A phone
//! ending in `33` is refused with 33; a top-up of `ODD77` or 77 000 VND, or a transfer of
//! 77 000 VND, answers 77 (a code no document lists, the transaction then exists); an account
//! number starting `000` does not exist (42). Top-up products are `<telco>_<thousands>` and the
//! data packages of `data_packages`; transfers cost a 3 300 VND fee.

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
pub const PARTNER_KEY_PEM: &str = include_str!("../../../tests/data/appotapay-partner-key.pem");

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
    /// Top-ups and transfers by `partnerRefId`.
    services: HashMap<String, Service>,
}

/// A top-up or a bank transfer as AppotaPay keeps it.
#[derive(Debug, Clone)]
struct Service {
    partner: &'static str,
    trans_id: String,
    amount: i64,
    /// `topupAmount` or `transferAmount`.
    delivered: i64,
    phone: String,
    product_code: Option<String>,
    account_no: String,
    /// The state the status call reports once `settles_at` has passed; 35 before.
    final_code: i64,
    settles_at: Instant,
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
    if let Some(path) = request.path.strip_prefix("/api/v2/service") {
        return match path {
            "/topup/charging" => topup(state, request, account, delay, 2),
            _ => error(404, 1, "Not found"),
        };
    }
    let path = request.path.trim_start_matches("/api/v1/service");
    match path {
        "/topup/charging" => return topup(state, request, account, delay, 1),
        "/transfer/make" => return transfer(state, request, account, delay),
        "/transfer/bank/account/info" => return account_info(request, account),
        _ => {}
    }
    if let Some(rest) = path.strip_prefix("/topup/transaction/") {
        return service_status(state, account, rest, false);
    }
    if let Some(rest) = path.strip_prefix("/transfer/transaction/") {
        return service_status(state, account, rest, true);
    }
    if let Some(phone) = path
        .strip_prefix("/topup/")
        .and_then(|p| p.strip_suffix("/products"))
    {
        return data_packages(phone, request);
    }
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
    super::log_money(&mut s, "appotapay", "buy_cards", &ref_id);
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
            let pin = format!("{:013}", 7_000_000_000_000 + n * 7919);
            crate::note_secret(&pin);
            cards.push((format!("SIM{n:09}"), pin, *value));
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

/// The data packages every phone is offered: (code, price, description).
const DATA_PACKAGES: &[(&str, i64, &str)] = &[
    ("D10", 10_000, "1GB/1 ngày"),
    ("D24", 20_000, "2GB/3 ngày"),
    ("D70", 70_000, "5GB/30 ngày"),
];

/// The fee of a bank transfer.
pub const TRANSFER_FEE: i64 = 3_300;

/// A reply signature with the simulator's own code: `name=value` sorted, `&`, HMAC-SHA256 hex.
fn signature_of(secret: &str, fields: &[(&str, String)]) -> String {
    let mut fields = fields.to_vec();
    fields.sort();
    let text: Vec<String> = fields.iter().map(|(k, v)| format!("{k}={v}")).collect();
    hmac_hex(secret, &text.join("&"))
}

/// A request's fields as text, for its signature: strings raw, numbers as their digits.
fn request_text(body: &Value, name: &str) -> Option<String> {
    match body.get(name)? {
        Value::String(s) => Some(s.clone()),
        Value::Null => None,
        other => Some(other.to_string()),
    }
}

/// Checks a request's `signature` over the documented `names` the body carries.
fn signed_request(secret: &str, body: &Value, names: &[&str]) -> bool {
    let fields: Vec<(&str, String)> = names
        .iter()
        .filter_map(|n| request_text(body, n).map(|v| (*n, v)))
        .collect();
    body.get("signature").and_then(Value::as_str) == Some(&signature_of(secret, &fields))
}

fn now_unix() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(0))
}

/// `d-m-Y H:i:s` in Vietnam time.
fn dmy(unix: i64) -> String {
    let local = unix + 7 * 3600;
    let (days, secs) = (local.div_euclid(86_400), local.rem_euclid(86_400));
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{d:02}-{m:02}-{y:04} {:02}:{:02}:{:02}",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

/// The same instant in RFC 3339 at +07:00.
fn rfc3339(unix: i64) -> String {
    let text = dmy(unix);
    let (date, clock) = text.split_once(' ').expect("dmy has a space");
    let parts: Vec<&str> = date.split('-').collect();
    format!("{}-{}-{}T{clock}+07:00", parts[2], parts[1], parts[0])
}

fn charge(state: &mut State, partner: &'static str, amount: i64) -> Result<i64, Reply> {
    let balance = state
        .appotapay
        .balances
        .get(partner)
        .copied()
        .unwrap_or(START_BALANCE);
    if amount > balance {
        return Err(error(200, 12, "Số dư không đủ"));
    }
    state.appotapay.balances.insert(partner, balance - amount);
    Ok(balance - amount)
}

/// What a reference's suffix asks for: (final code, settles later, wrong reply signature).
fn scripted(ref_id: &str) -> (i64, bool, bool) {
    if ref_id.ends_with("-pending") {
        (0, true, false)
    } else if ref_id.ends_with("-fails") {
        (33, true, false)
    } else {
        (0, false, ref_id.ends_with("-badsig"))
    }
}

/// What a top-up puts on the phone: a product's value (v2) or the amount (v1).
fn face_value(version: u8, code: &str, amount: &str) -> Result<i64, Reply> {
    if version == 1 {
        return match amount.parse::<i64>() {
            Ok(amount) if amount > 0 => Ok(amount),
            _ => Err(error(200, 1, "Số tiền không hợp lệ")),
        };
    }
    if code == "ODD77" {
        return Ok(77_000);
    }
    if let Some((_, price, _)) = DATA_PACKAGES.iter().find(|p| p.0 == code) {
        return Ok(*price);
    }
    match code
        .rsplit_once('_')
        .and_then(|(_, k)| k.parse::<i64>().ok())
    {
        Some(thousands) if thousands > 0 => Ok(thousands * 1000),
        _ => Err(error(200, 1, "Mã sản phẩm không hợp lệ")),
    }
}

fn topup(
    state: &Arc<Mutex<State>>,
    request: &Request,
    account: AppotaAccount,
    delay: Duration,
    version: u8,
) -> Reply {
    let Ok(body) = serde_json::from_slice::<Value>(&request.body) else {
        return error(400, 1, "Thông tin yêu cầu thiếu hoặc không hợp lệ");
    };
    let what = if version == 2 {
        "productCode"
    } else {
        "amount"
    };
    let names = [
        "partnerRefId",
        "phoneNumber",
        what,
        "telco",
        "telcoServiceType",
    ];
    if !signed_request(account.secret_key, &body, &names) {
        return error(200, 2, "Signature không hợp lệ");
    }
    let text = |k: &str| request_text(&body, k).unwrap_or_default();
    let (ref_id, phone) = (text("partnerRefId"), text("phoneNumber"));
    if version == 1 && text("telco").is_empty() {
        return error(200, 1, "Thiếu telco");
    }
    let face = match face_value(version, &text("productCode"), &text("amount")) {
        Ok(face) => face,
        Err(reply) => return reply,
    };
    if phone.ends_with("33") {
        return error(200, 33, "Giao dịch thất bại");
    }
    let mut s = lock(state);
    super::log_money(&mut s, "appotapay", "mobile_topup", &ref_id);
    if s.appotapay.services.contains_key(&ref_id) {
        return error(200, 31, "Mã giao dịch bị trùng");
    }
    let paid = face * 98 / 100;
    let balance = match charge(&mut s, account.partner_code, paid) {
        Ok(balance) => balance,
        Err(reply) => return reply,
    };
    let (final_code, later, bad_signature) = scripted(&ref_id);
    s.appotapay.next_card += 1;
    let service = Service {
        partner: account.partner_code,
        trans_id: format!("TU{}", 500_000 + s.appotapay.next_card),
        amount: paid,
        delivered: face,
        phone: phone.clone(),
        product_code: (version == 2).then(|| text("productCode")),
        account_no: String::new(),
        final_code,
        settles_at: Instant::now() + if later { delay } else { Duration::ZERO },
    };
    s.appotapay.services.insert(ref_id, service.clone());
    drop(s);
    if later {
        return error(200, 35, "Giao dịch đang chờ xử lý");
    }
    if face == 77_000 {
        return error(200, 77, "Lỗi không xác định");
    }
    let now = now_unix();
    // v2 sends RFC 3339 and topupAmount as text; v1 d-m-Y H:i:s and a number.
    let (time, topup_amount) = if version == 2 {
        (rfc3339(now), Value::from(face.to_string()))
    } else {
        (dmy(now), Value::from(face))
    };
    let mut transaction = json!({
        "phoneNumber": phone, "amount": paid, "topupAmount": topup_amount,
        "appotapayTransId": service.trans_id, "time": time,
        "telco": request_text(&body, "telco").filter(|t| !t.is_empty()).unwrap_or_else(|| "viettel".into()),
        "telcoServiceType": text("telcoServiceType"),
    });
    let mut signed = vec![
        ("amount", paid.to_string()),
        ("appotapayTransId", service.trans_id.clone()),
        ("errorCode", "0".to_owned()),
        ("phoneNumber", phone),
        ("time", time),
        ("topupAmount", face.to_string()),
    ];
    if let Some(code) = &service.product_code {
        transaction["productCode"] = json!(code);
        signed.push(("productCode", code.clone()));
    }
    let mut signature = signature_of(account.secret_key, &signed);
    if bad_signature {
        signature = signature_of("not-the-secret", &signed);
    }
    Reply::json(&json!({
        "errorCode": 0, "message": "Thành công", "transaction": transaction,
        // One example sends the balance as text, another as a number.
        "account": {"balance": balance}, "signature": signature,
    }))
}

fn service_status(
    state: &Arc<Mutex<State>>,
    account: AppotaAccount,
    ref_id: &str,
    transfer: bool,
) -> Reply {
    let s = lock(state);
    let Some(service) = s
        .appotapay
        .services
        .get(ref_id)
        .filter(|t| t.partner == account.partner_code && t.account_no.is_empty() != transfer)
    else {
        return error(200, 36, "Giao dịch không tồn tại");
    };
    if Instant::now() < service.settles_at {
        return error(200, 35, "Giao dịch đang chờ xử lý");
    }
    if service.final_code != 0 {
        return error(200, service.final_code, "Giao dịch thất bại");
    }
    let now = now_unix();
    let (transaction, signed) = if transfer {
        // The transfer status example sends time as unix seconds.
        (
            json!({"amount": service.amount, "transferAmount": service.delivered,
                   "appotapayTransId": service.trans_id, "accountNo": service.account_no,
                   "accountName": "NGUYEN VAN A", "time": now}),
            vec![
                ("amount", service.amount.to_string()),
                ("appotapayTransId", service.trans_id.clone()),
                ("errorCode", "0".to_owned()),
                ("time", now.to_string()),
                ("transferAmount", service.delivered.to_string()),
            ],
        )
    } else {
        let time = dmy(now);
        (
            json!({"amount": service.amount, "topupAmount": service.delivered,
                   "phoneNumber": service.phone, "appotapayTransId": service.trans_id,
                   "time": time, "telco": "viettel", "telcoServiceType": "prepaid"}),
            vec![
                ("amount", service.amount.to_string()),
                ("appotapayTransId", service.trans_id.clone()),
                ("errorCode", "0".to_owned()),
                ("phoneNumber", service.phone.clone()),
                ("time", time),
                ("topupAmount", service.delivered.to_string()),
            ],
        )
    };
    Reply::json(&json!({
        "errorCode": 0, "message": "Thành công", "transaction": transaction,
        "signature": signature_of(account.secret_key, &signed),
    }))
}

fn data_packages(phone: &str, request: &Request) -> Reply {
    if phone.len() != 10 || !phone.bytes().all(|b| b.is_ascii_digit()) {
        return error(200, 1, "Số điện thoại không hợp lệ");
    }
    let value = crate::server::decode_query(&request.query)
        .ok()
        .and_then(|q| q.get("value").and_then(|v| v.parse::<i64>().ok()));
    let data: Vec<Value> = DATA_PACKAGES
        .iter()
        .filter(|(_, price, _)| value.is_none_or(|v| v == *price))
        .map(|(code, price, description)| {
            json!({"productCode": code, "amount": price, "type": "topup_data",
                   "telco": "viettel_data", "description": description})
        })
        .collect();
    Reply::json(&json!({"errorCode": 0, "message": "Thành công", "data": data}))
}

/// The twelve documented fields of a transfer's signature.
const TRANSFER_FIELDS: [&str; 12] = [
    "accountName",
    "accountNo",
    "accountType",
    "amount",
    "bankCode",
    "bankId",
    "channel",
    "contractNumber",
    "customerPhoneNumber",
    "feeType",
    "message",
    "partnerRefId",
];

fn transfer(
    state: &Arc<Mutex<State>>,
    request: &Request,
    account: AppotaAccount,
    delay: Duration,
) -> Reply {
    let Ok(body) = serde_json::from_slice::<Value>(&request.body) else {
        return error(400, 1, "Thông tin yêu cầu thiếu hoặc không hợp lệ");
    };
    if !signed_request(account.secret_key, &body, &TRANSFER_FIELDS) {
        return error(200, 2, "Signature không hợp lệ");
    }
    let text = |k: &str| request_text(&body, k).unwrap_or_default();
    let (ref_id, account_no) = (text("partnerRefId"), text("accountNo"));
    let Ok(amount) = text("amount").parse::<i64>() else {
        return error(200, 1, "Số tiền không hợp lệ");
    };
    if account_no.starts_with("000") {
        return error(200, 42, "Tài khoản không tồn tại");
    }
    let mut s = lock(state);
    super::log_money(&mut s, "appotapay", "bank_transfer", &ref_id);
    if s.appotapay.services.contains_key(&ref_id) {
        return error(200, 31, "Mã giao dịch bị trùng");
    }
    let (paid, delivered) = if text("feeType") == "receiver" {
        (amount, amount - TRANSFER_FEE)
    } else {
        (amount + TRANSFER_FEE, amount)
    };
    let balance = match charge(&mut s, account.partner_code, paid) {
        Ok(balance) => balance,
        Err(reply) => return reply,
    };
    let (final_code, later, bad_signature) = scripted(&ref_id);
    s.appotapay.next_card += 1;
    let service = Service {
        partner: account.partner_code,
        trans_id: format!("TF{}", 700_000 + s.appotapay.next_card),
        amount: paid,
        delivered,
        phone: text("customerPhoneNumber"),
        product_code: None,
        account_no,
        final_code,
        settles_at: Instant::now() + if later { delay } else { Duration::ZERO },
    };
    s.appotapay.services.insert(ref_id.clone(), service.clone());
    let ipn_url = s.callbacks.appotapay_ipn_url.clone();
    drop(s);
    if later {
        if let Some(url) = ipn_url {
            let millis = delay.as_millis().try_into().unwrap_or(u64::MAX);
            super::deliver_later(millis, move || {
                let body = transfer_ipn(account, &ref_id, &service);
                let _ = super::callback_agent()
                    .post(&url)
                    .header("content-type", "application/json")
                    .send(body);
            });
        }
        return error(200, 35, "Giao dịch đang được xử lý");
    }
    if amount == 77_000 {
        return error(200, 77, "Lỗi không xác định");
    }
    let time = dmy(now_unix());
    let signed = vec![
        ("amount", paid.to_string()),
        ("appotapayTransId", service.trans_id.clone()),
        ("errorCode", "0".to_owned()),
        ("time", time.clone()),
        ("transferAmount", delivered.to_string()),
    ];
    let secret = if bad_signature {
        "not-the-secret"
    } else {
        account.secret_key
    };
    Reply::json(&json!({
        "errorCode": 0, "message": "Thành công",
        "transaction": {"amount": paid, "transferAmount": delivered,
                        "appotapayTransId": service.trans_id, "time": time},
        "account": {"balance": balance.to_string()},
        "signature": signature_of(secret, &signed),
    }))
}

/// The IPN AppotaPay POSTs when a pending transfer settles, signed over its seven fields.
fn transfer_ipn(account: AppotaAccount, ref_id: &str, service: &Service) -> String {
    let (code, status, message) = if service.final_code == 0 {
        (0, "success", "Thành công")
    } else {
        (service.final_code, "error", "Giao dịch thất bại")
    };
    let time = dmy(now_unix());
    let signed = vec![
        ("amount", service.amount.to_string()),
        ("appotapayTransId", service.trans_id.clone()),
        ("errorCode", code.to_string()),
        ("partnerRefId", ref_id.to_owned()),
        ("time", time.clone()),
        ("transferAmount", service.delivered.to_string()),
        ("transferStatus", status.to_owned()),
    ];
    json!({
        "errorCode": code, "message": message,
        "transaction": {"amount": service.amount, "transferAmount": service.delivered,
                        "transferStatus": status, "appotapayTransId": service.trans_id,
                        "partnerRefId": ref_id, "time": time},
        "signature": signature_of(account.secret_key, &signed),
    })
    .to_string()
}

fn account_info(request: &Request, account: AppotaAccount) -> Reply {
    let Ok(body) = serde_json::from_slice::<Value>(&request.body) else {
        return error(400, 1, "Thông tin yêu cầu thiếu hoặc không hợp lệ");
    };
    let names = ["accountNo", "accountType", "bankCode", "partnerRefId"];
    if !signed_request(account.secret_key, &body, &names) {
        return error(200, 2, "Signature không hợp lệ");
    }
    let text = |k: &str| request_text(&body, k).unwrap_or_default();
    let account_no = text("accountNo");
    if account_no.starts_with("000") {
        return error(200, 42, "Tài khoản không tồn tại");
    }
    let name = "NGUYEN VAN A";
    // The example sends accountNo as a JSON number: the signature covers its digits.
    let number = account_no
        .parse::<u64>()
        .ok()
        .filter(|_| !account_no.starts_with('0'))
        .map_or_else(|| Value::from(account_no.clone()), Value::from);
    let signed = vec![
        ("accountName", name.to_owned()),
        ("accountNo", account_no.clone()),
        ("errorCode", "0".to_owned()),
    ];
    let reply = json!({
        "errorCode": 0, "message": "Thành công",
        "accountInfo": {"accountNo": number, "accountName": name,
                        "bankCode": text("bankCode"), "accountType": text("accountType")},
        "signature": signature_of(account.secret_key, &signed),
    });
    // Digits beyond a 64-bit integer go out as a JSON number too, written as text (a float
    // would round them): what a client must read back exactly.
    let long = account_no.len() > 19
        && !account_no.starts_with('0')
        && account_no.bytes().all(|b| b.is_ascii_digit());
    let body = reply.to_string();
    let body = if long {
        body.replace(
            &format!("\"accountNo\":\"{account_no}\""),
            &format!("\"accountNo\":{account_no}"),
        )
    } else {
        body
    };
    Reply::with_status(200, "application/json", body.into_bytes())
}

/// What became of every card purchase, top-up and bank transfer, as AppotaPay will end up
/// reporting it.
pub(super) fn truth(store: &Store) -> Vec<Value> {
    let purchases = store.purchases.iter().map(|(ref_id, purchase)| {
        json!({"provider": "appotapay", "operation": "buy_cards", "reference": ref_id,
               "state": "succeeded", "amount": purchase.amount})
    });
    store
        .services
        .iter()
        .map(|(ref_id, service)| {
            let operation = if service.account_no.is_empty() {
                "mobile_topup"
            } else {
                "bank_transfer"
            };
            let state = if service.final_code == 0 {
                "succeeded"
            } else {
                "failed"
            };
            json!({"provider": "appotapay", "operation": operation, "reference": ref_id,
                   "state": state, "amount": service.amount})
        })
        .chain(purchases)
        .collect()
}
