//! A journal on a database server opens more connections as its threads need them. A server
//! that refuses one (a role's connection limit, `max_connections` reached) must cost nothing
//! but waiting: the threads queue for the connections the journal has, and every call is
//! journaled and sent once. (Its own file: it installs a logger, which is process-wide.)

mod common;

use std::sync::{Barrier, Mutex};

use common::{card, client, scratch, sent};
use serde_json::Value;
use vngate_journal::{Filter, State};
use vngate_sim::Sim;

/// vngate's log lines.
static LINES: Mutex<Vec<String>> = Mutex::new(Vec::new());

struct Capture;

impl log::Log for Capture {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        metadata.target() == "vngate"
    }
    fn log(&self, record: &log::Record<'_>) {
        if self.enabled(record.metadata()) {
            let mut lines = LINES
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            lines.push(record.args().to_string());
        }
    }
    fn flush(&self) {}
}

/// The server allows this many connections to the journal's user.
const LIMIT: usize = 2;
const THREADS: usize = 16;

#[test]
fn on_postgresql_a_journal_refused_more_connections_queues_its_threads() {
    let Some(url) = common::postgres_database("limit") else {
        return;
    };
    let admin = std::env::var("VNGATE_TEST_POSTGRES").unwrap();
    let database = url.rsplit('/').next().unwrap();
    let role = format!("{database}_user");
    let mut server = postgres::Client::connect(&admin, postgres::NoTls).unwrap();
    server
        .batch_execute(&format!(
            "CREATE ROLE {role} LOGIN CONNECTION LIMIT {LIMIT}; \
             ALTER DATABASE {database} OWNER TO {role}"
        ))
        .unwrap();
    // The test server trusts loopback logins: the role needs no password.
    let limited = url.replacen("//postgres@", &format!("//{role}@"), 1);
    assert_ne!(limited, url, "the admin URL names its user: {url}");
    queues_its_threads(
        &limited,
        &format!("too many connections for role \"{role}\""),
    );
}

#[test]
fn on_mariadb_a_journal_refused_more_connections_queues_its_threads() {
    use mysql::prelude::Queryable;
    let Some(url) = common::mysql_database("limit") else {
        return;
    };
    let admin = std::env::var("VNGATE_TEST_MYSQL").unwrap();
    let database = url.rsplit('/').next().unwrap();
    let user = format!("{database}_user");
    let mut server = mysql::Conn::new(mysql::Opts::from_url(&admin).unwrap()).unwrap();
    server
        .query_drop(format!(
            "CREATE USER '{user}'@'127.0.0.1' IDENTIFIED BY 'limited' \
             WITH MAX_USER_CONNECTIONS {LIMIT}"
        ))
        .unwrap();
    server
        .query_drop(format!("GRANT ALL ON {database}.* TO '{user}'@'127.0.0.1'"))
        .unwrap();
    let (_, at) = url.split_once('@').unwrap();
    let limited = format!("mysql://{user}:limited@{at}");
    queues_its_threads(
        &limited,
        &format!("User '{user}' has exceeded the 'max_user_connections'"),
    );
}

/// 16 threads charge through one journal at once on `path`, whose server allows [`LIMIT`]
/// connections: every charge is sent once and recorded, and the journal said why it could not
/// open more (the server's refusal, `refusal`, which names the test's own user), without asking
/// again on every write.
fn queues_its_threads(path: &str, refusal: &str) {
    // Once per process: both tests may run in it.
    let _ = log::set_logger(&Capture);
    log::set_max_level(log::LevelFilter::Warn);
    let sim = Sim::start();
    let dir = scratch("limit");
    let journal = common::journal_at(&dir, Some(path));
    let client = client(&sim, "chargingws", &journal);
    let start = Barrier::new(THREADS);
    std::thread::scope(|scope| {
        for i in 0..THREADS {
            let (client, start) = (&client, &start);
            scope.spawn(move || {
                let request = card(&format!("limit-{i}"), '1');
                start.wait();
                let answer: Value =
                    serde_json::from_str(&client.call("charge", &request.to_string()).unwrap())
                        .unwrap();
                assert_eq!(answer["status"], 99, "{answer}");
            });
        }
    });
    let records = journal.list(&Filter::default()).unwrap();
    for i in 0..THREADS {
        let reference = format!("limit-{i}");
        assert_eq!(sent(&sim, &reference), 1, "{reference}");
        let record = records.iter().find(|r| r.reference == reference);
        assert_eq!(record.map(|r| r.state), Some(State::Pending), "{reference}");
    }
    let lines = LINES
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let refusals = lines
        .iter()
        .filter(|l| l.starts_with("journal: another connection") && l.contains(refusal))
        .count();
    assert!(refusals > 0, "no refused connection logged: {lines:#?}");
    // The threads that asked at once, at most: after a refusal the journal asks no more for a
    // while (without the pause, its 32 writes made 17 to 28 refusals).
    assert!(
        refusals <= THREADS - LIMIT,
        "{refusals} refusals: {lines:#?}"
    );
}
