//! A durable journal of vngate's money-moving calls.
//!
//! A [`JournaledClient`] wraps a [`vngate::api::Client`]: before a money-moving request leaves,
//! its record is committed as "sent"; then the answer (final, pending or unknown): two durable
//! writes per call, grouped with other threads' into fewer syncs where the backend allows. A
//! reference already in the journal is never sent again: the call answers with the resolving
//! call instead. Callbacks and resolving calls are recorded against their request, and
//! [`JournaledClient::settle`] tells, atomically across processes, whether this is the first
//! time a record was seen final: credit exactly once. [`JournaledClient::reconcile`] resolves
//! what is pending or unknown with the registry's resolving call, with backoff, and never turns
//! "no answer" into "failed".
//!
//! Card PINs (which `check` needs later) and answers (which may carry bought codes) are sealed
//! with AES-256-GCM under a key from the environment or a file; the sealed request is erased
//! once the record is final.

mod group_sync;
#[cfg(feature = "mysql")]
mod mysql;
#[cfg(feature = "postgres")]
mod postgres;
pub mod relay;
mod seal;
mod sqlite;
mod store;

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use vngate::Error;
use vngate::api::{Answer, Client};
use vngate::registry::{self, Operation};

use seal::Sealer;
use store::{Change, ErrorChange, NewRecord, Store};
pub use store::{Filter, Record, State};

/// Why the journal could not do something.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum JournalError {
    /// The journal's configuration is wrong (a path that cannot be opened, a missing key).
    Config(String),
    /// The store failed (disk, lock timeout, a schema from a newer vngate).
    Store(String),
}

impl std::fmt::Display for JournalError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Config(reason) => write!(f, "journal configuration: {reason}"),
            Self::Store(reason) => write!(f, "journal: {reason}"),
        }
    }
}

impl std::error::Error for JournalError {}

impl JournalError {
    /// As a vngate error: a configuration problem names `journal`; a store failure means the
    /// journal could not answer (and, before a request, that nothing was sent).
    #[must_use]
    pub fn into_vngate(self) -> Error {
        match self {
            Self::Config(reason) => Error::InvalidInput {
                field: "journal".into(),
                reason,
            },
            Self::Store(reason) => Error::Transport {
                reason: format!("journal: {reason}"),
            },
        }
    }
}

/// Where the journal lives and how it behaves. In a client's JSON config it is the `journal`
/// object.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct JournalConfig {
    /// The SQLite file (created if missing), or a `postgresql://user:password@host/db` URL
    /// (the `postgres` feature) or a `mysql://user:password@host/db` URL (MySQL or MariaDB,
    /// the `mysql` feature) for a journal several servers share.
    pub path: String,
    /// The environment variable that holds the sealing key (64 hex digits or base64 of 32
    /// bytes; `openssl rand -hex 32`).
    #[serde(default)]
    pub key_env: Option<String>,
    /// Or the file that holds it.
    #[serde(default)]
    pub key_file: Option<String>,
    /// The account records are filed under (one per set of credentials). Default: derived
    /// from the client's identity (its base URL's origin and partner id or username), so that
    /// two sites or two partner ids sharing one journal never meet. A record is resolved and
    /// settled only by the client identity that made it, whatever the account.
    #[serde(default)]
    pub account: Option<String>,
    /// Which certificate authorities a PostgreSQL journal's TLS trusts (`sslmode=verify-ca` or
    /// `verify-full` in its URL), as for HTTPS: default `bundled`, or `system`.
    #[serde(default)]
    pub tls_roots: vngate::TlsRoots,
    /// Or a PEM file of them (the URL's `sslrootcert` comes first).
    #[serde(default)]
    pub ca_file: Option<String>,
    /// How long a process waits for another's lock, in milliseconds. Default 5000.
    #[serde(default = "default_busy_timeout_ms")]
    pub busy_timeout_ms: u64,
    /// How long a journal on a server waits for it, in milliseconds (default 30000): for a
    /// connection (at most 10 s), and then on MySQL/MariaDB for each answer; on PostgreSQL
    /// for a server that stopped acknowledging what was sent or no longer answers TCP
    /// keepalives (a vanished host, a cut network). A wait that runs out is an error of the
    /// journal, as a lost connection is.
    #[serde(default = "default_server_timeout_ms")]
    pub server_timeout_ms: u64,
    /// The reconciler leaves records changed more recently than this alone (seconds; default
    /// 60), and closes intents older than this as never sent.
    #[serde(default = "default_min_age_secs")]
    pub min_age_secs: u64,
    /// A resolving call that still does not know a reference this long after the request
    /// (seconds; default 900) closes it as failed: it was never executed.
    #[serde(default = "default_not_found_after_secs")]
    pub not_found_after_secs: u64,
    /// The first wait before a record is asked about again, in seconds, doubling per attempt
    /// up to an hour. Default 30.
    #[serde(default = "default_retry_base_secs")]
    pub retry_base_secs: u64,
    /// The reconciler stops asking about a record after this many resolving calls (it stays
    /// open and listed). Default 50.
    #[serde(default = "default_max_attempts")]
    pub max_attempts: i64,
    /// A record still unresolved this long after it was sent (seconds; default 86400, a day)
    /// enters the `attention` state, which the reconciler reports: a person must look.
    #[serde(default = "default_attention_after_secs")]
    pub attention_after_secs: u64,
}

impl std::fmt::Debug for JournalConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JournalConfig")
            .field("path", &redacted(&self.path))
            .field("key_env", &self.key_env)
            .field("key_file", &self.key_file)
            .field("account", &self.account)
            .finish_non_exhaustive()
    }
}

/// A journal path for Debug and logs: a PostgreSQL URL's password replaced by `***`.
fn redacted(path: &str) -> String {
    let Some((scheme, rest)) = path.split_once("://") else {
        return path.to_owned();
    };
    match rest.rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split(':').next().unwrap_or_default();
            let masked = if userinfo.contains(':') { ":***" } else { "" };
            format!("{scheme}://{user}{masked}@{host}")
        }
        None => path.to_owned(),
    }
}

fn default_busy_timeout_ms() -> u64 {
    5_000
}
fn default_server_timeout_ms() -> u64 {
    30_000
}
fn default_min_age_secs() -> u64 {
    60
}
fn default_not_found_after_secs() -> u64 {
    900
}
fn default_retry_base_secs() -> u64 {
    30
}
fn default_max_attempts() -> i64 {
    50
}
fn default_attention_after_secs() -> u64 {
    86_400
}

impl JournalConfig {
    /// A config with the defaults, at `path`, its key in the environment variable `key_env`.
    pub fn new(path: impl Into<String>, key_env: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            key_env: Some(key_env.into()),
            key_file: None,
            account: None,
            tls_roots: vngate::TlsRoots::default(),
            ca_file: None,
            busy_timeout_ms: default_busy_timeout_ms(),
            server_timeout_ms: default_server_timeout_ms(),
            min_age_secs: default_min_age_secs(),
            not_found_after_secs: default_not_found_after_secs(),
            retry_base_secs: default_retry_base_secs(),
            max_attempts: default_max_attempts(),
            attention_after_secs: default_attention_after_secs(),
        }
    }

    #[cfg(any(feature = "postgres", feature = "mysql"))]
    fn server_timeouts(&self) -> ServerTimeouts {
        let wait = Duration::from_millis(self.server_timeout_ms.max(1));
        ServerTimeouts {
            connect: wait.min(MAX_CONNECT_TIMEOUT),
            wait,
        }
    }

    fn sealer(&self) -> Result<Sealer, JournalError> {
        match (&self.key_env, &self.key_file) {
            (Some(name), None) => {
                let value = std::env::var_os(name).ok_or_else(|| {
                    JournalError::Config(format!(
                        "journal.key_env: the environment variable {name} is not set"
                    ))
                })?;
                Sealer::from_key_material("journal.key_env", value.as_encoded_bytes())
            }
            (None, Some(path)) => {
                let bytes = std::fs::read(path)
                    .map_err(|e| JournalError::Config(format!("journal.key_file {path:?}: {e}")))?;
                Sealer::from_key_material("journal.key_file", &bytes)
            }
            _ => Err(JournalError::Config(
                "give exactly one of journal.key_env and journal.key_file".into(),
            )),
        }
    }
}

