//! What a journal keeps, and the one interface its backends (SQLite, PostgreSQL) implement.
//! Every state change is one conditional update: it names the states it may leave, so two
//! processes racing on one record cannot both win, and a final state never changes.

use serde::Serialize;

use crate::JournalError;

/// Where a journaled money-moving call stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(rename = "JournalState"))]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum State {
    /// Recorded, not yet handed to the network. After a crash: certainly not sent. Only
    /// earlier versions wrote it (they committed "intent", then "sent"); a reconcile still
    /// closes such records as never sent.
    Intent,
    /// Committed before the request leaves, as it is handed to the network; no answer
    /// recorded yet. After a crash: outcome unknown.
    Sent,
    /// The provider accepted it and will settle it (callback or status call).
    Pending,
    /// Nobody can say yet: the resolving call decides. Never read as failed.
    Unknown,
    /// The resolving call does not know the reference (yet): not executed only if that is
    /// still the answer after `not_found_after`.
    NotFound,
    /// Final: the money moved.
    Succeeded,
    /// Final: nothing moved, by the provider's word.
    Failed,
    /// Final for this attempt: the request never left (refused before I/O, connection never
    /// made, or an intent an earlier build left unsent). The same reference may be sent
    /// again.
    NotSent,
    /// Still unresolved past `attention_after_secs` after it was sent, or after
    /// `max_attempts` resolving calls (a status word no document lists, a provider that
    /// never settles): a person must look. The reconciler still asks, and a final answer
    /// still settles it; nothing is guessed.
    Attention,
}

impl State {
    /// Every state, in the order of a call's life.
    pub const ALL: [Self; 9] = [
        Self::Intent,
        Self::Sent,
        Self::Pending,
        Self::Unknown,
        Self::NotFound,
        Self::Succeeded,
        Self::Failed,
        Self::NotSent,
        Self::Attention,
    ];

    /// The states a reconciler works on.
    pub const OPEN: [Self; 5] = [
        Self::Sent,
        Self::Pending,
        Self::Unknown,
        Self::NotFound,
        Self::Attention,
    ];

    /// Its name in the store and in JSON.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Intent => "intent",
            Self::Sent => "sent",
            Self::Pending => "pending",
            Self::Unknown => "unknown",
            Self::NotFound => "not_found",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
            Self::NotSent => "not_sent",
            Self::Attention => "attention",
        }
    }

    /// The state of a name.
    #[must_use]
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == name)
    }

    /// Succeeded or failed: nothing more can change.
    #[must_use]
    pub fn is_final(self) -> bool {
        matches!(self, Self::Succeeded | Self::Failed)
    }

    /// The state an answer's outcome puts a record in.
    pub(crate) fn of(outcome: vngate::Outcome) -> Self {
        match outcome {
            vngate::Outcome::Succeeded => Self::Succeeded,
            vngate::Outcome::Failed => Self::Failed,
            vngate::Outcome::Pending => Self::Pending,
            vngate::Outcome::NotFound => Self::NotFound,
            _ => Self::Unknown,
        }
    }
}

impl std::fmt::Display for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One journaled call.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct Record {
    /// The store's id.
    pub id: i64,
    /// The provider.
    pub provider: String,
    /// The account (the config's `journal.account`, default `default`).
    pub account: String,
    /// The money-moving operation.
    pub operation: String,
    /// The caller's reference (`request_id`, `partner_ref_id`, …).
    pub reference: String,
    /// The provider's own id, once an answer gave it.
    pub provider_reference: Option<String>,
    /// Where it stands.
    pub state: State,
    /// The request as JSON, card PINs masked (the full request is sealed until final).
    pub request: String,
    /// The last error, as JSON, when the last attempt ended in one.
    pub error: Option<String>,
    /// What the journal noted (why a record was closed, what a reconcile saw).
    pub note: Option<String>,
    /// Resolving calls made for it.
    pub attempts: i64,
    /// Unix milliseconds.
    pub created_at_ms: i64,
    /// Unix milliseconds.
    pub updated_at_ms: i64,
    /// The reconciler leaves it alone until then (unix milliseconds).
    pub next_attempt_at_ms: i64,
    /// When `settle` first saw it final (unix milliseconds).
    pub settled_at_ms: Option<i64>,
    /// The client that made it ([`vngate::api::Client::identity`]: provider, the base URL's
    /// origin, the partner id or username); only that client resolves and settles it. `None`
    /// for a record written before vngate kept it.
    pub identity: Option<String>,
    #[serde(skip)]
    pub(crate) sealed_request: Option<Vec<u8>>,
    #[serde(skip)]
    pub(crate) sealed_answer: Option<Vec<u8>>,
}

