//! The PostgreSQL backend, for shops with several app servers: the same records and the same
//! conditional updates as SQLite (a row's `UPDATE … WHERE state IN (…)` is atomic under READ
//! COMMITTED: a second writer re-reads the row and finds it changed). Tables carry a `vngate_`
//! prefix, since the database is usually the app's own.

use std::time::Duration;

use postgres::types::ToSql;
use postgres::{Client, Row, Statement};

use crate::JournalError;
use crate::relay::{Attempt, Inbound, Next, Outbound, RelayStore};
use crate::store::{
    COLUMNS, Change, ErrorChange, Failures, Filter, FilterValue, NewRecord, Record, State, Store,
};

const MIGRATIONS: &[&str] = &[
    // 1: calls and their events.
    "CREATE TABLE vngate_calls (
        id BIGSERIAL PRIMARY KEY,
        provider TEXT NOT NULL,
        account TEXT NOT NULL,
        operation TEXT NOT NULL,
        reference TEXT NOT NULL,
        provider_reference TEXT,
        state TEXT NOT NULL,
        request TEXT NOT NULL,
        sealed_request BYTEA,
        sealed_answer BYTEA,
        error TEXT,
        note TEXT,
        attempts BIGINT NOT NULL DEFAULT 0,
        created_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL,
        next_attempt_at BIGINT NOT NULL DEFAULT 0,
        settled_at BIGINT,
        UNIQUE (provider, account, reference)
    );
    CREATE INDEX vngate_calls_open ON vngate_calls (state, next_attempt_at);
    CREATE INDEX vngate_calls_provider_reference ON vngate_calls (provider, account, provider_reference);
    CREATE TABLE vngate_events (
        seq BIGSERIAL PRIMARY KEY,
        call_id BIGINT NOT NULL REFERENCES vngate_calls (id),
        at BIGINT NOT NULL,
        event TEXT NOT NULL,
        state TEXT NOT NULL
    );
    CREATE INDEX vngate_events_call ON vngate_events (call_id);",
    // 2: the client identity that made a record; the sealing key's check value.
    "ALTER TABLE vngate_calls ADD COLUMN identity TEXT;
    CREATE TABLE vngate_key_check (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        sealed BYTEA NOT NULL
    );",
    // 3: the callback relay (as SQLite's).
    "CREATE TABLE vngate_inbox (
        id BIGSERIAL PRIMARY KEY,
        provider TEXT NOT NULL,
        account TEXT NOT NULL,
        method TEXT NOT NULL,
        received_at BIGINT NOT NULL,
        size BIGINT NOT NULL,
        sealed_data BYTEA NOT NULL,
        verified BOOLEAN,
        reference TEXT,
        error TEXT,
        checked_at BIGINT
    );
    CREATE TABLE vngate_outbox (
        id TEXT PRIMARY KEY,
        type TEXT NOT NULL,
        payload TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        next_attempt_at BIGINT NOT NULL,
        attempts BIGINT NOT NULL DEFAULT 0,
        delivered_at BIGINT,
        failed_at BIGINT,
        claimed_by TEXT,
        claimed_until BIGINT NOT NULL DEFAULT 0,
        last_error TEXT
    );
    CREATE INDEX vngate_outbox_due ON vngate_outbox (delivered_at, failed_at, next_attempt_at);
    CREATE TABLE vngate_deliveries (
        seq BIGSERIAL PRIMARY KEY,
        event_id TEXT NOT NULL REFERENCES vngate_outbox (id),
        at BIGINT NOT NULL,
        instance TEXT NOT NULL,
        status INTEGER,
        error TEXT,
        duration_ms BIGINT NOT NULL
    );
    CREATE INDEX vngate_deliveries_event ON vngate_deliveries (event_id);",
];

pub(crate) struct Postgres {
    client: Client,
    /// The money path's statements, prepared once per connection: a statement sent as text is
    /// prepared first, one more round trip every time.
    prepared: std::collections::HashMap<String, Statement>,
    /// [`FAILURES`] when this store was last checked.
    failures_seen: u64,
}

/// Statements that failed on PostgreSQL connections in this process.
static FAILURES: Failures = Failures::new();

fn store_error(e: &postgres::Error) -> JournalError {
    FAILURES.add();
    JournalError::Store(format!("postgresql: {}", reason(e)))
}

/// What went wrong: the crate says only "db error" for the server's own errors (a refused
/// login, too many connections, a failed statement); their message says which.
fn reason(e: &postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => db.message().to_owned(),
        None => e.to_string(),
    }
}

