//! The C ABI of vngate: conversions, errors and the panic boundary over `vngate::api`. No
//! provider logic lives here.
//!
//! Ownership: `const char *` arguments are borrowed for the call. Every `char *` written to an
//! out-parameter belongs to the caller, who frees it with [`vngate_string_free`]. The strings
//! returned by [`vngate_version`] and `vngate_last_error_*` belong to the library. Outputs
//! are written only on success.

// The boundary, where unsafe is allowed for the whole crate (elsewhere only a function that
// says why: the Python module making records, the simulator resetting a socket). Every block
// says why it holds.
#![allow(unsafe_code)]
// C names: the header is read by C programmers, and by PHP.
#![allow(non_camel_case_types)]

use std::cell::RefCell;
use std::ffi::{CStr, CString, c_char};
use std::panic::{AssertUnwindSafe, catch_unwind};

use vngate::Error;
use vngate_front::Front;

/// What a call returned. Values are stable and never reused.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum vngate_result {
    /// Success; outputs are written.
    Ok = 0,
    /// The input or config breaks a rule; nothing was sent. The error JSON names the `field`.
    InvalidInput = 1,
    /// Nothing changed at the provider (not sent, or a read-only call). Safe to retry.
    Transport = 2,
    /// A money-moving call may have reached the provider. Do not resend: the error JSON's
    /// `reference` and `next_step` say how to learn the outcome.
    OutcomeUnknown = 3,
    /// The provider's reply could not be read.
    BadReply = 4,
    /// A callback or webhook signature is missing or wrong.
    SignatureMismatch = 5,
    /// A verified callback does not match the stored request.
    CallbackMismatch = 6,
    /// The provider refused the credentials.
    Auth = 7,
    /// An error of a kind this header does not know yet.
    Other = 99,
    /// A required pointer was NULL.
    NullArgument = 100,
    /// A string argument was not UTF-8.
    InvalidUtf8 = 101,
    /// A bug in vngate: it panicked, and the panic was stopped at the boundary.
    Panic = 200,
}

/// A provider client. Immutable once built, and safe to share between threads.
pub struct vngate_client {
    inner: Front,
}

/// Why a call failed: the result code, one line, and the details as JSON.
struct Failure {
    result: vngate_result,
    message: String,
    json: String,
}

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        let result = match &error {
            Error::InvalidInput { .. } => vngate_result::InvalidInput,
            Error::Transport { .. } => vngate_result::Transport,
            Error::OutcomeUnknown { .. } => vngate_result::OutcomeUnknown,
            Error::BadReply { .. } => vngate_result::BadReply,
            Error::SignatureMismatch { .. } => vngate_result::SignatureMismatch,
            Error::CallbackMismatch { .. } => vngate_result::CallbackMismatch,
            Error::Auth { .. } => vngate_result::Auth,
            _ => vngate_result::Other,
        };
        Self {
            result,
            message: error.to_string(),
            json: error.to_json().to_string(),
        }
    }
}

impl Failure {
    fn new(result: vngate_result, kind: &str, field: &str, message: &str) -> Self {
        Self {
            result,
            message: message.to_owned(),
            json: serde_json::json!({"kind": kind, "field": field, "message": message}).to_string(),
        }
    }

    fn null(field: &str) -> Self {
        Self::new(
            vngate_result::NullArgument,
            "null_argument",
            field,
            &format!("{field} is NULL"),
        )
    }
}

thread_local! {
    /// The last failure on this thread: (message, JSON); `None` after a success, which then
    /// costs no allocation.
    static LAST_ERROR: RefCell<Option<(CString, CString)>> = const { RefCell::new(None) };
}

fn set_last_error(message: &str, json: &str) {
    let c = |s: &str| c_string(s.to_owned());
    // During thread teardown the slot may be gone: the error is then lost, never a panic.
    let _ = LAST_ERROR.try_with(|last| *last.borrow_mut() = Some((c(message), c(json))));
}

