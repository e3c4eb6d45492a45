//! The journal's cost per money-moving call: the same chargingws charges against the in-process
//! simulator, plain and journaled, on SQLite and on the servers named by `VNGATE_TEST_POSTGRES`
//! and `VNGATE_TEST_MYSQL` (`make bench` starts them syncing every commit, `DURABLE=1`).
//! Run with `make bench` or `cargo bench -p vngate-journal --bench overhead`. A benchmark,
//! never a timed test.
//!
//! 1. One thread: the time per call, plain and journaled, in interleaved rounds (medians), the
//!    overhead as a ratio to a bare `fdatasync` (4 KiB appended to a file beside the journal,
//!    measured in the same rounds).
//! 2. Counts per call: durable syncs (SQLite: `fsync`/`fdatasync` calls counted by `strace -f`;
//!    a server: its own count, `pg_stat_wal.wal_sync` or `Innodb_data_fsyncs`) and round
//!    trips to a server (counted by a proxy between the journal and the server: a turn is
//!    the client speaking after the server has), for one worker, 16 threads sharing one
//!    journal, and 16 processes with a journal each. What opening the journals costs is
//!    measured by the same run with no calls and taken off.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde_json::json;
use vngate::api::Client;
use vngate_journal::{Journal, JournalConfig, JournaledClient};
use vngate_sim::Sim;

