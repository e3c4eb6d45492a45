//! The card shop of a chargingws site (`/api/cardws`): C1 signatures with its own code, POST
//! JSON, orders kept for `redownload`. Deterministic fates, by the `request_id`'s ending:
//! `-pending` is paid with the cards delivered only by a `redownload` after the callback delay
//! (status 2 until then), `-nostock` is refused (118, nothing charged), `-exception` answers
//! 120 (the outcome unknown: the order exists and `redownload` delivers it); anything else is
//! delivered at once. A `request_id` used before answers 109; an unknown one to `redownload`
//! answers 103. The wallet starts at [`SHOP_BALANCE`] and pays for every order. Everything is
//! in stock but the product `OUTOFSTOCK` (118).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::{CHARGINGWS_S1, CHARGINGWS_S2, State, lock, md5_hex};
use crate::server::{Reply, Request};

/// The shop wallet's balance at the start, VND.
pub const SHOP_BALANCE: i64 = 10_000_000;

struct Order {
    reference: String,
    cards: Vec<Value>,
    deliverable_after: Instant,
}

#[derive(Default)]
pub(super) struct Store {
    /// Orders by (`partner_id`, `request_id`).
    orders: HashMap<(String, String), Order>,
    /// Spent per partner.
    spent: HashMap<String, i64>,
    next: u64,
}

fn reply(status: i64, message: &str, data: &Value) -> Reply {
    Reply::json(&json!({"status": status, "message": message, "data": data}))
}

pub(super) fn handle(state: &Arc<Mutex<State>>, request: &Request, delay: Duration) -> Reply {
    let Ok(p) = request.params() else {
        return reply(100, "Dữ liệu không hợp lệ", &Value::Bool(false));
    };
    let get = |k: &str| p.get(k).map_or("", String::as_str);
    let Some(account) = [CHARGINGWS_S1, CHARGINGWS_S2]
        .into_iter()
        .find(|a| a.partner_id == get("partner_id"))
    else {
        return reply(108, "Không tồn tại tài khoản merchant", &Value::Bool(false));
    };
    let command = get("command");
    let request_id = match command {
        "getbalance" | "checkavailable" => "",
        _ => get("request_id"),
    };
    if md5_hex(&[account.partner_key, account.partner_id, command, request_id]) != get("sign") {
        return reply(116, "Sai chữ ký", &Value::Bool(false));
    }
    let key = (account.partner_id.to_owned(), request_id.to_owned());
    let mut s = lock(state);
    if command == "buycard" {
        super::log_money(&mut s, "chargingws", "buy_cards", request_id);
    }
    let spent = s.cardws.spent.get(account.partner_id).copied().unwrap_or(0);
    match command {
        // S2's site answers as two public clients model it: no status, a currency code.
        "getbalance" if account.partner_id == CHARGINGWS_S2.partner_id => {
            Reply::json(&json!({"balance": SHOP_BALANCE - spent, "currency_code": "VND"}))
        }
        "getbalance" => Reply::json(&json!({"status": 1, "balance": SHOP_BALANCE - spent})),
        "buycard" => buycard(&mut s.cardws, account.partner_id, &p, delay),
        "redownload" => {
            let Some(order) = s.cardws.orders.get(&key) else {
                return reply(103, "Không tìm thấy đơn hàng", &Value::Bool(false));
            };
            let ready = Instant::now() >= order.deliverable_after;
            let data = json!({
                "cards": if ready { order.cards.clone() } else { Vec::new() },
                "request_id": request_id,
                "order_code": order.reference,
            });
            if ready {
                reply(1, "Tải lại thẻ thành công", &data)
            } else {
                reply(2, "Đang xử lý", &data)
            }
        }
        "checkavailable" if get("service_code") == "OUTOFSTOCK" => {
            reply(118, "Hết hàng", &Value::Bool(false))
        }
        "checkavailable" => reply(1, "Còn hàng", &Value::Bool(true)),
        _ => reply(100, "Dữ liệu không hợp lệ", &Value::Bool(false)),
    }
}

/// `GET /api/cardws/products?partner_id=`: unsigned, a plain list.
pub(super) fn products() -> Reply {
    Reply::json(&json!([
        {"name": "Viettel", "service_code": "VIETTEL", "cardvalue": [
            {"value": 10000, "discount": 2.5}, {"value": 20000, "discount": 2.5}]},
        {"name": "Garena", "service_code": "GARENA", "cardvalue": [{"value": 20000, "discount": 3}]},
        {"name": "Hết hàng", "service_code": "OUTOFSTOCK", "cardvalue": []},
    ]))
}

/// `buycard`: a new order, paid from the wallet, delivered now or later (see the module).
fn buycard(
    store: &mut Store,
    partner_id: &str,
    p: &std::collections::BTreeMap<String, String>,
    delay: Duration,
) -> Reply {
    let get = |k: &str| p.get(k).map_or("", String::as_str);
    let request_id = get("request_id");
    let key = (partner_id.to_owned(), request_id.to_owned());
    if store.orders.contains_key(&key) {
        return reply(109, "request_id đã tồn tại", &Value::Bool(false));
    }
    if request_id.ends_with("-nostock") {
        return reply(118, "Hết hàng", &Value::Bool(false));
    }
    let (Ok(value), Ok(qty)) = (get("value").parse::<i64>(), get("qty").parse::<i64>()) else {
        return reply(100, "Dữ liệu không hợp lệ", &Value::Bool(false));
    };
    store.next += 1;
    let n = store.next;
    let cards: Vec<Value> = (0..qty)
        .map(|i| {
            let code = format!("9{n:06}{i:04}{}", (n + i.unsigned_abs()) % 10);
            crate::note_secret(&code);
            json!({
                "name": format!("{} {value}", get("service_code")),
                "serial": format!("2000{n:06}{i:04}"),
                "code": code,
                "expired": "2030-12-31",
            })
        })
        .collect();
    let order_code = format!("S{n:012X}");
    *store.spent.entry(partner_id.to_owned()).or_default() += value * qty;
    let pending = request_id.ends_with("-pending");
    let exception = request_id.ends_with("-exception");
    let data = json!({
        "cards": if pending || exception { Vec::new() } else { cards.clone() },
        "time": "2026-11-29 10:00:00",
        "request_id": request_id,
        "order_code": order_code,
    });
    store.orders.insert(
        key,
        Order {
            reference: order_code,
            cards,
            deliverable_after: Instant::now() + if pending { delay } else { Duration::ZERO },
        },
    );
    if exception {
        reply(120, "Lỗi Exception", &Value::Bool(false))
    } else if pending {
        reply(
            2,
            "Thanh toán thành công. Lấy thẻ thất bại, vui lòng redownload sau ít phút",
            &data,
        )
    } else {
        reply(1, "Mua thẻ thành công", &data)
    }
}

/// Every order the shop kept: paid, its cards delivered (at once or by `redownload`).
pub(super) fn truth(store: &Store) -> Vec<Value> {
    store
        .orders
        .keys()
        .map(|(_, request_id)| {
            json!({"provider": "chargingws", "operation": "buy_cards", "reference": request_id,
                   "state": "succeeded", "amount": null})
        })
        .collect()
}
