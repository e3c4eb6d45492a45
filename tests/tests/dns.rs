//! No thread and no DNS lookup per call. ureq's own resolver ran every lookup on a new thread
//! whenever a timeout was set (vngate always sets one), before looking in its pool: a thread and
//! a `getaddrinfo` per call. Its own binary, so that no other test creates threads meanwhile.
//!
//! Run with `--nocapture` to see the figures.

use std::sync::Mutex;

use vngate::chargingws::{CardRequest, ChargingWs, ChargingWsConfig};
use vngate_sim::sim::CHARGINGWS_S1;
use vngate_sim::{Sim, With};

/// vngate's log lines: each lookup is one.
static LINES: Mutex<Vec<String>> = Mutex::new(Vec::new());

struct Capture;

impl log::Log for Capture {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        metadata.target() == "vngate"
    }
    fn log(&self, record: &log::Record<'_>) {
        if self.enabled(record.metadata()) {
            LINES.lock().unwrap().push(record.args().to_string());
        }
    }
    fn flush(&self) {}
}

fn lookups() -> usize {
    LINES
        .lock()
        .unwrap()
        .iter()
        .filter(|l| l.starts_with("dns localhost:"))
        .count()
}

/// The id the kernel gives the next thread: ids are handed out in order, so the difference over
/// a stretch of calls is the number of threads (and processes) created on the machine meanwhile,
/// ours included.
fn next_thread_id() -> u64 {
    std::thread::spawn(|| {
        let link = std::fs::read_link("/proc/thread-self").unwrap();
        link.file_name()
            .unwrap()
            .to_str()
            .unwrap()
            .parse::<u64>()
            .unwrap()
    })
    .join()
    .unwrap()
}

#[test]
fn a_thousand_calls_create_no_thread_and_look_the_host_up_once_per_ttl() {
    log::set_logger(&Capture).unwrap();
    log::set_max_level(log::LevelFilter::Debug);
    let sim = Sim::start();
    // A host name, not an IP: the lookup path.
    let url = sim.url().replace("127.0.0.1", "localhost");
    let client = |dns_cache_secs| {
        ChargingWs::new(
            ChargingWsConfig::new(
                url.clone(),
                CHARGINGWS_S1.partner_id,
                CHARGINGWS_S1.partner_key,
            )
            .with(|c| c.http.dns_cache_secs = dns_cache_secs),
        )
        .unwrap()
    };
    let card = CardRequest::new(
        "VIETTEL",
        "312821445892980",
        "10004783347874",
        10_000,
        "dns-1",
    );

    let cached = client(3600);
    cached.check(&card).unwrap(); // warm-up: the lookup and the pooled connection
    let warm_up = lookups();
    let before = next_thread_id();
    for _ in 0..1000 {
        cached.check(&card).unwrap();
    }
    let created = next_thread_id() - before - 1;
    println!(
        "# 1 000 pooled calls by host name: {created} threads created on the machine, {} lookup(s)",
        lookups()
    );
    // ureq's resolver made one per call (1 000); what is left is other processes' noise.
    assert!(created < 50, "{created} threads created over 1 000 calls");
    assert_eq!(
        (warm_up, lookups()),
        (1, 1),
        "one lookup per TTL, whatever the number of calls"
    );

    // The cache is the process's: a new client (a php-fpm request's) finds the name there.
    client(3600).check(&card).unwrap();
    assert_eq!(lookups(), 1);

    // dns_cache_secs = 0: a lookup for every new connection. Read-only calls keep theirs
    // (one lookup for 20 calls); each charge opens its own.
    let uncached = client(0);
    for _ in 0..20 {
        uncached.check(&card).unwrap();
    }
    assert_eq!(lookups(), 2);
    for n in 0..5 {
        let charge = CardRequest::new(
            "VIETTEL",
            "312821445892980",
            "10004783347874",
            10_000,
            format!("dns-charge-{n}"),
        );
        uncached.charge(&charge).unwrap();
    }
    assert_eq!(lookups(), 7);
}
