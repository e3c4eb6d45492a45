//! The MySQL and MariaDB backend, for the PHP shops that already run one: the same records
//! and the same conditional updates as SQLite and PostgreSQL. InnoDB's `UPDATE … WHERE state
//! IN (…)` reads the row's latest version under its lock, so of two writers racing on one
//! record the second finds it changed. Tables carry a `vngate_` prefix, since the database is
//! usually the app's own; DDL commits on its own in MySQL, so each migration step is recorded
//! as it is made, under a named lock that serialises every server's first open.

use mysql::prelude::Queryable;
use mysql::{Conn, OptsBuilder, Row, SslOpts, TxOpts, Value};

use crate::JournalError;
use crate::relay::{Attempt, Inbound, Next, Outbound, RelayStore};
use crate::store::{
    COLUMNS, Change, ErrorChange, Failures, Filter, FilterValue, NewRecord, Record, State, Store,
    state_list,
};

const MIGRATIONS: &[&[&str]] = &[
    // 1: calls and their events. Keys are short enough for a unique index in utf8mb4.
    &[
        "CREATE TABLE vngate_calls (
            id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
            provider VARCHAR(64) NOT NULL,
            account VARCHAR(191) NOT NULL,
            operation VARCHAR(64) NOT NULL,
            reference VARCHAR(255) NOT NULL,
            provider_reference VARCHAR(255),
            state VARCHAR(16) NOT NULL,
            request MEDIUMTEXT NOT NULL,
            sealed_request MEDIUMBLOB,
            sealed_answer MEDIUMBLOB,
            error TEXT,
            note TEXT,
            attempts BIGINT NOT NULL DEFAULT 0,
            created_at BIGINT NOT NULL,
            updated_at BIGINT NOT NULL,
            next_attempt_at BIGINT NOT NULL DEFAULT 0,
            settled_at BIGINT,
            UNIQUE KEY vngate_calls_reference (provider, account, reference),
            KEY vngate_calls_open (state, next_attempt_at),
            KEY vngate_calls_provider_reference (provider, account, provider_reference)
        ) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin",
        "CREATE TABLE vngate_events (
            seq BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
            call_id BIGINT NOT NULL,
            at BIGINT NOT NULL,
            event VARCHAR(64) NOT NULL,
            state VARCHAR(16) NOT NULL,
            KEY vngate_events_call (call_id),
            FOREIGN KEY (call_id) REFERENCES vngate_calls (id)
        ) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin",
    ],
    // 2: the client identity that made a record; the sealing key's check value.
    &[
        "ALTER TABLE vngate_calls ADD COLUMN identity TEXT",
        "CREATE TABLE vngate_key_check (
            id INT NOT NULL PRIMARY KEY,
            sealed BLOB NOT NULL
        ) ENGINE = InnoDB",
    ],
    // 3: the callback relay (as SQLite's).
    &[
        "CREATE TABLE vngate_inbox (
            id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
            provider VARCHAR(64) NOT NULL,
            account VARCHAR(191) NOT NULL,
            method VARCHAR(8) NOT NULL,
            received_at BIGINT NOT NULL,
            size BIGINT NOT NULL,
            sealed_data MEDIUMBLOB NOT NULL,
            verified BOOLEAN,
            reference VARCHAR(255),
            error TEXT,
            checked_at BIGINT
        ) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin",
        "CREATE TABLE vngate_outbox (
            id VARCHAR(64) NOT NULL PRIMARY KEY,
            type VARCHAR(64) NOT NULL,
            payload MEDIUMTEXT NOT NULL,
            created_at BIGINT NOT NULL,
            next_attempt_at BIGINT NOT NULL,
            attempts BIGINT NOT NULL DEFAULT 0,
            delivered_at BIGINT,
            failed_at BIGINT,
            claimed_by VARCHAR(191),
            claimed_until BIGINT NOT NULL DEFAULT 0,
            last_error TEXT,
            KEY vngate_outbox_due (delivered_at, failed_at, next_attempt_at)
        ) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin",
        "CREATE TABLE vngate_deliveries (
            seq BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
            event_id VARCHAR(64) NOT NULL,
            at BIGINT NOT NULL,
            instance VARCHAR(191) NOT NULL,
            status INT,
            error TEXT,
            duration_ms BIGINT NOT NULL,
            KEY vngate_deliveries_event (event_id),
            FOREIGN KEY (event_id) REFERENCES vngate_outbox (id)
        ) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin",
    ],
];

/// MySQL's "duplicate entry for a unique key".
const ER_DUP_ENTRY: u16 = 1062;

pub(crate) struct MySql {
    conn: Conn,
    /// [`FAILURES`] when this store was last checked.
    failures_seen: u64,
}