/// libpq's keepalive idle time, which the driver takes too when a URL names none.
const DEFAULT_KEEPALIVES_IDLE: Duration = Duration::from_secs(2 * 60 * 60);

/// Bounds the waits the URL leaves unbounded (libpq bounds none): the connection's (its
/// `connect_timeout`), and through TCP a server that stopped acknowledging what was sent
/// (`tcp_user_timeout`) or answering keepalives (probed after `keepalives_idle`, 2 hours by
/// default: a host that vanished while an answer was awaited was waited for that long). The
/// driver has no read timeout: a server that acknowledges but never answers is still waited
/// for.
fn bound_waits(config: &mut postgres::Config, timeouts: crate::ServerTimeouts) {
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(timeouts.connect);
    }
    if config.get_tcp_user_timeout().is_none() {
        config.tcp_user_timeout(timeouts.wait);
    }
    if config.get_keepalives_idle() == DEFAULT_KEEPALIVES_IDLE {
        // Probes every few seconds once idle a third of the wait (TCP counts both in whole
        // seconds): TCP gives up on the connection when the user timeout has passed without
        // an answer.
        let idle = (timeouts.wait.as_secs() / 3).max(1);
        config.keepalives_idle(Duration::from_secs(idle));
        if config.get_keepalives_interval().is_none() {
            config.keepalives_interval(Duration::from_secs((idle / 3).max(1)));
        }
    }
}

impl Postgres {
    /// Connects as the URL's `sslmode` says (libpq's five modes; default `prefer`), trusting
    /// the URL's `sslrootcert`, else `ca_file`, else `tls_roots`, as vngate's HTTPS does.
    pub(crate) fn open(
        url: &str,
        tls_roots: vngate::TlsRoots,
        ca_file: Option<&str>,
        timeouts: crate::ServerTimeouts,
    ) -> Result<Self, JournalError> {
        let (rest, mode, root_cert) = tls_params(url)?;
        // The URL may carry a password: never quote it back.
        let mut config: postgres::Config = rest.parse().map_err(|e| {
            JournalError::Config(format!("journal.path (a postgresql:// URL): {e}"))
        })?;
        bound_waits(&mut config, timeouts);
        config.ssl_mode(match mode {
            SslMode::Disable => postgres::config::SslMode::Disable,
            SslMode::Prefer => postgres::config::SslMode::Prefer,
            SslMode::Require | SslMode::VerifyCa | SslMode::VerifyFull => {
                postgres::config::SslMode::Require
            }
        });
        let connected = if mode == SslMode::Disable {
            config.connect(postgres::NoTls)
        } else {
            let roots = match (&root_cert, ca_file) {
                (Some(path), _) => vngate::trusted_roots(tls_roots, Some(path)),
                (None, file) => vngate::trusted_roots(tls_roots, file),
            }
            .map_err(|e| JournalError::Config(format!("journal: {e}")))?;
            // libpq: with a root certificate named, `require` checks the chain as `verify-ca`.
            let explicit = root_cert.is_some() || ca_file.is_some();
            let tls = tls::client_config(mode, roots, explicit)?;
            config.connect(tokio_postgres_rustls::MakeRustlsConnect::new(tls))
        };
        let client = connected.map_err(|e| {
            JournalError::Config(format!(
                "journal.path (a postgresql:// URL, sslmode={}): cannot connect: {}",
                mode.as_str(),
                reason(&e)
            ))
        })?;
        let mut store = Self {
            client,
            prepared: std::collections::HashMap::new(),
            failures_seen: FAILURES.count(),
        };
        store.migrate()?;
        Ok(store)
    }

    /// `sql` prepared on this connection, once.
    fn prepare(&mut self, sql: &str) -> Result<Statement, JournalError> {
        if let Some(statement) = self.prepared.get(sql) {
            return Ok(statement.clone());
        }
        let statement = self.client.prepare(sql).map_err(|e| store_error(&e))?;
        self.prepared.insert(sql.to_owned(), statement.clone());
        Ok(statement)
    }