/// `text` as a C string. vngate's messages have no NUL and JSON escapes it, so this never drops
/// anything in practice; if it ever did, the string would be shortened rather than lost.
fn c_string(text: String) -> CString {
    let mut bytes = text.into_bytes();
    // `memchr` looks 16 or 32 bytes at a time where `CString::new`'s own search goes a word at
    // a time: that search was a tenth of a C verification (a callback's answer holds its body,
    // 500 bytes and more).
    if memchr::memchr(0, &bytes).is_some() {
        bytes.retain(|b| *b != 0);
    }
    // SAFETY: `bytes` holds no NUL (searched, and removed if found, just above).
    unsafe { CString::from_vec_unchecked(bytes) }
}

fn clear_last_error() {
    let _ = LAST_ERROR.try_with(|last| {
        if let Ok(mut last) = last.try_borrow_mut() {
            *last = None;
        }
    });
}

/// The panic boundary every export goes through (a unit test checks each one does): a panic
/// unwinding into C is undefined behaviour, so `body`'s panic is caught and what `on_panic`
/// makes is returned instead (made only then: every call pays for the boundary). As
/// rustls-ffi's `ffi_panic_boundary!`, in one place.
fn panic_boundary<R>(on_panic: impl FnOnce() -> R, body: impl FnOnce() -> R) -> R {
    catch_unwind(AssertUnwindSafe(body)).unwrap_or_else(|_| on_panic())
}

/// Runs `body` behind the panic boundary and records its failure for `vngate_last_error_*`.
fn boundary(body: impl FnOnce() -> Result<(), Failure>) -> vngate_result {
    clear_last_error();
    // Made only when a panic was caught: a success allocates nothing here.
    let panicked = || {
        Err(Failure::new(
            vngate_result::Panic,
            "panic",
            "",
            "vngate panicked (a bug: please report it)",
        ))
    };
    let failure = match panic_boundary(panicked, body) {
        Ok(()) => return vngate_result::Ok,
        Err(failure) => failure,
    };
    set_last_error(&failure.message, &failure.json);
    failure.result
}

/// The frame of every call that answers a client's request with a string: behind
/// [`boundary`], `response_json_out` checked, the client borrowed, `answer`'s string handed over.
///
/// # Safety
/// `client` is NULL or a live pointer from [`vngate_client_new`]; `response_json_out` is NULL
/// or points to writable storage for one pointer.
unsafe fn answer(
    client: *const vngate_client,
    response_json_out: *mut *mut c_char,
    answer: impl FnOnce(&vngate_client) -> Result<String, Failure>,
) -> vngate_result {
    boundary(|| {
        if response_json_out.is_null() {
            return Err(Failure::null("response_json_out"));
        }
        // SAFETY: the caller passes NULL or a live client from vngate_client_new.
        let client = unsafe { live(client) }?;
        let response = answer(client)?;
        // SAFETY: checked non-NULL above.
        unsafe { give(response_json_out, response) };
        Ok(())
    })
}

/// Borrows a C string argument as UTF-8.
///
/// # Safety
/// `ptr` is NULL or points to a NUL-terminated string that outlives `'a`.
unsafe fn arg<'a>(ptr: *const c_char, name: &str) -> Result<&'a str, Failure> {
    if ptr.is_null() {
        return Err(Failure::null(name));
    }
    // SAFETY: non-NULL, and the caller promises a NUL-terminated string that outlives 'a.
    let text = unsafe { CStr::from_ptr(ptr) };
    text.to_str().map_err(|_| {
        Failure::new(
            vngate_result::InvalidUtf8,
            "invalid_utf8",
            name,
            &format!("{name} is not valid UTF-8"),
        )
    })
}

/// Borrows a client argument.
///
/// # Safety
/// `client` is NULL or a live pointer from [`vngate_client_new`].
unsafe fn live<'a>(client: *const vngate_client) -> Result<&'a vngate_client, Failure> {
    // SAFETY: the caller promises NULL or a live client.
    unsafe { client.as_ref() }.ok_or_else(|| Failure::null("client"))
}

/// Hands a string to the caller through `out`.
///
/// # Safety
/// `out` is a valid pointer to writable `char *` storage (checked non-NULL by the caller).
unsafe fn give(out: *mut *mut c_char, text: String) {
    let owned = c_string(text).into_raw();
    // SAFETY: the caller checked `out` is non-NULL and it points to writable storage.
    unsafe { *out = owned };
}

