//! The PostgreSQL backend, for shops with several app servers: the same records and the same
//! conditional updates as SQLite (a row's `UPDATE … WHERE state IN (…)` is atomic under READ
//! COMMITTED: a second writer re-reads the row and finds it changed). Tables carry a `vngate_`
//! prefix, since the database is usually the app's own.

use postgres::types::ToSql;
use postgres::{Client, NoTls, Row};

use crate::JournalError;
use crate::store::{
    COLUMNS, Change, ErrorChange, Filter, FilterValue, NewRecord, Record, State, Store, state_list,
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
];

pub(crate) struct Postgres {
    client: Client,
}

fn store_error(e: &postgres::Error) -> JournalError {
    JournalError::Store(format!("postgresql: {e}"))
}

impl Postgres {
    pub(crate) fn open(url: &str) -> Result<Self, JournalError> {
        // The URL may carry a password: never quote it back.
        let client = Client::connect(url, NoTls).map_err(|e| {
            JournalError::Config(format!(
                "journal.path (a postgresql:// URL): cannot connect: {e}"
            ))
        })?;
        let mut store = Self { client };
        store.migrate()?;
        Ok(store)
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

impl Store for Postgres {
    fn insert_intent(&mut self, new: &NewRecord<'_>) -> Result<Option<i64>, JournalError> {
        let mut tx = self.client.transaction().map_err(|e| store_error(&e))?;
        let row = tx
            .query_opt(
                "INSERT INTO vngate_calls (provider, account, operation, reference, state, request, \
                 sealed_request, created_at, updated_at, identity) \
                 VALUES ($1, $2, $3, $4, 'intent', $5, $6, $7, $7, $8) \
                 ON CONFLICT (provider, account, reference) DO NOTHING RETURNING id",
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
        let id = row.map(|row| row.get::<_, i64>(0));
        if let Some(id) = id {
            tx.execute(
                "INSERT INTO vngate_events (call_id, at, event, state) VALUES ($1, $2, 'intent', 'intent')",
                &[&id, &new.now],
            )
            .map_err(|e| store_error(&e))?;
        }
        tx.commit().map_err(|e| store_error(&e))?;
        Ok(id)
    }

    fn get(
        &mut self,
        provider: &str,
        account: &str,
        reference: &str,
    ) -> Result<Option<Record>, JournalError> {
        self.client
            .query_opt(
                &format!(
                    "SELECT {COLUMNS} FROM vngate_calls WHERE provider = $1 AND account = $2 AND reference = $3"
                ),
                &[&provider, &account, &reference],
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
        let mut tx = self.client.transaction().map_err(|e| store_error(&e))?;
        let error_set = !matches!(change.error, ErrorChange::Keep);
        let error = match &change.error {
            ErrorChange::Set(error) => Some(error.as_str()),
            _ => None,
        };
        let changed = tx
            .execute(
                &format!(
                    "UPDATE vngate_calls SET \
                       state = COALESCE($1::text, state), \
                       updated_at = $2, \
                       sealed_request = CASE WHEN $3 THEN NULL ELSE COALESCE($4::bytea, sealed_request) END, \
                       sealed_answer = COALESCE($5::bytea, sealed_answer), \
                       error = CASE WHEN $6 THEN $7::text ELSE error END, \
                       provider_reference = COALESCE(provider_reference, $8::text), \
                       attempts = attempts + $9, \
                       next_attempt_at = COALESCE($10::bigint, next_attempt_at), \
                       note = COALESCE($11::text, note) \
                     WHERE id = $12 AND state IN ({})",
                    state_list(from)
                ),
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
                ],
            )
            .map_err(|e| store_error(&e))?;
        if changed == 1 {
            tx.execute(
                "INSERT INTO vngate_events (call_id, at, event, state) \
                 SELECT id, $2, $3, state FROM vngate_calls WHERE id = $1",
                &[&id, &now, &change.event],
            )
            .map_err(|e| store_error(&e))?;
        }
        tx.commit().map_err(|e| store_error(&e))?;
        Ok(changed == 1)
    }

    fn settle(&mut self, id: i64, now: i64) -> Result<bool, JournalError> {
        let changed = self
            .client
            .execute(
                "UPDATE vngate_calls SET settled_at = $2 WHERE id = $1 \
                 AND state IN ('succeeded', 'failed') AND settled_at IS NULL",
                &[&id, &now],
            )
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
