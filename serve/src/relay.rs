//! The callback relay: a provider's callback taken in (kept, verified, matched to its stored
//! request, settled in the journal, answered as the provider expects), then told to the
//! application as events signed per Standard Webhooks (`webhook-id`, `webhook-timestamp`,
//! `webhook-signature`), retried with backoff until acknowledged, every attempt logged. The
//! application may also poll the events and acknowledge them itself.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine as _;
use hmac::{Hmac, KeyInit, Mac};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use vngate::Error;
use vngate_journal::relay::{Attempt, Next};
use vngate_journal::{JournalError, JournaledClient, Settlement, now_ms};

/// How events reach the application.
#[derive(Clone)]
pub struct RelayOptions {
    /// Where events are sent (`POST`); `None`: the application polls `GET /v1/events`.
    pub deliver_to: Option<String>,
    /// The signing secret (`whsec_` and base64, as Standard Webhooks gives it).
    pub secret: Option<WebhookSecret>,
    /// The first wait after a failed attempt, doubling up to `retry_max`. Default 5 s.
    pub retry_base: Duration,
    /// The longest wait between attempts. Default 1 h.
    pub retry_max: Duration,
    /// Attempts before an event is listed as failed (kept, never dropped). Default 20 (about
    /// 15 hours with the defaults).
    pub max_attempts: i64,
    /// How long one server holds the events it claimed before another may take them. Default
    /// 60 s (more than an attempt's timeout).
    pub lease: Duration,
    /// An attempt's timeout. Default 10 s.
    pub timeout: Duration,
    /// This server's name in the attempts' log. Default: host name and process id.
    pub instance: String,
}

impl fmt::Debug for RelayOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RelayOptions")
            .field("deliver_to", &self.deliver_to)
            .field("retry_base", &self.retry_base)
            .field("max_attempts", &self.max_attempts)
            .field("instance", &self.instance)
            .finish_non_exhaustive()
    }
}

impl Default for RelayOptions {
    fn default() -> Self {
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .map_or_else(|_| "vngate".into(), |h| h.trim().to_owned());
        Self {
            deliver_to: None,
            secret: None,
            retry_base: Duration::from_secs(5),
            retry_max: Duration::from_secs(3600),
            max_attempts: 20,
            lease: Duration::from_secs(60),
            timeout: Duration::from_secs(10),
            instance: format!("{host}-{}", std::process::id()),
        }
    }
}

/// A Standard Webhooks signing secret. Debug never shows it.
#[derive(Clone)]
pub struct WebhookSecret(Vec<u8>);

impl WebhookSecret {
    /// From its text: `whsec_` and the base64 of at least 24 bytes (the prefix optional).
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let encoded = text.strip_prefix("whsec_").unwrap_or(text);
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .map_err(|_| "the webhook secret is whsec_ and base64 (openssl rand -base64 32)")?;
        if bytes.len() < 24 {
            return Err(
                "the webhook secret is too short: at least 24 bytes (openssl rand -base64 32)"
                    .into(),
            );
        }
        Ok(Self(bytes))
    }

    /// `v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`.
    ///
    /// # Panics
    /// Never: HMAC takes a key of any length.
    #[must_use]
    pub fn sign(&self, id: &str, timestamp: i64, body: &[u8]) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes any key");
        mac.update(format!("{id}.{timestamp}.").as_bytes());
        mac.update(body);
        format!(
            "v1,{}",
            base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
        )
    }
}

impl fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WebhookSecret(***)")
    }
}

/// The callback operation of a provider: the signed check (eSMS signs nothing, so its
/// callback is confirmed by a signed query), or `None` for a provider that sends none.
#[must_use]
pub fn callback_operation(provider: &str) -> Option<&'static str> {
    match provider {
        "esms" => Some("confirm_callback"),
        _ => vngate::registry::find(provider, "parse_callback").map(|op| op.name),
    }
}

/// What the provider gets back, and its status.
pub(crate) struct Taken {
    pub status: u16,
    pub body: String,
    pub events: usize,
}

pub(crate) fn event_id(parts: &[&str]) -> String {
    let mut digest = Sha256::new();
    for part in parts {
        digest.update(part.as_bytes());
        digest.update([0]);
    }
    format!("evt_{}", vngate::hex(&digest.finalize()[..16]))
}

