//! The SQLite backend: one file shared by every process of a host (php-fpm and gunicorn
//! workers), in WAL mode with a busy timeout; writes take the lock up front (`BEGIN
//! IMMEDIATE`) so that a read-then-write never deadlocks between processes.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, Row, TransactionBehavior, params};

use crate::JournalError;
use crate::group_sync::{GroupSync, SyncTicket};
use crate::relay::{Attempt, Inbound, Next, Outbound, RelayStore};

use crate::store::{
    COLUMNS, Change, ErrorChange, Filter, FilterValue, NewRecord, Record, State, Store, state_list,
};

/// The schema, one migration per version; `PRAGMA user_version` says how many ran.
const MIGRATIONS: &[&str] = &[
    // 1: calls and their events.
    "CREATE TABLE calls (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        provider TEXT NOT NULL,
        account TEXT NOT NULL,
        operation TEXT NOT NULL,
        reference TEXT NOT NULL,
        provider_reference TEXT,
        state TEXT NOT NULL,
        request TEXT NOT NULL,
        sealed_request BLOB,
        sealed_answer BLOB,
        error TEXT,
        note TEXT,
        attempts INTEGER NOT NULL DEFAULT 0,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        next_attempt_at INTEGER NOT NULL DEFAULT 0,
        settled_at INTEGER,
        UNIQUE (provider, account, reference)
    );
    CREATE INDEX calls_open ON calls (state, next_attempt_at);
    CREATE INDEX calls_provider_reference ON calls (provider, account, provider_reference);
    CREATE TABLE events (
        call_id INTEGER NOT NULL REFERENCES calls (id),
        at INTEGER NOT NULL,
        event TEXT NOT NULL,
        state TEXT NOT NULL
    );
    CREATE INDEX events_call ON events (call_id);",
    // 2: the client identity that made a record; the sealing key's check value.
    "ALTER TABLE calls ADD COLUMN identity TEXT;
    CREATE TABLE key_check (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        sealed BLOB NOT NULL
    );",
    // 3: the callback relay: callbacks as received (sealed), events for the application and
    // their delivery attempts.
    "CREATE TABLE inbox (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        provider TEXT NOT NULL,
        account TEXT NOT NULL,
        method TEXT NOT NULL,
        received_at INTEGER NOT NULL,
        size INTEGER NOT NULL,
        sealed_data BLOB NOT NULL,
        verified INTEGER,
        reference TEXT,
        error TEXT,
        checked_at INTEGER
    );
    CREATE TABLE outbox (
        id TEXT PRIMARY KEY,
        type TEXT NOT NULL,
        payload TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        next_attempt_at INTEGER NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        delivered_at INTEGER,
        failed_at INTEGER,
        claimed_by TEXT,
        claimed_until INTEGER NOT NULL DEFAULT 0,
        last_error TEXT
    );
    CREATE INDEX outbox_due ON outbox (delivered_at, failed_at, next_attempt_at);
    CREATE TABLE deliveries (
        event_id TEXT NOT NULL REFERENCES outbox (id),
        at INTEGER NOT NULL,
        instance TEXT NOT NULL,
        status INTEGER,
        error TEXT,
        duration_ms INTEGER NOT NULL
    );
    CREATE INDEX deliveries_event ON deliveries (event_id);",
];

pub(crate) struct Sqlite {
    conn: Connection,
    /// The process's group commit on this file; `None` where SQLite syncs each commit itself
    /// (`synchronous=FULL`: a database that is not a plain file).
    group: Option<Arc<GroupSync>>,
    /// `conn.total_changes()` when the last write was noted: more means a commit wrote.
    changes_noted: u64,
    /// Whether [`Store::defer_syncs`] is on, and the last commit it left unsynced.
    defer: bool,
    deferred: Option<SyncTicket>,
}

fn store_error(e: &rusqlite::Error) -> JournalError {
    JournalError::Store(format!("sqlite: {e}"))
}

