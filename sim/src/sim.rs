//! The provider simulator: the server side of every provider, on loopback.
//!
//! It checks signatures with its own code (not vngate's), decides each card's fate from the
//! last character of its PIN, and delivers callbacks after a delay. See [`outcome_of`].

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread;
use std::time::{Duration, Instant};

use md5::{Digest, Md5};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::server::{FaultMode, Handler, Reply, Request, Server, encode_component};

mod appotapay;
mod cardws;
mod esms;
mod recharge;
mod topup;

pub use appotapay::{
    APPOTAPAY_OAEP, APPOTAPAY_PKCS1, AppotaAccount, PARTNER_KEY_PEM, START_BALANCE, TRANSFER_FEE,
};
pub use cardws::SHOP_BALANCE;
pub use esms::{ESMS_ACCESS_TOKEN, ESMS_API_TOKEN, ESMS_EMAIL, ESMS_PASSWORD, ESMS_SECRET_KEY};
pub use recharge::TOPUP_SERVICE_BALANCE;
pub use topup::{TOPUP_BALANCE, TOPUP_SHA1, TOPUP_SHA256, TopupAccount};

/// A test account: what the simulator issued, what a client is configured with.
#[derive(Debug, Clone, Copy)]
pub struct Account {
    /// The partner id.
    pub partner_id: &'static str,
    /// The partner key.
    pub partner_key: &'static str,
}

/// chargingws partner that signs with S1 (its fee table is a flat list).
pub const CHARGINGWS_S1: Account = Account {
    partner_id: "10001",
    partner_key: "sim-s1-partner-key",
};
/// chargingws partner that signs with S2 (its fee table is keyed by telco).
pub const CHARGINGWS_S2: Account = Account {
    partner_id: "10002",
    partner_key: "sim-s2-partner-key",
};
/// OpenCard partner with ksort signatures.
pub const OPENCARD_KSORT: Account = Account {
    partner_id: "20001",
    partner_key: "sim-oc-ksort-key",
};
/// OpenCard partner with prose-order signatures.
pub const OPENCARD_PROSE: Account = Account {
    partner_id: "20002",
    partner_key: "sim-oc-prose-key",
};

/// The fee the simulator charges, in percent, and the penalty for a wrong declared value.
pub const FEE_PERCENT: i64 = 20;
/// See [`FEE_PERCENT`].
pub const PENALTY_PERCENT: i64 = 50;

/// What happens to a card, decided by the last character of its PIN.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// `…1`, `…6`–`…9` and PINs ending in a letter: success, right value.
    Success,
    /// `…2`: good card, real value half the declared one.
    WrongValue,
    /// `…3`: bad card.
    CardError,
    /// `…4`: the site answers "maintenance" at once.
    Maintenance,
    /// `…5`: the site refuses the card at once (status 100).
    Rejected,
    /// `…0`: stays pending forever; no callback.
    Pending,
}

/// The rule: the last character of the PIN.
#[must_use]
pub fn outcome_of(code: &str) -> Outcome {
    match code.chars().last() {
        Some('2') => Outcome::WrongValue,
        Some('3') => Outcome::CardError,
        Some('4') => Outcome::Maintenance,
        Some('5') => Outcome::Rejected,
        Some('0') => Outcome::Pending,
        _ => Outcome::Success,
    }
}

/// Fault injection, set from Rust or over HTTP (`POST /__sim/faults`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Faults {
    /// How replies are written.
    pub mode: FaultMode,
    /// Delay before every reply, in milliseconds.
    pub latency_ms: u64,
}

/// Where callbacks go, as a provider's dashboard would set it (`POST /__sim/callbacks`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Callbacks {
    /// chargingws callback URL; none: no callbacks.
    pub chargingws_url: Option<String>,
    /// `post` (JSON body) or `get` (query string).
    pub chargingws_method: String,
    /// OpenCard webhook URL.
    pub opencard_url: Option<String>,
    /// AppotaPay's IPN URL for bank transfers that were pending.
    pub appotapay_ipn_url: Option<String>,
    /// Delay from submission to the final status and its callback.
    pub delay_ms: u64,
}

