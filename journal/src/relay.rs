//! The callback relay's storage, beside the calls it settles: an inbox of callbacks as they
//! arrived (sealed: a callback may carry a card PIN), and an outbox of events for the
//! application with every delivery attempt. A gateway (`vngate serve`) writes a callback to
//! the inbox before it looks at it, so none is lost; a callback that does not verify stays
//! there for inspection and makes no event. Events are claimed for delivery through the
//! store (a lease), so that servers sharing a journal do not deliver one event twice at once.

use serde::Serialize;

use crate::{Journal, JournalError};

/// A callback as it arrived, and what its check found.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct Inbound {
    /// The store's id.
    pub id: i64,
    /// The provider whose path it came to.
    pub provider: String,
    /// The account whose path it came to.
    pub account: String,
    /// `GET` or `POST`.
    pub method: String,
    /// Unix milliseconds.
    pub received_at_ms: i64,
    /// Its size in bytes (the data itself is sealed: it may carry a card PIN).
    pub size: i64,
    /// `None` until checked; then whether it verified and matched.
    pub verified: Option<bool>,
    /// The reference it named, once verified.
    pub reference: Option<String>,
    /// Why it was refused: the error as JSON (kind and message; never the data).
    pub error: Option<String>,
    /// Unix milliseconds.
    pub checked_at_ms: Option<i64>,
}

/// An event for the application, and where its delivery stands.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct Outbound {
    /// Its id (`evt_…`), the same for every attempt: the application's deduplication key.
    pub id: String,
    /// `callback.verified`, `money.settled`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The body delivered (JSON; no secret: card PINs masked, no raw bodies).
    pub payload: String,
    /// Unix milliseconds.
    pub created_at_ms: i64,
    /// `pending` (to deliver), `delivered` (acknowledged) or `failed` (gave up).
    pub state: String,
    /// Delivery attempts made.
    pub attempts: i64,
    /// When the next attempt is due (unix milliseconds).
    pub next_attempt_at_ms: i64,
    /// Unix milliseconds.
    pub delivered_at_ms: Option<i64>,
    /// What the last attempt met.
    pub last_error: Option<String>,
}

/// One delivery attempt.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct Attempt {
    /// Unix milliseconds.
    pub at_ms: i64,
    /// Which server made it.
    pub instance: String,
    /// The application's HTTP status, when it answered.
    pub status: Option<u16>,
    /// What failed, when it did.
    pub error: Option<String>,
    /// How long it took.
    pub duration_ms: i64,
}

impl Attempt {
    /// An attempt made now.
    #[must_use]
    pub fn new(
        at_ms: i64,
        instance: &str,
        status: Option<u16>,
        error: Option<String>,
        duration_ms: i64,
    ) -> Self {
        Self {
            at_ms,
            instance: instance.to_owned(),
            status,
            error,
            duration_ms,
        }
    }
}

/// What an attempt leaves an event in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// Acknowledged: done.
    Delivered,
    /// Not acknowledged: again at this time (unix milliseconds).
    RetryAt(i64),
    /// Not acknowledged, and no more attempts: kept, listed as failed.
    GiveUp,
}

/// The relay's part of a store; every backend has it.
pub(crate) trait RelayStore {
    fn inbox_insert(
        &mut self,
        provider: &str,
        account: &str,
        method: &str,
        sealed: &[u8],
        size: i64,
        now: i64,
    ) -> Result<i64, JournalError>;
    fn inbox_checked(
        &mut self,
        id: i64,
        verified: bool,
        reference: Option<&str>,
        error: Option<&str>,
        now: i64,
    ) -> Result<(), JournalError>;
    fn inbox_list(
        &mut self,
        verified: Option<bool>,
        limit: u32,
    ) -> Result<Vec<Inbound>, JournalError>;
    fn inbox_sealed(&mut self, id: i64) -> Result<Option<(Inbound, Vec<u8>)>, JournalError>;
    fn outbox_insert(
        &mut self,
        id: &str,
        kind: &str,
        payload: &str,
        now: i64,
    ) -> Result<bool, JournalError>;
    fn outbox_claim(
        &mut self,
        instance: &str,
        now: i64,
        lease_ms: i64,
        limit: u32,
    ) -> Result<Vec<Outbound>, JournalError>;
    fn outbox_attempted(
        &mut self,
        id: &str,
        attempt: &Attempt,
        next: Next,
    ) -> Result<(), JournalError>;
    fn outbox_ack(&mut self, id: &str, now: i64) -> Result<bool, JournalError>;
    fn outbox_list(
        &mut self,
        state: Option<&str>,
        limit: u32,
    ) -> Result<Vec<Outbound>, JournalError>;
    fn outbox_get(&mut self, id: &str) -> Result<Option<(Outbound, Vec<Attempt>)>, JournalError>;
}

fn sealed_as(provider: &str, account: &str, received_at_ms: i64) -> String {
    format!("inbox {provider} {account} {received_at_ms}")
}