/// Connections a journal on a database server opens at most, as its threads need them: threads
/// sharing a journal then write on connections of their own and the server groups their
/// commits into fewer syncs, instead of queueing behind one connection. A thread waiting for a
/// connection is a commit that cannot join the server's group: with 8, 16 threads made 0.90 to
/// 1.05 syncs per money call on PostgreSQL and 0.72 to 0.82 on MariaDB; with 16, 0.74 to 0.87
/// and 0.46 to 0.49, as 16 processes do (`make bench`, side by side). A connection the server
/// refuses (its limit reached) costs a wait instead: the thread waits for one of those the
/// journal has, and the journal opens no other for [`REFUSED_PAUSE_MS`]. A SQLite journal keeps
/// one connection (SQLite takes one writer at a time; its threads share syncs instead).
const SERVER_CONNECTIONS: usize = 16;

/// After a server refused a journal another connection, how long its threads only wait for the
/// connections it has: a server at its limit is not asked again (and the refusal logged) on
/// every busy write.
const REFUSED_PAUSE_MS: i64 = 30_000;

/// A journal: a store and its sealing key. Share it (`Arc`) between the clients of a process.
pub struct Journal {
    /// Its stores (a server's connections, or SQLite's one), lent one at a time.
    stores: Mutex<Stores>,
    /// Signalled when a store is given back.
    given_back: Condvar,
    /// How many stores it opens at most: [`SERVER_CONNECTIONS`] on a server, 1 for SQLite.
    max_stores: usize,
    /// Until when (unix ms) no other connection is opened: the server refused the last one.
    refused_until: AtomicI64,
    sealer: Sealer,
    config: JournalConfig,
}

impl std::fmt::Debug for Journal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Journal")
            .field("path", &redacted(&self.config.path))
            .field("account", &self.config.account)
            .finish_non_exhaustive()
    }
}

/// How long a callback that names only the provider's own id waits for the call's reply to
/// be recorded with it.
const PROVIDER_REFERENCE_WAIT: Duration = Duration::from_secs(3);

/// Now, in unix milliseconds: the journal's clock, which every time it stores is read from.
#[must_use]
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

impl Journal {
    /// Opens (and creates or migrates) the journal.
    pub fn open(config: JournalConfig) -> Result<Self, JournalError> {
        let sealer = config.sealer()?;
        if config
            .account
            .as_ref()
            .is_some_and(|account| account.trim().is_empty() || account.len() > 64)
        {
            return Err(JournalError::Config(
                "journal.account must be 1 to 64 characters".into(),
            ));
        }
        let store = open_store(&config)?;
        let max_stores = if is_postgres(&config.path) || is_mysql(&config.path) {
            SERVER_CONNECTIONS
        } else {
            1
        };
        let journal = Self {
            stores: Mutex::new(Stores {
                process: vngate::this_process(),
                idle: vec![Idle::new(store)],
                open: 1,
            }),
            given_back: Condvar::new(),
            max_stores,
            refused_until: AtomicI64::new(0),
            sealer,
            config,
        };
        journal.check_key()?;
        Ok(journal)
    }

    /// Refuses a key that is not the one this journal's records were sealed with, before
    /// anything is written under it (records sealed under another key could never be resolved
    /// or settled). The first opening writes a check value sealed with the key; a journal from
    /// before the check is judged by its sealed records.
    fn check_key(&self) -> Result<(), JournalError> {
        const CHECK: &str = "vngate journal key check";
        let field = if self.config.key_env.is_some() {
            "journal.key_env"
        } else {
            "journal.key_file"
        };
        let wrong = || {
            JournalError::Config(format!(
                "{field}: not the key this journal was sealed with; nothing was written \
                 (use the key its records were made with, or another journal.path)"
            ))
        };
        let opens = |sealed: &[u8]| {
            self.sealer
                .open(CHECK, sealed)
                .map(drop)
                .map_err(|_| wrong())
        };
        let mut store = self.store()?;
        if let Some(sealed) = store.key_check()? {
            return opens(&sealed);
        }
        let sample = store
            .select(&Filter {
                limit: Some(100),
                ..Filter::default()
            })?
            .into_iter()
            .find_map(|record| {
                let sealed = match (&record.sealed_request, &record.sealed_answer) {
                    (Some(sealed), _) => ("request", sealed),
                    (None, Some(sealed)) => ("answer", sealed),
                    (None, None) => return None,
                };
                Some(self.unseal(&record, sealed.0, Some(sealed.1)).is_ok())
            });
        if sample == Some(false) {
            return Err(wrong());
        }
        let sealed = self.sealer.seal(CHECK, b"vngate")?;
        if !store.set_key_check(&sealed)? {
            // Another process wrote it first: it must open with this key too.
            return opens(&store.key_check()?.unwrap_or_default());
        }
        Ok(())
    }

    /// Its configuration.
    #[must_use]
    pub fn config(&self) -> &JournalConfig {
        &self.config
    }

    /// A store to use alone: an idle one, else a new connection to a server (unless the server
    /// refused one lately), else the next one given back. Checked first
    /// ([`StoreGuard::checked`]). In a forked child, the parent's stores (idle or lent to its
    /// threads) are left alone and others opened: the child's first fails when none can be.
    fn store(&self) -> Result<StoreGuard<'_>, JournalError> {
        let here = vngate::this_process();
        let mut stores = self.stores.lock().unwrap_or_else(PoisonError::into_inner);
        stores.leave_if_inherited(here);
        loop {
            if let Some(idle) = stores.idle.pop() {
                drop(stores);
                return Ok(StoreGuard::lend(self, here, idle).checked());
            }
            let refused_for = self.refused_until.load(Ordering::Relaxed) - now_ms();
            if stores.open < self.max_stores && (stores.open == 0 || refused_for <= 0) {
                // Opened without the lock: a connection takes a round trip or more.
                stores.open += 1;
                drop(stores);
                match open_store(&self.config) {
                    Ok(store) => {
                        return Ok(StoreGuard::lend(self, here, Idle::new(store)).checked());
                    }
                    Err(e) => {
                        stores = self.stores.lock().unwrap_or_else(PoisonError::into_inner);
                        stores.open = stores.open.saturating_sub(1);
                        if stores.open == 0 {
                            return Err(e);
                        }
                        self.refused_until
                            .store(now_ms() + REFUSED_PAUSE_MS, Ordering::Relaxed);
                        log::warn!(
                            target: "vngate",
                            "journal: another connection: {e} (the journal's threads wait for \
                             the connections it has; none other is opened for {} s)",
                            REFUSED_PAUSE_MS / 1000
                        );
                        continue;
                    }
                }
            }
            // Every store is lent: wait for one back (or, while the server refuses more, for the
            // pause to end).
            let wait = if stores.open < self.max_stores && refused_for > 0 {
                Duration::from_millis(refused_for.unsigned_abs())
            } else {
                Duration::from_secs(1)
            };
            stores = self
                .given_back
                .wait_timeout(stores, wait)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
            stores.leave_if_inherited(here);
        }
    }

    /// Runs `writes` on the store and returns once what they committed is durable, having let
    /// go of the store first: threads that write meanwhile share the sync (SQLite's group
    /// commit). A write made through [`Journal::store`] alone is synced before it returns.
    fn write<R>(
        &self,
        writes: impl FnOnce(&mut dyn Store) -> Result<R, JournalError>,
    ) -> Result<R, JournalError> {
        let (result, unsynced) = {
            let mut store = self.store()?;
            store.defer_syncs();
            let result = writes(&mut **store);
            (result, store.take_deferred())
        };
        // Even when `writes` failed part way, what it committed is made durable: a record
        // half written is still a record.
        let synced = unsynced.map_or(Ok(()), group_sync::SyncTicket::wait);
        let result = result?;
        synced.map(|()| result)
    }

    /// Records matching `filter`, oldest first.
    pub fn list(&self, filter: &Filter) -> Result<Vec<Record>, JournalError> {
        self.store()?.select(filter)
    }

    /// The record of a reference.
    pub fn record(
        &self,
        provider: &str,
        account: &str,
        reference: &str,
    ) -> Result<Option<Record>, JournalError> {
        self.store()?.get(provider, account, reference)
    }

    /// The record the provider's own id names (a callback that names only it: OpenCard's).
    pub fn record_by_provider_reference(
        &self,
        provider: &str,
        account: &str,
        provider_reference: &str,
    ) -> Result<Option<Record>, JournalError> {
        self.store()?
            .get_by_provider_reference(provider, account, provider_reference)
    }

    /// A conditional state change of the record `id` (see [`Store::change`]).
    fn change(
        &self,
        id: i64,
        from: &[State],
        change: &Change,
        now: i64,
    ) -> Result<bool, JournalError> {
        self.store()?.change(id, from, change, now)
    }

    /// A record's events: (unix milliseconds, event, state after).
    pub fn events(&self, record: &Record) -> Result<Vec<(i64, String, String)>, JournalError> {
        self.store()?.events(record.id)
    }

    /// The last answer recorded for a record, unsealed: the call's or a resolving call's
    /// result JSON, or, once final, the answer that settled it (which may be a callback's).
    pub fn answer(&self, record: &Record) -> Result<Option<String>, JournalError> {
        Ok(self.recorded(record)?.map(|recorded| recorded.json))
    }

    /// The last answer with what it said: a callback may have settled the record since.
    fn recorded(&self, record: &Record) -> Result<Option<Recorded>, JournalError> {
        let Some(text) = self.unseal(record, "answer", record.sealed_answer.as_deref())? else {
            return Ok(None);
        };
        Recorded::parse(&text)
            .map(Some)
            .ok_or_else(|| JournalError::Store("a sealed answer without its state".into()))
    }

    /// Seals an answer with what it says.
    fn seal_answer(
        &self,
        record_key: &str,
        state: State,
        source: Event,
        answer: &Answer,
    ) -> Result<Vec<u8>, JournalError> {
        let amount = answer
            .amount
            .map_or_else(|| "-".to_owned(), |amount| amount.to_string());
        let text = format!(
            "{} {} {amount}\n{}",
            state.as_str(),
            source.name(),
            answer.json
        );
        self.sealer.seal(record_key, text.as_bytes())
    }

    fn request(&self, record: &Record) -> Result<Option<String>, JournalError> {
        self.unseal(record, "request", record.sealed_request.as_deref())
    }

    /// A record's sealed `role` (request, answer) as text.
    fn unseal(
        &self,
        record: &Record,
        role: &str,
        sealed: Option<&[u8]>,
    ) -> Result<Option<String>, JournalError> {
        sealed
            .map(|sealed| {
                let plain = self.sealer.open(&associated(record, role), sealed)?;
                String::from_utf8(plain)
                    .map_err(|_| JournalError::Store(format!("{role} not UTF-8")))
            })
            .transpose()
    }
}

