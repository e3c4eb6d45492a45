//! The top-up service of a chargingws site (`/api/rechargews`): C1 signatures with its own
//! code, POST JSON, `status` as a word. Deterministic fates: a `request_id` ending in `-poor`
//! is refused (`payment_fail`, no order); otherwise the order is accepted (`success`, with an
//! `order_code`) and, after the callback delay, `topup_status` says `completed`, or `canceled`
//! for a phone ending in 8, or `failed` (a word no source documents) for a phone ending in 6.
//! For a phone ending in 7 the order's own reply already says `completed` (some sites do). An
//! order the service cannot find answers `error`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::{CHARGINGWS_S1, CHARGINGWS_S2, State, lock, md5_hex};
use crate::server::{Reply, Request};

struct Order {
    reference: String,
    phone: String,
    amount: i64,
    settles_at: Instant,
}

/// The top-up service wallet's balance before any order.
pub const TOPUP_SERVICE_BALANCE: i64 = 5_000_000;

#[derive(Default)]
pub(super) struct Store {
    orders: HashMap<(String, String), Order>,
    next: u64,
}

fn word(status: &str, message: &str, data: &Value) -> Reply {
    Reply::json(&json!({"status": status, "message": message, "data": data}))
}

pub(super) fn handle(state: &Arc<Mutex<State>>, request: &Request, delay: Duration) -> Reply {
    let Ok(body) = serde_json::from_slice::<Value>(&request.body) else {
        return word("error", "Dữ liệu không hợp lệ", &Value::Null);
    };
    let text = |k: &str| match &body[k] {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    };
    let Some(account) = [CHARGINGWS_S1, CHARGINGWS_S2]
        .into_iter()
        .find(|a| a.partner_id == text("partner_id"))
    else {
        return word("error", "Không tồn tại tài khoản merchant", &Value::Null);
    };
    let command = text("command");
    let request_id = text("request_id");
    let signed = if command == "productlist" || command == "getbalance" {
        ""
    } else {
        &request_id
    };
    if md5_hex(&[account.partner_key, account.partner_id, &command, signed]) != text("sign") {
        return word("error", "Sai chữ ký", &Value::Null);
    }
    let key = (account.partner_id.to_owned(), request_id.clone());
    let mut s = lock(state);
    if command == "topup" {
        super::log_money(&mut s, "chargingws", "topup_order", &request_id);
    }
    match command.as_str() {
        "topup" => {
            if request_id.ends_with("-poor") {
                return word("payment_fail", "Số dư không đủ", &Value::Null);
            }
            if s.recharge.orders.contains_key(&key) {
                return word("error", "request_id đã tồn tại", &Value::Null);
            }
            let Ok(amount) = text("amount").parse::<i64>() else {
                return word("error", "Dữ liệu không hợp lệ", &Value::Null);
            };
            let phone = body["account_info"]["phone"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            s.recharge.next += 1;
            let reference = format!("T{:012X}", s.recharge.next);
            let data = json!({
                "order_code": reference, "request_id": request_id, "time": "2026-11-29 10:00:00",
                "account": {"phone": phone}, "pay_amount": amount * 98 / 100, "discount": 2,
                "service_code": text("service_code"), "amount": amount,
                "status": if phone.ends_with('7') { "completed" } else { "pending" },
            });
            s.recharge.orders.insert(
                key,
                Order {
                    reference,
                    phone,
                    amount,
                    settles_at: Instant::now() + delay,
                },
            );
            word("success", "Tạo đơn thành công", &data)
        }
        "getstatus" => {
            let Some(order) = s.recharge.orders.get(&key) else {
                return word("error", "Không tìm thấy đơn hàng", &Value::Null);
            };
            let state = match (
                Instant::now() >= order.settles_at,
                order.phone.ends_with('8'),
            ) {
                (false, _) => "pending",
                (true, true) => "canceled",
                (true, false) if order.phone.ends_with('6') => "failed",
                (true, false) => "completed",
            };
            word(
                "success",
                "OK",
                &json!({"order_code": order.reference, "request_id": request_id,
                        "amount": order.amount, "status": state}),
            )
        }
        "getbalance" => balance(&s.recharge, account.partner_id),
        "productlist" => word(
            "success",
            "OK",
            &json!([
                {"service_code": "vinatt", "items": [{"value": 10000, "discount": 2}, {"value": 50000, "discount": 2}]},
                {"service_code": "viettel", "items": [{"value": 20000, "discount": 3}]},
            ]),
        ),
        _ => word("error", "Dữ liệu không hợp lệ", &Value::Null),
    }
}

/// The partner's wallet: what is left after its orders.
fn balance(store: &Store, partner_id: &str) -> Reply {
    let spent: i64 = store
        .orders
        .iter()
        .filter(|((partner, _), _)| partner == partner_id)
        .map(|(_, order)| order.amount)
        .sum();
    word(
        "success",
        "OK",
        &json!({"balance": TOPUP_SERVICE_BALANCE - spent, "currency": "VND"}),
    )
}

/// Every top-up order the service kept, as `topup_status` will end up saying (its reply
/// states no amount paid).
pub(super) fn truth(store: &Store) -> Vec<Value> {
    store
        .orders
        .iter()
        .map(|((_, request_id), order)| {
            let state = if order.phone.ends_with('8') || order.phone.ends_with('6') {
                "failed"
            } else {
                "succeeded"
            };
            json!({"provider": "chargingws", "operation": "topup_order", "reference": request_id,
                   "state": state, "amount": null})
        })
        .collect()
}