impl Default for Callbacks {
    fn default() -> Self {
        Self {
            chargingws_url: None,
            chargingws_method: "post".into(),
            opencard_url: None,
            appotapay_ipn_url: None,
            delay_ms: 200,
        }
    }
}

#[derive(Debug, Clone)]
struct Card {
    telco: String,
    code: String,
    serial: String,
    declared: i64,
    outcome: Outcome,
    trans_id: u64,
    submitted: Instant,
}

#[derive(Default)]
struct State {
    requests: u64,
    /// Provider requests that were the first on their connection: connections opened.
    connections: u64,
    /// Provider requests that asked for their connection to be closed after the reply.
    closing_requests: u64,
    /// Both since the start, never reset: what the suites report.
    total_requests: u64,
    total_connections: u64,
    /// Off: every reply closes its connection (`POST /__sim/keep_alive {"on": false}`).
    no_keep_alive: bool,
    faults: Faults,
    callbacks: Callbacks,
    next_trans_id: u64,
    /// chargingws cards by (`partner_id`, `request_id`).
    cards: HashMap<(String, String), Card>,
    /// OpenCard cards by the request id the simulator assigned, and seen (code, serial).
    opencard: HashMap<String, Card>,
    opencard_seen: HashMap<(String, String), String>,
    appotapay: appotapay::Store,
    esms: esms::Store,
    topup: topup::Store,
    cardws: cardws::Store,
    recharge: recharge::Store,
    /// Every money-moving request that arrived, as `provider operation reference`, in order:
    /// what proves nothing was sent twice (`GET /__sim/money_log`).
    money_log: Vec<String>,
    /// The `request_id` of every chargingws `check` that arrived (it carries the card's PIN):
    /// what proves a site was never asked about another site's cards (`GET /__sim/checks`).
    checks: Vec<String>,
}

/// Notes a money-moving request in the simulator's log.
fn log_money(state: &mut State, provider: &str, operation: &str, reference: &str) {
    state
        .money_log
        .push(format!("{provider} {operation} {reference}"));
}

/// A one-shot gate: the next provider request waits until released, or fails when nothing
/// releases it in time. It proves a client let other threads run while it waited (Python's GIL).
#[derive(Default)]
struct Hold {
    armed: Option<Duration>,
    held: u64,
    released: bool,
}

type Gate = Arc<(Mutex<Hold>, Condvar)>;

/// A running simulator. Cheap to clone; the server stops when the last clone is dropped.
#[derive(Clone)]
pub struct Sim {
    state: Arc<Mutex<State>>,
    server: Arc<Server>,
}

impl Sim {
    /// Starts a simulator on a free loopback port.
    ///
    /// # Panics
    /// When no loopback port can be bound.
    #[must_use]
    pub fn start() -> Self {
        Self::start_on(0).expect("bind a loopback port")
    }

    /// Starts a simulator on `127.0.0.1:port`.
    pub fn start_on(port: u16) -> std::io::Result<Self> {
        for secret in [
            CHARGINGWS_S1.partner_key,
            CHARGINGWS_S2.partner_key,
            OPENCARD_KSORT.partner_key,
            OPENCARD_PROSE.partner_key,
            APPOTAPAY_OAEP.api_key,
            APPOTAPAY_OAEP.secret_key,
            APPOTAPAY_PKCS1.api_key,
            APPOTAPAY_PKCS1.secret_key,
            ESMS_PASSWORD,
            ESMS_API_TOKEN,
            ESMS_SECRET_KEY,
            TOPUP_SHA256.private_key,
            TOPUP_SHA1.private_key,
            // A line of the partner's private key, as a leaked PEM would show it.
            PARTNER_KEY_PEM.lines().nth(5).unwrap_or_default(),
        ] {
            crate::note_secret(secret);
        }
        let state = Arc::new(Mutex::new(State {
            next_trans_id: 1000,
            ..State::default()
        }));
        let handler_state = Arc::clone(&state);
        let gate: Gate = Arc::default();
        let handler: Handler = Arc::new(move |request| handle(&handler_state, &gate, &request));
        let server = Arc::new(Server::start(port, handler)?);
        Ok(Self { state, server })
    }