/// The longest a journal waits for a connection to its server (`server_timeout_ms` when
/// shorter): a server that takes longer to accept one is as good as down.
#[cfg(any(feature = "postgres", feature = "mysql"))]
const MAX_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a journal waits for its server (see [`JournalConfig::server_timeout_ms`]).
#[cfg(any(feature = "postgres", feature = "mysql"))]
#[derive(Debug, Clone, Copy)]
struct ServerTimeouts {
    /// For a connection.
    connect: Duration,
    /// For an answer, or an acknowledgment.
    wait: Duration,
}

#[cfg(all(test, any(feature = "postgres", feature = "mysql")))]
impl Default for ServerTimeouts {
    fn default() -> Self {
        JournalConfig::new("", "").server_timeouts()
    }
}

fn open_store(config: &JournalConfig) -> Result<Box<dyn Store>, JournalError> {
    if is_postgres(&config.path) {
        postgres_store(config)
    } else if is_mysql(&config.path) {
        mysql_store(config)
    } else {
        Ok(Box::new(sqlite::Sqlite::open(
            &config.path,
            Duration::from_millis(config.busy_timeout_ms),
        )?))
    }
}

impl Drop for Journal {
    /// A journal dropped in a forked child that never used it (a worker exiting) leaves the
    /// parent's stores alone too: closing a PostgreSQL or MySQL client says goodbye on the
    /// connection, and the server would end the parent's session.
    fn drop(&mut self) {
        let stores = self
            .stores
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner);
        stores.leave_if_inherited(vngate::this_process());
    }
}

/// A journal's stores in the process that opened them ([`vngate::this_process`]).
struct Stores {
    process: (u32, u64),
    /// Those not lent.
    idle: Vec<Idle>,
    /// How many are open, lent ones included.
    open: usize,
}

impl Stores {
    /// In a forked child (a preloaded web app's worker, Celery's prefork pool), the stores
    /// are the parent's: a connection's socket (or SQLite's file) is shared with the parent,
    /// and a statement sent on it from two processes could read the other's answer. They are
    /// left alone, neither used nor closed (closing would end the parent's session too), and
    /// the child opens its own. Those the parent's other threads had borrowed are not waited
    /// for: those threads do not exist in the child.
    fn leave_if_inherited(&mut self, here: (u32, u64)) {
        if self.process != here {
            std::mem::forget(std::mem::take(&mut self.idle));
            self.open = 0;
            self.process = here;
        }
    }
}

/// A store not in use.
struct Idle {
    store: Box<dyn Store>,
    /// When it was opened, or last given back: a store just opened is not checked before its
    /// first use (`Store::usable` with next to no time unused).
    used: Instant,
}

impl Idle {
    fn new(store: Box<dyn Store>) -> Self {
        Self {
            store,
            used: Instant::now(),
        }
    }
}

/// A store lent to one thread: given back to the journal when dropped.
struct StoreGuard<'a> {
    journal: &'a Journal,
    /// The process it was lent in.
    process: (u32, u64),
    /// Always `Some` until dropped.
    idle: Option<Idle>,
}

impl<'a> StoreGuard<'a> {
    fn lend(journal: &'a Journal, process: (u32, u64), idle: Idle) -> Self {
        Self {
            journal,
            process,
            idle: Some(idle),
        }
    }

    /// The store, replaced by a new one when it cannot be used any more: a server may have
    /// closed its connection (a restart, `wait_timeout` or `idle_session_timeout`, a proxy
    /// dropping idle connections), and a long-lived process must not fail every call from then
    /// on. When no new one can be opened the old one is kept: its statements fail, as the
    /// server's state says, and the next use asks again.
    fn checked(mut self) -> Self {
        let idle = self.idle.as_mut().expect("a store lent is held");
        let unused = idle.used.elapsed();
        if !idle.store.usable(unused) {
            match open_store(&self.journal.config) {
                Ok(store) => {
                    log::info!(
                        target: "vngate",
                        "journal: the server closed a connection (unused for {} s); opened another",
                        unused.as_secs()
                    );
                    idle.store = store;
                }
                Err(e) => log::warn!(
                    target: "vngate",
                    "journal: the server closed a connection, and another could not be opened: {e}"
                ),
            }
        }
        self
    }
}

impl Drop for StoreGuard<'_> {
    fn drop(&mut self) {
        let Some(mut idle) = self.idle.take() else {
            return;
        };
        idle.used = Instant::now();
        let mut stores = self
            .journal
            .stores
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if stores.process == self.process {
            stores.idle.push(idle);
            drop(stores);
            self.journal.given_back.notify_one();
        } else {
            // Lent before a fork, given back in the child: the parent's (see
            // `Stores::leave_if_inherited`).
            drop(stores);
            std::mem::forget(idle);
        }
    }
}

impl std::ops::Deref for StoreGuard<'_> {
    type Target = Box<dyn Store>;
    fn deref(&self) -> &Self::Target {
        &self.idle.as_ref().expect("a store lent is held").store
    }
}

impl std::ops::DerefMut for StoreGuard<'_> {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.idle.as_mut().expect("a store lent is held").store
    }
}

fn is_mysql(path: &str) -> bool {
    path.starts_with("mysql://") || path.starts_with("mariadb://")
}

#[cfg(feature = "mysql")]
fn mysql_store(config: &JournalConfig) -> Result<Box<dyn Store>, JournalError> {
    Ok(Box::new(mysql::MySql::open(
        &config.path,
        config.ca_file.as_deref(),
        config.server_timeouts(),
    )?))
}

#[cfg(not(feature = "mysql"))]
fn mysql_store(_config: &JournalConfig) -> Result<Box<dyn Store>, JournalError> {
    Err(JournalError::Config(
        "journal.path is a MySQL URL, but this build of vngate has no MySQL support \
         (the journal's `mysql` feature)"
            .into(),
    ))
}