/// Statements that failed on MySQL connections in this process.
static FAILURES: Failures = Failures::new();

fn store_error(e: &mysql::Error) -> JournalError {
    FAILURES.add();
    JournalError::Store(format!("mysql: {e}"))
}

/// A text value as an SQL literal: its UTF-8 bytes in hexadecimal, so that no value can end
/// the literal early whatever it holds (the money path's batches are sent as one text query,
/// which takes no bound parameters: one round trip instead of four).
fn text(value: Option<&str>) -> String {
    value.map_or("NULL".to_owned(), |value| {
        format!("_utf8mb4 X'{}'", vngate::hex(value.as_bytes()))
    })
}

/// Bytes as an SQL literal, in hexadecimal.
fn bytes(value: Option<&[u8]>) -> String {
    value.map_or("NULL".to_owned(), |value| {
        format!("X'{}'", vngate::hex(value))
    })
}

fn is_duplicate(e: &mysql::Error) -> bool {
    matches!(e, mysql::Error::MySqlError(e) if e.code == ER_DUP_ENTRY)
}

/// The MySQL client's `--ssl-mode`: what TLS a connection needs and what it checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SslMode {
    /// No TLS.
    Disabled,
    /// TLS when the server offers it, else in clear; the certificate is not checked.
    Preferred,
    /// TLS, or no connection; the certificate is not checked (unless `ssl-ca` is named: then
    /// as `VerifyCa`, as the MySQL client does).
    Required,
    /// TLS with a certificate signed by a trusted authority, for any name.
    VerifyCa,
    /// TLS with a trusted certificate for the host connected to.
    VerifyIdentity,
}

impl SslMode {
    fn parse(value: &str) -> Option<Self> {
        Some(match value.to_ascii_uppercase().as_str() {
            "DISABLED" => Self::Disabled,
            "PREFERRED" => Self::Preferred,
            "REQUIRED" => Self::Required,
            "VERIFY_CA" => Self::VerifyCa,
            "VERIFY_IDENTITY" => Self::VerifyIdentity,
            _ => return None,
        })
    }

    fn as_str(self) -> &'static str {
        match self {
            Self::Disabled => "DISABLED",
            Self::Preferred => "PREFERRED",
            Self::Required => "REQUIRED",
            Self::VerifyCa => "VERIFY_CA",
            Self::VerifyIdentity => "VERIFY_IDENTITY",
        }
    }
}

/// The URL without `ssl-mode` and `ssl-ca` (the MySQL client's names; the driver knows
/// neither), and their values.
fn tls_params(url: &str) -> Result<(String, SslMode, Option<String>), JournalError> {
    let (base, query) = url.split_once('?').unwrap_or((url, ""));
    let mut kept = Vec::new();
    let mut mode = SslMode::Preferred;
    let mut ca = None;
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        match key {
            "ssl-mode" | "ssl_mode" => {
                mode = SslMode::parse(&crate::percent_decoded(value)).ok_or_else(|| {
                    JournalError::Config(
                        "journal.path: ssl-mode must be DISABLED, PREFERRED, REQUIRED, VERIFY_CA \
                         or VERIFY_IDENTITY"
                            .into(),
                    )
                })?;
            }
            "ssl-ca" | "ssl_ca" => ca = Some(crate::percent_decoded(value)),
            _ => kept.push(pair),
        }
    }
    let base = base.replacen("mariadb://", "mysql://", 1);
    let rest = if kept.is_empty() {
        base
    } else {
        format!("{base}?{}", kept.join("&"))
    };
    Ok((rest, mode, ca))
}

impl MySql {
    /// Runs `statements` (one text query: one round trip) and gives the first column of the
    /// last row it returns. A failure part way rolls back what the batch began.
    fn batch(&mut self, statements: &str) -> Result<Option<i64>, mysql::Error> {
        let run = |conn: &mut Conn| -> Result<Option<i64>, mysql::Error> {
            let mut last = None;
            let mut result = conn.query_iter(statements)?;
            while let Some(set) = result.iter() {
                for row in set {
                    last = row?.get::<Option<i64>, _>(0).flatten();
                }
            }
            Ok(last)
        };
        let result = run(&mut self.conn);
        if result.is_err() {
            let _ = self.conn.query_drop("ROLLBACK");
        }
        result
    }