/// A record about to be written.
pub(crate) struct NewRecord<'a> {
    pub provider: &'a str,
    pub account: &'a str,
    pub operation: &'a str,
    pub reference: &'a str,
    pub request: &'a str,
    pub sealed_request: &'a [u8],
    pub identity: &'a str,
    pub now: i64,
}

/// A state change. `None` leaves a column as it is.
#[derive(Default)]
pub(crate) struct Change {
    pub state: Option<State>,
    pub sealed_request: Option<Vec<u8>>,
    pub erase_sealed_request: bool,
    pub sealed_answer: Option<Vec<u8>>,
    pub error: ErrorChange,
    pub provider_reference: Option<String>,
    pub add_attempts: i64,
    pub next_attempt_at: Option<i64>,
    pub note: Option<String>,
    /// The event to log with it (`sent`, `answer`, `resolve`, `callback`, …).
    pub event: &'static str,
}

/// What a change does to the recorded error.
#[derive(Debug, Clone, Default)]
pub(crate) enum ErrorChange {
    /// Leaves it.
    #[default]
    Keep,
    /// Removes it (an answer came).
    Clear,
    /// Records this error (JSON).
    Set(String),
}

/// Which records to read.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct Filter {
    /// Only these states (all when empty).
    pub states: Vec<State>,
    /// Only this provider.
    pub provider: Option<String>,
    /// Only this account.
    pub account: Option<String>,
    /// Only records last changed before this (unix milliseconds).
    pub updated_before_ms: Option<i64>,
    /// Only records whose next attempt is due by this (unix milliseconds).
    pub due_by_ms: Option<i64>,
    /// Only records made at or after this (unix milliseconds).
    pub created_since_ms: Option<i64>,
    /// At most this many, oldest first.
    pub limit: Option<u32>,
}

/// A journal's storage. Implementations make each method atomic across processes.
pub(crate) trait Store: Send + crate::relay::RelayStore {
    /// Writes a new record as "sent" (the one write before its request leaves); `None` when
    /// the (provider, account, reference) is already there.
    fn insert_sent(&mut self, new: &NewRecord<'_>) -> Result<Option<i64>, JournalError>;
    /// A record by its key.
    fn get(
        &mut self,
        provider: &str,
        account: &str,
        reference: &str,
    ) -> Result<Option<Record>, JournalError>;
    /// A record by the provider's own id.
    fn get_by_provider_reference(
        &mut self,
        provider: &str,
        account: &str,
        provider_reference: &str,
    ) -> Result<Option<Record>, JournalError>;
    /// Applies `change` if the record is in one of `from`; whether it did.
    fn change(
        &mut self,
        id: i64,
        from: &[State],
        change: &Change,
        now: i64,
    ) -> Result<bool, JournalError>;
    /// Marks a final record settled; whether this call was the first to.
    fn settle(&mut self, id: i64, now: i64) -> Result<bool, JournalError>;
    /// Records matching `filter`, oldest first.
    fn select(&mut self, filter: &Filter) -> Result<Vec<Record>, JournalError>;
    /// The events of a record: (unix ms, event, state after).
    fn events(&mut self, id: i64) -> Result<Vec<(i64, String, String)>, JournalError>;
    /// The sealing key's check value, once written.
    fn key_check(&mut self) -> Result<Option<Vec<u8>>, JournalError>;
    /// Writes the key's check value unless one is there; whether this call wrote it.
    fn set_key_check(&mut self, sealed: &[u8]) -> Result<bool, JournalError>;
    /// Group commit (SQLite): from now on, a method's commit is written but not yet synced
    /// when it returns, until [`Store::take_deferred`]. Backends that group commits on their
    /// server (PostgreSQL, MySQL) sync each commit before answering it and ignore this.
    fn defer_syncs(&mut self) {}
    /// Ends [`Store::defer_syncs`]: the last commit since, to wait on (`SyncTicket::wait`)
    /// once the store is let go, before anything relies on it.
    fn take_deferred(&mut self) -> Option<crate::group_sync::SyncTicket> {
        None
    }
    /// Whether it can still be used, asked before each use; `idle`: since the last. A
    /// server's connection may have been closed meanwhile: a server's store asks the server
    /// (one round trip) when it was unused for `IDLE_CHECK` or more, or after a failure.
    fn usable(&mut self, _idle: std::time::Duration) -> bool {
        true
    }
}

/// How long a server connection may sit unused before it is checked (one round trip) ahead
/// of its next statement. Servers and the proxies and firewalls on the way close idle
/// connections (MySQL's `wait_timeout`, PostgreSQL's `idle_session_timeout`, a load balancer's
/// idle timeout), and a restart closes every one. Connections in use stay unchecked: a call's
/// two writes are one provider call apart, rarely this long.
#[cfg(any(feature = "postgres", feature = "mysql"))]
pub(crate) const IDLE_CHECK: std::time::Duration = std::time::Duration::from_secs(5);

/// Statements that failed on one backend's connections in this process. A driver cannot tell
/// whether a connection is still open short of asking the server (PostgreSQL's knows once it
/// has read the connection's end, which a statement that failed on the server's last words,
/// `terminating connection due to administrator command`, may not have), so a store whose
/// count moved since its last check asks (`usable`): its connection may be the one that failed.
#[cfg(any(feature = "postgres", feature = "mysql"))]
pub(crate) struct Failures(std::sync::atomic::AtomicU64);

#[cfg(any(feature = "postgres", feature = "mysql"))]
impl Failures {
    pub(crate) const fn new() -> Self {
        Self(std::sync::atomic::AtomicU64::new(0))
    }

