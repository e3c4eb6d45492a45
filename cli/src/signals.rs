//! SIGINT and SIGTERM during a provider call. Killed by the default action, the command died
//! in the middle of a money call without a word (exit 143), its journal record left `sent`.
//! Around each call a handler notes the signal instead, and vngate's check ends the call at
//! its next step (at most 50 ms): the call's error then says what is known (not sent, or
//! outcome unknown with the reference and "do not resend"), the journal records it, and the
//! command exits with that error's code. Outside calls the default action is back.

use std::sync::atomic::{AtomicI32, Ordering};

static RECEIVED: AtomicI32 = AtomicI32::new(0);

extern "C" fn note(signal: libc::c_int) {
    RECEIVED.store(signal, Ordering::SeqCst);
}

/// Sets the disposition of SIGINT and SIGTERM; returns the previous ones.
#[allow(unsafe_code)]
fn set(handler: libc::sighandler_t) -> [libc::sigaction; 2] {
    [libc::SIGINT, libc::SIGTERM].map(|signal| {
        // SAFETY: sigaction is plain data; an all-zero value is a valid empty mask and no
        // flags (no SA_RESTART: a wait is cut short by the signal, so the check runs at once).
        let mut action: libc::sigaction = unsafe { std::mem::zeroed() };
        action.sa_sigaction = handler;
        let mut previous: libc::sigaction = unsafe { std::mem::zeroed() };
        // SAFETY: valid pointers to initialised sigaction values; `note` only stores to an
        // atomic, which is async-signal-safe.
        unsafe {
            libc::sigemptyset(&raw mut action.sa_mask);
            libc::sigaction(signal, &raw const action, &raw mut previous);
        }
        previous
    })
}

/// Runs `call` (one or more provider calls on this thread) with SIGINT and SIGTERM noted and
/// the calls stopped by them; puts the previous dispositions back after.
#[allow(unsafe_code)]
pub fn during<R>(call: impl FnOnce() -> R) -> R {
    let previous = set(note as *const () as libc::sighandler_t);
    let result =
        vngate::interrupt::with_check(Box::new(|| RECEIVED.load(Ordering::SeqCst) != 0), call);
    for (signal, action) in [libc::SIGINT, libc::SIGTERM].into_iter().zip(previous) {
        // SAFETY: restores a disposition sigaction returned.
        unsafe {
            libc::sigaction(signal, &raw const action, std::ptr::null_mut());
        }
    }
    result
}

/// The signal that stopped a call, once one did.
pub fn received() -> Option<&'static str> {
    match RECEIVED.load(Ordering::SeqCst) {
        libc::SIGINT => Some("SIGINT"),
        libc::SIGTERM => Some("SIGTERM"),
        _ => None,
    }
}

/// Blocks until SIGINT or SIGTERM arrives (the server's main thread), with the default action
/// replaced: the server then stops accepting and lets the calls in flight finish.
pub fn wait_for_stop() {
    let _previous = set(note as *const () as libc::sighandler_t);
    while RECEIVED.load(Ordering::SeqCst) == 0 {
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}