    /// Connects as the URL's `ssl-mode` says (the MySQL client's five modes; default
    /// `PREFERRED`), trusting the URL's `ssl-ca`, else `ca_file`, besides the public roots
    /// the driver always trusts.
    pub(crate) fn open(
        url: &str,
        ca_file: Option<&str>,
        timeouts: crate::ServerTimeouts,
    ) -> Result<Self, JournalError> {
        let (rest, mode, ca) = tls_params(url)?;
        // The URL may carry a password: never quote it back.
        let opts = mysql::Opts::from_url(&rest)
            .map_err(|e| JournalError::Config(format!("journal.path (a mysql:// URL): {e}")))?;
        let ca = ca.or_else(|| ca_file.map(str::to_owned));
        let base = OptsBuilder::from_opts(opts)
            // "Rows matched", not "rows changed": a conditional update that matched its row
            // counts as done even when it wrote the values already there.
            .additional_capabilities(mysql::consts::CapabilityFlags::CLIENT_FOUND_ROWS)
            .tcp_connect_timeout(Some(timeouts.connect))
            // The driver's socket is blocking: these bound every wait for the server, the
            // handshake's included. A statement cut short is an error, as on a lost connection
            // (whether a COMMIT took is then unknown, and the records say so).
            .read_timeout(Some(timeouts.wait))
            .write_timeout(Some(timeouts.wait));
        let verify =
            |opts: SslOpts| opts.with_root_cert_path(ca.clone().map(std::path::PathBuf::from));
        let ssl = match mode {
            SslMode::Disabled => None,
            SslMode::Preferred => Some(SslOpts::default().with_danger_accept_invalid_certs(true)),
            SslMode::Required if ca.is_none() => {
                Some(SslOpts::default().with_danger_accept_invalid_certs(true))
            }
            SslMode::Required | SslMode::VerifyCa => {
                Some(verify(SslOpts::default()).with_danger_skip_domain_validation(true))
            }
            SslMode::VerifyIdentity => Some(verify(SslOpts::default())),
        };
        let connect = |ssl: Option<SslOpts>| Conn::new(base.clone().ssl_opts(ssl));
        let connected = match connect(ssl) {
            // PREFERRED: in clear only when the server offers no TLS at all.
            Err(mysql::Error::DriverError(mysql::DriverError::TlsNotSupported))
                if mode == SslMode::Preferred =>
            {
                connect(None)
            }
            other => other,
        };
        let conn = connected.map_err(|e| {
            JournalError::Config(format!(
                "journal.path (a mysql:// URL, ssl-mode={}): cannot connect: {e}",
                mode.as_str()
            ))
        })?;
        let mut store = Self {
            conn,
            failures_seen: FAILURES.count(),
        };
        store.migrate()?;
        Ok(store)
    }

    fn migrate(&mut self) -> Result<(), JournalError> {
        let conn = &mut self.conn;
        let locked: Option<i64> = conn
            .query_first("SELECT GET_LOCK('vngate_journal_migrate', 60)")
            .map_err(|e| store_error(&e))?;
        if locked != Some(1) {
            return Err(JournalError::Store(
                "mysql: another process held the migration lock for 60 s".into(),
            ));
        }
        let result = Self::migrate_locked(conn);
        let released = conn.query_drop("SELECT RELEASE_LOCK('vngate_journal_migrate')");
        result?;
        released.map_err(|e| store_error(&e))
    }

    fn migrate_locked(conn: &mut Conn) -> Result<(), JournalError> {
        conn.query_drop("CREATE TABLE IF NOT EXISTS vngate_meta (version INT NOT NULL)")
            .map_err(|e| store_error(&e))?;
        let version: usize = conn
            .query_first::<i64, _>("SELECT version FROM vngate_meta")
            .map_err(|e| store_error(&e))?
            .map_or(0, |v| usize::try_from(v).unwrap_or(usize::MAX));
        if version > MIGRATIONS.len() {
            return Err(JournalError::Config(format!(
                "the journal's schema is version {version}, newer than this vngate knows ({}): upgrade vngate",
                MIGRATIONS.len()
            )));
        }
        for (index, steps) in MIGRATIONS.iter().enumerate().skip(version) {
            for step in *steps {
                conn.query_drop(step).map_err(|e| store_error(&e))?;
            }
            conn.query_drop("DELETE FROM vngate_meta")
                .map_err(|e| store_error(&e))?;
            conn.exec_drop("INSERT INTO vngate_meta (version) VALUES (?)", (index + 1,))
                .map_err(|e| store_error(&e))?;
        }
        Ok(())
    }
}

fn record(row: &Row) -> Record {
    let text = |i: usize| row.get::<Option<String>, _>(i).flatten();
    let int = |i: usize| row.get::<Option<i64>, _>(i).flatten();
    let bytes = |i: usize| row.get::<Option<Vec<u8>>, _>(i).flatten();
    Record {
        id: int(0).unwrap_or_default(),
        provider: text(1).unwrap_or_default(),
        account: text(2).unwrap_or_default(),
        operation: text(3).unwrap_or_default(),
        reference: text(4).unwrap_or_default(),
        provider_reference: text(5),
        state: text(6)
            .as_deref()
            .and_then(State::parse)
            .unwrap_or(State::Unknown),
        request: text(7).unwrap_or_default(),
        error: text(8),
        note: text(9),
        attempts: int(10).unwrap_or_default(),
        created_at_ms: int(11).unwrap_or_default(),
        updated_at_ms: int(12).unwrap_or_default(),
        next_attempt_at_ms: int(13).unwrap_or_default(),
        settled_at_ms: int(14),
        sealed_request: bytes(15),
        sealed_answer: bytes(16),
        identity: text(17),
    }
}