#[cfg(any(feature = "postgres", feature = "mysql"))]
/// `%2F` and friends decoded (a path in a URL's query).
fn percent_decoded(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (b'+', _) => {
                out.push(b' ');
                i += 1;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn is_postgres(path: &str) -> bool {
    path.starts_with("postgres://") || path.starts_with("postgresql://")
}

#[cfg(feature = "postgres")]
fn postgres_store(config: &JournalConfig) -> Result<Box<dyn Store>, JournalError> {
    Ok(Box::new(postgres::Postgres::open(
        &config.path,
        config.tls_roots,
        config.ca_file.as_deref(),
        config.server_timeouts(),
    )?))
}

#[cfg(not(feature = "postgres"))]
fn postgres_store(_config: &JournalConfig) -> Result<Box<dyn Store>, JournalError> {
    Err(JournalError::Config(
        "journal.path is a PostgreSQL URL, but this build of vngate has no PostgreSQL support \
         (the journal's `postgres` feature)"
            .into(),
    ))
}

/// What a sealed blob is bound to: its record and its role.
fn associated(record: &Record, role: &str) -> String {
    key_text(&record.provider, &record.account, &record.reference, role)
}

fn key_text(provider: &str, account: &str, reference: &str, role: &str) -> String {
    format!("{provider}\u{1f}{account}\u{1f}{reference}\u{1f}{role}")
}

/// A request as JSON for display: card PINs masked to their last characters.
fn masked(request: &Map<String, Value>) -> String {
    let mut copy = request.clone();
    if let Some(Value::String(code)) = copy.get("code") {
        let pin = vngate::mask_pin(code);
        copy.insert("code".into(), Value::from(pin));
    }
    Value::Object(copy).to_string()
}

/// Where a journaled call stops, for tests that stop a process there (`kill -9`) and for
/// metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Stage {
    /// The record is committed as "sent" (durably: the one write before the request
    /// leaves); the request is about to leave.
    Sent,
    /// The answer (or error) is back and not yet recorded.
    Answered,
}

/// The answer to [`JournaledClient::settle`].
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct Settlement {
    /// The reference.
    pub reference: String,
    /// The money-moving operation.
    pub operation: String,
    /// Where it stands.
    pub state: State,
    /// Whether this call is the first, in any process, to see it final: credit (or refund)
    /// when this is `true`, and only then.
    pub first: bool,
    /// Once final: the money that moved, as the answer that settled the record states it (for
    /// a card, what the partner receives for it: after the site's fee and the penalty of a
    /// wrong face value). Credit this, never an amount from an earlier answer. `None` while
    /// the record is open, and where that answer states none.
    pub amount: Option<i64>,
    /// Once final: what settled it: `answer` (the call's own reply), `resolve` (a resolving
    /// call: `check`, `transaction`, …) or `callback` (a callback whose signature covers its
    /// status and amount). `None` while open, or for a record settled before vngate kept it.
    pub settled_by: Option<String>,
    /// Once final, the answer that settled it (its result JSON: the call's, the resolving
    /// call's or the callback's, as `settled_by` says); while open, the last answer recorded.
    #[cfg_attr(
        feature = "schema",
        schemars(with = "Option<serde_json::Map<String, Value>>")
    )]
    pub answer: Option<Value>,
}

/// One line of a reconcile.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct Reconciled {
    /// The provider.
    pub provider: String,
    /// The operation.
    pub operation: String,
    /// The reference.
    pub reference: String,
    /// The state before.
    pub before: State,
    /// The state after.
    pub after: State,
    /// What happened.
    pub note: String,
}

/// What [`JournaledClient::reconcile`] did.
#[derive(Debug, Clone, Default, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct ReconcileReport {
    /// Records looked at.
    pub checked: usize,
    /// Records that became final.
    pub resolved: usize,
    /// Records still open after their resolving call.
    pub still_open: usize,
    /// Intents found abandoned (written by an earlier vngate, which committed "intent" and
    /// then "sent"): closed as never sent.
    pub not_sent: usize,
    /// Records with no resolving call (OpenCard): waiting for their callback.
    pub awaiting_callback: usize,
    /// Resolving calls that failed (the record stays as it was).
    pub errors: usize,
    /// Records another client identity made (another site or partner id filed under the same
    /// account): left alone, never asked about with this client's credentials.
    pub not_ours: usize,
    /// Records in the `attention` state after this run (unresolved past
    /// `attention_after_secs`, or after `max_attempts`): a person must look
    /// (`vngate journal list --attention`).
    pub attention: usize,
    /// Each record's line.
    pub lines: Vec<Reconciled>,
}

impl ReconcileReport {
    /// Adds another account's report to this one (the command reconciles every account).
    pub fn absorb(&mut self, other: Self) {
        self.checked += other.checked;
        self.resolved += other.resolved;
        self.still_open += other.still_open;
        self.not_sent += other.not_sent;
        self.awaiting_callback += other.awaiting_callback;
        self.errors += other.errors;
        self.not_ours += other.not_ours;
        self.attention += other.attention;
        self.lines.extend(other.lines);
    }
}

/// A client whose money-moving calls go through a journal.
pub struct JournaledClient {
    client: Client,
    journal: Arc<Journal>,
    /// [`Client::identity`], written on every record it makes.
    identity: String,
    /// The configured account, or the one derived from the identity.
    account: String,
    hook: Option<Box<dyn Fn(Stage) + Send + Sync>>,
}

impl std::fmt::Debug for JournaledClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JournaledClient")
            .field("client", &self.client)
            .field("journal", &self.journal)
            .finish_non_exhaustive()
    }
}

impl JournaledClient {
    /// Journals `client`'s money-moving calls in `journal`.
    #[must_use]
    pub fn new(client: Client, journal: Arc<Journal>) -> Self {
        let identity = client.identity();
        let account = journal.config.account.clone().unwrap_or_else(|| {
            // The provider is a column of its own: the origin and the id name the account.
            identity
                .split_once(' ')
                .map_or(identity.as_str(), |(_, site)| site)
                .to_owned()
        });
        Self {
            client,
            journal,
            identity,
            account,
            hook: None,
        }
    }

    /// From a provider's JSON config with a `journal` object in it (see [`JournalConfig`]):
    /// `Ok(None)` when the config has none.
    pub fn from_config(provider: &str, config_json: &str) -> Result<Option<Self>, Error> {
        let (client_json, journal) = split_config(config_json)?;
        let Some(journal) = journal else {
            return Ok(None);
        };
        let client = Client::new(provider, &client_json)?;
        let journal = Journal::open(journal).map_err(JournalError::into_vngate)?;
        Ok(Some(Self::new(client, Arc::new(journal))))
    }

    /// Calls `hook` at each [`Stage`] of a journaled call.
    #[must_use]
    pub fn with_hook(mut self, hook: impl Fn(Stage) + Send + Sync + 'static) -> Self {
        self.hook = Some(Box::new(hook));
        self
    }

    /// The client.
    #[must_use]
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The journal.
    #[must_use]
    pub fn journal(&self) -> &Journal {
        &self.journal
    }

    /// The account its records are filed under: `journal.account`, or one derived from the
    /// client's identity.
    #[must_use]
    pub fn account(&self) -> &str {
        &self.account
    }

    /// Refuses a record another client identity made (another site, another partner id): its
    /// request (a card PIN) must never go to another site, nor another site's answer settle it.
    fn ours(&self, record: &Record) -> Result<(), Error> {
        match &record.identity {
            Some(theirs) if *theirs != self.identity => Err(Error::InvalidInput {
                field: "journal.account".into(),
                reason: format!(
                    "{} {} was made by {theirs}, not by this client ({}): resolve and settle it \
                     with that client (give each site or partner id its own journal.account)",
                    record.operation,
                    vngate_quote(&record.reference),
                    self.identity
                ),
            }),
            _ => Ok(()),
        }
    }

    fn stage(&self, stage: Stage) {
        if let Some(hook) = &self.hook {
            hook(stage);
        }
    }