    fn migrate(&mut self) -> Result<(), JournalError> {
        let mut tx = self.client.transaction().map_err(|e| store_error(&e))?;
        // One migrating process at a time, whatever the number of servers.
        tx.execute("SELECT pg_advisory_xact_lock(7340021)", &[])
            .map_err(|e| store_error(&e))?;
        tx.batch_execute("CREATE TABLE IF NOT EXISTS vngate_meta (version INTEGER NOT NULL)")
            .map_err(|e| store_error(&e))?;
        let version: i32 = tx
            .query_opt("SELECT version FROM vngate_meta", &[])
            .map_err(|e| store_error(&e))?
            .map_or(0, |row| row.get(0));
        let known = i32::try_from(MIGRATIONS.len()).unwrap_or(i32::MAX);
        if version > known {
            return Err(JournalError::Config(format!(
                "the journal's schema is version {version}, newer than this vngate knows ({known}): upgrade vngate"
            )));
        }
        for (index, migration) in MIGRATIONS
            .iter()
            .enumerate()
            .skip(usize::try_from(version).unwrap_or(0))
        {
            tx.batch_execute(migration).map_err(|e| store_error(&e))?;
            let next = i32::try_from(index + 1).unwrap_or(i32::MAX);
            tx.execute("DELETE FROM vngate_meta", &[])
                .map_err(|e| store_error(&e))?;
            tx.execute("INSERT INTO vngate_meta (version) VALUES ($1)", &[&next])
                .map_err(|e| store_error(&e))?;
        }
        tx.commit().map_err(|e| store_error(&e))
    }
}

/// libpq's `sslmode`: what TLS a connection needs and what it checks of the server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SslMode {
    /// No TLS.
    Disable,
    /// TLS when the server offers it, else in clear; the certificate is not checked.
    Prefer,
    /// TLS, or no connection; the certificate is not checked (unless a root certificate is
    /// named: then as `VerifyCa`).
    Require,
    /// TLS with a certificate signed by a trusted authority, for any name.
    VerifyCa,
    /// TLS with a trusted certificate for the host connected to.
    VerifyFull,
}

impl SslMode {
    fn parse(value: &str) -> Option<Self> {
        Some(match value {
            "disable" => Self::Disable,
            "prefer" => Self::Prefer,
            "require" => Self::Require,
            "verify-ca" => Self::VerifyCa,
            "verify-full" => Self::VerifyFull,
            _ => return None,
        })
    }

    fn as_str(self) -> &'static str {
        match self {
            Self::Disable => "disable",
            Self::Prefer => "prefer",
            Self::Require => "require",
            Self::VerifyCa => "verify-ca",
            Self::VerifyFull => "verify-full",
        }
    }
}

/// The URL without `sslmode` and `sslrootcert` (`postgres` knows three modes and no root
/// file), and their values; `sslrootcert=system` is the system's store (as libpq 16 reads
/// it), reported as `SSL_CERT_FILE`'s or the distribution's bundle by the caller.
fn tls_params(url: &str) -> Result<(String, SslMode, Option<String>), JournalError> {
    let (base, query) = url.split_once('?').unwrap_or((url, ""));
    let mut kept = Vec::new();
    let mut mode = SslMode::Prefer;
    let mut root_cert = None;
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        match key {
            "sslmode" => {
                mode = SslMode::parse(&crate::percent_decoded(value)).ok_or_else(|| {
                    JournalError::Config(
                        "journal.path: sslmode must be disable, prefer, require, verify-ca or \
                         verify-full"
                            .into(),
                    )
                })?;
            }
            "sslrootcert" => root_cert = Some(crate::percent_decoded(value)),
            _ => kept.push(pair),
        }
    }
    let rest = if kept.is_empty() {
        base.to_owned()
    } else {
        format!("{base}?{}", kept.join("&"))
    };
    Ok((rest, mode, root_cert))
}

/// rustls's client configuration for each mode.
mod tls {
    use std::sync::Arc;

    use rustls::client::WebPkiServerVerifier;
    use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
    use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
    use rustls::{
        CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
    };

    use super::SslMode;
    use crate::JournalError;