    /// `http://127.0.0.1:PORT`.
    #[must_use]
    pub fn url(&self) -> String {
        self.server.url()
    }

    /// A client config for `provider` on this simulator's first test account (chargingws S1,
    /// OpenCard ksort, AppotaPay OAEP, eSMS with its API token, topup SHA-256), as vngate's
    /// `Client::new` takes it: the tests' one place for the accounts.
    ///
    /// # Panics
    /// For a provider the simulator does not play.
    #[must_use]
    pub fn client_config(&self, provider: &str) -> Value {
        let url = self.url();
        match provider {
            "chargingws" => json!({"base_url": url, "partner_id": CHARGINGWS_S1.partner_id,
                                   "partner_key": CHARGINGWS_S1.partner_key}),
            "opencard" => json!({"base_url": url, "partner_id": OPENCARD_KSORT.partner_id,
                                 "partner_key": OPENCARD_KSORT.partner_key}),
            "appotapay" => json!({"base_url": url, "partner_code": APPOTAPAY_OAEP.partner_code,
                                  "api_key": APPOTAPAY_OAEP.api_key,
                                  "secret_key": APPOTAPAY_OAEP.secret_key}),
            "esms" => json!({"base_url": url, "api_token": ESMS_API_TOKEN,
                             "secret_key": ESMS_SECRET_KEY}),
            "topup" => json!({"base_url": format!("{url}/apipayment"),
                              "username": TOPUP_SHA256.username,
                              "private_key": TOPUP_SHA256.private_key}),
            other => panic!("the simulator plays no provider {other}"),
        }
    }

    /// How many provider requests arrived (control requests not counted).
    #[must_use]
    pub fn requests(&self) -> u64 {
        lock(&self.state).requests
    }

    /// Every money-moving request received so far, as `provider operation reference`.
    #[must_use]
    pub fn money_log(&self) -> Vec<String> {
        lock(&self.state).money_log.clone()
    }

    /// How many connections carried provider requests: with a pooling client, fewer than
    /// [`Sim::requests`].
    #[must_use]
    pub fn connections(&self) -> u64 {
        lock(&self.state).connections
    }

    /// How many provider requests said `Connection: close` (a connection used once).
    #[must_use]
    pub fn closing_requests(&self) -> u64 {
        lock(&self.state).closing_requests
    }

    /// HTTP/1.1 keep-alive (on by default); off, every reply closes its connection.
    pub fn set_keep_alive(&self, on: bool) {
        lock(&self.state).no_keep_alive = !on;
    }

    /// Sets the faults for every following reply.
    pub fn set_faults(&self, faults: Faults) {
        lock(&self.state).faults = faults;
    }

    /// Sets where callbacks go.
    pub fn set_callbacks(&self, callbacks: Callbacks) {
        lock(&self.state).callbacks = callbacks;
    }
}

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    state
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Lowercase hex, for every digest the simulator prints.
fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::new(), |mut out, b| {
        let _ = write!(out, "{b:02x}");
        out
    })
}

fn md5_hex(parts: &[&str]) -> String {
    let mut h = Md5::new();
    for p in parts {
        h.update(p.as_bytes());
    }
    hex(&h.finalize())
}