    /// [`Client::call`], journaled: a money-moving call is recorded before it is sent and
    /// never sent twice; a resolving call's answer is recorded against its request.
    pub fn call(&self, operation: &str, request_json: &str) -> Result<String, Error> {
        let Some(op) = registry::find(self.client.provider(), operation) else {
            return self.client.call(operation, request_json);
        };
        if op.moves_money() {
            return self.call_money(op, request_json);
        }
        // A resolving call's answer may settle a record: it gets a connection of its own.
        let money_op = resolves(op);
        let answer = if money_op.is_some() {
            self.client.resolve_answer(operation, request_json)?
        } else {
            self.client.call_answer(operation, request_json)?
        };
        if let Some(outcome) = answer.outcome {
            match money_op {
                // A resolving call: its request names the reference.
                Some(money_op) => {
                    let reference =
                        reference_in(money_op, request_json).or(answer.reference.clone());
                    self.record_outcome(
                        Some(money_op),
                        reference.as_deref(),
                        outcome,
                        &answer,
                        Event::Resolve,
                    );
                }
                // A callback (parse_callback, eSMS's confirm_callback): it names its request.
                None => self.record_callback(outcome, &answer),
            }
        }
        Ok(answer.json)
    }

    /// A callback operation by name (`parse_callback`, eSMS's `confirm_callback`), journaled
    /// as [`JournaledClient::call`] journals it, answered with what it said (the reference it
    /// names): what a gateway relays.
    pub fn callback_answer(&self, operation: &str, request_json: &str) -> Result<Answer, Error> {
        let answer = self.client.call_answer(operation, request_json)?;
        if let Some(outcome) = answer.outcome {
            self.record_callback(outcome, &answer);
        }
        Ok(answer)
    }

    /// [`Client::parse_callback_expected`], journaled: a verified callback's outcome is
    /// recorded against its request.
    pub fn parse_callback(&self, data: &[u8], expected: Option<&str>) -> Result<String, Error> {
        let answer = self.client.parse_callback_answer(data, expected)?;
        if let Some(outcome) = answer.outcome {
            self.record_callback(outcome, &answer);
        }
        Ok(answer.json)
    }

    /// A callback settles the record it names, whichever money-moving operation made it
    /// (AppotaPay's transfer IPN settles a `bank_transfer`).
    fn record_callback(&self, outcome: vngate::Outcome, answer: &Answer) {
        self.record_outcome(
            None,
            answer.reference.as_deref(),
            outcome,
            answer,
            Event::Callback,
        );
    }

    fn call_money(&self, op: &'static Operation, request_json: &str) -> Result<String, Error> {
        let money = op.money.expect("a money-moving operation");
        let request_json = self.client.prepare(op.name, request_json).request_json;
        let Ok(Value::Object(request)) = serde_json::from_str::<Value>(&request_json) else {
            // Not an object: the client refuses it, naming why, before any I/O.
            return self.client.call(op.name, &request_json);
        };
        let Some(Value::String(reference)) = request.get(money.reference_field).cloned() else {
            return self.client.call(op.name, &request_json);
        };
        // A request the client would refuse is refused before anything is written: a record
        // is made only for what may be sent.
        self.client.validate(op.name, &request_json)?;
        let (provider, account) = (self.client.provider(), self.account().to_owned());
        let sealed = self
            .journal
            .sealer
            .seal(
                &key_text(provider, &account, &reference, "request"),
                request_json.as_bytes(),
            )
            .map_err(JournalError::into_vngate)?;
        let id = match self.claim(op, &reference, &masked(&request), &sealed)? {
            Claim::Owned(id) => id,
            Claim::Existing(record) => return self.answer_existing(op, &record),
        };
        self.stage(Stage::Sent);
        let result = self.client.call_answer(op.name, &request_json);
        self.stage(Stage::Answered);
        let recorded = match &result {
            Ok(answer) => self.record_answer(id, &reference, answer),
            Err(error) => self.record_error(id, error),
        };
        if let Err(e) = recorded {
            // The caller still gets the answer; the record stays "sent" and a reconcile
            // resolves it.
            log::error!(target: "vngate", "journal: {} {reference}: {e}", op.name);
        }
        result.map(|answer| answer.json)
    }

    fn claim(
        &self,
        op: &'static Operation,
        reference: &str,
        masked_request: &str,
        sealed: &[u8],
    ) -> Result<Claim, Error> {
        let (provider, account) = (self.client.provider(), self.account());
        // The one durable write before the request leaves.
        let claim = self
            .journal
            .write(|store| {
                for _ in 0..3 {
                    let now = now_ms();
                    let new = NewRecord {
                        provider,
                        account,
                        operation: op.name,
                        reference,
                        request: masked_request,
                        sealed_request: sealed,
                        identity: &self.identity,
                        now,
                    };
                    if let Some(id) = store.insert_sent(&new)? {
                        return Ok(Some(Claim::Owned(id)));
                    }
                    let Some(record) = store.get(provider, account, reference)? else {
                        continue; // gone between the two statements: try again
                    };
                    if record.operation != op.name || record.state != State::NotSent {
                        return Ok(Some(Claim::Existing(Box::new(record))));
                    }
                    // Never sent: this attempt may send it.
                    let retaken = store.change(
                        record.id,
                        &[State::NotSent],
                        &Change {
                            state: Some(State::Sent),
                            sealed_request: Some(sealed.to_vec()),
                            error: ErrorChange::Clear,
                            event: "sent",
                            ..Change::default()
                        },
                        now,
                    )?;
                    if retaken {
                        return Ok(Some(Claim::Owned(record.id)));
                    }
                }
                Ok(None)
            })
            .map_err(JournalError::into_vngate)?;
        match claim {
            Some(Claim::Existing(record)) if record.operation != op.name => {
                Err(Error::InvalidInput {
                    field: op.money.map_or("reference", |m| m.reference_field).into(),
                    reason: format!(
                        "is already in the journal for {} (references are unique per account)",
                        record.operation
                    ),
                })
            }
            Some(claim) => Ok(claim),
            None => Err(Error::Transport {
                reason: "journal: the record kept changing under this call; nothing was sent"
                    .into(),
            }),
        }
    }

    /// A reference already journaled: never sent again. Its resolving call answers (and is
    /// recorded); without one (OpenCard), the recorded answer does.
    fn answer_existing(&self, op: &'static Operation, record: &Record) -> Result<String, Error> {
        self.ours(record)?;
        let money = op.money.expect("a money-moving operation");
        let unknown = |reason: String| Error::OutcomeUnknown {
            operation: op.name,
            reference_field: money.reference_field,
            reference: record.reference.clone(),
            reason,
            next_step: money.next_step,
        };
        let recorded = self
            .journal
            .recorded(record)
            .map_err(JournalError::into_vngate)?
            // A callback's answer is of another type than the call's.
            .filter(|recorded| recorded.source != Some(Event::Callback));
        if let Some(recorded) = &recorded
            && record.state.is_final()
            && recorded.state == record.state
        {
            // Final, and the recorded answer says so: nothing to ask.
            return Ok(recorded.json.clone());
        }
        let Some(resolving_op) = money.resolved_by else {
            return recorded.map(|recorded| recorded.json).ok_or_else(|| {
                unknown(format!(
                    "already sent (journal state {}); no answer recorded yet",
                    record.state
                ))
            });
        };
        if record.state == State::Intent {
            // Written by an earlier vngate, which committed "intent" and then "sent".
            return Err(unknown(
                "another call is sending this reference right now (journal state intent)".into(),
            ));
        }
        let input = self
            .resolving_input(record, &money)
            .map_err(JournalError::into_vngate)?;
        let resolving = registry::find(self.client.provider(), resolving_op)
            .expect("the registry names its resolving calls");
        match self.client.resolve_answer(resolving_op, &input) {
            Ok(answer) => {
                if let Some(outcome) = answer.outcome {
                    self.apply(record, outcome, &answer, Event::Resolve);
                }
                debug_assert_eq!(resolving.result, op.result, "same result type");
                Ok(answer.json)
            }
            // Settled by a callback after the last answer, and its request (with the PIN a
            // `check` needs) erased: the state is known, an answer of the call's type is not.
            Err(Error::InvalidInput { .. }) if record.state.is_final() => {
                Err(Error::InvalidInput {
                    field: money.reference_field.into(),
                    reason: format!(
                        "is already in the journal, settled as {} by a callback: settle() gives it",
                        record.state
                    ),
                })
            }
            Err(e) => Err(unknown(format!(
                "already sent (journal state {}); {resolving_op} failed: {e}",
                record.state
            ))),
        }
    }

