//! A journal's connections to a database server. It opens more as its threads need them: a
//! server that refuses one (a role's connection limit, `max_connections` reached) must cost
//! nothing but waiting, the threads queueing for the connections the journal has. And a
//! connection the server closes (a restart, `wait_timeout` or `idle_session_timeout`, a proxy
//! dropping idle connections) is replaced: a long-lived process (a queue worker, a web app's
//! worker, `vngate serve`) must not fail every call from then on. (Its own file: it installs a
//! logger, which is process-wide.)

mod common;

use std::sync::{Barrier, Mutex};
use std::time::Duration;

use common::{card, client, scratch, sent};
use serde_json::Value;
use vngate_journal::{Filter, JournaledClient, State};
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

/// A MySQL server that accepted the connection and then said nothing (hung, or a port that
/// is something else's): the handshake waits for its greeting, and the journal waits no longer
/// than `server_timeout_ms`. Before, it waited forever (a PHP worker with it).
#[test]
fn on_mysql_a_server_that_never_answers_is_waited_for_no_longer_than_its_timeout() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    // Accepts, and keeps the connection open without a word until the journal gave up (or,
    // should it not, for 10 s: then the journal's wait shows in the assertion below).
    let (gave_up, wait) = std::sync::mpsc::channel::<()>();
    let silent = std::thread::spawn(move || {
        let (connection, _) = listener.accept().unwrap();
        let _ = wait.recv_timeout(Duration::from_secs(10));
        drop(connection);
    });
    let dir = scratch("silent-server");
    let url = format!("mysql://vngate:hunter2@127.0.0.1:{port}/journal?ssl-mode=DISABLED");
    let mut config = common::config_at(&dir, Some(&url));
    config.server_timeout_ms = 300;
    let started = std::time::Instant::now();
    let Err(error) = vngate_journal::Journal::open(config) else {
        panic!("a journal opened on a server that never answered");
    };
    let waited = started.elapsed();
    drop(gave_up);
    assert!(
        waited < Duration::from_secs(4),
        "waited {waited:?}: {error}"
    );
    let error = error.to_string();
    assert!(error.contains("cannot connect"), "{error}");
    assert!(
        !error.contains("hunter2"),
        "the password is not quoted back: {error}"
    );
    silent.join().unwrap();
}

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

#[test]
fn on_postgresql_a_journal_replaces_a_connection_the_server_closed() {
    let Some(url) = common::postgres_database("closed") else {
        return;
    };
    let admin = std::env::var("VNGATE_TEST_POSTGRES").unwrap();
    let database = url.rsplit('/').next().unwrap().to_owned();
    replaces_closed_connections(&url, move || {
        // As a server restart or an idle timeout does: the server ends the session.
        let mut server = postgres::Client::connect(&admin, postgres::NoTls).unwrap();
        let ended: i64 = server
            .query_one(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity \
                 WHERE datname = $1 AND pid <> pg_backend_pid()",
                &[&database],
            )
            .unwrap()
            .get(0);
        usize::try_from(ended).unwrap()
    });
}

#[test]
fn on_mariadb_a_journal_replaces_a_connection_the_server_closed() {
    use mysql::prelude::Queryable;
    let Some(url) = common::mysql_database("closed") else {
        return;
    };
    let admin = std::env::var("VNGATE_TEST_MYSQL").unwrap();
    let database = url.rsplit('/').next().unwrap().to_owned();
    replaces_closed_connections(&url, move || {
        let mut server = mysql::Conn::new(mysql::Opts::from_url(&admin).unwrap()).unwrap();
        let ids: Vec<u64> = server
            .exec(
                "SELECT id FROM information_schema.processlist WHERE db = ? AND id <> CONNECTION_ID()",
                (&database,),
            )
            .unwrap();
        for id in &ids {
            server.query_drop(format!("KILL CONNECTION {id}")).unwrap();
        }
        ids.len()
    });
}

/// A charge through a journal on `path`, then the server closes the journal's connection
/// (`close`, which says how many it closed): the next charge, a while later, is journaled and
/// sent on a new connection. Closed again and used at once: that charge fails before anything
/// is sent, and the next one goes through.
fn replaces_closed_connections(path: &str, close: impl Fn() -> usize) {
    let sim = Sim::start();
    let dir = scratch("closed");
    let journal = common::journal_at(&dir, Some(path));
    let client = client(&sim, "chargingws", &journal);
    let charge = |client: &JournaledClient, reference: &str| {
        client
            .call("charge", &card(reference, '1').to_string())
            .map(|answer| serde_json::from_str::<Value>(&answer).unwrap()["status"].clone())
    };
    assert_eq!(charge(&client, "closed-0").unwrap(), 99);
    assert_eq!(close(), 1, "the journal's one connection");
    // Unused for longer than the journal trusts an idle connection: checked, and replaced.
    std::thread::sleep(Duration::from_millis(5_200));
    assert_eq!(charge(&client, "closed-1").unwrap(), 99);
    assert_eq!(close(), 1);
    let failed = charge(&client, "closed-2").expect_err("its connection was closed just now");
    // Not "outcome unknown": the journal's write before the request failed, so nothing left.
    assert!(
        matches!(&failed, vngate::Error::Transport { reason } if reason.starts_with("journal: ")),
        "{failed:?}"
    );
    assert_eq!(charge(&client, "closed-3").unwrap(), 99);
    for (reference, times) in [
        ("closed-0", 1),
        ("closed-1", 1),
        ("closed-2", 0),
        ("closed-3", 1),
    ] {
        assert_eq!(sent(&sim, reference), times, "{reference}");
    }
    let records = journal.list(&Filter::default()).unwrap();
    for reference in ["closed-0", "closed-1", "closed-3"] {
        let record = records.iter().find(|r| r.reference == reference);
        assert_eq!(record.map(|r| r.state), Some(State::Pending), "{reference}");
    }
}
