//! What the command prints, and how it exits.

use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::Value;
use vngate::registry::Operation;
use vngate_front::Front;

use vngate_front::model::Model;

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Table,
    Json,
}

/// Why standard output could not be written, once it could not.
static WRITE_FAILED: Mutex<Option<String>> = Mutex::new(None);

/// Writes a line to standard output. A closed pipe or a full disk is noted, never a panic:
/// the command may have just moved money, and must say so (see [`write_failed`]).
pub fn write_line(line: std::fmt::Arguments<'_>) {
    let mut stdout = std::io::stdout().lock();
    if let Err(e) = stdout
        .write_fmt(format_args!("{line}\n"))
        .and_then(|()| stdout.flush())
    {
        let mut failed = WRITE_FAILED
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        failed.get_or_insert_with(|| e.to_string());
    }
}

/// `println!` through [`write_line`].
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::output::write_line(format_args!($($arg)*))
    };
}
pub(crate) use out;

/// Why standard output could not be written, if it could not.
pub fn write_failed() -> Option<String> {
    WRITE_FAILED
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .clone()
}

/// The exit codes: one per error kind, documented in `--help`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// The provider answered (whatever the answer: read its status).
    Result = 0,
    /// vngate itself failed (a bug) or the output could not be written.
    Internal = 1,
    /// The command line or the request breaks a rule; nothing was sent.
    InvalidInput = 2,
    /// Nothing changed at the provider (not sent, or a read-only call): safe to retry.
    Transport = 3,
    /// A money-moving call may have gone through: never resend; do what the message says.
    OutcomeUnknown = 4,
    /// The provider's reply could not be read (a read-only call).
    BadReply = 5,
    /// A callback's signature is missing or wrong.
    SignatureMismatch = 6,
    /// A verified callback does not match the stored request.
    CallbackMismatch = 7,
    /// The provider refused the credentials.
    Auth = 8,
    /// The command did its work but its output could not be written (a closed pipe, a full
    /// disk). After a money call: the provider answered; never resend, read the answer.
    OutputFailed = 9,
    /// clap's own code for a command line it cannot parse.
    Usage = 64,
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> Self {
        // clap exits 2 itself for a malformed command line; Usage is only a fallback.
        ExitCode::from(if exit == Exit::Usage { 2 } else { exit as u8 })
    }
}

pub const EXIT_CODES: &str = "Exit codes:
  0  the provider answered (a declined card is an answer too: read its status)
  1  internal error
  2  invalid input or command line: nothing was sent
  3  not sent, or a read-only call failed: nothing changed, safe to retry
  4  OUTCOME UNKNOWN: a money-moving call may have gone through: never resend it
  5  bad reply from the provider (read-only call)
  6  signature mismatch (a forged or misconfigured callback)
  7  callback mismatch (it does not match the stored request)
  8  the provider refused the credentials
  9  the output could not be written; after a money call the provider answered: never resend it

A SIGINT or SIGTERM during a call stops it within 50 ms: the exit code is then the call's
(3: it was not sent; 4: a money call's outcome is unknown, never resend it).
reconcile exits 3 when a resolving call failed (the records stay open: run it again).";

fn exit_of(error: &vngate::Error) -> Exit {
    match error.kind() {
        "invalid_input" => Exit::InvalidInput,
        "transport" => Exit::Transport,
        "outcome_unknown" => Exit::OutcomeUnknown,
        "bad_reply" => Exit::BadReply,
        "signature_mismatch" => Exit::SignatureMismatch,
        "callback_mismatch" => Exit::CallbackMismatch,
        "auth" => Exit::Auth,
        _ => Exit::Internal,
    }
}

/// Reports an error: its message on stderr, and in JSON mode its JSON on stdout.
pub fn error(format: Format, error: &vngate::Error) -> Exit {
    eprintln!("vngate: {error}");
    if format == Format::Json {
        out!("{}", error.to_json());
    }
    exit_of(error)
}

/// Prints a result: JSON as the library returns it, or a table with card PINs and tokens
/// masked and the raw body left out (`--json` shows them).
pub fn result(
    model: &Model,
    format: Format,
    result_type: &str,
    result: Result<String, vngate::Error>,
) -> Exit {
    let text = match result {
        Ok(text) => text,
        Err(e) => return error(format, &e),
    };
    if format == Format::Json {
        out!("{text}");
        return Exit::Result;
    }
    let mut value: Value = serde_json::from_str(&text).unwrap_or_default();
    let hidden = model.masked(result_type, &mut value);
    let Some(fields) = value.as_object() else {
        out!("{value}");
        return Exit::Result;
    };
    let width = fields.keys().map(String::len).max().unwrap_or(0);
    for (name, value) in fields {
        // A list of records (fee rows, cards, products): one line each, not one long line.
        if let Some(rows) = value
            .as_array()
            .filter(|rows| rows.iter().all(Value::is_object))
        {
            out!("{name:<width$}  ({} rows)", rows.len());
            for row in rows {
                let cells: Vec<String> = row
                    .as_object()
                    .into_iter()
                    .flatten()
                    .map(|(key, cell)| format!("{key}={}", cell_text(cell)))
                    .collect();
                out!("  {}", cells.join("  "));
            }
            continue;
        }
        let shown = model
            .named(result_type, name, value)
            .unwrap_or_else(|| cell_text(value));
        out!("{name:<width$}  {shown}");
    }
    if hidden {
        eprintln!("(codes and tokens masked: --json shows them)");
    }
    Exit::Result
}

/// A value in a table cell: text as it is, nothing as `-`, anything else as JSON.
fn cell_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => "-".to_owned(),
        other => other.to_string(),
    }
}