    fn record_answer(&self, id: i64, reference: &str, answer: &Answer) -> Result<(), JournalError> {
        let state = State::of(answer.outcome.unwrap_or(vngate::Outcome::Unknown));
        let account = self.account().to_owned();
        let sealed_answer = self.journal.seal_answer(
            &key_text(self.client.provider(), &account, reference, "answer"),
            state,
            Event::Answer,
            answer,
        )?;
        let now = now_ms();
        let change = Change {
            state: Some(state),
            erase_sealed_request: state.is_final(),
            sealed_answer: Some(sealed_answer),
            error: ErrorChange::Clear,
            provider_reference: answer.provider_reference.clone(),
            next_attempt_at: Some(now),
            event: "answer",
            ..Change::default()
        };
        // The second durable write (the outcome).
        self.journal.write(|store| {
            if store.change(id, &[State::Sent], &change, now)? {
                return Ok(());
            }
            // A callback or a resolving call was faster than the reply: keep the state it set
            // and add what the answer tells (OpenCard's own id). While the record is open, the
            // call's answer is kept (a resolving call may need what it carries); once final, the
            // answer that settled it stays.
            let late = Change {
                state: None,
                erase_sealed_request: false,
                next_attempt_at: None,
                event: "late answer",
                ..change
            };
            if !store.change(id, &State::OPEN, &late, now)? {
                store.change(
                    id,
                    &State::ALL,
                    &Change {
                        sealed_answer: None,
                        ..late
                    },
                    now,
                )?;
            }
            Ok(())
        })
    }

    fn record_error(&self, id: i64, error: &Error) -> Result<(), JournalError> {
        let state = if matches!(error, Error::OutcomeUnknown { .. }) {
            State::Unknown
        } else {
            // Refused before any I/O, never connected, or credentials refused: not sent.
            State::NotSent
        };
        let now = now_ms();
        self.journal.write(|store| {
            store.change(
                id,
                &[State::Sent],
                &Change {
                    state: Some(state),
                    error: ErrorChange::Set(error.without_reply_text().to_json().to_string()),
                    next_attempt_at: Some(now),
                    event: "error",
                    ..Change::default()
                },
                now,
            )
        })?;
        Ok(())
    }

    /// Records a callback's or a resolving call's outcome against its request, found by the
    /// reference or the provider's own id. Journal failures are logged, never raised: the
    /// caller has the verified answer either way.
    fn record_outcome(
        &self,
        money_op: Option<&'static Operation>,
        reference: Option<&str>,
        outcome: vngate::Outcome,
        answer: &Answer,
        event: Event,
    ) {
        let (provider, account) = (self.client.provider(), self.account());
        let find = || match (reference, answer.provider_reference.as_deref()) {
            (Some(reference), _) => self.journal.record(provider, account, reference),
            (None, Some(theirs)) => self
                .journal
                .record_by_provider_reference(provider, account, theirs),
            (None, None) => Ok(None),
        };
        let mut found = find();
        // A callback that names only the provider's own id (OpenCard's webhook) can arrive
        // while the call's reply, which carries that id, is being read or recorded: while a
        // call of this account is in flight, wait for it a little (the provider sends the
        // webhook once).
        let in_flight = || {
            self.journal
                .list(&Filter {
                    states: vec![State::Sent],
                    provider: Some(provider.to_owned()),
                    account: Some(account.to_owned()),
                    limit: Some(1),
                    ..Filter::default()
                })
                .is_ok_and(|records| !records.is_empty())
        };
        let waited = std::time::Instant::now();
        while matches!(found, Ok(None))
            && reference.is_none()
            && answer.provider_reference.is_some()
            && waited.elapsed() < PROVIDER_REFERENCE_WAIT
            && in_flight()
        {
            std::thread::sleep(Duration::from_millis(20));
            found = find();
        }
        match found {
            Ok(Some(record)) if money_op.is_none_or(|op| record.operation == op.name) => {
                match self.ours(&record) {
                    Ok(()) => self.apply(&record, outcome, answer, event),
                    Err(e) => log::error!(target: "vngate", "journal: a {}: {e}", event.name()),
                }
            }
            Ok(_) => {}
            Err(e) => log::error!(target: "vngate", "journal: {e}"),
        }
    }

    /// Moves a record to what `outcome` says, unless it is final already (a final state never
    /// changes: a contrary answer is noted and logged).
    fn apply(&self, record: &Record, outcome: vngate::Outcome, answer: &Answer, event: Event) {
        let now = now_ms();
        let mut state = State::of(outcome);
        let mut note = None;
        if state == State::NotFound {
            // From the latest send: a reference refused before sending and sent again later
            // is as young as that last send.
            let age = self.last_sent_at(record).map(|sent| now - sent);
            let after = millis(self.journal.config.not_found_after_secs);
            if let Some(age) = age.filter(|age| *age >= after) {
                state = State::Failed;
                note = Some(format!(
                    "not_found {} s after the request was sent: never executed",
                    age / 1000
                ));
            }
        }
        if record.state.is_final() {
            if state.is_final() && state != record.state {
                log::error!(
                    target: "vngate",
                    "journal: {} {} is {} but a {} says {state}: kept {}",
                    record.operation, record.reference, record.state, event.name(), record.state
                );
                let _ = self.journal.change(
                    record.id,
                    &[record.state],
                    &Change {
                        note: Some(format!("a {} said {state}; kept", event.name())),
                        event: "conflict",
                        ..Change::default()
                    },
                    now,
                );
            }
            return;
        }
        if answer.hint {
            self.resolve_hint(record, state);
            return;
        }
        if let Some(mismatch) = self.not_bound(record, answer, event) {
            // Not this record's answer (a stray reply, another account's transaction): it
            // settles nothing; the record stays as it was, noted.
            log::error!(
                target: "vngate",
                "journal: {} {}: a {} answer is for {mismatch}: not recorded",
                record.operation, record.reference, event.name()
            );
            let _ = self.journal.change(
                record.id,
                &State::OPEN,
                &Change {
                    note: Some(format!(
                        "a {} answer named {mismatch}, not this record: ignored",
                        event.name()
                    )),
                    event: "unbound answer",
                    ..Change::default()
                },
                now,
            );
            return;
        }
        // A callback's answer is of another type than the call's: it is kept when it settles
        // the record (it is then the answer behind the final state); a resolving call's always.
        let sealed_answer = (event != Event::Callback || state.is_final())
            .then(|| {
                self.journal
                    .seal_answer(&associated(record, "answer"), state, event, answer)
                    .ok()
            })
            .flatten();
        let backoff = backoff_ms(self.journal.config.retry_base_secs, record.attempts);
        let change = Change {
            state: Some(state),
            erase_sealed_request: state.is_final(),
            sealed_answer,
            error: ErrorChange::Clear,
            provider_reference: answer.provider_reference.clone(),
            add_attempts: i64::from(event == Event::Resolve),
            next_attempt_at: Some(now + backoff),
            note,
            event: event.name(),
            ..Change::default()
        };
        let change = if record.state == State::Attention && !state.is_final() {
            // Still unresolved: it stays where a person will look.
            Change {
                state: None,
                ..change
            }
        } else {
            change
        };
        if let Err(e) = self.journal.change(record.id, &State::OPEN, &change, now) {
            log::error!(target: "vngate", "journal: {e}");
        }
    }

    /// A callback whose status no signature covers says that `record` may have moved to
    /// `said`: a hint, never a final state. The resolving call decides, now; when it cannot
    /// (it failed, or the provider has none), the record stays as it was, noted and due for the
    /// reconciler.
    fn resolve_hint(&self, record: &Record, said: State) {
        if !State::OPEN.contains(&record.state) {
            return; // not sent yet, or never: a callback for it proves nothing
        }
        let Some(money) =
            registry::find(&record.provider, &record.operation).and_then(|op| op.money)
        else {
            return;
        };
        let resolved = match money.resolved_by {
            Some(resolving_op) => self
                .resolving_input(record, &money)
                .map_err(JournalError::into_vngate)
                .and_then(|input| self.client.resolve_answer(resolving_op, &input))
                .map_err(|e| format!("{resolving_op} failed ({})", e.kind())),
            None => Err(format!("{} has no status call", record.provider)),
        };
        match resolved {
            Ok(answer) if !answer.hint => {
                let outcome = answer.outcome.unwrap_or(vngate::Outcome::Unknown);
                self.apply(record, outcome, &answer, Event::Resolve);
            }
            failed => {
                let why = failed.err().unwrap_or_default();
                let now = now_ms();
                let noted = self.journal.change(
                    record.id,
                    &State::OPEN,
                    &Change {
                        note: Some(format!(
                            "a callback said {said}, which its signature does not cover: {why}; \
                             the reconciler asks"
                        )),
                        next_attempt_at: Some(now),
                        event: "callback hint",
                        ..Change::default()
                    },
                    now,
                );
                if let Err(e) = noted {
                    log::error!(target: "vngate", "journal: {e}");
                }
            }
        }
    }