    pub(super) fn client_config(
        mode: SslMode,
        roots: Option<Vec<Vec<u8>>>,
        explicit_roots: bool,
    ) -> Result<ClientConfig, JournalError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| JournalError::Config(format!("journal: TLS: {e}")))?;
        let mut store = RootCertStore::empty();
        match roots {
            Some(certs) => {
                for cert in certs {
                    store
                        .add(CertificateDer::from(cert))
                        .map_err(|e| JournalError::Config(format!("journal: a CA: {e}")))?;
                }
            }
            None => store.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
        }
        let webpki = WebPkiServerVerifier::builder_with_provider(Arc::new(store), provider.clone())
            .build()
            .map_err(|e| JournalError::Config(format!("journal: TLS roots: {e}")))?;
        let verifier: Arc<dyn ServerCertVerifier> = match mode {
            SslMode::VerifyFull => webpki,
            SslMode::VerifyCa => Arc::new(Relaxed {
                webpki,
                chain: true,
            }),
            SslMode::Require if explicit_roots => Arc::new(Relaxed {
                webpki,
                chain: true,
            }),
            SslMode::Disable | SslMode::Prefer | SslMode::Require => Arc::new(Relaxed {
                webpki,
                chain: false,
            }),
        };
        Ok(builder
            .dangerous()
            .with_custom_certificate_verifier(verifier)
            .with_no_client_auth())
    }

    /// `verify-ca` (`chain`: the chain must lead to a trusted authority, for any name) and
    /// `prefer`/`require` (no `chain`: encrypted, the certificate not checked, libpq's meaning
    /// of those modes); the handshake's signatures are checked either way.
    #[derive(Debug)]
    struct Relaxed {
        webpki: Arc<WebPkiServerVerifier>,
        chain: bool,
    }

    impl ServerCertVerifier for Relaxed {
        fn verify_server_cert(
            &self,
            end_entity: &CertificateDer<'_>,
            intermediates: &[CertificateDer<'_>],
            server_name: &ServerName<'_>,
            ocsp: &[u8],
            now: UnixTime,
        ) -> Result<ServerCertVerified, rustls::Error> {
            if !self.chain {
                return Ok(ServerCertVerified::assertion());
            }
            match self
                .webpki
                .verify_server_cert(end_entity, intermediates, server_name, ocsp, now)
            {
                Err(rustls::Error::InvalidCertificate(
                    CertificateError::NotValidForName
                    | CertificateError::NotValidForNameContext { .. },
                )) => Ok(ServerCertVerified::assertion()),
                other => other,
            }
        }

        fn verify_tls12_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            self.webpki.verify_tls12_signature(message, cert, dss)
        }

        fn verify_tls13_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            self.webpki.verify_tls13_signature(message, cert, dss)
        }

        fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
            self.webpki.supported_verify_schemes()
        }
    }
}

fn record(row: &Row) -> Record {
    let state: String = row.get(6);
    Record {
        id: row.get(0),
        provider: row.get(1),
        account: row.get(2),
        operation: row.get(3),
        reference: row.get(4),
        provider_reference: row.get(5),
        state: State::parse(&state).unwrap_or(State::Unknown),
        request: row.get(7),
        error: row.get(8),
        note: row.get(9),
        attempts: row.get(10),
        created_at_ms: row.get(11),
        updated_at_ms: row.get(12),
        next_attempt_at_ms: row.get(13),
        settled_at_ms: row.get(14),
        sealed_request: row.get(15),
        sealed_answer: row.get(16),
        identity: row.get(17),
    }
}

const INBOX_COLUMNS: &str =
    "id, provider, account, method, received_at, size, verified, reference, error, checked_at";

fn inbound(row: &Row) -> Inbound {
    Inbound {
        id: row.get(0),
        provider: row.get(1),
        account: row.get(2),
        method: row.get(3),
        received_at_ms: row.get(4),
        size: row.get(5),
        verified: row.get(6),
        reference: row.get(7),
        error: row.get(8),
        checked_at_ms: row.get(9),
    }
}

const OUTBOX_COLUMNS: &str = "id, type, payload, created_at, attempts, next_attempt_at, \
     delivered_at, failed_at, last_error";

fn outbound(row: &Row) -> Outbound {
    let (delivered_at, failed_at): (Option<i64>, Option<i64>) = (row.get(6), row.get(7));
    Outbound {
        id: row.get(0),
        kind: row.get(1),
        payload: row.get(2),
        created_at_ms: row.get(3),
        state: crate::relay::state_name(delivered_at, failed_at).to_owned(),
        attempts: row.get(4),
        next_attempt_at_ms: row.get(5),
        delivered_at_ms: delivered_at,
        last_error: row.get(8),
    }
}

// One statement per step: a claim is a single `UPDATE … FOR UPDATE SKIP LOCKED`, so servers
// sharing the journal take disjoint events in one round trip each.
impl RelayStore for Postgres {
    fn inbox_insert(
        &mut self,
        provider: &str,
        account: &str,
        method: &str,
        sealed: &[u8],
        size: i64,
        now: i64,
    ) -> Result<i64, JournalError> {
        self.client
            .query_one(
                "INSERT INTO vngate_inbox (provider, account, method, received_at, size, \
                 sealed_data) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                &[&provider, &account, &method, &now, &size, &sealed],
            )
            .map(|row| row.get(0))
            .map_err(|e| store_error(&e))
    }

