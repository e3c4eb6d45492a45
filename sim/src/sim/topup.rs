//! kenhthanhtoan topup's server side: checksums with either digest, text replies.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sha1::Sha1;
use sha2::{Digest, Sha256};

use super::{State, hex, lock};
use crate::server::{Reply, Request};

/// A topup test user.
#[derive(Debug, Clone, Copy)]
pub struct TopupAccount {
    /// Username.
    pub username: &'static str,
    /// Private key.
    pub private_key: &'static str,
    /// Whether this user's checksums are SHA-1 (else SHA-256).
    pub sha1: bool,
}

/// A user with SHA-256 checksums.
pub const TOPUP_SHA256: TopupAccount = TopupAccount {
    username: "simshop",
    private_key: "sim-topup-key",
    sha1: false,
};
/// A user with SHA-1 checksums.
pub const TOPUP_SHA1: TopupAccount = TopupAccount {
    username: "simshop1",
    private_key: "sim-topup-key-1",
    sha1: true,
};

/// Every user's balance.
pub const TOPUP_BALANCE: i64 = 1_500_000;

#[derive(Debug, Clone)]
struct Order {
    id: String,
    first: i64,
    last: i64,
    settles_at: Instant,
}

/// What the simulator keeps for topup: orders by provider id, and client ids seen.
#[derive(Default)]
pub(super) struct Store {
    orders: HashMap<String, Order>,
    by_client_id: HashMap<String, String>,
    next: u64,
}

fn checksum(account: TopupAccount, text: &str) -> String {
    let bytes = if account.sha1 {
        Sha1::digest(text.as_bytes()).to_vec()
    } else {
        Sha256::digest(text.as_bytes()).to_vec()
    };
    hex(&bytes)
}

/// The phone's last digit decides: (first answer, answer after the delay).
/// `1`–`5` success; `6` invalid phone (`6;`); `7` refundable failure (`-302;`); `8` questionable
/// (`-1`) then success; `9` questionable (`0`) then refundable failure (`-304`); `0` stays `-99`.
fn fate(phone: &str) -> (i64, i64) {
    match phone.chars().last() {
        Some('6') => (6, 6),
        Some('7') => (-302, -302),
        Some('8') => (-1, 1),
        Some('9') => (0, -304),
        Some('0') => (-99, -99),
        _ => (1, 1),
    }
}

pub(super) fn handle(state: &Arc<Mutex<State>>, request: &Request, delay: Duration) -> Reply {
    let params = request.params().unwrap_or_default();
    let get = |k: &str| params.get(k).map_or("", String::as_str);
    let Some(account) = [TOPUP_SHA256, TOPUP_SHA1]
        .into_iter()
        .find(|a| a.username == get("username") && a.private_key == get("privatekey"))
    else {
        return Reply::text("-302;");
    };
    let mut s = lock(state);
    match request.path.trim_start_matches("/apipayment") {
        "/topup.jsp" => {
            super::log_money(&mut s, "topup", "topup", get("transidclient"));
            let (phone, amount) = (get("phone"), get("sotien"));
            if checksum(
                account,
                &format!("{}{phone}{amount}{}", account.username, account.private_key),
            ) != get("checksum")
            {
                return Reply::text("-6;");
            }
            if amount
                .parse::<i64>()
                .map_or(true, |a| a <= 0 || a % 10_000 != 0)
            {
                return Reply::text("5;");
            }
            let client_id = get("transidclient");
            if !client_id.is_empty() && s.topup.by_client_id.contains_key(client_id) {
                return Reply::text("-308;");
            }
            let (first, last) = fate(phone);
            if matches!(first, 6 | -302) {
                return Reply::text(format!("{first};"));
            }
            s.topup.next += 1;
            let id = format!("{}", 880_000 + s.topup.next);
            let order = Order {
                id: id.clone(),
                first,
                last,
                settles_at: Instant::now() + delay,
            };
            if !client_id.is_empty() {
                s.topup
                    .by_client_id
                    .insert(client_id.to_owned(), id.clone());
            }
            s.topup.orders.insert(id.clone(), order);
            Reply::text(format!("{first};{id}"))
        }
        "/recheck.jsp" => {
            let id = match (get("idtransaction"), get("transidclient")) {
                ("", client) => s
                    .topup
                    .by_client_id
                    .get(client)
                    .cloned()
                    .unwrap_or_default(),
                (id, _) => id.to_owned(),
            };
            match s.topup.orders.get(&id) {
                None => Reply::text("61;"),
                Some(o) => {
                    let code = if Instant::now() >= o.settles_at {
                        o.last
                    } else {
                        o.first
                    };
                    Reply::text(format!("{code};{}", o.id))
                }
            }
        }
        "/userbalance.jsp" => {
            if checksum(
                account,
                &format!("{}:::{}", account.username, account.private_key),
            ) != get("checksum")
            {
                return Reply::text("-6");
            }
            Reply::text(TOPUP_BALANCE.to_string())
        }
        _ => Reply::with_status(404, "text/plain", b"not found".to_vec()),
    }
}

/// What became of every top-up the service stored, as it will end up reporting it (by the
/// client's id where it gave one).
pub(super) fn truth(store: &Store) -> Vec<serde_json::Value> {
    store
        .by_client_id
        .iter()
        .filter_map(|(client_id, id)| {
            let order = store.orders.get(id)?;
            let state = match order.last {
                1 => "succeeded",
                -302 | -304 => "failed",
                _ => "pending",
            };
            Some(
                serde_json::json!({"provider": "topup", "operation": "topup",
                                    "reference": client_id, "state": state, "amount": null}),
            )
        })
        .collect()
}