    /// The resolving call's input for `record`: from its sealed request (or, once that is
    /// erased, its reference alone: final records keep no request) and the call's last answer.
    fn resolving_input(
        &self,
        record: &Record,
        money: &registry::Money,
    ) -> Result<String, JournalError> {
        let reference_alone =
            serde_json::json!({ money.reference_field: record.reference }).to_string();
        let request = self.journal.request(record)?;
        let answer = self
            .journal
            .recorded(record)?
            // A callback's answer is of another type than the call's.
            .filter(|recorded| recorded.source != Some(Event::Callback))
            .map(|recorded| recorded.json);
        Ok(money
            .resolving_input(
                request.as_deref().unwrap_or(&reference_alone),
                answer.as_deref(),
            )
            .unwrap_or(reference_alone))
    }

    /// Why `answer` is not `record`'s, if it is not: it names another reference or provider
    /// id; it contradicts the stored request on a field the registry binds
    /// ([`registry::Money::bound_by`]: the account, phone or amount of a reply that does not
    /// echo the reference); or (a resolving call's over a pooled connection) it says nothing
    /// that ties it to the record.
    fn not_bound(&self, record: &Record, answer: &Answer, event: Event) -> Option<String> {
        if let Some(mismatch) = unbound(record, answer) {
            return Some(mismatch);
        }
        let bound = registry::find(&record.provider, &record.operation)
            .and_then(|op| op.money)
            .filter(|money| !money.bound_by.is_empty())
            .and_then(|money| Some((money, self.journal.request(record).ok()??)));
        if let Some((field, theirs)) = bound
            .as_ref()
            .and_then(|(money, request)| money.contradiction(request, &answer.json))
        {
            return Some(format!("{field} {}", vngate_quote(&theirs)));
        }
        // Over a connection of its own a reply is its request's; over a pooled one
        // (reuse_connections_for_money) only what it says ties it to the record: its
        // reference, the provider's id, or the fields the registry binds.
        if event != Event::Resolve || self.client.own_connection_per_money_call() {
            return None;
        }
        let tied = answer.reference.as_deref() == Some(record.reference.as_str())
            || (record.provider_reference.is_some()
                && answer.provider_reference == record.provider_reference)
            || bound
                .as_ref()
                .is_some_and(|(money, request)| money.agrees(request, &answer.json));
        (!tied).then(|| "no reference, provider id or stored field of this record".to_owned())
    }

    /// When the record's request last left (its latest `sent` event). `None` when the events
    /// cannot be read: then nobody can say how long the provider has had it.
    fn last_sent_at(&self, record: &Record) -> Option<i64> {
        let events = self.journal.events(record).ok()?;
        events
            .into_iter()
            .rev()
            .find(|(_, event, _)| event == "sent")
            .map(|(at, _, _)| at)
    }

    /// Whether `reference` is final, and whether this is the first time anyone asked since it
    /// became final (atomically across processes and servers): credit or refund when `first`.
    pub fn settle(&self, reference: &str) -> Result<Settlement, Error> {
        self.settlement(reference, true)
    }

    /// Where a record stands, as [`JournaledClient::settle`] says it, without taking its
    /// `first`: for a gateway that tells an application of a settlement by an event of its own
    /// (its `first` stays for the application's own `settle`). `first` is always `false` here.
    pub fn peek_settlement(&self, reference: &str) -> Result<Settlement, Error> {
        self.settlement(reference, false)
    }

    fn settlement(&self, reference: &str, take_first: bool) -> Result<Settlement, Error> {
        let (provider, account) = (self.client.provider(), self.account());
        let record = self
            .journal
            .record(provider, account, reference)
            .map_err(JournalError::into_vngate)?
            .ok_or_else(|| Error::InvalidInput {
                field: "reference".into(),
                reason: format!(
                    "{} is not in the journal of {provider} account {account}",
                    vngate_quote(reference)
                ),
            })?;
        self.ours(&record)?;
        let first = take_first
            && record.state.is_final()
            && self
                .journal
                .write(|store| store.settle(record.id, now_ms()))
                .map_err(JournalError::into_vngate)?;
        let recorded = self
            .journal
            .recorded(&record)
            .map_err(JournalError::into_vngate)?;
        // A final record's answer counts only when it is the one that settled it: it says
        // the same state, and it says where it came from (a journal of an older vngate kept
        // the call's answer, not a callback's, which may have said otherwise).
        let settling = recorded.as_ref().filter(|recorded| {
            record.state.is_final() && recorded.state == record.state && recorded.source.is_some()
        });
        let (amount, settled_by) = settling.map_or((None, None), |recorded| {
            (
                recorded.amount,
                recorded.source.map(|source| source.name().to_owned()),
            )
        });
        let answer = match (&settling, &recorded) {
            (Some(settling), _) => Some(&settling.json),
            (None, Some(recorded)) if !record.state.is_final() => Some(&recorded.json),
            _ => None,
        }
        .and_then(|json| serde_json::from_str(json).ok());
        Ok(Settlement {
            reference: record.reference,
            operation: record.operation,
            state: record.state,
            first,
            amount,
            settled_by,
            answer,
        })
    }