/// The library's version, e.g. `"0.1.0"`; equal to `VNGATE_VERSION_STRING` of the header it
/// was built with. The string belongs to the library.
#[unsafe(no_mangle)]
pub extern "C" fn vngate_version() -> *const c_char {
    panic_boundary(
        || c"".as_ptr(),
        || concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast(),
    )
}

/// Builds a client for `provider` (`"chargingws"`, `"opencard"`, `"appotapay"`, `"esms"` or
/// `"topup"`) from its JSON config, and writes it to `*client_out`. Free it with
/// [`vngate_client_free`].
///
/// # Safety
/// `provider` and `config_json` are NUL-terminated strings; `client_out` points to writable
/// storage for one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vngate_client_new(
    provider: *const c_char,
    config_json: *const c_char,
    client_out: *mut *mut vngate_client,
) -> vngate_result {
    boundary(|| {
        if client_out.is_null() {
            return Err(Failure::null("client_out"));
        }
        // SAFETY: the caller promises NUL-terminated strings for the call's duration.
        let (provider, config) =
            unsafe { (arg(provider, "provider")?, arg(config_json, "config_json")?) };
        log_sink::init_from_env();
        let inner = Front::new(provider, config)?;
        let client = Box::into_raw(Box::new(vngate_client { inner }));
        // SAFETY: checked non-NULL above; the caller promises writable storage.
        unsafe { *client_out = client };
        Ok(())
    })
}

/// Frees a client. `NULL` is a no-op. The client must not be in use by another thread.
///
/// # Safety
/// `client` is NULL or a pointer from [`vngate_client_new`] not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vngate_client_free(client: *mut vngate_client) {
    if client.is_null() {
        return;
    }
    // A panic in a destructor must not cross into C either.
    panic_boundary(
        || (),
        || {
            // SAFETY: the caller passes a pointer from vngate_client_new, freed only once.
            drop(unsafe { Box::from_raw(client) });
        },
    );
}

/// Runs `operation` with its JSON input and writes the JSON result to `*response_json_out`
/// (free it with [`vngate_string_free`]). Operations and fields are the vocabulary's: e.g.
/// `"charge"` with `{"telco":…, "code":…, "serial":…, "amount":…, "request_id":…}`. Pass
/// `"{}"` for operations without input. Many threads may call this on one client at once.
///
/// # Safety
/// `client` comes from [`vngate_client_new`]; `operation` and `request_json` are
/// NUL-terminated strings; `response_json_out` points to writable storage for one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vngate_client_call(
    client: *const vngate_client,
    operation: *const c_char,
    request_json: *const c_char,
    response_json_out: *mut *mut c_char,
) -> vngate_result {
    let answer_of = |client: &vngate_client| -> Result<String, Failure> {
        // SAFETY: the caller promises NUL-terminated strings for the call's duration.
        let (operation, request) = unsafe {
            (
                arg(operation, "operation")?,
                arg(request_json, "request_json")?,
            )
        };
        Ok(client.inner.call(operation, request)?)
    };
    // SAFETY: the caller's contract, as documented above.
    unsafe { answer(client, response_json_out, answer_of) }
}

/// [`vngate_client_call`], handing back the log lines vngate wrote during the call, for a front
/// that puts them in its own logger (PHP's PSR-3 logger): a JSON array of
/// `{"level": "info"|"debug", "message": …}` in `*log_json_out` (free it with
/// [`vngate_string_free`]), with the call's result or error as for [`vngate_client_call`].
/// `log_level` is `"info"` (one line per call) or `"debug"` (the request and reply too, card
/// PINs masked and keys removed). The lines are written to `*log_json_out` whenever it is
/// non-NULL on return, also when the call failed.
///
/// # Safety
/// As for [`vngate_client_call`]; `log_level` is a NUL-terminated string; `log_json_out`
/// points to writable storage for one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vngate_client_call_logged(
    client: *const vngate_client,
    operation: *const c_char,
    request_json: *const c_char,
    log_level: *const c_char,
    response_json_out: *mut *mut c_char,
    log_json_out: *mut *mut c_char,
) -> vngate_result {
    boundary(|| {
        if response_json_out.is_null() {
            return Err(Failure::null("response_json_out"));
        }
        if log_json_out.is_null() {
            return Err(Failure::null("log_json_out"));
        }
        // SAFETY: the caller sets it to a writable pointer; NULL until the lines are given.
        unsafe { *log_json_out = std::ptr::null_mut() };
        // SAFETY: the caller passes NULL or a live client from vngate_client_new.
        let client = unsafe { live(client) }?;
        // SAFETY: the caller promises NUL-terminated strings for the call's duration.
        let (operation, request, level) = unsafe {
            (
                arg(operation, "operation")?,
                arg(request_json, "request_json")?,
                arg(log_level, "log_level")?,
            )
        };
        let level = match level {
            "info" => log::LevelFilter::Info,
            "debug" => log::LevelFilter::Debug,
            _ => {
                return Err(Error::InvalidInput {
                    field: "log_level".into(),
                    reason: "must be \"info\" or \"debug\"".into(),
                }
                .into());
            }
        };
        let (result, lines) = log_sink::captured(level, || client.inner.call(operation, request));
        // SAFETY: checked non-NULL above.
        unsafe { give(log_json_out, lines) };
        let response = result?;
        // SAFETY: checked non-NULL above.
        unsafe { give(response_json_out, response) };
        Ok(())
    })
}