fn handle(state: &Arc<Mutex<State>>, gate: &Gate, request: &Request) -> Reply {
    if let Some(control) = request.path.strip_prefix("/__sim/") {
        return control_endpoint(state, gate, control, request);
    }
    let (faults, delay, keep_alive) = {
        let mut s = lock(state);
        s.requests += 1;
        s.total_requests += 1;
        if request.on_connection == 0 {
            s.connections += 1;
            s.total_connections += 1;
        }
        if request.asks_to_close() {
            s.closing_requests += 1;
        }
        (
            s.faults,
            Duration::from_millis(s.callbacks.delay_ms),
            !s.no_keep_alive,
        )
    };
    let path = request.path.as_str();
    if faults.mode == FaultMode::Unprocessed {
        return unprocessed();
    }
    let mut reply = match path {
        "/chargingws/v2" => chargingws(state, request),
        "/chargingws/v2/getfee" => chargingws_fees(request),
        "/api/cardws" => cardws::handle(state, request, delay),
        "/api/cardws/products" => cardws::products(),
        "/api/rechargews" => recharge::handle(state, request, delay),
        "/chargingws/v0" => opencard(state, request),
        _ if path.starts_with("/api/v1/service/") || path.starts_with("/api/v2/service/") => {
            appotapay::handle(state, request, delay)
        }
        _ if path.starts_with("/api/v1/authentication")
            || path.starts_with("/api/v1/user/")
            || path.starts_with("/api/v2/disbursement/") =>
        {
            esms::handle(state, request, delay)
        }
        _ if path.starts_with("/apipayment/") => topup::handle(state, request, delay),
        _ => Reply::with_status(404, "text/plain", b"not found".to_vec()),
    };
    reply.fault = faults.mode;
    reply.delay = Duration::from_millis(faults.latency_ms);
    reply.keep_alive = keep_alive;
    hold(gate).unwrap_or(reply)
}

/// Every money request the providers kept, as they will end up reporting it: provider,
/// operation, reference, state (`succeeded`, `failed`, `pending`) and amount.
fn truth(s: &State) -> Value {
    let mut records: Vec<Value> = s
        .cards
        .iter()
        .map(|((_, request_id), card)| {
            let (status, _, amount, _) = settle(card);
            json!({"provider": "chargingws", "operation": "charge", "reference": request_id,
                   "state": card_state(status), "amount": amount})
        })
        .collect();
    records.extend(s.opencard.values().map(|card| {
        let (status, value, _, _) = settle(card);
        // The webhook's signed amount is the card's value.
        json!({"provider": "opencard", "operation": "charge", "reference": card.serial,
               "state": card_state(status), "amount": value.unwrap_or(0)})
    }));
    records.extend(appotapay::truth(&s.appotapay));
    records.extend(cardws::truth(&s.cardws));
    records.extend(recharge::truth(&s.recharge));
    records.extend(esms::truth(&s.esms));
    records.extend(topup::truth(&s.topup));
    json!({ "records": records })
}

/// A card's final status code as the truth's state.
fn card_state(status: i64) -> &'static str {
    match status {
        1 | 2 => "succeeded",
        99 => "pending",
        _ => "failed",
    }
}

/// What a load balancer in front of the provider answers when the provider is unavailable.
fn unprocessed() -> Reply {
    Reply::with_status(
        503,
        "text/html",
        b"<html><body>503 Service Unavailable</body></html>".to_vec(),
    )
}

/// Waits at an armed gate; `Some` (an error reply) when nothing released it in time.
fn hold(gate: &Gate) -> Option<Reply> {
    let (lock, released) = &**gate;
    let mut hold = lock
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let timeout = hold.armed.take()?;
    hold.held += 1;
    let (mut hold, waited) = released
        .wait_timeout_while(hold, timeout, |h| !h.released)
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    hold.held -= 1;
    hold.released = false;
    waited.timed_out().then(|| {
        Reply::with_status(
            500,
            "text/plain",
            b"held request timed out: nothing released it".to_vec(),
        )
    })
}