fn envelope(kind: &str, data: &Value) -> String {
    json!({
        "type": kind,
        "timestamp": vngate_front::utc(now_ms()),
        "data": data,
    })
    .to_string()
}

/// `money.settled`, once per record that is final: its id is the record's, so a second
/// settle (a duplicate callback, a reconcile after the callback) adds nothing. Whether this
/// call added it.
pub(crate) fn settled_event(
    journaled: &JournaledClient,
    provider: &str,
    account: &str,
    reference: &str,
) -> Result<bool, Error> {
    let settlement = journaled.peek_settlement(reference)?;
    settled_event_of(journaled, provider, account, &settlement)
}

/// [`settled_event`] for a settlement already read.
pub(crate) fn settled_event_of(
    journaled: &JournaledClient,
    provider: &str,
    account: &str,
    settlement: &Settlement,
) -> Result<bool, Error> {
    if !settlement.state.is_final() {
        return Ok(false);
    }
    let data = json!({
        "provider": provider,
        "account": account,
        "operation": settlement.operation,
        "reference": settlement.reference,
        "state": settlement.state,
        "amount": settlement.amount,
        "settled_by": settlement.settled_by,
    });
    journaled
        .journal()
        .outbox_add(
            &event_id(&["money.settled", provider, account, &settlement.reference]),
            "money.settled",
            &envelope("money.settled", &data),
        )
        .map_err(JournalError::into_vngate)
}

/// Takes a callback in: kept first (sealed), then verified and matched, settled, turned into
/// events, and answered. Blocking (the journal, and eSMS's confirming query).
pub(crate) fn take(
    journaled: &JournaledClient,
    model: &vngate_front::model::Model,
    provider: &str,
    account: &str,
    method: &str,
    data: &[u8],
) -> Taken {
    let refuse = |status: u16, kind: &str| Taken {
        status,
        body: json!({"success": false, "kind": kind}).to_string(),
        events: 0,
    };
    let Some(operation) = callback_operation(provider) else {
        return refuse(404, "not_found");
    };
    let journal = journaled.journal();
    // Kept before it is read: whatever happens next, it is there to inspect or check again.
    let id = match journal.inbox_received(provider, account, method, data) {
        Ok(id) => id,
        Err(e) => {
            log::error!(target: "vngate", "serve: a {provider} callback could not be kept: {e}");
            // The provider sends it again later.
            return refuse(503, "store");
        }
    };
    let answer = std::str::from_utf8(data)
        .map_err(|_| Error::InvalidInput {
            field: "data".into(),
            reason: "the callback is not UTF-8".into(),
        })
        .and_then(|text| journaled.callback_answer(operation, &json!({"data": text}).to_string()));
    let answer = match answer {
        Ok(answer) => answer,
        Err(error) => {
            let kept = error.without_reply_text().to_json().to_string();
            if let Err(e) = journal.inbox_checked(id, false, None, Some(&kept)) {
                log::error!(target: "vngate", "serve: callback {id}: {e}");
            }
            log::warn!(target: "vngate", "serve: a {provider} callback was refused ({}): kept as {id}, not delivered", error.kind());
            return refuse(crate::status_of(error.kind()), error.kind());
        }
    };
    // A callback that names only the provider's own id (OpenCard's webhook): the record it
    // settled names the reference.
    let reference = answer.reference.clone().or_else(|| {
        let theirs = answer.provider_reference.as_deref()?;
        journal
            .record_by_provider_reference(provider, journaled.account(), theirs)
            .ok()
            .flatten()
            .map(|record| record.reference)
    });
    if let Err(e) = journal.inbox_checked(id, true, reference.as_deref(), None) {
        log::error!(target: "vngate", "serve: callback {id}: {e}");
    }
    let mut callback: Value = serde_json::from_str(&answer.json).unwrap_or_default();
    // What the provider expects back, before the callback is masked for the application.
    let body = callback["reply_body"]
        .as_str()
        .map_or_else(|| r#"{"success":true}"#.to_owned(), str::to_owned);
    model.mask_by_name(&mut callback);
    let settlement = reference
        .as_deref()
        .map(|reference| journaled.peek_settlement(reference));
    let data_json = json!({
        "provider": provider,
        "account": account,
        "operation": operation,
        "reference": reference,
        "callback": callback,
        "state": settlement.as_ref().and_then(|s| s.as_ref().ok()).map(|s| s.state),
    });
    let mut events = 0;
    let text = String::from_utf8_lossy(data);
    match journal.outbox_add(
        &event_id(&["callback.verified", provider, account, &text]),
        "callback.verified",
        &envelope("callback.verified", &data_json),
    ) {
        Ok(added) => events += usize::from(added),
        Err(e) => log::error!(target: "vngate", "serve: callback {id}: its event: {e}"),
    }
    match settlement.map(|s| s.and_then(|s| settled_event_of(journaled, provider, account, &s))) {
        Some(Ok(added)) => events += usize::from(added),
        Some(Err(e)) => log::error!(target: "vngate", "serve: callback {id}: {e}"),
        None => {}
    }
    Taken {
        status: 200,
        body,
        events,
    }
}

/// Delivers due events until `stopped`: claims a batch, POSTs each, records the attempt.
pub(crate) async fn deliver(
    gateway: Arc<crate::Gateway>,
    wake: Arc<tokio::sync::Notify>,
    mut stopped: tokio::sync::watch::Receiver<bool>,
) {
    let options = gateway.options.relay.clone();
    let Some(url) = options.deliver_to.clone() else {
        return;
    };
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(options.timeout))
        .max_redirects(0)
        // The application's URL as configured: never through a proxy named in the
        // environment.
        .proxy(None)
        .build()
        .into();
    loop {
        let busy = {
            let (gateway, agent, url, options) =
                (gateway.clone(), agent.clone(), url.clone(), options.clone());
            tokio::task::spawn_blocking(move || {
                let Some(journal) = gateway.relay_journal() else {
                    return false;
                };
                let lease = i64::try_from(options.lease.as_millis()).unwrap_or(i64::MAX);
                let events = match journal.outbox_claim(&options.instance, lease, 16) {
                    Ok(events) => events,
                    Err(e) => {
                        log::error!(target: "vngate", "serve: events could not be claimed: {e}");
                        return false;
                    }
                };
                for event in &events {
                    attempt(&agent, &url, &options, journal, event);
                }
                !events.is_empty()
            })
            .await
            .unwrap_or(false)
        };
        if *stopped.borrow() {
            return;
        }
        if busy {
            continue;
        }
        tokio::select! {
            _ = stopped.changed() => return,
            () = wake.notified() => {}
            () = tokio::time::sleep(Duration::from_millis(500)) => {}
        }
    }
}