/// Verifies and reads a callback or webhook given as its raw bytes: the POST body, or the
/// GET query string (chargingws). Writes the verified callback as JSON to
/// `*response_json_out`. The bytes need not be NUL-terminated and are checked as UTF-8.
///
/// # Safety
/// `client` comes from [`vngate_client_new`]; `data` points to `len` readable bytes (it may
/// be NULL only when `len` is 0); `response_json_out` points to writable storage.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vngate_client_parse_callback(
    client: *const vngate_client,
    data: *const c_char,
    len: usize,
    response_json_out: *mut *mut c_char,
) -> vngate_result {
    // SAFETY: the same contract, with no stored request.
    unsafe {
        vngate_client_parse_callback_expected(
            client,
            data,
            len,
            std::ptr::null(),
            response_json_out,
        )
    }
}

/// [`vngate_client_parse_callback`], then a match against the request you stored, given as
/// JSON in `expected_json` (NULL: no match): for chargingws the card you sent (`telco`,
/// `code`, `serial`, `amount`, `request_id`), for OpenCard the charge you stored (OpenCard's
/// `request_id` from the charge reply, and optionally `amount` and `telco`). A callback for
/// another request is `VNGATE_RESULT_CALLBACK_MISMATCH`. The raw bytes are verified exactly as
/// given, so a body need not be escaped into JSON.
///
/// # Safety
/// As for [`vngate_client_parse_callback`]; `expected_json` is NULL or a NUL-terminated
/// string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vngate_client_parse_callback_expected(
    client: *const vngate_client,
    data: *const c_char,
    len: usize,
    expected_json: *const c_char,
    response_json_out: *mut *mut c_char,
) -> vngate_result {
    let answer_of = |client: &vngate_client| -> Result<String, Failure> {
        let bytes: &[u8] = match (data.is_null(), len) {
            (true, 0) => &[],
            (true, _) => return Err(Failure::null("data")),
            // SAFETY: non-NULL, and the caller promises `len` readable bytes.
            (false, _) => unsafe { std::slice::from_raw_parts(data.cast::<u8>(), len) },
        };
        let expected = if expected_json.is_null() {
            None
        } else {
            // SAFETY: non-NULL, and the caller promises a NUL-terminated string.
            Some(unsafe { arg(expected_json, "expected_json") }?)
        };
        Ok(client.inner.parse_callback(bytes, expected)?)
    };
    // SAFETY: the caller's contract, as documented above.
    unsafe { answer(client, response_json_out, answer_of) }
}

/// With a journal (a `journal` object in the client's config): whether the money-moving call
/// `reference` is final, and whether this is the first time anyone (in any process) asked since
/// it became final. Writes `{"reference", "operation", "state", "first", "answer"}` to
/// `*response_json_out`: credit or refund the customer when `first` is true, and only then.
/// A client without a journal, or a reference the journal does not hold, is
/// `VNGATE_RESULT_INVALID_INPUT`.
///
/// # Safety
/// `client` comes from [`vngate_client_new`]; `reference` is a NUL-terminated string;
/// `response_json_out` points to writable storage for one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vngate_client_settle(
    client: *const vngate_client,
    reference: *const c_char,
    response_json_out: *mut *mut c_char,
) -> vngate_result {
    let answer_of = |client: &vngate_client| -> Result<String, Failure> {
        // SAFETY: the caller promises a NUL-terminated string for the call's duration.
        let reference = unsafe { arg(reference, "reference") }?;
        Ok(client.inner.settle(reference)?)
    };
    // SAFETY: the caller's contract, as documented above.
    unsafe { answer(client, response_json_out, answer_of) }
}