fn control_endpoint(
    state: &Arc<Mutex<State>>,
    gate: &Gate,
    control: &str,
    request: &Request,
) -> Reply {
    let (hold, released) = &**gate;
    let hold = || {
        hold.lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    };
    match control {
        "stats" => {
            let (requests, connections, totals) = {
                let s = lock(state);
                (
                    s.requests,
                    s.connections,
                    json!({"requests": s.total_requests, "connections": s.total_connections}),
                )
            };
            Reply::json(&json!({
                "requests": requests, "connections": connections, "held": hold().held,
                "total": totals,
            }))
        }
        "money_log" => Reply::json(&json!({"requests": lock(state).money_log})),
        "checks" => Reply::json(&json!({"request_ids": lock(state).checks})),
        // What became (or will become, once settled) of every money request the providers
        // kept: the campaign's truth.
        "truth" => Reply::json(&truth(&lock(state))),
        "keep_alive" => match parse_control::<Value>(&request.body) {
            Ok(v) => {
                lock(state).no_keep_alive = !v["on"].as_bool().unwrap_or(true);
                Reply::json(&json!({"ok": true}))
            }
            Err(e) => Reply::with_status(400, "text/plain", e.to_string().into_bytes()),
        },
        "hold" => {
            let timeout_ms = parse_control::<Value>(&request.body)
                .ok()
                .and_then(|v| v["timeout_ms"].as_u64())
                .unwrap_or(5_000);
            let mut gate = hold();
            gate.armed = Some(Duration::from_millis(timeout_ms));
            gate.released = false;
            Reply::json(&json!({"ok": true}))
        }
        "release" => {
            hold().released = true;
            released.notify_all();
            Reply::json(&json!({"ok": true}))
        }
        "faults" => match parse_control(&request.body) {
            Ok(faults) => {
                lock(state).faults = faults;
                Reply::json(&json!({"ok": true}))
            }
            Err(e) => Reply::with_status(400, "text/plain", e.to_string().into_bytes()),
        },
        "callbacks" => match parse_control(&request.body) {
            Ok(callbacks) => {
                lock(state).callbacks = callbacks;
                Reply::json(&json!({"ok": true}))
            }
            Err(e) => Reply::with_status(400, "text/plain", e.to_string().into_bytes()),
        },
        "reset" => {
            let mut s = lock(state);
            s.faults = Faults::default();
            s.requests = 0;
            s.connections = 0;
            s.closing_requests = 0;
            s.no_keep_alive = false;
            Reply::json(&json!({"ok": true}))
        }
        _ => Reply::with_status(404, "text/plain", b"no such control".to_vec()),
    }
}

fn parse_control<T: serde::de::DeserializeOwned>(body: &[u8]) -> serde_json::Result<T> {
    serde_json::from_slice(if body.is_empty() { b"{}" } else { body })
}

fn status_reply(status: i64, message: &str) -> Reply {
    Reply::json(&json!({"status": status, "message": message}))
}

fn chargingws_account(partner_id: &str) -> Option<(Account, bool)> {
    // (account, signs with S2)
    [(CHARGINGWS_S1, false), (CHARGINGWS_S2, true)]
        .into_iter()
        .find(|(a, _)| a.partner_id == partner_id)
}

/// The final money of a card: (status, value, amount received, real card value).
fn settle(card: &Card) -> (i64, Option<i64>, i64, i64) {
    let net = |value: i64, percent: i64| value * (100 - percent) / 100;
    match card.outcome {
        Outcome::Success => (
            1,
            Some(card.declared),
            net(card.declared, FEE_PERCENT),
            card.declared,
        ),
        Outcome::WrongValue => {
            let real = card.declared / 2;
            (
                2,
                Some(real),
                net(real, FEE_PERCENT + PENALTY_PERCENT),
                real,
            )
        }
        Outcome::CardError => (3, Some(0), 0, 0),
        Outcome::Maintenance => (4, None, 0, 0),
        Outcome::Rejected => (100, None, 0, 0),
        Outcome::Pending => (99, None, net(card.declared, FEE_PERCENT), 0),
    }
}

fn message_of(status: i64) -> &'static str {
    match status {
        1 => "Thành công",
        2 => "Sai mệnh giá",
        3 => "Thẻ lỗi",
        4 => "Hệ thống bảo trì",
        100 => "Thẻ đã được sử dụng",
        _ => "PENDING",
    }
}

