//! A bounded load on loopback: clients on kept-alive connections send a mix of reads, top-ups
//! and card charges (settled by the simulator's callbacks, which come back through the
//! gateway's relay) at once; then nothing may be lost: every request answered, every money
//! call sent once and journaled, every charge's callback verified, every record settled and
//! told once. Latency percentiles are printed, not judged (speed is for `make bench`).
//!
//! `LOAD_REQUESTS` (default 1200) and `LOAD_CLIENTS` (default 16) size it; `make load` runs a
//! bigger one.

mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::json;
use vngate_sim::{Callbacks, Sim};

use common::{TOKEN, get, options, start_with};

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[test]
fn a_bounded_load_loses_nothing() {
    let requests = env("LOAD_REQUESTS", 1200);
    let clients = env("LOAD_CLIENTS", 16);
    let sim = Sim::start();
    let gateway = start_with(&sim, options());
    sim.set_callbacks(Callbacks {
        chargingws_url: Some(format!("{}/callbacks/chargingws/default", gateway.url)),
        delay_ms: 20,
        ..Callbacks::default()
    });
    let latencies: Arc<Mutex<Vec<(u8, Duration)>>> = Arc::default();
    let failures: Arc<Mutex<Vec<String>>> = Arc::default();
    let started = Instant::now();
    let per_client = requests / clients;
    let threads: Vec<_> = (0..clients)
        .map(|client| {
            let (url, latencies, failures) =
                (gateway.url.clone(), latencies.clone(), failures.clone());
            std::thread::spawn(move || {
                // One agent per client: its connection is kept alive between requests.
                let agent = common::agent();
                for i in 0..per_client {
                    let n = client * per_client + i;
                    let (kind, path, body) = match n % 3 {
                        0 => (0, "/v1/topup/balance", "{}".to_owned()),
                        1 => (
                            1,
                            "/v1/topup/topup",
                            json!({"phone": "0912345671", "amount": 10000,
                                   "client_trans_id": format!("load-t-{n}")})
                            .to_string(),
                        ),
                        _ => (
                            2,
                            "/v1/chargingws/charge",
                            json!({"telco": "VIETTEL", "code": format!("3{:013}1", n),
                                   "serial": format!("2{:013}", n), "amount": 10000,
                                   "request_id": format!("load-c-{n}")})
                            .to_string(),
                        ),
                    };
                    let sent = Instant::now();
                    let answer = agent
                        .post(&format!("{url}{path}"))
                        .header("authorization", &format!("Bearer {TOKEN}"))
                        .header("content-type", "application/json")
                        .send(body.as_bytes());
                    let status = answer.map(|mut r| {
                        let _ = r.body_mut().read_to_string();
                        r.status().as_u16()
                    });
                    latencies.lock().unwrap().push((kind, sent.elapsed()));
                    match status {
                        Ok(200) => {}
                        other => failures
                            .lock()
                            .unwrap()
                            .push(format!("{path} {n}: {other:?}")),
                    }
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
    let elapsed = started.elapsed();
    let failures = failures.lock().unwrap().clone();
    assert!(
        failures.is_empty(),
        "{} failed: {:?}",
        failures.len(),
        &failures[..failures.len().min(10)]
    );
    let sent = per_client * clients;
    let (topups, charges) = (
        (0..sent).filter(|n| n % 3 == 1).count(),
        (0..sent).filter(|n| n % 3 == 2).count(),
    );
    nothing_lost(&sim, &gateway.url, topups, charges);
    let mut by_kind: [Vec<Duration>; 3] = Default::default();
    for (kind, latency) in latencies.lock().unwrap().iter() {
        by_kind[usize::from(*kind)].push(*latency);
    }
    println!(
        "load: {sent} requests from {clients} kept-alive clients in {:.2} s ({:.0}/s); {topups} top-ups and {charges} charges sent once, {charges} callbacks verified, {} records settled and told once",
        elapsed.as_secs_f64(),
        sent as f64 / elapsed.as_secs_f64(),
        topups + charges
    );
    for (name, latencies) in ["read (balance)", "top-up (journaled)", "charge (journaled)"]
        .iter()
        .zip(by_kind.iter_mut())
    {
        percentiles(name, latencies);
    }
}

/// Prints p50, p90, p99 and the maximum of `latencies`.
fn percentiles(name: &str, latencies: &mut [Duration]) {
    latencies.sort();
    // The smallest latency at or above `per_mille` of them.
    let at = |per_mille: usize| {
        let index = (latencies.len() * per_mille)
            .div_ceil(1000)
            .clamp(1, latencies.len())
            - 1;
        latencies[index].as_secs_f64() * 1000.0
    };
    println!(
        "load: {name:<20} p50 {:>6.2} ms  p90 {:>6.2} ms  p99 {:>6.2} ms  max {:>6.2} ms",
        at(500),
        at(900),
        at(990),
        at(1000)
    );
}

/// Every money call sent once, every charge's callback verified, every record settled and
/// told once.
fn nothing_lost(sim: &Sim, url: &str, topups: usize, charges: usize) {
    // Sent once each: the simulator saw every money call exactly once.
    assert_eq!(sim.money_log().len(), topups + charges);
    // Every charge's callback came back through the relay and verified; every record is
    // final and told once.
    let wait = Instant::now();
    let settled = || {
        get(&format!(
            "{url}/v1/journal/records?state=succeeded&limit=100000"
        ))
        .1
        .as_array()
        .map_or(0, Vec::len)
    };
    while settled() < topups + charges {
        assert!(
            wait.elapsed() < Duration::from_secs(60),
            "records left unsettled: {}",
            settled()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let (_, verified) = get(&format!("{url}/v1/callbacks?verified=true&limit=100000"));
    assert_eq!(verified.as_array().unwrap().len(), charges);
    let (_, refused) = get(&format!("{url}/v1/callbacks?verified=false"));
    assert_eq!(refused.as_array().unwrap().len(), 0, "{refused}");
    let (_, events) = get(&format!("{url}/v1/events?limit=100000"));
    let settled_events = events
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == "money.settled")
        .count();
    assert_eq!(settled_events, topups + charges);
}