/// With a journal: resolves this client's pending and unknown money-moving calls with their
/// resolving calls (never resending one, never reading "no answer" as failed) and writes the
/// report as JSON to `*response_json_out` (`checked`, `resolved`, `still_open`, `not_sent`,
/// `awaiting_callback`, `errors`, `lines`). Run it from a cron job or a worker.
///
/// # Safety
/// `client` comes from [`vngate_client_new`]; `response_json_out` points to writable storage.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vngate_client_reconcile(
    client: *const vngate_client,
    response_json_out: *mut *mut c_char,
) -> vngate_result {
    // SAFETY: the caller's contract, as documented above.
    unsafe {
        answer(client, response_json_out, |client| {
            Ok(client.inner.reconcile()?)
        })
    }
}

/// Writes a fresh request id (time-ordered, unique, `[0-9a-f]`) to `*id_out`; free it with
/// [`vngate_string_free`]. Store it with the order before sending.
///
/// # Safety
/// `id_out` points to writable storage for one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vngate_new_request_id(id_out: *mut *mut c_char) -> vngate_result {
    boundary(|| {
        if id_out.is_null() {
            return Err(Failure::null("id_out"));
        }
        // SAFETY: checked non-NULL above.
        unsafe { give(id_out, vngate::new_request_id()) };
        Ok(())
    })
}

/// Frees a string the library returned. `NULL` is a no-op.
///
/// # Safety
/// `s` is NULL or a string written by this library to an out-parameter, not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vngate_string_free(s: *mut c_char) {
    if s.is_null() {
        return;
    }
    panic_boundary(
        || (),
        || {
            // SAFETY: the caller passes a string from CString::into_raw, freed only once.
            drop(unsafe { CString::from_raw(s) });
        },
    );
}

/// The last failure on this thread, one line (empty after a success). The string belongs to
/// the library and stays valid until this thread's next vngate call.
#[unsafe(no_mangle)]
pub extern "C" fn vngate_last_error_message() -> *const c_char {
    panic_boundary(|| c"".as_ptr(), || last_error(|(message, _)| message))
}

/// The last failure on this thread as JSON: `kind`, `message`, and the error's fields
/// (`field`, `reference_field`, `reference`, `next_step`, `http_status`, `excerpt`, …);
/// empty after a success. Owned by the library, valid until this thread's next vngate call.
#[unsafe(no_mangle)]
pub extern "C" fn vngate_last_error_json() -> *const c_char {
    panic_boundary(|| c"".as_ptr(), || last_error(|(_, json)| json))
}

/// One part of this thread's last failure (`LAST_ERROR`'s message or JSON), or "" after a
/// success.
fn last_error(part: fn(&(CString, CString)) -> &CString) -> *const c_char {
    LAST_ERROR
        .try_with(|last| last.borrow().as_ref().map(|failure| part(failure).as_ptr()))
        .ok()
        .flatten()
        .unwrap_or(c"".as_ptr())
}

/// The log of the C ABI (there are no callbacks across it). Two ways out, both of vngate's own
/// lines only (never the HTTP library's, whose lowest levels dump the wire):
/// - a sink for the process: `VNGATE_LOG=info` or `debug` writes them to stderr,
///   `VNGATE_LOG=debug,/path/file` appends them to a file; read once, when the first client is
///   built;
/// - handed back with a call: [`vngate_client_call_logged`] collects the lines the call logs
///   on its thread and returns them with its result (PHP gives them to a PSR-3 logger).
mod log_sink {
    use std::cell::RefCell;
    use std::fs::File;
    use std::io::Write;
    use std::sync::{Mutex, Once, PoisonError};

    thread_local! {
        /// The lines of the call running on this thread, when its caller asked for them.
        static CAPTURE: RefCell<Option<(log::LevelFilter, Vec<serde_json::Value>)>> =
            const { RefCell::new(None) };
    }