const INBOX_COLUMNS: &str =
    "id, provider, account, method, received_at, size, verified, reference, error, checked_at";

fn inbound(row: &Row) -> Inbound {
    let text = |i: usize| row.get::<Option<String>, _>(i).flatten();
    let int = |i: usize| row.get::<Option<i64>, _>(i).flatten();
    Inbound {
        id: int(0).unwrap_or_default(),
        provider: text(1).unwrap_or_default(),
        account: text(2).unwrap_or_default(),
        method: text(3).unwrap_or_default(),
        received_at_ms: int(4).unwrap_or_default(),
        size: int(5).unwrap_or_default(),
        verified: int(6).map(|v| v != 0),
        reference: text(7),
        error: text(8),
        checked_at_ms: int(9),
    }
}

const OUTBOX_COLUMNS: &str = "id, type, payload, created_at, attempts, next_attempt_at, \
     delivered_at, failed_at, last_error";

fn outbound(row: &Row) -> Outbound {
    let text = |i: usize| row.get::<Option<String>, _>(i).flatten();
    let int = |i: usize| row.get::<Option<i64>, _>(i).flatten();
    Outbound {
        id: text(0).unwrap_or_default(),
        kind: text(1).unwrap_or_default(),
        payload: text(2).unwrap_or_default(),
        created_at_ms: int(3).unwrap_or_default(),
        state: crate::relay::state_name(int(6), int(7)).to_owned(),
        attempts: int(4).unwrap_or_default(),
        next_attempt_at_ms: int(5).unwrap_or_default(),
        delivered_at_ms: int(6),
        last_error: text(8),
    }
}