    fn inbox_checked(
        &mut self,
        id: i64,
        verified: bool,
        reference: Option<&str>,
        error: Option<&str>,
        now: i64,
    ) -> Result<(), JournalError> {
        self.client
            .execute(
                "UPDATE vngate_inbox SET verified = $2, reference = $3, error = $4, \
                 checked_at = $5 WHERE id = $1",
                &[&id, &verified, &reference, &error, &now],
            )
            .map(drop)
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
        self.client
            .query(
                &format!(
                    "SELECT {INBOX_COLUMNS} FROM vngate_inbox WHERE {condition} \
                     ORDER BY id DESC LIMIT {limit}"
                ),
                &[],
            )
            .map(|rows| rows.iter().map(inbound).collect())
            .map_err(|e| store_error(&e))
    }

    fn inbox_sealed(&mut self, id: i64) -> Result<Option<(Inbound, Vec<u8>)>, JournalError> {
        self.client
            .query_opt(
                &format!("SELECT {INBOX_COLUMNS}, sealed_data FROM vngate_inbox WHERE id = $1"),
                &[&id],
            )
            .map(|row| row.map(|row| (inbound(&row), row.get(10))))
            .map_err(|e| store_error(&e))
    }

    fn outbox_insert(
        &mut self,
        id: &str,
        kind: &str,
        payload: &str,
        now: i64,
    ) -> Result<bool, JournalError> {
        self.client
            .execute(
                "INSERT INTO vngate_outbox (id, type, payload, created_at, next_attempt_at) \
                 VALUES ($1, $2, $3, $4, $4) ON CONFLICT (id) DO NOTHING",
                &[&id, &kind, &payload, &now],
            )
            .map(|n| n == 1)
            .map_err(|e| store_error(&e))
    }

    fn outbox_claim(
        &mut self,
        instance: &str,
        now: i64,
        lease_ms: i64,
        limit: u32,
    ) -> Result<Vec<Outbound>, JournalError> {
        let until = now.saturating_add(lease_ms);
        self.client
            .query(
                &format!(
                    "UPDATE vngate_outbox SET claimed_by = $1, claimed_until = $2 WHERE id IN \
                     (SELECT id FROM vngate_outbox WHERE delivered_at IS NULL \
                      AND failed_at IS NULL AND next_attempt_at <= $3 AND claimed_until <= $3 \
                      ORDER BY created_at LIMIT {limit} FOR UPDATE SKIP LOCKED) \
                     RETURNING {OUTBOX_COLUMNS}"
                ),
                &[&instance, &until, &now],
            )
            .map(|rows| {
                let mut events: Vec<Outbound> = rows.iter().map(outbound).collect();
                events.sort_by_key(|e| e.created_at_ms);
                events
            })
            .map_err(|e| store_error(&e))
    }

    fn outbox_attempted(
        &mut self,
        id: &str,
        attempt: &Attempt,
        next: Next,
    ) -> Result<(), JournalError> {
        let (delivered_at, failed_at, next_attempt_at) = crate::relay::columns_after(attempt, next);
        let status = attempt.status.map(i32::from);
        let mut tx = self.client.transaction().map_err(|e| store_error(&e))?;
        tx.execute(
            "INSERT INTO vngate_deliveries (event_id, at, instance, status, error, duration_ms) \
             VALUES ($1, $2, $3, $4, $5, $6)",
            &[
                &id,
                &attempt.at_ms,
                &attempt.instance,
                &status,
                &attempt.error,
                &attempt.duration_ms,
            ],
        )
        .map_err(|e| store_error(&e))?;
        tx.execute(
            "UPDATE vngate_outbox SET attempts = attempts + 1, last_error = $2, \
             failed_at = CASE WHEN delivered_at IS NULL THEN $4::BIGINT ELSE NULL END, \
             delivered_at = COALESCE(delivered_at, $3::BIGINT), \
             next_attempt_at = $5, claimed_by = NULL, claimed_until = 0 WHERE id = $1",
            &[
                &id,
                &attempt.error,
                &delivered_at,
                &failed_at,
                &next_attempt_at,
            ],
        )
        .map_err(|e| store_error(&e))?;
        tx.commit().map_err(|e| store_error(&e))
    }

    fn outbox_ack(&mut self, id: &str, now: i64) -> Result<bool, JournalError> {
        self.client
            .execute(
                "UPDATE vngate_outbox SET delivered_at = $2, failed_at = NULL \
                 WHERE id = $1 AND delivered_at IS NULL",
                &[&id, &now],
            )
            .map(|n| n == 1)
            .map_err(|e| store_error(&e))
    }