    struct Sink {
        level: log::LevelFilter,
        file: Option<Mutex<File>>,
    }

    impl Sink {
        fn captures(metadata: &log::Metadata<'_>) -> bool {
            CAPTURE.with(|c| {
                c.borrow()
                    .as_ref()
                    .is_some_and(|(level, _)| metadata.level() <= *level)
            })
        }
    }

    impl log::Log for Sink {
        fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
            metadata.target().starts_with("vngate")
                && (metadata.level() <= self.level || Self::captures(metadata))
        }

        fn log(&self, record: &log::Record<'_>) {
            if !self.enabled(record.metadata()) {
                return;
            }
            if Self::captures(record.metadata()) {
                CAPTURE.with(|c| {
                    if let Some((_, lines)) = c.borrow_mut().as_mut() {
                        lines.push(serde_json::json!({
                            "level": record.level().as_str().to_ascii_lowercase(),
                            "message": record.args().to_string(),
                        }));
                    }
                });
            }
            if record.level() > self.level {
                return;
            }
            let line = format!("vngate {}: {}\n", record.level(), record.args());
            match &self.file {
                Some(file) => {
                    let _ = file
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .write_all(line.as_bytes());
                }
                None if self.level > log::LevelFilter::Off => {
                    let _ = std::io::stderr().write_all(line.as_bytes());
                }
                None => {}
            }
        }

        fn flush(&self) {}
    }

    /// Installs the sink (once): at `VNGATE_LOG`'s level, or writing nothing but what calls
    /// ask for. A host that installed its own Rust logger first keeps it; calls then get no
    /// lines back.
    pub(super) fn init_from_env() {
        static ONCE: Once = Once::new();
        ONCE.call_once(|| {
            let setting = std::env::var("VNGATE_LOG").unwrap_or_default();
            let (level, target) = setting.split_once(',').unwrap_or((&setting, "stderr"));
            let level = match level.trim().to_ascii_lowercase().as_str() {
                "info" => log::LevelFilter::Info,
                "debug" => log::LevelFilter::Debug,
                _ => log::LevelFilter::Off,
            };
            let file = match target.trim() {
                "" | "stderr" => None,
                _ if level == log::LevelFilter::Off => None,
                path => std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)
                    .ok()
                    .map(Mutex::new),
            };
            // Leaked: it lives as long as the process, as `log` requires.
            if log::set_logger(Box::leak(Box::new(Sink { level, file }))).is_ok() {
                log::set_max_level(level);
            }
        });
    }

    /// Runs `call`, collecting the lines it logs on this thread at `level` and above.
    pub(super) fn captured<T>(level: log::LevelFilter, call: impl FnOnce() -> T) -> (T, String) {
        if log::max_level() < level {
            log::set_max_level(level);
        }
        CAPTURE.with(|c| *c.borrow_mut() = Some((level, Vec::new())));
        let result = call();
        let lines = CAPTURE
            .with(|c| c.borrow_mut().take())
            .map(|(_, lines)| lines)
            .unwrap_or_default();
        (result, serde_json::Value::Array(lines).to_string())
    }
}

#[cfg(test)]
mod tests {
    use std::ptr;

    use super::*;

    #[test]
    fn a_panic_is_caught_and_named_and_a_success_leaves_no_error() {
        let result = boundary(|| panic!("a bug"));
        assert_eq!(result, vngate_result::Panic);
        // SAFETY: the thread's last error, a NUL-terminated string it keeps.
        let message = unsafe { CStr::from_ptr(vngate_last_error_message()) };
        assert_eq!(
            message.to_str(),
            Ok("vngate panicked (a bug: please report it)")
        );
        assert_eq!(boundary(|| Ok(())), vngate_result::Ok);
        // SAFETY: as above.
        let message = unsafe { CStr::from_ptr(vngate_last_error_message()) };
        assert_eq!(message.to_bytes(), b"");
    }