/// Runs a read-only operation for every JSON request of a JSON-lines file, `concurrency` at
/// a time, printing one JSON line per request (its line number, and its result or error) as
/// each ends. Exits 0 when every request got an answer, else with the first error's code.
/// Through the journal when the account has one: a resolving call's answer is recorded
/// against its record (on a connection of its own), as a single call's is.
pub fn batch(client: &Front, op: &Operation, from: &str, concurrency: u16) -> Exit {
    let lines: Vec<String> = if from == "-" {
        std::io::stdin()
            .lock()
            .lines()
            .map_while(Result::ok)
            .collect()
    } else {
        match std::fs::read_to_string(from) {
            Ok(text) => text.lines().map(str::to_owned).collect(),
            Err(e) => {
                eprintln!("vngate: cannot read {from}: {e}");
                return Exit::InvalidInput;
            }
        }
    };
    let jobs: Vec<(usize, &str)> = lines
        .iter()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| (i + 1, l.as_str()))
        .collect();
    let progress = indicatif::ProgressBar::with_draw_target(
        Some(jobs.len() as u64),
        if std::io::stderr().is_terminal() {
            indicatif::ProgressDrawTarget::stderr()
        } else {
            indicatif::ProgressDrawTarget::hidden()
        },
    );
    let next = AtomicUsize::new(0);
    let first_error = Mutex::new(None::<Exit>);
    let stdout = Mutex::new(std::io::stdout());
    std::thread::scope(|scope| {
        for _ in 0..concurrency
            .min(u16::try_from(jobs.len()).unwrap_or(u16::MAX))
            .max(1)
        {
            scope.spawn(|| {
                while let Some(&(line, request)) = jobs.get(next.fetch_add(1, Ordering::Relaxed)) {
                    let outcome = client.call(op.name, request);
                    let record = match &outcome {
                        Ok(text) => {
                            let result: Value = serde_json::from_str(text).unwrap_or_default();
                            serde_json::json!({"line": line, "result": result})
                        }
                        Err(e) => {
                            let mut first = first_error
                                .lock()
                                .unwrap_or_else(std::sync::PoisonError::into_inner);
                            first.get_or_insert(exit_of(e));
                            serde_json::json!({"line": line, "error": e.to_json()})
                        }
                    };
                    let mut out = stdout
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner);
                    let _ = writeln!(out, "{record}");
                    progress.inc(1);
                }
            });
        }
    });
    progress.finish_and_clear();
    let first = *first_error
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    eprintln!(
        "vngate: {} {} request(s){}",
        op.name,
        jobs.len(),
        if first.is_some() {
            ", some failed (see their \"error\")"
        } else {
            ""
        }
    );
    first.unwrap_or(Exit::Result)
}

/// `-v`: vngate's line per call on stderr; `-vv`: the request and reply too (secrets masked,
/// by the core).
pub fn init_logging(verbosity: u8) {
    struct Stderr;
    impl log::Log for Stderr {
        fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
            metadata.target() == "vngate"
        }
        fn log(&self, record: &log::Record<'_>) {
            if self.enabled(record.metadata()) {
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
                eprintln!("{} [{} vngate] {}", utc(now), record.level(), record.args());
            }
        }
        fn flush(&self) {}
    }
    let level = match verbosity {
        0 => return,
        1 => log::LevelFilter::Info,
        _ => log::LevelFilter::Debug,
    };
    if log::set_logger(&Stderr).is_ok() {
        log::set_max_level(level);
    }
}

pub use vngate_front::utc;