    fn outbox_list(
        &mut self,
        state: Option<&str>,
        limit: u32,
    ) -> Result<Vec<Outbound>, JournalError> {
        let condition = crate::relay::state_condition(state)?;
        self.client
            .query(
                &format!(
                    "SELECT {OUTBOX_COLUMNS} FROM vngate_outbox WHERE {condition} \
                     ORDER BY created_at, id LIMIT {limit}"
                ),
                &[],
            )
            .map(|rows| rows.iter().map(outbound).collect())
            .map_err(|e| store_error(&e))
    }

    fn outbox_get(&mut self, id: &str) -> Result<Option<(Outbound, Vec<Attempt>)>, JournalError> {
        let Some(event) = self
            .client
            .query_opt(
                &format!("SELECT {OUTBOX_COLUMNS} FROM vngate_outbox WHERE id = $1"),
                &[&id],
            )
            .map_err(|e| store_error(&e))?
        else {
            return Ok(None);
        };
        let attempts = self
            .client
            .query(
                "SELECT at, instance, status, error, duration_ms FROM vngate_deliveries \
                 WHERE event_id = $1 ORDER BY at, seq",
                &[&id],
            )
            .map_err(|e| store_error(&e))?
            .iter()
            .map(|row| {
                let status: Option<i32> = row.get(2);
                Attempt::new(
                    row.get(0),
                    row.get::<_, &str>(1),
                    status.and_then(|s| u16::try_from(s).ok()),
                    row.get(3),
                    row.get(4),
                )
            })
            .collect();
        Ok(Some((outbound(&event), attempts)))
    }
}

impl Store for Postgres {
    fn usable(&mut self, idle: std::time::Duration) -> bool {
        let unsure = FAILURES.unsure(&mut self.failures_seen, idle);
        // A connection whose end the driver has read is known closed.
        !self.client.is_closed()
            && (!unsure || self.client.is_valid(crate::store::CHECK_TIMEOUT).is_ok())
    }

    fn insert_sent(&mut self, new: &NewRecord<'_>) -> Result<Option<i64>, JournalError> {
        // One statement, so one round trip and one commit: the record and its first event.
        let statement = self.prepare(
            "WITH call AS (\
               INSERT INTO vngate_calls (provider, account, operation, reference, state, \
               request, sealed_request, created_at, updated_at, identity) \
               VALUES ($1, $2, $3, $4, 'sent', $5, $6, $7, $7, $8) \
               ON CONFLICT (provider, account, reference) DO NOTHING RETURNING id), \
             event AS (\
               INSERT INTO vngate_events (call_id, at, event, state) \
               SELECT id, $7, 'sent', 'sent' FROM call) \
             SELECT id FROM call",
        )?;
        let row = self
            .client
            .query_opt(
                &statement,
                &[
                    &new.provider,
                    &new.account,
                    &new.operation,
                    &new.reference,
                    &new.request,
                    &new.sealed_request,
                    &new.now,
                    &new.identity,
                ],
            )
            .map_err(|e| store_error(&e))?;
        Ok(row.map(|row| row.get::<_, i64>(0)))
    }

    fn get(
        &mut self,
        provider: &str,
        account: &str,
        reference: &str,
    ) -> Result<Option<Record>, JournalError> {
        let statement = self.prepare(&format!(
            "SELECT {COLUMNS} FROM vngate_calls WHERE provider = $1 AND account = $2 AND reference = $3"
        ))?;
        self.client
            .query_opt(&statement, &[&provider, &account, &reference])
            .map(|row| row.as_ref().map(record))
            .map_err(|e| store_error(&e))
    }

