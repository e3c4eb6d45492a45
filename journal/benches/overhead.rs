//! The journal's cost per money-moving call: the same chargingws charges against the in-process
//! simulator, plain and journaled (SQLite, and PostgreSQL when `VNGATE_TEST_POSTGRES` names a
//! server), interleaved rounds, medians. Run with `make bench` or
//! `cargo bench -p vngate-journal --bench overhead`. A benchmark, never a timed test.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;
use vngate::api::Client;
use vngate_journal::{Journal, JournalConfig, JournaledClient};
use vngate_sim::Sim;

const CALLS: usize = 300;

/// One way to make a charge.
type Charge = Box<dyn Fn(&str) -> Result<String, vngate::Error>>;
const ROUNDS: usize = 5;

fn main() {
    let sim = Sim::start();
    let config =
        json!({"base_url": sim.url(), "partner_id": "10001", "partner_key": "sim-s1-partner-key"})
            .to_string();
    let dir = std::env::temp_dir().join(format!("vngate-journal-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("key"), "42".repeat(32)).unwrap();
    let open = |path: String| {
        let mut journal = JournalConfig::new(path, "unused");
        journal.key_env = None;
        journal.key_file = Some(dir.join("key").to_str().unwrap().to_owned());
        Arc::new(Journal::open(journal).unwrap())
    };
    let mut fronts: Vec<(&str, Charge)> = Vec::new();
    let plain = Client::new("chargingws", &config).unwrap();
    fronts.push(("plain", Box::new(move |r| plain.call("charge", r))));
    let sqlite = JournaledClient::new(
        Client::new("chargingws", &config).unwrap(),
        open(dir.join("journal.db").to_str().unwrap().to_owned()),
    );
    fronts.push((
        "SQLite journal",
        Box::new(move |r| sqlite.call("charge", r)),
    ));
    match std::env::var("VNGATE_TEST_POSTGRES") {
        Ok(url) => {
            let postgres =
                JournaledClient::new(Client::new("chargingws", &config).unwrap(), open(url));
            fronts.push((
                "PostgreSQL journal",
                Box::new(move |r| postgres.call("charge", r)),
            ));
        }
        Err(_) => eprintln!(
            "(PostgreSQL: set VNGATE_TEST_POSTGRES to a server URL, e.g. from scripts/postgres.sh start DIR)"
        ),
    }
    let mut times: Vec<Vec<Duration>> = vec![Vec::new(); fronts.len()];
    let mut n = 0;
    for _ in 0..ROUNDS {
        for (i, (_, call)) in fronts.iter().enumerate() {
            let started = Instant::now();
            for _ in 0..CALLS {
                n += 1;
                let request = json!({"telco": "VIETTEL", "code": "312821445892981", "serial": "10004783347874",
                                     "amount": 50_000, "request_id": format!("bench-{n}")});
                call(&request.to_string()).unwrap();
            }
            times[i].push(started.elapsed() / u32::try_from(CALLS).unwrap());
        }
    }
    let median = |t: &mut Vec<Duration>| {
        t.sort();
        t[t.len() / 2]
    };
    let base = median(&mut times[0].clone());
    println!(
        "| money-moving call (chargingws charge, loopback simulator, fresh connection each) | per call | journal overhead |"
    );
    println!("|---|---|---|");
    for (i, (name, _)) in fronts.iter().enumerate() {
        let m = median(&mut times[i]);
        println!(
            "| {name} | {:.0} µs | {} |",
            m.as_secs_f64() * 1e6,
            if i == 0 {
                "—".to_owned()
            } else {
                format!("+{:.0} µs", (m.as_secs_f64() - base.as_secs_f64()) * 1e6)
            }
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
