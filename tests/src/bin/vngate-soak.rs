//! Soak: one shared client, N threads × M calls (charge, then check of the same card, against
//! the simulator in its own process, so that RSS here is the client's alone), then the same number of callback verifications. Prints errors,
//! throughput and resident memory before, in the middle and after. Exits non-zero on any error.
//!
//!     cargo run --release -p vngate-tests --bin vngate-soak -- [threads] [calls per thread]

use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use vngate::chargingws::{CardRequest, ChargingWs, ChargingWsConfig};
use vngate_sim::sim::CHARGINGWS_S1;

/// Starts `vngate-sim` (beside this binary) and reads its address.
fn start_sim() -> (std::process::Child, String) {
    let binary = std::env::current_exe()
        .expect("own path")
        .with_file_name("vngate-sim");
    let mut sim = std::process::Command::new(&binary)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", binary.display()));
    let mut first = String::new();
    let stdout = sim.stdout.take().expect("piped");
    std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut first)
        .expect("the simulator's address");
    let url = first
        .trim()
        .rsplit(' ')
        .next()
        .unwrap_or_default()
        .to_owned();
    (sim, url)
}

fn main() -> ExitCode {
    let mut args = std::env::args()
        .skip(1)
        .map(|a| a.parse::<u64>().unwrap_or(0));
    let threads = args.next().filter(|n| *n > 0).unwrap_or(16);
    let calls = args.next().filter(|n| *n > 0).unwrap_or(10_000);
    let (mut sim, url) = start_sim();
    let client = ChargingWs::new(ChargingWsConfig::new(
        url,
        CHARGINGWS_S1.partner_id,
        CHARGINGWS_S1.partner_key,
    ))
    .expect("config");
    let errors = AtomicU64::new(0);
    let done = AtomicU64::new(0);
    let before = vngate_sim::rss_kib();
    let mut middle = 0;
    let started = Instant::now();
    std::thread::scope(|scope| {
        for t in 0..threads {
            let (client, errors, done) = (&client, &errors, &done);
            scope.spawn(move || {
                for i in 0..calls / 2 {
                    let card = CardRequest::new(
                        "VIETTEL",
                        "312821445892981",
                        "10004783347874",
                        10_000,
                        format!("soak-{t}-{i}"),
                    );
                    let charged = client.charge(&card).map(|r| r.status.is_pending());
                    let checked = client
                        .check(&card)
                        .map(|r| r.request_id.as_deref() == Some(card.request_id.as_str()));
                    if charged != Ok(true) || checked != Ok(true) {
                        errors.fetch_add(1, Ordering::Relaxed);
                    }
                    done.fetch_add(2, Ordering::Relaxed);
                }
            });
        }
        while done.load(Ordering::Relaxed) < threads * (calls / 2) * 2 / 2 {
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        middle = vngate_sim::rss_kib();
    });
    let network = started.elapsed();
    let total = done.load(Ordering::Relaxed);
    let after = vngate_sim::rss_kib();

    // Callback verification, CPU only: the same shared client, the same number of calls.
    let callback = br#"{"status":1,"message":"ok","request_id":"989876","declared_value":50000,"value":50000,"amount":25000,"code":"314688440422676","serial":"10003395125761","telco":"VIETTEL","trans_id":1,"callback_sign":"3d0180dc59bc96342b39ea41006a1d40"}"#;
    let verifier = ChargingWs::new(ChargingWsConfig::new(
        "http://127.0.0.1:9",
        "1",
        "partner_key_example",
    ))
    .expect("config");
    let started = Instant::now();
    std::thread::scope(|scope| {
        for _ in 0..threads {
            let (verifier, errors) = (&verifier, &errors);
            scope.spawn(move || {
                for _ in 0..calls {
                    if verifier.parse_callback(callback).is_err() {
                        errors.fetch_add(1, Ordering::Relaxed);
                    }
                }
            });
        }
    });
    let cpu = started.elapsed();
    let last = vngate_sim::rss_kib();
    let errors = errors.load(Ordering::Relaxed);
    let _ = sim.kill();
    let _ = sim.wait();
    println!(
        "network: {threads} threads x {calls} calls = {total} calls in {:.1} s ({:.0} calls/s), {} errors",
        network.as_secs_f64(),
        total as f64 / network.as_secs_f64(),
        errors
    );
    println!(
        "callbacks: {threads} threads x {calls} verifications in {:.2} s ({:.0}/s)",
        cpu.as_secs_f64(),
        (threads * calls) as f64 / cpu.as_secs_f64()
    );
    println!(
        "RSS KiB: before {before}, halfway {middle}, after the network calls {after}, after the callbacks {last}"
    );
    if errors == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