    fn get_by_provider_reference(
        &mut self,
        provider: &str,
        account: &str,
        provider_reference: &str,
    ) -> Result<Option<Record>, JournalError> {
        self.client
            .query_opt(
                &format!(
                    "SELECT {COLUMNS} FROM vngate_calls WHERE provider = $1 AND account = $2 \
                     AND provider_reference = $3 ORDER BY id LIMIT 1"
                ),
                &[&provider, &account, &provider_reference],
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
        // One statement (one round trip, one commit): the conditional update and, when it
        // happened, its event.
        let statement = self.prepare(
            "WITH call AS (\
               UPDATE vngate_calls SET \
                 state = COALESCE($1::text, state), \
                 updated_at = $2, \
                 sealed_request = CASE WHEN $3 THEN NULL ELSE COALESCE($4::bytea, sealed_request) END, \
                 sealed_answer = COALESCE($5::bytea, sealed_answer), \
                 error = CASE WHEN $6 THEN $7::text ELSE error END, \
                 provider_reference = COALESCE(provider_reference, $8::text), \
                 attempts = attempts + $9, \
                 next_attempt_at = COALESCE($10::bigint, next_attempt_at), \
                 note = COALESCE($11::text, note) \
               WHERE id = $12 AND state = ANY($13::text[]) RETURNING id, state), \
             event AS (\
               INSERT INTO vngate_events (call_id, at, event, state) \
               SELECT id, $2, $14, state FROM call) \
             SELECT count(*) FROM call",
        )?;
        let error_set = !matches!(change.error, ErrorChange::Keep);
        let error = match &change.error {
            ErrorChange::Set(error) => Some(error.as_str()),
            _ => None,
        };
        let from: Vec<&str> = from.iter().map(|state| state.as_str()).collect();
        let changed: i64 = self
            .client
            .query_one(
                &statement,
                &[
                    &change.state.map(State::as_str),
                    &now,
                    &change.erase_sealed_request,
                    &change.sealed_request,
                    &change.sealed_answer,
                    &error_set,
                    &error,
                    &change.provider_reference,
                    &change.add_attempts,
                    &change.next_attempt_at,
                    &change.note,
                    &id,
                    &from,
                    &change.event,
                ],
            )
            .map_err(|e| store_error(&e))?
            .get(0);
        Ok(changed == 1)
    }

    fn settle(&mut self, id: i64, now: i64) -> Result<bool, JournalError> {
        let statement = self.prepare(
            "UPDATE vngate_calls SET settled_at = $2 WHERE id = $1 \
             AND state IN ('succeeded', 'failed') AND settled_at IS NULL",
        )?;
        let changed = self
            .client
            .execute(&statement, &[&id, &now])
            .map_err(|e| store_error(&e))?;
        Ok(changed == 1)
    }

    fn select(&mut self, filter: &Filter) -> Result<Vec<Record>, JournalError> {
        let (condition, bound) = filter.sql(|n| format!("${n}"));
        let sql = format!("SELECT {COLUMNS} FROM vngate_calls WHERE {condition}");
        let values: Vec<Box<dyn ToSql + Sync>> = bound
            .into_iter()
            .map(|value| -> Box<dyn ToSql + Sync> {
                match value {
                    FilterValue::Text(text) => Box::new(text),
                    FilterValue::Int(int) => Box::new(int),
                }
            })
            .collect();
        let params: Vec<&(dyn ToSql + Sync)> = values.iter().map(AsRef::as_ref).collect();
        self.client
            .query(&sql, &params)
            .map(|rows| rows.iter().map(record).collect())
            .map_err(|e| store_error(&e))
    }

    fn events(&mut self, id: i64) -> Result<Vec<(i64, String, String)>, JournalError> {
        self.client
            .query(
                "SELECT at, event, state FROM vngate_events WHERE call_id = $1 ORDER BY seq",
                &[&id],
            )
            .map(|rows| {
                rows.iter()
                    .map(|r| (r.get(0), r.get(1), r.get(2)))
                    .collect()
            })
            .map_err(|e| store_error(&e))
    }

    fn key_check(&mut self) -> Result<Option<Vec<u8>>, JournalError> {
        self.client
            .query_opt("SELECT sealed FROM vngate_key_check WHERE id = 1", &[])
            .map(|row| row.map(|row| row.get(0)))
            .map_err(|e| store_error(&e))
    }

    fn set_key_check(&mut self, sealed: &[u8]) -> Result<bool, JournalError> {
        self.client
            .execute(
                "INSERT INTO vngate_key_check (id, sealed) VALUES (1, $1) ON CONFLICT (id) DO NOTHING",
                &[&sealed],
            )
            .map(|inserted| inserted == 1)
            .map_err(|e| store_error(&e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The waits a URL leaves open are bounded by `server_timeout_ms`; one the URL sets is
    /// the URL's.
    #[test]
    fn a_connections_waits_are_bounded_unless_its_url_bounds_them() {
        let timeouts = crate::ServerTimeouts {
            connect: Duration::from_secs(4),
            wait: Duration::from_secs(12),
        };
        let bounded = |url: &str| {
            let mut config: postgres::Config = url.parse().unwrap();
            bound_waits(&mut config, timeouts);
            config
        };
        let config = bounded("postgresql://u@db.example/shop");
        assert_eq!(config.get_connect_timeout(), Some(&Duration::from_secs(4)));
        assert_eq!(
            config.get_tcp_user_timeout(),
            Some(&Duration::from_secs(12))
        );
        assert!(config.get_keepalives());
        assert_eq!(config.get_keepalives_idle(), Duration::from_secs(4));
        assert_eq!(
            config.get_keepalives_interval(),
            Some(Duration::from_secs(1))
        );
        // The driver reads `tcp_user_timeout` in seconds (libpq: milliseconds).
        let config = bounded(
            "postgresql://u@db.example/shop?connect_timeout=2&tcp_user_timeout=3\
             &keepalives_idle=60&keepalives_interval=20",
        );
        assert_eq!(config.get_connect_timeout(), Some(&Duration::from_secs(2)));
        assert_eq!(config.get_tcp_user_timeout(), Some(&Duration::from_secs(3)));
        assert_eq!(config.get_keepalives_idle(), Duration::from_secs(60));
        assert_eq!(
            config.get_keepalives_interval(),
            Some(Duration::from_secs(20))
        );
    }

    /// The test server (`scripts/postgres.sh`: TLS with the test CA's certificate for
    /// 127.0.0.1, and a role that may log in over TLS only), or `None` when there is none.
    fn server() -> Option<String> {
        let url = std::env::var("VNGATE_TEST_POSTGRES").ok();
        if url.is_none() {
            println!("PostgreSQL skipped: VNGATE_TEST_POSTGRES is not set");
        }
        url
    }

    fn test_ca() -> String {
        concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/data/test-ca.pem").to_owned()
    }

    /// Whether the store's own connection is encrypted, as the server sees it.
    fn encrypted(store: &mut Postgres) -> bool {
        store
            .client
            .query_one(
                "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
                &[],
            )
            .unwrap()
            .get(0)
    }

    fn open(url: &str, ca_file: Option<&str>) -> Result<Postgres, JournalError> {
        Postgres::open(
            url,
            vngate::TlsRoots::Bundled,
            ca_file,
            crate::ServerTimeouts::default(),
        )
    }

    #[test]
    fn every_sslmode_does_what_libpq_says() {
        let Some(admin) = server() else { return };
        let ca = test_ca();
        let with = |mode: &str| format!("{admin}?sslmode={mode}");
        // A managed database that forces TLS: its role refuses a connection in clear.
        let forced = admin.replacen("postgres@", "tlsonly@", 1);
        let forced_with = |mode: &str| format!("{forced}?sslmode={mode}");

        // disable: in clear; refused where TLS is forced.
        assert!(!encrypted(&mut open(&with("disable"), None).unwrap()));
        assert!(open(&forced_with("disable"), None).is_err());
        // prefer (the default) and require: encrypted, the certificate not checked (a CA no
        // bundle has), and accepted where TLS is forced.
        assert!(encrypted(&mut open(&admin, None).unwrap()));
        assert!(encrypted(&mut open(&with("prefer"), None).unwrap()));
        assert!(encrypted(&mut open(&forced_with("require"), None).unwrap()));
        assert!(encrypted(&mut open(&forced, None).unwrap()));
        // verify-ca and verify-full: the bundled roots do not know the test CA; ca_file or the
        // URL's sslrootcert does.
        for mode in ["verify-ca", "verify-full"] {
            let refused = open(&with(mode), None).err().expect(mode).to_string();
            assert!(refused.contains(&format!("sslmode={mode}")), "{refused}");
            assert!(
                encrypted(&mut open(&with(mode), Some(&ca)).unwrap()),
                "{mode}"
            );
            let url = format!("{}&sslrootcert={}", with(mode), ca.replace('/', "%2F"));
            assert!(encrypted(&mut open(&url, None).unwrap()), "{mode}");
        }
        // require with a root certificate named checks the chain (libpq): an unrelated CA fails.
        let other = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../tests/data/untrusted-cert.pem"
        );
        assert!(open(&with("require"), Some(other)).is_err());
        assert!(
            open(&with("prefer"), Some(other)).is_ok(),
            "prefer never checks"
        );
        // The name: the certificate is for 127.0.0.1 and localhost; reached under another name,
        // verify-full refuses and verify-ca accepts.
        let (_, rest) = admin.split_once('@').unwrap();
        let port = rest.split(['/', ':']).nth(1).unwrap();
        let renamed =
            format!("postgresql://postgres@wrong.example:{port}/postgres?hostaddr=127.0.0.1");
        assert!(open(&format!("{renamed}&sslmode=verify-full"), Some(&ca)).is_err());
        assert!(encrypted(
            &mut open(&format!("{renamed}&sslmode=verify-ca"), Some(&ca)).unwrap()
        ));
        // A mode libpq does not know is refused, naming the five.
        let refused = open(&with("verify"), None).err().unwrap().to_string();
        assert!(refused.contains("verify-full"), "{refused}");
    }
}
