//! The C entry points on arbitrary bytes. The input is split at NUL bytes into a provider, a
//! config, an operation, a request and callback data. Configs are fuzzed only through
//! `vngate_client_new` (which does no I/O); operations run on a fixed client whose base URL is a
//! closed loopback port, so nothing leaves the machine.
#![no_main]

#[path = "../../ffi/src/lib.rs"]
#[allow(dead_code, clippy::all)]
mod ffi;

use std::ffi::{CString, c_char};
use std::ptr;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;

struct Fixed(*mut ffi::vngate_client);
// SAFETY: a vngate_client is immutable and documented as shareable across threads.
unsafe impl Send for Fixed {}
// SAFETY: as above.
unsafe impl Sync for Fixed {}

fn fixed() -> *const ffi::vngate_client {
    static CLIENT: OnceLock<Fixed> = OnceLock::new();
    CLIENT
        .get_or_init(|| {
            let mut out = ptr::null_mut();
            let config = c"{\"base_url\":\"http://127.0.0.1:9\",\"partner_id\":\"1\",\"partner_key\":\"k\",\"timeout_ms\":200}";
            // SAFETY: NUL-terminated literals and a valid out-pointer.
            let result = unsafe { ffi::vngate_client_new(c"chargingws".as_ptr(), config.as_ptr(), &raw mut out) };
            assert_eq!(result, ffi::vngate_result::Ok);
            Fixed(out)
        })
        .0
}

fn take(out: *mut c_char) {
    // SAFETY: NULL, or a string this library returned and nobody freed.
    unsafe { ffi::vngate_string_free(out) };
}

fuzz_target!(|data: &[u8]| {
    let mut parts = data.splitn(5, |b| *b == 0);
    let mut next = || CString::new(parts.next().unwrap_or_default()).expect("split at NUL");
    let (provider, config, operation, request) = (next(), next(), next(), next());
    let callback = parts.next().unwrap_or_default();

    let mut client = ptr::null_mut();
    // SAFETY: NUL-terminated strings and a valid out-pointer; a client we get back is freed once.
    unsafe {
        if ffi::vngate_client_new(provider.as_ptr(), config.as_ptr(), &raw mut client) == ffi::vngate_result::Ok {
            let mut out = ptr::null_mut();
            let _ = ffi::vngate_client_parse_callback(client, callback.as_ptr().cast(), callback.len(), &raw mut out);
            take(out);
            ffi::vngate_client_free(client);
        }
        let mut out = ptr::null_mut();
        if ffi::vngate_client_call(fixed(), operation.as_ptr(), request.as_ptr(), &raw mut out) == ffi::vngate_result::Ok {
            take(out);
        }
        let mut out = ptr::null_mut();
        let _ = ffi::vngate_client_parse_callback(fixed(), callback.as_ptr().cast(), callback.len(), &raw mut out);
        take(out);
        // The thread-local error strings are always readable.
        let _ = std::ffi::CStr::from_ptr(ffi::vngate_last_error_message());
        let _ = std::ffi::CStr::from_ptr(ffi::vngate_last_error_json());
    }
});
