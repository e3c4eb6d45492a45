//! The journal across processes: `kill -9` at each point of a money-moving call, then a
//! reconcile from another process; and several processes charging and settling the same
//! references on one SQLite file. The children are this test binary run again with
//! `VNGATE_JOURNAL_ROLE` set (the ignored `child` entry below).

mod common;

use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{card, scratch, sent};
use serde_json::json;
use vngate::api::Client;
use vngate_journal::{Filter, Journal, JournaledClient, Stage, State};
use vngate_sim::{Callbacks, Faults, Sim};

fn spawn(role: &str, env: &[(&str, String)]) -> Child {
    let mut command = Command::new(std::env::current_exe().unwrap());
    command
        .args([
            "--exact",
            "child",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("VNGATE_JOURNAL_ROLE", role)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    for (name, value) in env {
        command.env(name, value);
    }
    command.spawn().unwrap()
}

/// Reads the child's stdout until a line starting with `prefix`; returns the lines read.
fn wait_for(child: &mut Child, prefix: &str) -> Vec<String> {
    let stdout = child.stdout.as_mut().unwrap();
    let mut lines = Vec::new();
    let mut reader = BufReader::new(stdout);
    loop {
        let mut line = String::new();
        assert!(
            reader.read_line(&mut line).unwrap() > 0,
            "the child ended before {prefix:?}: {lines:?}"
        );
        // libtest writes "test child ... " before the child's first line.
        let line = line
            .trim_end()
            .trim_start_matches("test child ... ")
            .to_owned();
        let done = line.starts_with(prefix);
        lines.push(line);
        if done {
            return lines;
        }
    }
}

fn chargingws(url: &str, timeout_ms: u64, journal: &Arc<Journal>) -> JournaledClient {
    let config = json!({"base_url": url, "partner_id": "10001", "partner_key": "sim-s1-partner-key",
                        "timeout_ms": timeout_ms});
    JournaledClient::new(
        Client::new("chargingws", &config.to_string()).unwrap(),
        Arc::clone(journal),
    )
}

fn state(journal: &Journal, reference: &str) -> State {
    journal
        .list(&Filter::default())
        .unwrap()
        .into_iter()
        .find(|r| r.reference == reference)
        .map_or_else(|| panic!("{reference} not journaled"), |r| r.state)
}

#[test]
fn kill_9_at_every_point_then_reconcile_sends_nothing_twice() {
    crash_table(None, "target/journal-crash.md");
}

#[test]
fn on_postgresql_kill_9_at_every_point_then_reconcile_sends_nothing_twice() {
    if let Some(url) = common::postgres_database("crash") {
        crash_table(Some(&url), "target/journal-crash-postgresql.md");
    }
}

#[test]
fn on_mariadb_kill_9_at_every_point_then_reconcile_sends_nothing_twice() {
    if let Some(url) = common::mysql_database("crash") {
        crash_table(Some(&url), "target/journal-crash-mariadb.md");
    }
}

fn crash_table(path: Option<&str>, report: &str) {
    let sim = Sim::start();
    sim.set_callbacks(Callbacks {
        delay_ms: 0,
        ..Callbacks::default()
    });
    let dir = scratch("crash");
    let journal = common::journal_at(&dir, path);
    let config_dir = dir.to_str().unwrap().to_owned();
    let mut table = String::from(
        "| kill point | state after restart | state after reconcile | charges the simulator received |\n|---|---|---|---|\n",
    );
    // (label, the stage the child stops at, whether it stops or keeps going into a slow reply)
    let points = [
        ("after \"sent\", before the first byte", "sent", true),
        ("in flight (request received, no reply yet)", "sent", false),
        ("after the reply, before it is recorded", "answered", true),
    ];
    for (n, (label, stage, stops)) in points.into_iter().enumerate() {
        let reference = format!("crash-{n}");
        sim.set_faults(Faults {
            latency_ms: if stops { 0 } else { 1_500 },
            ..Faults::default()
        });
        let mut child = spawn(
            "crash",
            &[
                ("VNGATE_SIM_URL", sim.url()),
                ("VNGATE_JOURNAL_DIR", config_dir.clone()),
                ("VNGATE_JOURNAL_PATH", path.unwrap_or_default().to_owned()),
                ("VNGATE_REFERENCE", reference.clone()),
                (
                    "VNGATE_STOP_AT",
                    if stops { stage.into() } else { "never".into() },
                ),
            ],
        );
        wait_for(&mut child, &format!("stage:{stage}"));
        if !stops {
            // Let the request reach the simulator, which holds its reply back.
            std::thread::sleep(Duration::from_millis(400));
        }
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        sim.set_faults(Faults::default());
        let after_restart = state(&journal, &reference);
        let client = chargingws(&sim.url(), 2_000, &journal);
        client.reconcile(&mut |_, _| {}).unwrap();
        let after_reconcile = state(&journal, &reference);
        let received = sent(&sim, &reference);
        let _ = writeln!(
            table,
            "| {label} | {after_restart} | {after_reconcile} | {received} |"
        );
        if n == 0 {
            // Nothing left, but the journal cannot know that: unknown, never failed.
            assert_eq!(
                (after_restart, after_reconcile, received),
                (State::Sent, State::Unknown, 0)
            );
        } else {
            assert_eq!(after_restart, State::Sent);
            assert_eq!(
                (after_reconcile, received),
                (State::Succeeded, 1),
                "{label}"
            );
        }
        // Calling again with the same reference never charges twice.
        let _ = client.call("charge", &card(&reference, '1').to_string());
        assert_eq!(sent(&sim, &reference), received, "{label}");
    }
    println!("{table}");
    let _ = std::fs::write(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("..")
            .join(report),
        &table,
    );
}

#[test]
fn processes_sharing_one_sqlite_file_charge_and_credit_each_reference_once() {
    shared_references(None, "SQLite, one file");
}

#[test]
fn processes_sharing_one_postgresql_charge_and_credit_each_reference_once() {
    if let Some(url) = common::postgres_database("processes") {
        shared_references(Some(&url), "PostgreSQL");
    }
}

#[test]
fn processes_sharing_one_mariadb_charge_and_credit_each_reference_once() {
    if let Some(url) = common::mysql_database("processes") {
        shared_references(Some(&url), "MariaDB");
    }
}

fn shared_references(path: Option<&str>, label: &str) {
    let sim = Sim::start();
    sim.set_callbacks(Callbacks {
        delay_ms: 50,
        ..Callbacks::default()
    });
    let dir = scratch("processes");
    // The children open the new journal together, as a pool of workers starting does; the
    // parent reads it only when they are done.
    let (processes, references) = (6, 25);
    let started = Instant::now();
    let mut children: Vec<Child> = (0..processes)
        .map(|_| {
            spawn(
                "worker",
                &[
                    ("VNGATE_SIM_URL", sim.url()),
                    ("VNGATE_JOURNAL_DIR", dir.to_str().unwrap().to_owned()),
                    ("VNGATE_JOURNAL_PATH", path.unwrap_or_default().to_owned()),
                    ("VNGATE_REFERENCES", references.to_string()),
                ],
            )
        })
        .collect();
    let mut credits = std::collections::HashMap::<String, usize>::new();
    let (mut calls, mut settlements) = (0, 0);
    for child in &mut children {
        for line in wait_for(child, "done") {
            if let Some(reference) = line.strip_prefix("credit ") {
                *credits.entry(reference.to_owned()).or_default() += 1;
            }
            if let Some(counts) = line.strip_prefix("done ") {
                let (c, s) = counts.split_once(' ').unwrap();
                calls += c.parse::<usize>().unwrap();
                settlements += s.parse::<usize>().unwrap();
            }
        }
        assert!(child.wait().unwrap().success());
    }
    let elapsed = started.elapsed();
    let journal = common::journal_at(&dir, path);
    let records = journal.list(&Filter::default()).unwrap();
    let mut anomalies = Vec::new();
    for i in 0..references {
        let reference = format!("shared-{i}");
        let charges = sent(&sim, &reference);
        let credited = credits.get(&reference).copied().unwrap_or(0);
        let record = records.iter().filter(|r| r.reference == reference).count();
        if (charges, credited, record) != (1, 1, 1) {
            anomalies.push(format!(
                "{reference}: {charges} charges, {credited} credits, {record} records"
            ));
        }
    }
    println!(
        "{label}: {processes} processes, {calls} calls, {settlements} settlements, \
         {references} references in {elapsed:?}: {} anomalies",
        anomalies.len()
    );
    assert!(anomalies.is_empty(), "{anomalies:#?}");
    assert_eq!(records.len(), references);
}

#[test]
fn worker_processes_opening_a_new_journal_at_once_all_succeed() {
    // A pool of workers starting together on a journal file nobody has created: the children
    // wait for one signal file, then open at the same instant. Switching a new file to WAL and
    // creating its tables meets locks SQLite refuses without waiting ("database is locked", seen
    // once from forked Python workers); the journal tries again until its busy timeout.
    let mut failures = Vec::new();
    for round in 0..4 {
        let dir = scratch(&format!("open-{round}"));
        common::config(&dir); // the key file, before the children read it
        let go = dir.join("go");
        let mut children: Vec<Child> = (0..8)
            .map(|_| {
                spawn(
                    "open",
                    &[
                        ("VNGATE_SIM_URL", String::new()),
                        ("VNGATE_JOURNAL_DIR", dir.to_str().unwrap().to_owned()),
                        ("VNGATE_GO", go.to_str().unwrap().to_owned()),
                    ],
                )
            })
            .collect();
        for child in &mut children {
            wait_for(child, "ready");
        }
        std::fs::write(&go, "").unwrap();
        for child in &mut children {
            let lines = wait_for(child, "opened");
            if let Some(line) = lines
                .iter()
                .find(|l| l.starts_with("opened ") && *l != "opened ok")
            {
                failures.push(line.clone());
            }
            child.wait().unwrap();
        }
    }
    assert!(failures.is_empty(), "{failures:?}");
}

/// The children's entry: does nothing unless run by the tests above.
#[test]
#[ignore = "a child process of the tests above"]
fn child() {
    let Ok(role) = std::env::var("VNGATE_JOURNAL_ROLE") else {
        return;
    };
    let url = std::env::var("VNGATE_SIM_URL").unwrap();
    let dir = std::path::PathBuf::from(std::env::var("VNGATE_JOURNAL_DIR").unwrap());
    if role == "open" {
        let go = std::path::PathBuf::from(std::env::var("VNGATE_GO").unwrap());
        let say = |line: &str| {
            let mut out = std::io::stdout().lock();
            writeln!(out, "{line}").unwrap();
            out.flush().unwrap();
        };
        say("ready");
        while !go.exists() {
            std::hint::spin_loop();
        }
        match Journal::open(common::config(&dir)) {
            Ok(_) => say("opened ok"),
            Err(e) => say(&format!("opened {e}")),
        }
        return;
    }
    let path = std::env::var("VNGATE_JOURNAL_PATH")
        .ok()
        .filter(|p| !p.is_empty());
    let journal = Arc::new(Journal::open(common::config_at(&dir, path.as_deref())).unwrap());
    let say = |line: &str| {
        let mut out = std::io::stdout().lock();
        writeln!(out, "{line}").unwrap();
        out.flush().unwrap();
    };
    match role.as_str() {
        "crash" => {
            let stop_at = std::env::var("VNGATE_STOP_AT").unwrap();
            let reference = std::env::var("VNGATE_REFERENCE").unwrap();
            let client = chargingws(&url, 5_000, &journal).with_hook(move |stage| {
                let name = match stage {
                    Stage::Sent => "sent",
                    _ => "answered",
                };
                say(&format!("stage:{name}"));
                if name == stop_at {
                    std::thread::sleep(Duration::from_secs(600)); // until SIGKILL
                }
            });
            let _ = client.call("charge", &card(&reference, '1').to_string());
            say("stage:end");
        }
        "worker" => {
            let references: usize = std::env::var("VNGATE_REFERENCES").unwrap().parse().unwrap();
            let client = chargingws(&url, 5_000, &journal);
            let (mut calls, mut settlements) = (0, 0);
            let mut credited = std::collections::HashSet::new();
            // Every process charges every reference, then checks and settles until each is
            // final: one charge and one credit per reference, whoever comes first.
            for round in 0..40 {
                for i in 0..references {
                    let reference = format!("shared-{i}");
                    if round > 0 && credited.contains(&reference) {
                        continue;
                    }
                    let _ = client.call("charge", &card(&reference, '1').to_string());
                    calls += 1;
                    let settlement = client.settle(&reference).unwrap();
                    settlements += 1;
                    if settlement.first {
                        say(&format!("credit {reference}"));
                    }
                    if settlement.state.is_final() {
                        credited.insert(reference);
                    }
                }
                if credited.len() == references {
                    break;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            say(&format!("done {calls} {settlements}"));
        }
        other => panic!("{other}"),
    }
}