// A claim reads the due events with `FOR UPDATE SKIP LOCKED` and marks them in one
// transaction: servers sharing the journal take disjoint events.
impl RelayStore for MySql {
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
            .exec_drop(
                "INSERT INTO vngate_inbox (provider, account, method, received_at, size, \
                 sealed_data) VALUES (?, ?, ?, ?, ?, ?)",
                (provider, account, method, now, size, sealed),
            )
            .map_err(|e| store_error(&e))?;
        Ok(i64::try_from(self.conn.last_insert_id()).unwrap_or_default())
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
            .exec_drop(
                "UPDATE vngate_inbox SET verified = ?, reference = ?, error = ?, checked_at = ? \
                 WHERE id = ?",
                (verified, reference, error, now, id),
            )
            .map_err(|e| store_error(&e))
    }

    fn inbox_list(
        &mut self,
        verified: Option<bool>,
        limit: u32,
    ) -> Result<Vec<Inbound>, JournalError> {
        let condition = match verified {
            None => "TRUE",
            Some(true) => "verified",
            Some(false) => "NOT verified",
        };
        self.conn
            .query::<Row, _>(format!(
                "SELECT {INBOX_COLUMNS} FROM vngate_inbox WHERE {condition} \
                 ORDER BY id DESC LIMIT {limit}"
            ))
            .map(|rows| rows.iter().map(inbound).collect())
            .map_err(|e| store_error(&e))
    }

    fn inbox_sealed(&mut self, id: i64) -> Result<Option<(Inbound, Vec<u8>)>, JournalError> {
        self.conn
            .exec_first::<Row, _, _>(
                format!("SELECT {INBOX_COLUMNS}, sealed_data FROM vngate_inbox WHERE id = ?"),
                (id,),
            )
            .map(|row| {
                row.map(|row| {
                    let sealed = row
                        .get::<Option<Vec<u8>>, _>(10)
                        .flatten()
                        .unwrap_or_default();
                    (inbound(&row), sealed)
                })
            })
            .map_err(|e| store_error(&e))
    }

    fn outbox_insert(
        &mut self,
        id: &str,
        kind: &str,
        payload: &str,
        now: i64,
    ) -> Result<bool, JournalError> {
        self.conn
            .exec_drop(
                "INSERT IGNORE INTO vngate_outbox (id, type, payload, created_at, \
                 next_attempt_at) VALUES (?, ?, ?, ?, ?)",
                (id, kind, payload, now, now),
            )
            .map_err(|e| store_error(&e))?;
        Ok(self.conn.affected_rows() == 1)
    }

    fn outbox_claim(
        &mut self,
        instance: &str,
        now: i64,
        lease_ms: i64,
        limit: u32,
    ) -> Result<Vec<Outbound>, JournalError> {
        let mut tx = self
            .conn
            .start_transaction(TxOpts::default())
            .map_err(|e| store_error(&e))?;
        let due: Vec<Outbound> = tx
            .exec::<Row, _, _>(
                format!(
                    "SELECT {OUTBOX_COLUMNS} FROM vngate_outbox WHERE delivered_at IS NULL \
                     AND failed_at IS NULL AND next_attempt_at <= ? AND claimed_until <= ? \
                     ORDER BY created_at LIMIT {limit} FOR UPDATE SKIP LOCKED"
                ),
                (now, now),
            )
            .map_err(|e| store_error(&e))?
            .iter()
            .map(outbound)
            .collect();
        for event in &due {
            tx.exec_drop(
                "UPDATE vngate_outbox SET claimed_by = ?, claimed_until = ? WHERE id = ?",
                (instance, now.saturating_add(lease_ms), &event.id),
            )
            .map_err(|e| store_error(&e))?;
        }
        tx.commit().map_err(|e| store_error(&e))?;
        Ok(due)
    }

    fn outbox_attempted(
        &mut self,
        id: &str,
        attempt: &Attempt,
        next: Next,
    ) -> Result<(), JournalError> {
        let (delivered_at, failed_at, next_attempt_at) = crate::relay::columns_after(attempt, next);
        let mut tx = self
            .conn
            .start_transaction(TxOpts::default())
            .map_err(|e| store_error(&e))?;
        tx.exec_drop(
            "INSERT INTO vngate_deliveries (event_id, at, instance, status, error, duration_ms) \
             VALUES (?, ?, ?, ?, ?, ?)",
            (
                id,
                attempt.at_ms,
                &attempt.instance,
                attempt.status,
                &attempt.error,
                attempt.duration_ms,
            ),
        )
        .map_err(|e| store_error(&e))?;
        // MySQL assigns left to right, each seeing the ones before: failed_at reads
        // delivered_at before it changes.
        tx.exec_drop(
            "UPDATE vngate_outbox SET attempts = attempts + 1, last_error = ?, \
             failed_at = CASE WHEN delivered_at IS NULL THEN ? ELSE NULL END, \
             delivered_at = COALESCE(delivered_at, ?), \
             next_attempt_at = ?, claimed_by = NULL, claimed_until = 0 WHERE id = ?",
            (&attempt.error, failed_at, delivered_at, next_attempt_at, id),
        )
        .map_err(|e| store_error(&e))?;
        tx.commit().map_err(|e| store_error(&e))
    }

    fn outbox_ack(&mut self, id: &str, now: i64) -> Result<bool, JournalError> {
        self.conn
            .exec_drop(
                "UPDATE vngate_outbox SET delivered_at = ?, failed_at = NULL \
                 WHERE id = ? AND delivered_at IS NULL",
                (now, id),
            )
            .map_err(|e| store_error(&e))?;
        Ok(self.conn.affected_rows() == 1)
    }

    fn outbox_list(
        &mut self,
        state: Option<&str>,
        limit: u32,
    ) -> Result<Vec<Outbound>, JournalError> {
        let condition = crate::relay::state_condition(state)?;
        self.conn
            .query::<Row, _>(format!(
                "SELECT {OUTBOX_COLUMNS} FROM vngate_outbox WHERE {condition} \
                 ORDER BY created_at, id LIMIT {limit}"
            ))
            .map(|rows| rows.iter().map(outbound).collect())
            .map_err(|e| store_error(&e))
    }

    fn outbox_get(&mut self, id: &str) -> Result<Option<(Outbound, Vec<Attempt>)>, JournalError> {
        let Some(event) = self
            .conn
            .exec_first::<Row, _, _>(
                format!("SELECT {OUTBOX_COLUMNS} FROM vngate_outbox WHERE id = ?"),
                (id,),
            )
            .map_err(|e| store_error(&e))?
        else {
            return Ok(None);
        };
        let attempts = self
            .conn
            .exec::<Row, _, _>(
                "SELECT at, instance, status, error, duration_ms FROM vngate_deliveries \
                 WHERE event_id = ? ORDER BY at, seq",
                (id,),
            )
            .map_err(|e| store_error(&e))?
            .iter()
            .map(|row| {
                let int = |i: usize| row.get::<Option<i64>, _>(i).flatten();
                Attempt::new(
                    int(0).unwrap_or_default(),
                    &row.get::<Option<String>, _>(1)
                        .flatten()
                        .unwrap_or_default(),
                    int(2).and_then(|s| u16::try_from(s).ok()),
                    row.get::<Option<String>, _>(3).flatten(),
                    int(4).unwrap_or_default(),
                )
            })
            .collect();
        Ok(Some((outbound(&event), attempts)))
    }
}