fn card_json(card: &Card, request_id: &str, final_state: bool) -> Value {
    let (status, value, amount, _) = if final_state {
        settle(card)
    } else {
        (99, None, card.declared * (100 - FEE_PERCENT) / 100, 0)
    };
    json!({
        "trans_id": card.trans_id,
        "request_id": request_id,
        "amount": amount,
        "value": value,
        "declared_value": card.declared,
        "telco": card.telco,
        "serial": card.serial,
        "code": card.code,
        "status": status,
        "message": message_of(status),
    })
}

fn chargingws(state: &Arc<Mutex<State>>, request: &Request) -> Reply {
    let Ok(p) = request.params() else {
        return status_reply(102, "INPUT_DATA_INCORRECT");
    };
    let get = |k: &str| p.get(k).map_or("", String::as_str);
    let Some((account, s2)) = chargingws_account(get("partner_id")) else {
        return status_reply(102, "MERCHANT_NOT_EXISTED_OR_OFF");
    };
    let command = get("command");
    let required = ["telco", "code", "serial", "request_id", "sign"];
    if !matches!(command, "charging" | "check") || required.iter().any(|k| get(k).is_empty()) {
        return status_reply(102, "INPUT_DATA_INCORRECT");
    }
    let expected = if s2 {
        md5_hex(&[
            account.partner_key,
            get("code"),
            command,
            get("partner_id"),
            get("request_id"),
            get("serial"),
            get("telco"),
        ])
    } else {
        md5_hex(&[account.partner_key, get("code"), get("serial")])
    };
    if expected != get("sign") {
        return status_reply(102, "INVALID_SIGNATURE");
    }
    let key = (account.partner_id.to_owned(), get("request_id").to_owned());
    let mut s = lock(state);
    if command == "charging" {
        log_money(&mut s, "chargingws", "charge", &key.1);
    }
    if command == "check" {
        s.checks.push(key.1.clone());
        let Some(card) = s.cards.get(&key) else {
            return status_reply(101, "CARD_NOT_EXISTED");
        };
        let delay = Duration::from_millis(s.callbacks.delay_ms);
        let done = card.outcome != Outcome::Pending && card.submitted.elapsed() >= delay;
        return Reply::json(&card_json(card, &key.1, done));
    }
    if s.cards.contains_key(&key) {
        return status_reply(102, "REQUEST_ID_EXISTED");
    }
    let Ok(declared) = get("amount").parse::<i64>() else {
        return status_reply(102, "INPUT_DATA_INCORRECT");
    };
    s.next_trans_id += 1;
    crate::note_secret(get("code"));
    let card = Card {
        telco: get("telco").to_owned(),
        code: get("code").to_owned(),
        serial: get("serial").to_owned(),
        declared,
        outcome: outcome_of(get("code")),
        trans_id: s.next_trans_id,
        submitted: Instant::now(),
    };
    match card.outcome {
        Outcome::Maintenance => return status_reply(4, message_of(4)),
        Outcome::Rejected => return status_reply(100, message_of(100)),
        _ => {}
    }
    let reply = card_json(&card, &key.1, false);
    s.cards.insert(key.clone(), card.clone());
    let callbacks = s.callbacks.clone();
    drop(s);
    if let (Some(url), false) = (callbacks.chargingws_url, card.outcome == Outcome::Pending) {
        let method = callbacks.chargingws_method.to_ascii_lowercase();
        deliver_later(callbacks.delay_ms, move || {
            chargingws_callback(&url, &method, account, &key.1, &card);
        });
    }
    Reply::json(&reply)
}