/// Calls per front per round, and rounds, for the one-thread table.
const CALLS: usize = 300;
const ROUNDS: usize = 5;
/// Workers and calls per worker for the counts.
const WORKERS: usize = 16;
const WORKER_CALLS: usize = 40;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("run") => return run(&args[1..]),
        Some("worker") => return worker(&args[1..]),
        _ => {}
    }
    let sim = Sim::start();
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("journal-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let key = dir.join("key");
    std::fs::write(&key, "42".repeat(32)).unwrap();
    let mut backends = vec![Backend {
        name: "SQLite",
        path: dir.join("journal.db").to_str().unwrap().to_owned(),
        server: None,
    }];
    for (name, env, kind) in [
        ("PostgreSQL", "VNGATE_TEST_POSTGRES", Server::Postgres),
        ("MySQL", "VNGATE_TEST_MYSQL", Server::Mysql),
    ] {
        match std::env::var(env) {
            Ok(url) => backends.push(Backend {
                name,
                path: url,
                server: Some(kind),
            }),
            Err(_) => eprintln!(
                "({name}: set {env} to a server URL, e.g. from scripts/{}.sh start DIR)",
                if kind == Server::Postgres {
                    "postgres"
                } else {
                    "mariadb"
                }
            ),
        }
    }
    one_thread(&sim, &dir, &key, &backends);
    println!();
    counts(&sim, &dir, &key, &backends);
    let _ = std::fs::remove_dir_all(&dir);
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Server {
    Postgres,
    Mysql,
}

struct Backend {
    name: &'static str,
    path: String,
    server: Option<Server>,
}

fn open_journal(path: &str, key: &Path) -> Arc<Journal> {
    let mut journal = JournalConfig::new(path, "unused");
    journal.key_env = None;
    journal.key_file = Some(key.to_str().unwrap().to_owned());
    Arc::new(Journal::open(journal).unwrap())
}

fn chargingws(sim_url: &str) -> Client {
    let config =
        json!({"base_url": sim_url, "partner_id": "10001", "partner_key": "sim-s1-partner-key"});
    Client::new("chargingws", &config.to_string()).unwrap()
}

fn charge(call: &dyn Fn(&str) -> Result<String, vngate::Error>, reference: &str) {
    let request = json!({"telco": "VIETTEL", "code": "312821445892981", "serial": "10004783347874",
                         "amount": 50_000, "request_id": reference});
    call(&request.to_string()).unwrap();
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// 1. One thread, interleaved rounds.
fn one_thread(sim: &Sim, dir: &Path, key: &Path, backends: &[Backend]) {
    type Charge = Box<dyn Fn(&str) -> Result<String, vngate::Error>>;
    let mut fronts: Vec<(&str, Charge)> = Vec::new();
    let plain = chargingws(&sim.url());
    fronts.push(("plain", Box::new(move |r| plain.call("charge", r))));
    for backend in backends {
        let journaled =
            JournaledClient::new(chargingws(&sim.url()), open_journal(&backend.path, key));
        fronts.push((backend.name, Box::new(move |r| journaled.call("charge", r))));
    }
    let mut probe = std::fs::File::create(dir.join("fsync-probe")).unwrap();
    let mut per_call: Vec<Vec<f64>> = vec![Vec::new(); fronts.len()];
    let mut fsyncs = Vec::new();
    let run = std::process::id();
    let mut n = 0;
    for _ in 0..ROUNDS {
        for (i, (_, call)) in fronts.iter().enumerate() {
            let started = Instant::now();
            for _ in 0..CALLS {
                n += 1;
                charge(call.as_ref(), &format!("bench-{run}-{n}"));
            }
            per_call[i].push(started.elapsed().as_secs_f64() / CALLS as f64);
        }
        let started = Instant::now();
        for _ in 0..CALLS {
            probe.write_all(&[0x5a; 4096]).unwrap();
            probe.sync_data().unwrap();
        }
        fsyncs.push(started.elapsed().as_secs_f64() / CALLS as f64);
    }
    let fsync = median(fsyncs);
    let base = median(per_call[0].clone());
    println!(
        "| money-moving call, one thread (chargingws charge, loopback simulator, a fresh \
         connection each; median of {ROUNDS} rounds of {CALLS}) | per call | journal overhead | \
         overhead ÷ one bare fdatasync ({:.0} µs) |",
        fsync * 1e6
    );
    println!("|---|---|---|---|");
    for (i, (name, _)) in fronts.iter().enumerate() {
        let m = median(per_call[i].clone());
        let (over, ratio) = if i == 0 {
            ("—".to_owned(), "—".to_owned())
        } else {
            (
                format!("+{:.0} µs", (m - base) * 1e6),
                format!("{:.2}", (m - base) / fsync),
            )
        };
        println!("| {name} | {:.0} µs | {over} | {ratio} |", m * 1e6);
    }
}

/// 2. Syncs and round trips per call.
fn counts(sim: &Sim, dir: &Path, key: &Path, backends: &[Backend]) {
    let strace = Command::new("strace").arg("-V").output().is_ok();
    if !strace {
        eprintln!("(SQLite's syncs: strace is not installed; `make bench` installs it)");
    }
    println!("| per money-moving call | workers | syncs | round trips to the server | calls/s |");
    println!("|---|---|---|---|---|");
    for backend in backends {
        for (kind, workers, label) in [
            ("threads", 1, "1"),
            ("threads", WORKERS, "16 threads, one journal"),
            ("processes", WORKERS, "16 processes, a journal each"),
        ] {
            let proxy = backend.server.map(|_| Proxy::start(&backend.path));
            let path = proxy
                .as_ref()
                .map_or(backend.path.clone(), |p| p.url.clone());
            let mut measured = Vec::new();
            for calls in [0, WORKER_CALLS] {
                let syncs_before = backend.server.map(|s| server_syncs(s, &backend.path));
                let trips_before = proxy.as_ref().map(Proxy::turns);
                let trace = dir.join("strace.txt");
                let mut command = if strace && backend.server.is_none() {
                    let mut c = Command::new("strace");
                    // Only the syncs stop the process (seccomp): the rest runs at full speed.
                    c.args([
                        "-f",
                        "--seccomp-bpf",
                        "-c",
                        "-e",
                        "trace=fsync,fdatasync",
                        "-o",
                    ])
                    .arg(&trace)
                    .arg(std::env::current_exe().unwrap());
                    c
                } else {
                    Command::new(std::env::current_exe().unwrap())
                };
                let started = Instant::now();
                let status = command
                    .args(["run", &sim.url(), &path, key.to_str().unwrap(), kind])
                    .arg(workers.to_string())
                    .arg(calls.to_string())
                    .status()
                    .unwrap();
                let elapsed = started.elapsed();
                assert!(status.success(), "{} {kind} {workers}", backend.name);
                let syncs = match backend.server {
                    Some(server) => {
                        // The server's statistics are written when its backends end.
                        std::thread::sleep(Duration::from_millis(1_500));
                        Some(server_syncs(server, &backend.path) - syncs_before.unwrap())
                    }
                    None if strace => Some(strace_syncs(&trace)),
                    None => None,
                };
                let trips = proxy.as_ref().map(|p| p.turns() - trips_before.unwrap());
                measured.push((syncs, trips, elapsed));
            }
            let calls = (workers * WORKER_CALLS) as f64;
            let per_call = |with: Option<u64>, without: Option<u64>| match (with, without) {
                (Some(with), Some(without)) => {
                    format!("{:.2}", with.saturating_sub(without) as f64 / calls)
                }
                _ => "—".to_owned(),
            };
            let rate =
                calls / (measured[1].2.as_secs_f64() - measured[0].2.as_secs_f64()).max(1e-6);
            println!(
                "| {} | {label} | {} | {} | {rate:.0} |",
                backend.name,
                per_call(measured[1].0, measured[0].0),
                per_call(measured[1].1, measured[0].1),
            );
        }
    }
}

/// `fsync` and `fdatasync` calls in an `strace -c` summary.
fn strace_syncs(trace: &Path) -> u64 {
    std::fs::read_to_string(trace)
        .unwrap()
        .lines()
        .filter(|line| line.ends_with(" fsync") || line.ends_with(" fdatasync"))
        .map(|line| {
            line.split_whitespace()
                .nth(3)
                .unwrap()
                .parse::<u64>()
                .unwrap()
        })
        .sum()
}

/// The server's count of log syncs so far.
fn server_syncs(server: Server, url: &str) -> u64 {
    match server {
        Server::Postgres => {
            let mut client = postgres::Client::connect(url, postgres::NoTls).unwrap();
            let syncs: i64 = client
                .query_one("SELECT wal_sync FROM pg_stat_wal", &[])
                .unwrap()
                .get(0);
            u64::try_from(syncs).unwrap()
        }
        Server::Mysql => {
            use mysql::prelude::Queryable as _;
            let mut conn = mysql::Conn::new(mysql::Opts::from_url(url).unwrap()).unwrap();
            let row: Option<(String, u64)> = conn
                .query_first("SHOW GLOBAL STATUS LIKE 'Innodb_data_fsyncs'")
                .unwrap();
            row.unwrap().1
        }
    }
}

/// In a child process: `kind` (threads or processes) × `workers`, each making `calls` charges.
fn run(args: &[String]) {
    let [sim_url, path, key, kind, workers, calls] = args else {
        panic!("run SIM_URL PATH KEY KIND WORKERS CALLS");
    };
    let workers: usize = workers.parse().unwrap();
    if kind == "processes" {
        let children: Vec<_> = (0..workers)
            .map(|w| {
                Command::new(std::env::current_exe().unwrap())
                    .args(["worker", sim_url, path, key, calls])
                    .arg(w.to_string())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for mut child in children {
            assert!(child.wait().unwrap().success());
        }
        return;
    }
    let journaled = Arc::new(JournaledClient::new(
        chargingws(sim_url),
        open_journal(path, Path::new(key)),
    ));
    let calls: usize = calls.parse().unwrap();
    let threads: Vec<_> = (0..workers)
        .map(|w| {
            let journaled = Arc::clone(&journaled);
            std::thread::spawn(move || {
                let call = |r: &str| journaled.call("charge", r);
                for n in 0..calls {
                    charge(&call, &format!("count-{}-{w}-{n}", std::process::id()));
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
}

/// In a child process of `run processes`: one journal, `calls` charges.
fn worker(args: &[String]) {
    let [sim_url, path, key, calls, w] = args else {
        panic!("worker SIM_URL PATH KEY CALLS W");
    };
    let journaled = JournaledClient::new(chargingws(sim_url), open_journal(path, Path::new(key)));
    let call = |r: &str| journaled.call("charge", r);
    for n in 0..calls.parse::<usize>().unwrap() {
        charge(&call, &format!("count-{}-{w}-{n}", std::process::id()));
    }
}

/// A TCP proxy in front of a database server that counts round trips: a turn is counted each
/// time a client sends after the server has sent (or first) on its connection.
struct Proxy {
    url: String,
    turns: Arc<AtomicU64>,
}

impl Proxy {
    fn start(server_url: &str) -> Self {
        let (head, rest) = server_url.rsplit_once('@').unwrap();
        let (address, tail) = rest.split_once('/').unwrap();
        let upstream = address.to_owned();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("{head}@{}/{tail}", listener.local_addr().unwrap());
        let turns = Arc::new(AtomicU64::new(0));
        let counted = Arc::clone(&turns);
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { continue };
                let server = TcpStream::connect(&upstream).unwrap();
                let _ = (client.set_nodelay(true), server.set_nodelay(true));
                // Whether the last bytes on this connection came from the server.
                let server_spoke = Arc::new(AtomicBool::new(true));
                let pipe = |mut from: TcpStream, mut to: TcpStream, from_client: bool| {
                    let (server_spoke, turns) = (Arc::clone(&server_spoke), Arc::clone(&counted));
                    std::thread::spawn(move || {
                        let mut buffer = vec![0u8; 65536];
                        loop {
                            let n = match from.read(&mut buffer) {
                                Ok(0) | Err(_) => break,
                                Ok(n) => n,
                            };
                            if from_client {
                                if server_spoke.swap(false, Ordering::SeqCst) {
                                    turns.fetch_add(1, Ordering::SeqCst);
                                }
                            } else {
                                server_spoke.store(true, Ordering::SeqCst);
                            }
                            if to.write_all(&buffer[..n]).is_err() {
                                break;
                            }
                        }
                        let _ = to.shutdown(std::net::Shutdown::Both);
                    });
                };
                pipe(
                    client.try_clone().unwrap(),
                    server.try_clone().unwrap(),
                    true,
                );
                pipe(server, client, false);
            }
        });
        Self { url, turns }
    }

    fn turns(&self) -> u64 {
        self.turns.load(Ordering::SeqCst)
    }
}