    /// One more statement failed.
    pub(crate) fn add(&self) {
        self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }

    /// How many have failed: a new store's starting point.
    pub(crate) fn count(&self) -> u64 {
        self.0.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Whether a store that had seen `*seen` failures when last checked, and was unused for
    /// `idle`, must ask its server before it is used; it has seen the count now.
    pub(crate) fn unsure(&self, seen: &mut u64, idle: std::time::Duration) -> bool {
        let now = self.count();
        let moved = std::mem::replace(seen, now) != now;
        moved || idle >= IDLE_CHECK
    }
}

/// The longest that check waits for PostgreSQL's answer (the MySQL driver's ping takes none).
#[cfg(feature = "postgres")]
pub(crate) const CHECK_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// The columns every store reads a [`Record`] from, in this order.
pub(crate) const COLUMNS: &str = "id, provider, account, operation, reference, \
     provider_reference, state, request, error, note, attempts, created_at, updated_at, \
     next_attempt_at, settled_at, sealed_request, sealed_answer, identity";

/// A value a [`Filter`] binds.
pub(crate) enum FilterValue {
    Text(String),
    Int(i64),
}

impl Filter {
    /// The SQL after `WHERE` (order and limit included) and the values it binds, in order;
    /// `placeholder(n)` writes the store's n-th placeholder (1-based).
    pub(crate) fn sql(&self, placeholder: impl Fn(usize) -> String) -> (String, Vec<FilterValue>) {
        use std::fmt::Write as _;
        let mut sql = String::from("1 = 1");
        if !self.states.is_empty() {
            let _ = write!(sql, " AND state IN ({})", state_list(&self.states));
        }
        let mut values = Vec::new();
        let conditions = [
            ("provider =", self.provider.clone().map(FilterValue::Text)),
            ("account =", self.account.clone().map(FilterValue::Text)),
            ("updated_at <", self.updated_before_ms.map(FilterValue::Int)),
            ("next_attempt_at <=", self.due_by_ms.map(FilterValue::Int)),
            ("created_at >=", self.created_since_ms.map(FilterValue::Int)),
        ];
        for (condition, value) in conditions {
            if let Some(value) = value {
                values.push(value);
                let _ = write!(sql, " AND {condition} {}", placeholder(values.len()));
            }
        }
        sql.push_str(" ORDER BY id");
        if let Some(limit) = self.limit {
            let _ = write!(sql, " LIMIT {limit}");
        }
        (sql, values)
    }
}

/// `IN (...)` text for states: names are fixed words, never caller input.
pub(crate) fn state_list(states: &[State]) -> String {
    states
        .iter()
        .map(|s| format!("'{}'", s.as_str()))
        .collect::<Vec<_>>()
        .join(", ")
}