impl Sqlite {
    /// Opens (creating and migrating) the journal. Workers of a pool often open a new file
    /// at the same moment: switching it to WAL and creating the tables can meet another
    /// process's lock where SQLite answers "busy" without waiting, so the whole opening is
    /// tried again until the busy timeout.
    pub(crate) fn open(path: &str, busy_timeout: Duration) -> Result<Self, JournalError> {
        let started = std::time::Instant::now();
        let mut pause = 5;
        loop {
            match Self::try_open(path, busy_timeout) {
                Err(Opening::Busy(_)) if started.elapsed() < busy_timeout => {
                    std::thread::sleep(Duration::from_millis(pause));
                    pause = (pause * 2).min(100);
                }
                Err(Opening::Busy(e) | Opening::Failed(e)) => return Err(e),
                Ok(store) => return Ok(store),
            }
        }
    }

    fn try_open(path: &str, busy_timeout: Duration) -> Result<Self, Opening> {
        create_private(path).map_err(|e| {
            Opening::Failed(JournalError::Config(format!("journal.path {path:?}: {e}")))
        })?;
        let conn = Connection::open(path).map_err(|e| {
            Opening::Failed(JournalError::Config(format!("journal.path {path:?}: {e}")))
        })?;
        conn.busy_timeout(busy_timeout).map_err(|e| opening(&e))?;
        // WAL: readers never block the writer. A committed record survives a power cut (the
        // point of writing it before the request leaves): synchronous=NORMAL writes each commit
        // to the WAL and the journal syncs the WAL itself after the commit, outside the write
        // lock, so that threads share syncs (group_sync.rs); where the WAL is not a file of
        // its own, synchronous=FULL syncs each commit. SQLite answers a mode it could not
        // switch to with the mode it kept.
        let mode: String = conn
            .pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))
            .map_err(|e| opening(&e))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(Opening::Busy(JournalError::Store(format!(
                "sqlite: the journal file stays in {mode} mode, not WAL"
            ))));
        }
        let group = conn
            .path()
            .filter(|file| !file.is_empty())
            .map(|file| GroupSync::for_database(Path::new(file)));
        conn.pragma_update(
            None,
            "synchronous",
            if group.is_some() { "NORMAL" } else { "FULL" },
        )
        .map_err(|e| opening(&e))?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(|e| opening(&e))?;
        let changes_noted = conn.total_changes();
        let mut store = Self {
            conn,
            group,
            changes_noted,
            defer: false,
            deferred: None,
        };
        store.migrate().map_err(|e| match e {
            JournalError::Store(ref reason)
                if reason.contains("locked") || reason.contains("busy") =>
            {
                Opening::Busy(e)
            }
            other => Opening::Failed(other),
        })?;
        Ok(store)
    }

    fn migrate(&mut self) -> Result<(), JournalError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| store_error(&e))?;
        let version: usize = tx
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(|e| store_error(&e))?;
        if version > MIGRATIONS.len() {
            return Err(JournalError::Config(format!(
                "the journal's schema is version {version}, newer than this vngate knows ({}): \
                 upgrade vngate",
                MIGRATIONS.len()
            )));
        }
        for (index, migration) in MIGRATIONS.iter().enumerate().skip(version) {
            tx.execute_batch(migration).map_err(|e| store_error(&e))?;
            tx.pragma_update(None, "user_version", index + 1)
                .map_err(|e| store_error(&e))?;
        }
        tx.commit().map_err(|e| store_error(&e))?;
        self.changes_noted = self.conn.total_changes();
        if version < MIGRATIONS.len() {
            self.committed()
        } else {
            Ok(())
        }
    }

    /// Called after every method that may have committed: when a commit wrote rows, makes it
    /// durable before returning, or, while syncs are deferred, notes it for the caller to make
    /// durable once it has let go of the connection.
    fn written(&mut self) -> Result<(), JournalError> {
        let changes = self.conn.total_changes();
        if changes == self.changes_noted {
            return Ok(());
        }
        self.changes_noted = changes;
        self.committed()
    }

    fn committed(&mut self) -> Result<(), JournalError> {
        let Some(group) = &self.group else {
            return Ok(()); // synchronous=FULL synced it
        };
        let ticket = group.committed();
        if self.defer {
            self.deferred = Some(ticket);
            Ok(())
        } else {
            ticket.wait()
        }
    }
}