impl Store for MySql {
    fn usable(&mut self, idle: std::time::Duration) -> bool {
        !FAILURES.unsure(&mut self.failures_seen, idle) || self.conn.ping().is_ok()
    }

    fn insert_sent(&mut self, new: &NewRecord<'_>) -> Result<Option<i64>, JournalError> {
        let inserted = self.batch(&format!(
            "START TRANSACTION; \
             INSERT INTO vngate_calls (provider, account, operation, reference, state, request, \
             sealed_request, created_at, updated_at, identity) \
             VALUES ({}, {}, {}, {}, 'sent', {}, {}, {now}, {now}, {}); \
             SET @vngate_id = LAST_INSERT_ID(); \
             INSERT INTO vngate_events (call_id, at, event, state) \
             VALUES (@vngate_id, {now}, 'sent', 'sent'); \
             COMMIT; \
             SELECT @vngate_id",
            text(Some(new.provider)),
            text(Some(new.account)),
            text(Some(new.operation)),
            text(Some(new.reference)),
            text(Some(new.request)),
            bytes(Some(new.sealed_request)),
            text(Some(new.identity)),
            now = new.now,
        ));
        match inserted {
            // The reference is already journaled: nothing inserted.
            Err(e) if is_duplicate(&e) => Ok(None),
            Err(e) => Err(store_error(&e)),
            Ok(id) => Ok(id),
        }
    }

    fn get(
        &mut self,
        provider: &str,
        account: &str,
        reference: &str,
    ) -> Result<Option<Record>, JournalError> {
        self.conn
            .exec_first::<Row, _, _>(
                format!(
                    "SELECT {COLUMNS} FROM vngate_calls WHERE provider = ? AND account = ? AND reference = ?"
                ),
                (provider, account, reference),
            )
            .map(|row| row.as_ref().map(record))
            .map_err(|e| store_error(&e))
    }

    fn get_by_provider_reference(
        &mut self,
        provider: &str,
        account: &str,
        provider_reference: &str,
    ) -> Result<Option<Record>, JournalError> {
        self.conn
            .exec_first::<Row, _, _>(
                format!(
                    "SELECT {COLUMNS} FROM vngate_calls WHERE provider = ? AND account = ? \
                     AND provider_reference = ? ORDER BY id LIMIT 1"
                ),
                (provider, account, provider_reference),
            )
            .map(|row| row.as_ref().map(record))
            .map_err(|e| store_error(&e))
    }

    fn change(
        &mut self,
        id: i64,
        from: &[State],
        change: &Change,
        now: i64,
    ) -> Result<bool, JournalError> {
        let error = match &change.error {
            ErrorChange::Keep => "error".to_owned(),
            ErrorChange::Clear => "NULL".to_owned(),
            ErrorChange::Set(error) => text(Some(error)),
        };
        let sealed_request = if change.erase_sealed_request {
            "NULL".to_owned()
        } else {
            format!(
                "COALESCE({}, sealed_request)",
                bytes(change.sealed_request.as_deref())
            )
        };
        let changed = self
            .batch(&format!(
                "START TRANSACTION; \
                 UPDATE vngate_calls SET \
                   state = COALESCE({state}, state), \
                   updated_at = {now}, \
                   sealed_request = {sealed_request}, \
                   sealed_answer = COALESCE({sealed_answer}, sealed_answer), \
                   error = {error}, \
                   provider_reference = COALESCE(provider_reference, {provider_reference}), \
                   attempts = attempts + {attempts}, \
                   next_attempt_at = COALESCE({next_attempt_at}, next_attempt_at), \
                   note = COALESCE({note}, note) \
                 WHERE id = {id} AND state IN ({states}); \
                 SET @vngate_changed = ROW_COUNT(); \
                 INSERT INTO vngate_events (call_id, at, event, state) \
                 SELECT id, {now}, {event}, state FROM vngate_calls \
                 WHERE id = {id} AND @vngate_changed = 1; \
                 COMMIT; \
                 SELECT @vngate_changed",
                state = text(change.state.map(State::as_str)),
                sealed_answer = bytes(change.sealed_answer.as_deref()),
                provider_reference = text(change.provider_reference.as_deref()),
                attempts = change.add_attempts,
                next_attempt_at = change
                    .next_attempt_at
                    .map_or("NULL".to_owned(), |at| at.to_string()),
                note = text(change.note.as_deref()),
                states = state_list(from),
                event = text(Some(change.event)),
            ))
            .map_err(|e| store_error(&e))?;
        Ok(changed == Some(1))
    }