    /// Every export goes through the one panic boundary: `panic_boundary`, or `boundary` and
    /// `answer`, which use it, or another export that does. Read from this file, so a new
    /// export without it fails here.
    #[test]
    fn every_export_goes_through_the_panic_boundary() {
        let source = include_str!("lib.rs");
        let exports: Vec<(String, &str)> = source
            .match_indices("extern \"C\" fn ")
            .map(|(at, _)| {
                let rest = &source[at + "extern \"C\" fn ".len()..];
                let name: String = rest
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                let body = &rest[rest.find(") ").expect("a signature")..];
                (name, &body[..body.find("\n}\n").expect("a function ends")])
            })
            .collect();
        for (name, body) in &exports {
            let delegates = exports
                .iter()
                .any(|(other, _)| other != name && body.contains(&format!("{other}(")));
            assert!(
                delegates
                    || ["panic_boundary(", "boundary(", "answer("]
                        .iter()
                        .any(|door| body.contains(door)),
                "{name} does not go through the panic boundary"
            );
        }
        assert_eq!(exports.len(), 13, "every export was checked");
    }

    /// CI fails here when a committed header differs from what the pinned cbindgen generates.
    #[test]
    fn committed_headers_are_current() {
        for name in ["vngate.h", "vngate_php.h"] {
            let generated =
                std::fs::read_to_string(std::path::Path::new(env!("OUT_DIR")).join(name)).unwrap();
            let committed = std::fs::read_to_string(
                std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("../include")
                    .join(name),
            )
            .unwrap_or_default();
            assert!(
                committed == generated,
                "include/{name} is stale: run `make header` and commit it"
            );
        }
    }

    #[test]
    fn the_php_header_has_no_preprocessor_lines() {
        let php =
            std::fs::read_to_string(std::path::Path::new(env!("OUT_DIR")).join("vngate_php.h"))
                .unwrap();
        assert!(
            !php.lines().any(|l| l.trim_start().starts_with('#')),
            "{php}"
        );
        assert!(!php.contains("extern \"C\""));
    }

    #[test]
    fn the_version_matches_cargo() {
        // SAFETY: vngate_version returns a static NUL-terminated string.
        let version = unsafe { CStr::from_ptr(vngate_version()) };
        assert_eq!(version.to_str().unwrap(), env!("CARGO_PKG_VERSION"));
        let header = std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../include/vngate.h"),
        )
        .unwrap();
        assert!(header.contains(&format!(
            "#define VNGATE_VERSION_STRING \"{}\"",
            env!("CARGO_PKG_VERSION")
        )));
    }

    #[test]
    fn nulls_and_bad_utf8_are_refused_with_a_message() {
        let mut client: *mut vngate_client = ptr::null_mut();
        // SAFETY: NULL arguments are what is being tested; the out-pointer is valid.
        let result = unsafe { vngate_client_new(ptr::null(), c"{}".as_ptr(), &raw mut client) };
        assert_eq!(result, vngate_result::NullArgument);
        assert!(client.is_null());
        // SAFETY: the library's own static/thread-local string.
        let message = unsafe { CStr::from_ptr(vngate_last_error_message()) };
        assert_eq!(message.to_str().unwrap(), "provider is NULL");
        let bad = [0xff_u8, 0];
        // SAFETY: a NUL-terminated (invalid UTF-8) string and a valid out-pointer.
        let result =
            unsafe { vngate_client_new(bad.as_ptr().cast(), c"{}".as_ptr(), &raw mut client) };
        assert_eq!(result, vngate_result::InvalidUtf8);
        // SAFETY: NULL is a documented no-op.
        unsafe {
            vngate_client_free(ptr::null_mut());
            vngate_string_free(ptr::null_mut());
        }
    }

    #[test]
    fn strings_handed_out_are_whole_and_never_hold_a_nul() {
        let given = |text: &str| {
            let mut out: *mut c_char = ptr::null_mut();
            // SAFETY: a valid out-pointer; what it receives is read, then freed, below.
            unsafe { give(&raw mut out, text.to_owned()) };
            // SAFETY: `give` stored a NUL-terminated string from the library.
            let copy = unsafe { CStr::from_ptr(out) }.to_str().unwrap().to_owned();
            // SAFETY: the string came from the library and is freed once.
            unsafe { vngate_string_free(out) };
            copy
        };
        let long = format!("{{\"raw\":\"{}\"}}", "\\\"x".repeat(300));
        assert_eq!(given(&long), long);
        assert_eq!(given(""), "");
        assert_eq!(given("a\0b\0"), "ab");
    }
}