/// Creates the journal file readable and writable by its owner alone (`0600`), unless it
/// exists: it holds sealed secrets, masked requests and every money reference. SQLite gives
/// its `-wal` and `-shm` files the database file's mode.
fn create_private(path: &str) -> std::io::Result<()> {
    if path == ":memory:" || path.starts_with("file:") {
        return Ok(()); // not a plain file name: SQLite's to open
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        let created = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path);
        match created {
            Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists => return Err(e),
            _ => {}
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

/// Why an opening failed: a lock another process held (worth another try), or anything else.
enum Opening {
    Busy(JournalError),
    Failed(JournalError),
}

fn opening(e: &rusqlite::Error) -> Opening {
    let busy = matches!(
        e,
        rusqlite::Error::SqliteFailure(failure, _)
            if matches!(failure.code, rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
    );
    if busy {
        Opening::Busy(store_error(e))
    } else {
        Opening::Failed(store_error(e))
    }
}

fn record(row: &Row<'_>) -> rusqlite::Result<Record> {
    let state: String = row.get(6)?;
    Ok(Record {
        id: row.get(0)?,
        provider: row.get(1)?,
        account: row.get(2)?,
        operation: row.get(3)?,
        reference: row.get(4)?,
        provider_reference: row.get(5)?,
        state: State::parse(&state).unwrap_or(State::Unknown),
        request: row.get(7)?,
        error: row.get(8)?,
        note: row.get(9)?,
        attempts: row.get(10)?,
        created_at_ms: row.get(11)?,
        updated_at_ms: row.get(12)?,
        next_attempt_at_ms: row.get(13)?,
        settled_at_ms: row.get(14)?,
        sealed_request: row.get(15)?,
        sealed_answer: row.get(16)?,
        identity: row.get(17)?,
    })
}

impl Store for Sqlite {
    fn insert_sent(&mut self, new: &NewRecord<'_>) -> Result<Option<i64>, JournalError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| store_error(&e))?;
        let inserted = tx
            .prepare_cached(
                "INSERT INTO calls (provider, account, operation, reference, state, request, \
                 sealed_request, created_at, updated_at, identity) \
                 VALUES (?1, ?2, ?3, ?4, 'sent', ?5, ?6, ?7, ?7, ?8) \
                 ON CONFLICT (provider, account, reference) DO NOTHING",
            )
            .and_then(|mut statement| {
                statement.execute(params![
                    new.provider,
                    new.account,
                    new.operation,
                    new.reference,
                    new.request,
                    new.sealed_request,
                    new.now,
                    new.identity
                ])
            })
            .map_err(|e| store_error(&e))?;
        let id = if inserted == 1 {
            let id = tx.last_insert_rowid();
            tx.prepare_cached(
                "INSERT INTO events (call_id, at, event, state) VALUES (?1, ?2, 'sent', 'sent')",
            )
            .and_then(|mut statement| statement.execute(params![id, new.now]))
            .map_err(|e| store_error(&e))?;
            Some(id)
        } else {
            None
        };
        tx.commit().map_err(|e| store_error(&e))?;
        self.written()?;
        Ok(id)
    }

    fn get(
        &mut self,
        provider: &str,
        account: &str,
        reference: &str,
    ) -> Result<Option<Record>, JournalError> {
        self.conn
            .query_row(
                &format!(
                    "SELECT {COLUMNS} FROM calls WHERE provider = ?1 AND account = ?2 AND reference = ?3"
                ),
                params![provider, account, reference],
                record,
            )
            .optional()
            .map_err(|e| store_error(&e))
    }

    fn get_by_provider_reference(
        &mut self,
        provider: &str,
        account: &str,
        provider_reference: &str,
    ) -> Result<Option<Record>, JournalError> {
        self.conn
            .query_row(
                &format!(
                    "SELECT {COLUMNS} FROM calls WHERE provider = ?1 AND account = ?2 \
                     AND provider_reference = ?3 ORDER BY id LIMIT 1"
                ),
                params![provider, account, provider_reference],
                record,
            )
            .optional()
            .map_err(|e| store_error(&e))
    }

    fn change(
        &mut self,
        id: i64,
        from: &[State],
        change: &Change,
        now: i64,
    ) -> Result<bool, JournalError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| store_error(&e))?;
        let changed = tx
            .prepare_cached(&format!(
                    "UPDATE calls SET \
                       state = COALESCE(?1, state), \
                       updated_at = ?2, \
                       sealed_request = CASE WHEN ?3 THEN NULL ELSE COALESCE(?4, sealed_request) END, \
                       sealed_answer = COALESCE(?5, sealed_answer), \
                       error = CASE WHEN ?6 THEN ?7 ELSE error END, \
                       provider_reference = COALESCE(provider_reference, ?8), \
                       attempts = attempts + ?9, \
                       next_attempt_at = COALESCE(?10, next_attempt_at), \
                       note = COALESCE(?11, note) \
                     WHERE id = ?12 AND state IN ({})",
                state_list(from)
            ))
            .and_then(|mut statement| {
                statement.execute(params![
                    change.state.map(State::as_str),
                    now,
                    change.erase_sealed_request,
                    change.sealed_request,
                    change.sealed_answer,
                    !matches!(change.error, ErrorChange::Keep),
                    match &change.error {
                        ErrorChange::Set(error) => Some(error.as_str()),
                        _ => None,
                    },
                    change.provider_reference,
                    change.add_attempts,
                    change.next_attempt_at,
                    change.note,
                    id
                ])
            })
            .map_err(|e| store_error(&e))?;
        if changed == 1 {
            tx.prepare_cached(
                "INSERT INTO events (call_id, at, event, state) \
                 SELECT id, ?2, ?3, state FROM calls WHERE id = ?1",
            )
            .and_then(|mut statement| statement.execute(params![id, now, change.event]))
            .map_err(|e| store_error(&e))?;
        }
        tx.commit().map_err(|e| store_error(&e))?;
        self.written()?;
        Ok(changed == 1)
    }

    fn settle(&mut self, id: i64, now: i64) -> Result<bool, JournalError> {
        let changed = self
            .conn
            .execute(
                "UPDATE calls SET settled_at = ?2 WHERE id = ?1 \
                 AND state IN ('succeeded', 'failed') AND settled_at IS NULL",
                params![id, now],
            )
            .map_err(|e| store_error(&e))?;
        // Durable before anyone is told to credit.
        self.written()?;
        Ok(changed == 1)
    }

    fn select(&mut self, filter: &Filter) -> Result<Vec<Record>, JournalError> {
        let (condition, bound) = filter.sql(|n| format!("?{n}"));
        let sql = format!("SELECT {COLUMNS} FROM calls WHERE {condition}");
        let values = bound.into_iter().map(|value| match value {
            FilterValue::Text(text) => rusqlite::types::Value::from(text),
            FilterValue::Int(int) => rusqlite::types::Value::from(int),
        });
        let mut statement = self.conn.prepare(&sql).map_err(|e| store_error(&e))?;
        let rows = statement
            .query_map(rusqlite::params_from_iter(values), record)
            .map_err(|e| store_error(&e))?;
        rows.collect::<Result<_, _>>().map_err(|e| store_error(&e))
    }

    fn events(&mut self, id: i64) -> Result<Vec<(i64, String, String)>, JournalError> {
        let mut statement = self
            .conn
            .prepare("SELECT at, event, state FROM events WHERE call_id = ?1 ORDER BY rowid")
            .map_err(|e| store_error(&e))?;
        let rows = statement
            .query_map([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .map_err(|e| store_error(&e))?;
        rows.collect::<Result<_, _>>().map_err(|e| store_error(&e))
    }

    fn key_check(&mut self) -> Result<Option<Vec<u8>>, JournalError> {
        self.conn
            .query_row("SELECT sealed FROM key_check WHERE id = 1", [], |r| {
                r.get(0)
            })
            .optional()
            .map_err(|e| store_error(&e))
    }

    fn defer_syncs(&mut self) {
        self.defer = true;
    }

    fn take_deferred(&mut self) -> Option<SyncTicket> {
        self.defer = false;
        self.deferred.take()
    }

    fn set_key_check(&mut self, sealed: &[u8]) -> Result<bool, JournalError> {
        let inserted = self
            .conn
            .execute(
                "INSERT INTO key_check (id, sealed) VALUES (1, ?1) ON CONFLICT (id) DO NOTHING",
                [sealed],
            )
            .map_err(|e| store_error(&e))?;
        self.written()?;
        Ok(inserted == 1)
    }
}

const INBOX_COLUMNS: &str =
    "id, provider, account, method, received_at, size, verified, reference, error, checked_at";

fn inbound(row: &Row<'_>) -> rusqlite::Result<Inbound> {
    Ok(Inbound {
        id: row.get(0)?,
        provider: row.get(1)?,
        account: row.get(2)?,
        method: row.get(3)?,
        received_at_ms: row.get(4)?,
        size: row.get(5)?,
        verified: row.get(6)?,
        reference: row.get(7)?,
        error: row.get(8)?,
        checked_at_ms: row.get(9)?,
    })
}

const OUTBOX_COLUMNS: &str = "id, type, payload, created_at, attempts, next_attempt_at, \
     delivered_at, failed_at, last_error";

fn outbound(row: &Row<'_>) -> rusqlite::Result<Outbound> {
    let delivered_at: Option<i64> = row.get(6)?;
    let failed_at: Option<i64> = row.get(7)?;
    Ok(Outbound {
        id: row.get(0)?,
        kind: row.get(1)?,
        payload: row.get(2)?,
        created_at_ms: row.get(3)?,
        state: crate::relay::state_name(delivered_at, failed_at).to_owned(),
        attempts: row.get(4)?,
        next_attempt_at_ms: row.get(5)?,
        delivered_at_ms: delivered_at,
        last_error: row.get(8)?,
    })
}

impl RelayStore for Sqlite {
    fn inbox_insert(
        &mut self,
        provider: &str,
        account: &str,
        method: &str,
        sealed: &[u8],
        size: i64,
        now: i64,
    ) -> Result<i64, JournalError> {
        self.conn
            .execute(
                "INSERT INTO inbox (provider, account, method, received_at, size, sealed_data) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![provider, account, method, now, size, sealed],
            )
            .map_err(|e| store_error(&e))?;
        let id = self.conn.last_insert_rowid();
        self.written()?;
        Ok(id)
    }

    fn inbox_checked(
        &mut self,
        id: i64,
        verified: bool,
        reference: Option<&str>,
        error: Option<&str>,
        now: i64,
    ) -> Result<(), JournalError> {
        self.conn
            .execute(
                "UPDATE inbox SET verified = ?2, reference = ?3, error = ?4, checked_at = ?5 \
                 WHERE id = ?1",
                params![id, verified, reference, error, now],
            )
            .map_err(|e| store_error(&e))?;
        self.written()
    }

    fn inbox_list(
        &mut self,
        verified: Option<bool>,
        limit: u32,
    ) -> Result<Vec<Inbound>, JournalError> {
        let condition = match verified {
            None => "1 = 1",
            Some(true) => "verified = 1",
            Some(false) => "verified = 0",
        };
        let mut statement = self
            .conn
            .prepare(&format!(
                "SELECT {INBOX_COLUMNS} FROM inbox WHERE {condition} ORDER BY id DESC LIMIT {limit}"
            ))
            .map_err(|e| store_error(&e))?;
        statement
            .query_map([], inbound)
            .and_then(Iterator::collect)
            .map_err(|e| store_error(&e))
    }

    fn inbox_sealed(&mut self, id: i64) -> Result<Option<(Inbound, Vec<u8>)>, JournalError> {
        self.conn
            .query_row(
                &format!("SELECT {INBOX_COLUMNS}, sealed_data FROM inbox WHERE id = ?1"),
                [id],
                |row| Ok((inbound(row)?, row.get(10)?)),
            )
            .optional()
            .map_err(|e| store_error(&e))
    }

    fn outbox_insert(
        &mut self,
        id: &str,
        kind: &str,
        payload: &str,
        now: i64,
    ) -> Result<bool, JournalError> {
        let inserted = self
            .conn
            .execute(
                "INSERT INTO outbox (id, type, payload, created_at, next_attempt_at) \
                 VALUES (?1, ?2, ?3, ?4, ?4) ON CONFLICT (id) DO NOTHING",
                params![id, kind, payload, now],
            )
            .map_err(|e| store_error(&e))?;
        self.written()?;
        Ok(inserted == 1)
    }

    fn outbox_claim(
        &mut self,
        instance: &str,
        now: i64,
        lease_ms: i64,
        limit: u32,
    ) -> Result<Vec<Outbound>, JournalError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| store_error(&e))?;
        let due: Vec<Outbound> = {
            let mut statement = tx
                .prepare(&format!(
                    "SELECT {OUTBOX_COLUMNS} FROM outbox WHERE delivered_at IS NULL \
                     AND failed_at IS NULL AND next_attempt_at <= ?1 AND claimed_until <= ?1 \
                     ORDER BY created_at LIMIT {limit}"
                ))
                .map_err(|e| store_error(&e))?;
            statement
                .query_map([now], outbound)
                .and_then(Iterator::collect)
                .map_err(|e| store_error(&e))?
        };
        for event in &due {
            tx.execute(
                "UPDATE outbox SET claimed_by = ?2, claimed_until = ?3 WHERE id = ?1",
                params![event.id, instance, now + lease_ms],
            )
            .map_err(|e| store_error(&e))?;
        }
        tx.commit().map_err(|e| store_error(&e))?;
        self.written()?;
        Ok(due)
    }

    fn outbox_attempted(
        &mut self,
        id: &str,
        attempt: &Attempt,
        next: Next,
    ) -> Result<(), JournalError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| store_error(&e))?;
        tx.execute(
            "INSERT INTO deliveries (event_id, at, instance, status, error, duration_ms) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                id,
                attempt.at_ms,
                attempt.instance,
                attempt.status,
                attempt.error,
                attempt.duration_ms
            ],
        )
        .map_err(|e| store_error(&e))?;
        let (delivered_at, failed_at, next_attempt_at) = crate::relay::columns_after(attempt, next);
        // An event already delivered (acknowledged by a poll meanwhile) stays delivered.
        tx.execute(
            "UPDATE outbox SET attempts = attempts + 1, last_error = ?2, \
             delivered_at = COALESCE(delivered_at, ?3), \
             failed_at = CASE WHEN delivered_at IS NULL THEN ?4 ELSE NULL END, \
             next_attempt_at = ?5, claimed_by = NULL, claimed_until = 0 WHERE id = ?1",
            params![id, attempt.error, delivered_at, failed_at, next_attempt_at],
        )
        .map_err(|e| store_error(&e))?;
        tx.commit().map_err(|e| store_error(&e))?;
        self.written()
    }

    fn outbox_ack(&mut self, id: &str, now: i64) -> Result<bool, JournalError> {
        let acked = self
            .conn
            .execute(
                "UPDATE outbox SET delivered_at = ?2, failed_at = NULL \
                 WHERE id = ?1 AND delivered_at IS NULL",
                params![id, now],
            )
            .map_err(|e| store_error(&e))?;
        self.written()?;
        Ok(acked == 1)
    }

    fn outbox_list(
        &mut self,
        state: Option<&str>,
        limit: u32,
    ) -> Result<Vec<Outbound>, JournalError> {
        let condition = crate::relay::state_condition(state)?;
        let mut statement = self
            .conn
            .prepare(&format!(
                "SELECT {OUTBOX_COLUMNS} FROM outbox WHERE {condition} ORDER BY created_at, id \
                 LIMIT {limit}"
            ))
            .map_err(|e| store_error(&e))?;
        statement
            .query_map([], outbound)
            .and_then(Iterator::collect)
            .map_err(|e| store_error(&e))
    }

    fn outbox_get(&mut self, id: &str) -> Result<Option<(Outbound, Vec<Attempt>)>, JournalError> {
        let Some(event) = self
            .conn
            .query_row(
                &format!("SELECT {OUTBOX_COLUMNS} FROM outbox WHERE id = ?1"),
                [id],
                outbound,
            )
            .optional()
            .map_err(|e| store_error(&e))?
        else {
            return Ok(None);
        };
        let mut statement = self
            .conn
            .prepare(
                "SELECT at, instance, status, error, duration_ms FROM deliveries \
                 WHERE event_id = ?1 ORDER BY at, rowid",
            )
            .map_err(|e| store_error(&e))?;
        let attempts = statement
            .query_map([id], |row| {
                Ok(Attempt::new(
                    row.get(0)?,
                    &row.get::<_, String>(1)?,
                    row.get(2)?,
                    row.get(3)?,
                    row.get(4)?,
                ))
            })
            .and_then(Iterator::collect)
            .map_err(|e| store_error(&e))?;
        Ok(Some((event, attempts)))
    }
}