/// Delivers a chargingws callback: `get` (a query string), `form` (a POST form body, as some
/// sites send), else a POST JSON body.
fn chargingws_callback(url: &str, method: &str, account: Account, request_id: &str, card: &Card) {
    let (status, value, amount, card_value) = settle(card);
    let sign = md5_hex(&[account.partner_key, &card.code, &card.serial]);
    let value = value.unwrap_or(0);
    let agent = callback_agent();
    if method == "get" || method == "form" {
        let fields = [
            ("status", status.to_string()),
            ("message", message_of(status).to_owned()),
            ("request_id", request_id.to_owned()),
            ("declared_value", card.declared.to_string()),
            ("card_value", card_value.to_string()),
            ("value", value.to_string()),
            ("amount", amount.to_string()),
            ("code", card.code.clone()),
            ("serial", card.serial.clone()),
            ("telco", card.telco.clone()),
            ("trans_id", card.trans_id.to_string()),
            ("callback_sign", sign),
        ];
        if method == "form" {
            let _ = agent
                .post(url)
                .send_form(fields.iter().map(|(k, v)| (*k, v.as_str())));
            return;
        }
        let query: Vec<String> = fields
            .iter()
            .map(|(k, v)| format!("{k}={}", encode_component(v)))
            .collect();
        let sep = if url.contains('?') { '&' } else { '?' };
        let _ = agent.get(&format!("{url}{sep}{}", query.join("&"))).call();
    } else {
        let body = json!({
            "status": status, "message": message_of(status), "request_id": request_id,
            "declared_value": card.declared, "value": value, "amount": amount,
            "code": card.code, "serial": card.serial, "telco": card.telco,
            "trans_id": card.trans_id, "callback_sign": sign,
        });
        let _ = agent
            .post(url)
            .header("content-type", "application/json")
            .send(body.to_string());
    }
}

fn chargingws_fees(request: &Request) -> Reply {
    let params = request.params().unwrap_or_default();
    let Some((_, keyed)) = chargingws_account(params.get("partner_id").map_or("", String::as_str))
    else {
        return status_reply(102, "MERCHANT_NOT_EXISTED_OR_OFF");
    };
    let telcos = ["VIETTEL", "VINAPHONE", "MOBIFONE", "VNMOBI", "ZING", "GATE"];
    let values = [10_000, 20_000, 50_000, 100_000, 200_000, 500_000];
    let row = |telco: &str, value: i64| json!({"telco": telco, "value": value, "fees": FEE_PERCENT, "penalty": PENALTY_PERCENT});
    // S1 partners get the flat list (thesieure's shape), S2 partners the keyed object (the
    // protocol document's shape), so that both parsers meet a real server.
    if keyed {
        // Written in the site's order (VIETTEL first), which a map would sort.
        let entries: Vec<String> = telcos
            .iter()
            .map(|t| {
                let rows = Value::Array(values.iter().map(|v| row(t, *v)).collect());
                format!("{}:{rows}", Value::from(*t))
            })
            .collect();
        Reply::with_status(
            200,
            "application/json",
            format!("{{{}}}", entries.join(",")).into_bytes(),
        )
    } else {
        Reply::json(&Value::Array(
            telcos
                .iter()
                .flat_map(|t| values.iter().map(move |v| row(t, *v)))
                .collect(),
        ))
    }
}