fn attempt(
    agent: &ureq::Agent,
    url: &str,
    options: &RelayOptions,
    journal: &vngate_journal::Journal,
    event: &vngate_journal::relay::Outbound,
) {
    let started = Instant::now();
    let timestamp = now_ms() / 1000;
    let mut request = agent
        .post(url)
        .header("content-type", "application/json")
        .header("webhook-id", &event.id)
        .header("webhook-timestamp", &timestamp.to_string());
    if let Some(secret) = &options.secret {
        request = request.header(
            "webhook-signature",
            &secret.sign(&event.id, timestamp, event.payload.as_bytes()),
        );
    }
    let (status, error) = match request.send(event.payload.as_bytes()) {
        Ok(mut response) => {
            let status = response.status().as_u16();
            // The body is not read beyond a little: an application's answer is its status.
            let _ = response.body_mut().with_config().limit(4096).read_to_vec();
            let error = (!(200..300).contains(&status)).then(|| format!("HTTP {status}"));
            (Some(status), error)
        }
        Err(e) => (None, Some(e.to_string())),
    };
    let at = now_ms();
    let next = if error.is_none() {
        Next::Delivered
    } else if event.attempts + 1 >= options.max_attempts {
        Next::GiveUp
    } else {
        let base = i64::try_from(options.retry_base.as_millis()).unwrap_or(i64::MAX);
        let max = i64::try_from(options.retry_max.as_millis()).unwrap_or(i64::MAX);
        let wait = base
            .saturating_mul(1_i64 << event.attempts.clamp(0, 30))
            .min(max);
        Next::RetryAt(at + wait)
    };
    let duration = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
    let record = Attempt::new(at, &options.instance, status, error.clone(), duration);
    if let Err(e) = journal.outbox_attempted(&event.id, &record, next) {
        log::error!(target: "vngate", "serve: event {}: the attempt could not be recorded: {e}", event.id);
    }
    log::info!(
        target: "vngate",
        "serve: event {} {} attempt {}: {}",
        event.id,
        event.kind,
        event.attempts + 1,
        error.as_deref().unwrap_or("delivered")
    );
}
