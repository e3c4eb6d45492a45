//! Shared by the journal's tests: a journal in a fresh directory, clients on the simulator.

#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use serde_json::{Value, json};
use vngate::api::Client;
use vngate_journal::{Journal, JournalConfig, JournaledClient};
use vngate_sim::Sim;

pub const KEY_HEX: &str = "4f1c0e3b9a7d2c58e6f0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f6";

/// A fresh directory under cargo's scratch space for integration tests.
pub fn scratch(name: &str) -> PathBuf {
    static N: AtomicU32 = AtomicU32::new(0);
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "journal-{name}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A fresh database on the test server that `script` starts for `make test` (its admin URL in
/// `env`; why there is none in `env` without `TEST_`, with `_SKIPPED`), named for `name`, made
/// by `create(admin URL, database)`; the database's URL, or
/// `None`, saying why, when there is no server.
fn server_database(
    label: &str,
    env: &str,
    script: &str,
    name: &str,
    create: impl FnOnce(&str, &str),
) -> Option<String> {
    static N: AtomicU32 = AtomicU32::new(0);
    let Ok(admin) = std::env::var(env) else {
        match std::env::var(env.replacen("TEST_", "", 1) + "_SKIPPED") {
            Ok(why) => println!("{label} skipped: {why}"),
            Err(_) => println!(
                "{label} skipped: {env} is not set (make test starts a server with {script})"
            ),
        }
        return None;
    };
    let database = format!(
        "vngate_{name}_{}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    )
    .replace('-', "_");
    create(&admin, &database);
    let (base, _) = admin.rsplit_once('/').unwrap();
    Some(format!("{base}/{database}"))
}

/// A fresh database on the test PostgreSQL server (`VNGATE_TEST_POSTGRES`, an admin URL that
/// `scripts/postgres.sh` prints), as a URL; `None`, saying why, when there is no server.
pub fn postgres_database(name: &str) -> Option<String> {
    server_database(
        "PostgreSQL",
        "VNGATE_TEST_POSTGRES",
        "scripts/postgres.sh",
        name,
        |admin, database| {
            let mut client = postgres::Client::connect(admin, postgres::NoTls).unwrap();
            client
                .batch_execute(&format!("CREATE DATABASE {database}"))
                .unwrap();
        },
    )
}

/// A fresh database on the test MariaDB server (`VNGATE_TEST_MYSQL`, an admin URL that
/// `scripts/mariadb.sh` prints), as a URL; `None`, saying why, when there is no server.
pub fn mysql_database(name: &str) -> Option<String> {
    server_database(
        "MariaDB",
        "VNGATE_TEST_MYSQL",
        "scripts/mariadb.sh",
        name,
        |admin, database| {
            use mysql::prelude::Queryable;
            let mut conn = mysql::Conn::new(mysql::Opts::from_url(admin).unwrap()).unwrap();
            conn.query_drop(format!("CREATE DATABASE {database}"))
                .unwrap();
        },
    )
}

/// The journal config at `dir/journal.db`, its key in `dir/key`, no minimum age.
pub fn config(dir: &std::path::Path) -> JournalConfig {
    config_at(dir, None)
}

/// [`config`], with the store at `path` when given (a PostgreSQL URL).
pub fn config_at(dir: &std::path::Path, path: Option<&str>) -> JournalConfig {
    let key = dir.join("key");
    if !key.exists() {
        // Written aside and renamed: processes opening the journal together never read half.
        let aside = dir.join(format!("key.{}", std::process::id()));
        std::fs::write(&aside, KEY_HEX).unwrap();
        std::fs::rename(&aside, &key).unwrap();
    }
    let default = dir.join("journal.db");
    let mut config = JournalConfig::new(path.unwrap_or(default.to_str().unwrap()), "unused");
    config.key_env = None;
    config.key_file = Some(key.to_str().unwrap().to_owned());
    config.min_age_secs = 0;
    config.retry_base_secs = 0;
    config
}

pub fn journal(dir: &std::path::Path) -> Arc<Journal> {
    Arc::new(Journal::open(config(dir)).unwrap())
}

pub fn journal_at(dir: &std::path::Path, path: Option<&str>) -> Arc<Journal> {
    Arc::new(Journal::open(config_at(dir, path)).unwrap())
}

/// Every provider's config on the simulator, with `extra` keys merged in.
pub fn provider_config(sim: &Sim, provider: &str, extra: &Value) -> Value {
    let mut config = sim.client_config(provider);
    if let (Some(config), Some(extra)) = (config.as_object_mut(), extra.as_object()) {
        config.extend(extra.clone());
    }
    config
}

pub fn client(sim: &Sim, provider: &str, journal: &Arc<Journal>) -> JournaledClient {
    let config = provider_config(sim, provider, &json!({"timeout_ms": 2000}));
    JournaledClient::new(
        Client::new(provider, &config.to_string()).unwrap(),
        Arc::clone(journal),
    )
}

/// A chargingws card whose PIN ends in `last` (the simulator's fate: 1 succeeds, …).
pub fn card(request_id: &str, pin_last: char) -> Value {
    json!({"telco": "VIETTEL", "code": format!("31282144589298{pin_last}"), "serial": "10004783347874",
           "amount": 50_000, "request_id": request_id})
}

/// How many money-moving requests the simulator saw for `reference`.
pub fn sent(sim: &Sim, reference: &str) -> usize {
    sim.money_log()
        .iter()
        .filter(|line| line.ends_with(&format!(" {reference}")))
        .count()
}