fn opencard(state: &Arc<Mutex<State>>, request: &Request) -> Reply {
    if !request.is_json() {
        return status_reply(102, "INPUT_DATA_INCORRECT");
    }
    let Ok(p) = request.params() else {
        return status_reply(102, "INPUT_DATA_INCORRECT");
    };
    let get = |k: &str| p.get(k).map_or("", String::as_str);
    let Some((account, prose)) = [(OPENCARD_KSORT, false), (OPENCARD_PROSE, true)]
        .into_iter()
        .find(|(a, _)| a.partner_id == get("partner_id"))
    else {
        return status_reply(102, "MERCHANT_NOT_EXISTED_OR_OFF");
    };
    let (code, serial, telco) = (get("code"), get("serial"), get("telco"));
    crate::note_secret(code);
    let expected = if prose {
        md5_hex(&[
            account.partner_key,
            code,
            get("partner_id"),
            serial,
            telco,
            get("command"),
        ])
    } else {
        let sorted: BTreeMap<&str, &str> = [
            ("code", code),
            ("partner_id", get("partner_id")),
            ("serial", serial),
            ("telco", telco),
            ("command", get("command")),
        ]
        .into();
        let mut parts = vec![account.partner_key];
        parts.extend(sorted.values());
        md5_hex(&parts)
    };
    if get("command") != "charging" || expected != get("sign") {
        return status_reply(102, "INVALID_SIGNATURE");
    }
    let lengths = match telco {
        "VIETTEL" => (15, 14),
        "MOBIFONE" => (12, 15),
        "VINAPHONE" => (14, 14),
        "ZING" => (9, 12),
        "VCOIN" | "GARENA" => (12, 12),
        _ => return status_reply(3, "TELCO_NOT_SUPPORTED"),
    };
    if (code.len(), serial.len()) != lengths {
        return status_reply(3, "CARD_FORMAT_INVALID");
    }
    let Ok(declared) = get("amount").parse::<i64>() else {
        return status_reply(102, "INPUT_DATA_INCORRECT");
    };
    let mut s = lock(state);
    log_money(&mut s, "opencard", "charge", serial);
    if s.opencard_seen
        .contains_key(&(code.to_owned(), serial.to_owned()))
    {
        return status_reply(3, "CARD_EXISTED");
    }
    s.next_trans_id += 1;
    let request_id = format!("{}", 385_672_000 + s.next_trans_id);
    let card = Card {
        telco: telco.to_owned(),
        code: code.to_owned(),
        serial: serial.to_owned(),
        declared,
        outcome: outcome_of(code),
        trans_id: 10_895_000 + s.next_trans_id,
        submitted: Instant::now(),
    };
    if card.outcome == Outcome::Maintenance {
        return status_reply(4, "MAINTENANCE");
    }
    s.opencard_seen
        .insert((code.to_owned(), serial.to_owned()), request_id.clone());
    s.opencard.insert(request_id.clone(), card.clone());
    let callbacks = s.callbacks.clone();
    drop(s);
    if let (Some(url), false) = (callbacks.opencard_url, card.outcome == Outcome::Pending) {
        let id = request_id.clone();
        deliver_later(callbacks.delay_ms, move || {
            opencard_webhook(&url, account, prose, &id, &card);
        });
    }
    Reply::json(
        &json!({"status": 99, "message": "Gửi thẻ thành công, chờ xử lý", "request_id": request_id}),
    )
}

fn opencard_webhook(url: &str, account: Account, prose: bool, request_id: &str, card: &Card) {
    let (status, value, actual, _) = settle(card);
    let status = if status == 100 { 3 } else { status };
    let amount = value.unwrap_or(0);
    let trans_id = card.trans_id.to_string();
    let (amount_text, status_text) = (amount.to_string(), status.to_string());
    let sign = if prose {
        md5_hex(&[
            account.partner_key,
            request_id,
            &status_text,
            &amount_text,
            &trans_id,
        ])
    } else {
        md5_hex(&[
            account.partner_key,
            &amount_text,
            request_id,
            &status_text,
            &trans_id,
        ])
    };
    let message = match status {
        1 => "SUCCESS",
        2 => "WRONG_AMOUNT",
        _ => "CARD_INVALID",
    };
    // A wrong-value amount goes out as a float (`5000.0`): PHP signs it as "5000", and so must
    // every client.
    let amount_json = if status == 2 {
        json!(amount as f64)
    } else {
        json!(amount)
    };
    let body = json!({
        "request_id": request_id, "trans_id": trans_id, "telco": card.telco,
        "declared_value": card.declared, "status": status, "message": message,
        "amount": amount_json, "actual_amount": actual, "notified_at": "2026-11-25 10:00:00",
        "sign": sign,
    });
    let _ = callback_agent()
        .post(url)
        .header("content-type", "application/json")
        .send(body.to_string());
}

fn deliver_later(delay_ms: u64, deliver: impl FnOnce() + Send + 'static) {
    thread::spawn(move || {
        thread::sleep(Duration::from_millis(delay_ms));
        deliver();
    });
}

fn callback_agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(5)))
        .http_status_as_error(false)
        .proxy(None)
        .build()
        .into()
}
