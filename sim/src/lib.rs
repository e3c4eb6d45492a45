//! The vngate provider simulator and test helpers.
//!
//! [`Sim`] is a real HTTP server on `127.0.0.1` that plays every provider: it verifies
//! signatures with its own code, answers deterministically (the last character of a card PIN
//! decides its fate, see [`sim::outcome_of`]), delivers callbacks, counts requests and
//! misbehaves on demand ([`sim::Faults`]). The `vngate-sim` binary runs the same server for the
//! C, PHP and Python suites, which drive it over HTTP:
//!
//! | request | effect |
//! |---|---|
//! | `GET /__sim/stats` | `{"requests": N, "connections": M, "held": H, "total": {…}}`: provider requests since the last reset and the connections that carried them; `total` counts both since the start |
//! | `POST /__sim/keep_alive` `{"on": false}` | every reply closes its connection (keep-alive is on by default) |
//! | `POST /__sim/faults` `{"mode": "html_502", "latency_ms": 0}` | how the next replies misbehave |
//! | `POST /__sim/callbacks` `{"chargingws_url": …, "chargingws_method": "get", "opencard_url": …, "delay_ms": 200}` (chargingws callbacks: `post` JSON, the default; `get`; `form`, a POST form body) | where callbacks go |
//! | `POST /__sim/reset` | no faults, counters to 0, keep-alive on |
//! | `POST /__sim/hold` `{"timeout_ms": 5000}` | the next provider request waits for `POST /__sim/release`; unreleased in time, it answers 500 (`stats` shows `held`) |

pub mod server;
pub mod sim;
pub mod sink;

pub use server::FaultMode;
pub use sim::{Account, Callbacks, Faults, Sim};
pub use sink::CallbackSink;

/// Notes a secret the simulator knows, receives or hands out (a key, a card PIN, a code it
/// sells, a token it issues) for the leak sweep of a full test run (`scripts/sweep.sh`): with
/// `VNGATE_SWEEP_SECRETS` set, one line is appended to that file. Nothing otherwise.
pub fn note_secret(value: &str) {
    use std::io::Write as _;
    static FILE: std::sync::OnceLock<Option<std::sync::Mutex<std::fs::File>>> =
        std::sync::OnceLock::new();
    let file = FILE.get_or_init(|| {
        let path = std::env::var_os("VNGATE_SWEEP_SECRETS")?;
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .ok()
            .map(std::sync::Mutex::new)
    });
    if let Some(file) = file {
        let mut file = file
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let _ = writeln!(file, "{value}");
    }
}

/// This process's resident set size in KiB (Linux `/proc/self/statm`; 0 elsewhere), for the
/// soak and the hostile matrix, which report memory.
#[must_use]
pub fn rss_kib() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    pages * 4
}

/// Sets fields of a value built by a constructor, in one expression: vngate's configs and
/// requests are `#[non_exhaustive]`, so outside vngate they are made with `new` and then
/// changed, never with a struct literal.
pub trait With: Sized {
    /// `self` after `change`.
    #[must_use]
    fn with(mut self, change: impl FnOnce(&mut Self)) -> Self {
        change(&mut self);
        self
    }
}

impl<T> With for T {}