    fn settle(&mut self, id: i64, now: i64) -> Result<bool, JournalError> {
        self.conn
            .exec_drop(
                "UPDATE vngate_calls SET settled_at = ? WHERE id = ? \
                 AND state IN ('succeeded', 'failed') AND settled_at IS NULL",
                (now, id),
            )
            .map_err(|e| store_error(&e))?;
        Ok(self.conn.affected_rows() == 1)
    }

    fn select(&mut self, filter: &Filter) -> Result<Vec<Record>, JournalError> {
        let (condition, bound) = filter.sql(|_| "?".to_owned());
        let params: Vec<Value> = bound
            .into_iter()
            .map(|value| match value {
                FilterValue::Text(text) => text.into(),
                FilterValue::Int(int) => int.into(),
            })
            .collect();
        self.conn
            .exec::<Row, _, _>(
                format!("SELECT {COLUMNS} FROM vngate_calls WHERE {condition}"),
                params,
            )
            .map(|rows| rows.iter().map(record).collect())
            .map_err(|e| store_error(&e))
    }

    fn events(&mut self, id: i64) -> Result<Vec<(i64, String, String)>, JournalError> {
        self.conn
            .exec(
                "SELECT at, event, state FROM vngate_events WHERE call_id = ? ORDER BY seq",
                (id,),
            )
            .map_err(|e| store_error(&e))
    }

    fn key_check(&mut self) -> Result<Option<Vec<u8>>, JournalError> {
        self.conn
            .query_first("SELECT sealed FROM vngate_key_check WHERE id = 1")
            .map_err(|e| store_error(&e))
    }