impl Journal {
    /// Keeps a callback as it arrived (sealed), before anything reads it; its id.
    pub fn inbox_received(
        &self,
        provider: &str,
        account: &str,
        method: &str,
        data: &[u8],
    ) -> Result<i64, JournalError> {
        let now = crate::now_ms();
        let sealed = self.sealer.seal(&sealed_as(provider, account, now), data)?;
        let size = i64::try_from(data.len()).unwrap_or(i64::MAX);
        self.store()?
            .inbox_insert(provider, account, method, &sealed, size, now)
    }

    /// Records what a callback's check found: verified (naming its reference) or refused
    /// (with the error's JSON, which never holds the data).
    pub fn inbox_checked(
        &self,
        id: i64,
        verified: bool,
        reference: Option<&str>,
        error: Option<&str>,
    ) -> Result<(), JournalError> {
        self.store()?
            .inbox_checked(id, verified, reference, error, crate::now_ms())
    }

    /// Callbacks, newest first; only verified (`Some(true)`) or refused (`Some(false)`) ones.
    pub fn inbox(&self, verified: Option<bool>, limit: u32) -> Result<Vec<Inbound>, JournalError> {
        self.store()?.inbox_list(verified, limit)
    }

    /// A callback and its data, unsealed (to check it again, or to show it masked).
    pub fn inbox_data(&self, id: i64) -> Result<Option<(Inbound, Vec<u8>)>, JournalError> {
        let Some((inbound, sealed)) = self.store()?.inbox_sealed(id)? else {
            return Ok(None);
        };
        let data = self.sealer.open(
            &sealed_as(&inbound.provider, &inbound.account, inbound.received_at_ms),
            &sealed,
        )?;
        Ok(Some((inbound, data)))
    }

    /// Adds an event unless one with its id is there; whether this call added it. An id made
    /// from what the event is about makes a second copy of one fact (a callback the provider
    /// sent twice) a no-op.
    pub fn outbox_add(&self, id: &str, kind: &str, payload: &str) -> Result<bool, JournalError> {
        self.store()?
            .outbox_insert(id, kind, payload, crate::now_ms())
    }

    /// Claims up to `limit` events due for delivery, for `lease_ms`: no other server claims
    /// them until the lease ends or the attempt is recorded.
    pub fn outbox_claim(
        &self,
        instance: &str,
        lease_ms: i64,
        limit: u32,
    ) -> Result<Vec<Outbound>, JournalError> {
        self.store()?
            .outbox_claim(instance, crate::now_ms(), lease_ms, limit)
    }

    /// Records a delivery attempt and what it leaves the event in.
    pub fn outbox_attempted(
        &self,
        id: &str,
        attempt: &Attempt,
        next: Next,
    ) -> Result<(), JournalError> {
        self.store()?.outbox_attempted(id, attempt, next)
    }

    /// The application took the event itself (polling): delivered. Whether it was pending.
    pub fn outbox_ack(&self, id: &str) -> Result<bool, JournalError> {
        self.store()?.outbox_ack(id, crate::now_ms())
    }

    /// Events, oldest first; only those in `state` (`pending`, `delivered`, `failed`).
    pub fn outbox(&self, state: Option<&str>, limit: u32) -> Result<Vec<Outbound>, JournalError> {
        self.store()?.outbox_list(state, limit)
    }

    /// An event and its attempts, oldest first.
    pub fn outbox_event(&self, id: &str) -> Result<Option<(Outbound, Vec<Attempt>)>, JournalError> {
        self.store()?.outbox_get(id)
    }
}

/// An event's state from its two times.
pub(crate) fn state_name(delivered_at: Option<i64>, failed_at: Option<i64>) -> &'static str {
    match (delivered_at, failed_at) {
        (Some(_), _) => "delivered",
        (None, Some(_)) => "failed",
        (None, None) => "pending",
    }
}

/// The `WHERE` of an event state, for every backend: fixed text, never caller input.
pub(crate) fn state_condition(state: Option<&str>) -> Result<&'static str, JournalError> {
    match state {
        None => Ok("1 = 1"),
        Some("pending") => Ok("delivered_at IS NULL AND failed_at IS NULL"),
        Some("delivered") => Ok("delivered_at IS NOT NULL"),
        Some("failed") => Ok("delivered_at IS NULL AND failed_at IS NOT NULL"),
        Some(other) => Err(JournalError::Config(format!(
            "no event state {other:?}: pending, delivered or failed"
        ))),
    }
}

/// `delivered_at`, `failed_at` and `next_attempt_at` after an attempt.
pub(crate) fn columns_after(attempt: &Attempt, next: Next) -> (Option<i64>, Option<i64>, i64) {
    match next {
        Next::Delivered => (Some(attempt.at_ms), None, attempt.at_ms),
        Next::RetryAt(at) => (None, None, at),
        Next::GiveUp => (None, Some(attempt.at_ms), attempt.at_ms),
    }
}