    /// Resolves this client's open records with their resolving calls: intents older than
    /// `min_age_secs` are closed as never sent; sent, pending, unknown and not-found records
    /// older than that whose next attempt is due are asked about, with exponential backoff.
    /// A failed resolving call leaves a record as it was. `progress(done, total)` after each.
    pub fn reconcile(
        &self,
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<ReconcileReport, Error> {
        let mut report = ReconcileReport::default();
        let now = now_ms();
        let min_age = millis(self.journal.config.min_age_secs);
        let (provider, account) = (self.client.provider(), self.account().to_owned());
        let scope = Filter {
            provider: Some(provider.to_owned()),
            account: Some(account.clone()),
            updated_before_ms: Some(now - min_age + 1),
            ..Filter::default()
        };
        let intents = self
            .journal
            .list(&Filter {
                states: vec![State::Intent],
                ..scope.clone()
            })
            .map_err(JournalError::into_vngate)?;
        let open = self
            .journal
            .list(&Filter {
                states: State::OPEN.to_vec(),
                due_by_ms: Some(now),
                ..scope
            })
            .map_err(JournalError::into_vngate)?;
        let total = intents.len() + open.len();
        for record in &intents {
            let closed = self
                .journal
                .change(
                    record.id,
                    &[State::Intent],
                    &Change {
                        state: Some(State::NotSent),
                        erase_sealed_request: true,
                        note: Some("the process stopped before sending: nothing was sent".into()),
                        event: "abandoned",
                        ..Change::default()
                    },
                    now_ms(),
                )
                .map_err(JournalError::into_vngate)?;
            report.checked += 1;
            if closed {
                report.not_sent += 1;
                report.lines.push(line(
                    record,
                    State::NotSent,
                    "never sent (the process stopped after the intent)",
                ));
            }
            progress(report.checked, total);
        }
        for record in &open {
            report.checked += 1;
            let fresh = self.reconcile_one(record, &mut report);
            if self.needs_attention(record, fresh, &mut report) {
                report.attention += 1;
            }
            progress(report.checked, total);
        }
        Ok(report)
    }

    /// After a record's resolving call: whether it is (now) in `attention`, moving it there
    /// when it is still open past `attention_after_secs` since it was sent or past
    /// `max_attempts`. `fresh`: the record as the reconcile read it back, if it did.
    fn needs_attention(
        &self,
        record: &Record,
        fresh: Option<Record>,
        report: &mut ReconcileReport,
    ) -> bool {
        let Some(now) = fresh.or_else(|| {
            self.journal
                .record(&record.provider, &record.account, &record.reference)
                .ok()
                .flatten()
        }) else {
            return false;
        };
        if now.state == State::Attention {
            return true;
        }
        if !State::OPEN.contains(&now.state) || self.ours(&now).is_err() {
            return false;
        }
        let at = now_ms();
        let after = millis(self.journal.config.attention_after_secs);
        let sent_at = self.last_sent_at(&now).unwrap_or(now.created_at_ms);
        let why = if now.attempts >= self.journal.config.max_attempts {
            format!("{} resolving calls did not settle it", now.attempts)
        } else if at - sent_at >= after {
            format!(
                "unresolved {} s after it was sent ({} so far)",
                (at - sent_at) / 1000,
                now.state
            )
        } else {
            return false;
        };
        let moved = self.journal.change(
            now.id,
            &State::OPEN,
            &Change {
                state: Some(State::Attention),
                note: Some(format!("{why}: ask the provider; never guessed")),
                event: "attention",
                ..Change::default()
            },
            at,
        );
        if matches!(moved, Ok(true)) {
            report.lines.push(line(&now, State::Attention, &why));
        }
        matches!(moved, Ok(true))
    }

    /// Asks about one open record with its resolving call; returns the record as it stands
    /// afterwards when it read it back (after an answer).
    fn reconcile_one(&self, record: &Record, report: &mut ReconcileReport) -> Option<Record> {
        let op = registry::find(&record.provider, &record.operation)?;
        if let Err(e) = self.ours(record) {
            report.not_ours += 1;
            report
                .lines
                .push(line(record, record.state, &e.to_string()));
            return None;
        }
        let money = op.money.expect("journaled operations move money");
        let Some(resolving_op) = money.resolved_by else {
            report.awaiting_callback += 1;
            report.lines.push(line(
                record,
                record.state,
                &format!(
                    "{} has no status call: waiting for its callback",
                    record.provider
                ),
            ));
            return None;
        };
        if record.attempts >= self.journal.config.max_attempts {
            report.still_open += 1;
            report.lines.push(line(
                record,
                record.state,
                "max_attempts reached: left open, ask the provider",
            ));
            return None;
        }
        let input = match self.resolving_input(record, &money) {
            Ok(input) => input,
            Err(e) => {
                report.errors += 1;
                report
                    .lines
                    .push(line(record, record.state, &e.to_string()));
                return None;
            }
        };
        match self.client.resolve_answer(resolving_op, &input) {
            Ok(answer) => {
                let outcome = answer.outcome.unwrap_or(vngate::Outcome::Unknown);
                self.apply(record, outcome, &answer, Event::Resolve);
                let fresh = self
                    .journal
                    .record(&record.provider, &record.account, &record.reference)
                    .ok()
                    .flatten();
                let now = fresh.as_ref().map_or(record.state, |r| r.state);
                if now.is_final() {
                    report.resolved += 1;
                } else {
                    report.still_open += 1;
                }
                report.lines.push(line(
                    record,
                    now,
                    &format!("{resolving_op}: {}", outcome.as_str()),
                ));
                fresh
            }
            Err(e) => {
                report.errors += 1;
                let now = now_ms();
                let _ = self.journal.change(
                    record.id,
                    &State::OPEN,
                    &Change {
                        add_attempts: 1,
                        next_attempt_at: Some(
                            now + backoff_ms(self.journal.config.retry_base_secs, record.attempts),
                        ),
                        error: ErrorChange::Set(e.without_reply_text().to_json().to_string()),
                        event: "resolve failed",
                        ..Change::default()
                    },
                    now,
                );
                report.lines.push(line(
                    record,
                    record.state,
                    &format!("{resolving_op} failed: {} (left as it was)", e.kind()),
                ));
                None
            }
        }
    }
}

fn line(record: &Record, after: State, note: &str) -> Reconciled {
    Reconciled {
        provider: record.provider.clone(),
        operation: record.operation.clone(),
        reference: record.reference.clone(),
        before: record.state,
        after,
        note: note.to_owned(),
    }
}

/// What in `answer` says it is not `record`'s: the caller's reference or the provider's own id
/// it names, when it names one that differs from the record's. `None`: nothing contradicts.
fn unbound(record: &Record, answer: &Answer) -> Option<String> {
    if let Some(theirs) = answer
        .reference
        .as_deref()
        .filter(|theirs| *theirs != record.reference)
    {
        return Some(format!("reference {}", vngate_quote(theirs)));
    }
    match (&record.provider_reference, &answer.provider_reference) {
        (Some(ours), Some(theirs)) if ours != theirs => {
            Some(format!("the provider's id {}", vngate_quote(theirs)))
        }
        _ => None,
    }
}

/// A configured number of seconds in milliseconds, the journal's unit of time.
fn millis(secs: u64) -> i64 {
    i64::try_from(secs).unwrap_or(i64::MAX).saturating_mul(1000)
}

/// `retry_base_secs` doubling per attempt, at most an hour.
fn backoff_ms(base_secs: u64, attempts: i64) -> i64 {
    let exponent = u32::try_from(attempts.clamp(0, 7)).unwrap_or(7);
    let base = i64::try_from(base_secs.min(3_600)).unwrap_or(3_600) * 1000;
    (base << exponent).min(3_600_000)
}

fn vngate_quote(text: &str) -> String {
    serde_json::Value::from(text).to_string()
}

enum Claim {
    Owned(i64),
    Existing(Box<Record>),
}

/// An answer as the journal keeps it (sealed): the state it put the record in, where it came
/// from and the amount it stated, then its JSON. Journals written before the source and
/// amount were kept hold `state\njson`: their source and amount read as unknown.
struct Recorded {
    state: State,
    source: Option<Event>,
    amount: Option<i64>,
    json: String,
}

impl Recorded {
    fn parse(text: &str) -> Option<Self> {
        let (head, json) = text.split_once('\n')?;
        let mut words = head.split(' ');
        let state = State::parse(words.next()?).unwrap_or(State::Unknown);
        let source = words.next().and_then(Event::parse);
        let amount = words.next().and_then(|amount| amount.parse().ok());
        Some(Self {
            state,
            source,
            amount,
            json: json.to_owned(),
        })
    }
}

/// Where an answer came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Event {
    /// The money-moving call's own reply.
    Answer,
    /// A resolving call's (same result type as the call).
    Resolve,
    /// A verified callback's (another type).
    Callback,
}

impl Event {
    fn name(self) -> &'static str {
        match self {
            Self::Answer => "answer",
            Self::Resolve => "resolve",
            Self::Callback => "callback",
        }
    }

    fn parse(name: &str) -> Option<Self> {
        [Self::Answer, Self::Resolve, Self::Callback]
            .into_iter()
            .find(|event| event.name() == name)
    }
}

/// The money-moving operation `op` resolves, if it is a resolving call.
fn resolves(op: &Operation) -> Option<&'static Operation> {
    registry::of(op.provider).find(|candidate| {
        candidate
            .money
            .is_some_and(|m| m.resolved_by == Some(op.name))
    })
}

/// The money-moving operation's reference in a resolving call's input.
fn reference_in(money_op: &Operation, request_json: &str) -> Option<String> {
    let field = money_op.money?.reference_field;
    let value: Value = serde_json::from_str(request_json).ok()?;
    value.get(field)?.as_str().map(str::to_owned)
}

/// Splits a client config into the client's JSON and the journal's config.
pub fn split_config(config_json: &str) -> Result<(String, Option<JournalConfig>), Error> {
    let Ok(Value::Object(mut config)) = serde_json::from_str::<Value>(config_json) else {
        // The client reports what is wrong with it.
        return Ok((config_json.to_owned(), None));
    };
    let Some(journal) = config.remove("journal") else {
        return Ok((config_json.to_owned(), None));
    };
    let journal: JournalConfig =
        serde_json::from_value(journal).map_err(|e| Error::InvalidInput {
            field: "journal".into(),
            reason: e.to_string(),
        })?;
    Ok((Value::Object(config).to_string(), Some(journal)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_postgresql_password_never_shows() {
        let mut config = JournalConfig::new("postgresql://shop:s3cr3t@db.internal:5432/shop", "K");
        let shown = format!("{config:?}");
        assert!(
            !shown.contains("s3cr3t") && shown.contains("shop:***@db.internal"),
            "{shown}"
        );
        config.path = "/var/lib/shop/journal.db".into();
        assert!(format!("{config:?}").contains("/var/lib/shop/journal.db"));
        assert_eq!(redacted("postgresql://shop@db/x"), "postgresql://shop@db/x");
    }
}