    fn set_key_check(&mut self, sealed: &[u8]) -> Result<bool, JournalError> {
        match self.conn.exec_drop(
            "INSERT INTO vngate_key_check (id, sealed) VALUES (1, ?)",
            (sealed,),
        ) {
            Ok(()) => Ok(true),
            Err(e) if is_duplicate(&e) => Ok(false),
            Err(e) => Err(store_error(&e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Opens with the default timeouts.
    fn open(url: &str, ca_file: Option<&str>) -> Result<MySql, JournalError> {
        MySql::open(url, ca_file, crate::ServerTimeouts::default())
    }

    /// The test server (`scripts/mariadb.sh`: TLS with the test CA's certificate for
    /// 127.0.0.1, and a user that may log in over TLS only), or `None` when there is none.
    fn server() -> Option<String> {
        let url = std::env::var("VNGATE_TEST_MYSQL").ok();
        if url.is_none() {
            println!("MariaDB skipped: VNGATE_TEST_MYSQL is not set");
        }
        url
    }

    fn test_ca() -> String {
        concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/data/test-ca.pem").to_owned()
    }

    /// Whether the store's own connection is encrypted, as the server sees it.
    fn encrypted(store: &mut MySql) -> bool {
        let row: Option<(String, String)> = store
            .conn
            .query_first("SHOW SESSION STATUS LIKE 'Ssl_cipher'")
            .unwrap();
        row.is_some_and(|(_, cipher)| !cipher.is_empty())
    }

    fn with(url: &str, mode: &str) -> String {
        let joiner = if url.contains('?') { '&' } else { '?' };
        format!("{url}{joiner}ssl-mode={mode}")
    }

    #[test]
    fn every_ssl_mode_does_what_the_mysql_client_says() {
        let Some(admin) = server() else { return };
        let ca = test_ca();
        // A managed database that forces TLS: its user refuses a connection in clear.
        let forced = admin.replacen("vngate:vngate@", "tlsonly:tlsonly@", 1);

        // DISABLED: in clear; refused where TLS is forced.
        assert!(!encrypted(
            &mut open(&with(&admin, "DISABLED"), None).unwrap()
        ));
        assert!(open(&with(&forced, "DISABLED"), None).is_err());
        // PREFERRED (the default) and REQUIRED: encrypted, the certificate not checked (a CA
        // no bundle has), and accepted where TLS is forced.
        assert!(encrypted(&mut open(&admin, None).unwrap()));
        assert!(encrypted(&mut open(&forced, None).unwrap()));
        assert!(encrypted(
            &mut open(&with(&forced, "REQUIRED"), None).unwrap()
        ));
        // VERIFY_CA and VERIFY_IDENTITY: the public roots do not know the test CA; ca_file or
        // the URL's ssl-ca does.
        for mode in ["VERIFY_CA", "VERIFY_IDENTITY"] {
            let refused = open(&with(&admin, mode), None)
                .err()
                .expect(mode)
                .to_string();
            assert!(refused.contains(&format!("ssl-mode={mode}")), "{refused}");
            assert!(
                encrypted(&mut open(&with(&admin, mode), Some(&ca)).unwrap()),
                "{mode}"
            );
            let url = format!("{}&ssl-ca={}", with(&admin, mode), ca.replace('/', "%2F"));
            assert!(encrypted(&mut open(&url, None).unwrap()), "{mode}");
        }
        // REQUIRED with a CA named checks the chain (as the MySQL client does): an unrelated
        // CA fails; PREFERRED never checks.
        let other = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../tests/data/untrusted-cert.pem"
        );
        assert!(open(&with(&admin, "REQUIRED"), Some(other)).is_err());
        assert!(open(&with(&admin, "PREFERRED"), Some(other)).is_ok());
        // A mode the client does not know is refused, naming the five; the password is never
        // quoted back.
        let refused = open(&with(&admin, "VERIFY"), None)
            .err()
            .unwrap()
            .to_string();
        assert!(refused.contains("VERIFY_IDENTITY"), "{refused}");
        let wrong = admin.replacen("vngate:vngate@", "vngate:not-the-password@", 1);
        let refused = open(&wrong, None).err().unwrap().to_string();
        assert!(!refused.contains("not-the-password"), "{refused}");
    }

    /// A fresh database on the test server, for one test.
    fn database(admin: &str, name: &str) -> String {
        let mut conn = Conn::new(mysql::Opts::from_url(admin).unwrap()).unwrap();
        let database = format!("vngate_unit_{name}_{}", std::process::id());
        conn.query_drop(format!("DROP DATABASE IF EXISTS {database}"))
            .unwrap();
        conn.query_drop(format!("CREATE DATABASE {database}"))
            .unwrap();
        let (base, _) = admin.rsplit_once('/').unwrap();
        format!("{base}/{database}")
    }

    #[test]
    fn migrations_run_once_and_a_newer_schema_is_refused() {
        let Some(admin) = server() else { return };
        let url = database(&admin, "migrations");
        let mut first = open(&url, None).unwrap();
        let version: Option<i64> = first
            .conn
            .query_first("SELECT version FROM vngate_meta")
            .unwrap();
        assert_eq!(version, Some(i64::try_from(MIGRATIONS.len()).unwrap()));
        // Opened again: nothing to migrate, and the records are where they were.
        let new = NewRecord {
            provider: "chargingws",
            account: "a",
            operation: "charge",
            reference: "r-1",
            request: "{}",
            sealed_request: b"sealed",
            identity: "chargingws https://x 1",
            now: 1,
        };
        let id = first.insert_sent(&new).unwrap().expect("inserted");
        assert_eq!(first.insert_sent(&new).unwrap(), None, "once per reference");
        let mut again = open(&url, None).unwrap();
        let record = again.get("chargingws", "a", "r-1").unwrap().expect("kept");
        assert_eq!((record.id, record.state), (id, State::Sent));
        assert_eq!(record.sealed_request.as_deref(), Some(&b"sealed"[..]));
        // A conditional change wins once, and counts as done even when its values are equal.
        let change = Change {
            state: Some(State::Pending),
            event: "answer",
            ..Change::default()
        };
        assert!(again.change(id, &[State::Sent], &change, 1).unwrap());
        assert!(!again.change(id, &[State::Sent], &change, 1).unwrap());
        assert!(again.change(id, &[State::Pending], &change, 1).unwrap());
        // Values travel as hexadecimal literals in one text batch: whatever they hold comes
        // back as it went.
        let odd = "it's \\' \"; DROP TABLE vngate_calls; -- thẻ cào ✓";
        let noted = Change {
            note: Some(odd.to_owned()),
            error: ErrorChange::Set(odd.to_owned()),
            sealed_answer: Some(vec![0, b'\'', 0xff, b'\\']),
            provider_reference: Some(odd.to_owned()),
            event: "answer",
            ..Change::default()
        };
        assert!(again.change(id, &[State::Pending], &noted, 2).unwrap());
        let record = again.get("chargingws", "a", "r-1").unwrap().expect("kept");
        assert_eq!(record.note.as_deref(), Some(odd));
        assert_eq!(record.error.as_deref(), Some(odd));
        assert_eq!(record.provider_reference.as_deref(), Some(odd));
        assert_eq!(record.sealed_answer, Some(vec![0, b'\'', 0xff, b'\\']));
        assert_eq!(record.state, State::Pending);
        assert_eq!(again.events(id).unwrap().len(), 4);
        // A schema from a newer vngate is refused, naming the versions.
        again
            .conn
            .query_drop("UPDATE vngate_meta SET version = 99")
            .unwrap();
        let refused = open(&url, None).err().unwrap().to_string();
        assert!(refused.contains("version 99"), "{refused}");
    }
}
