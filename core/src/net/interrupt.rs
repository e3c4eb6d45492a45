//! Stopping a blocking call from the thread that makes it.
//!
//! Some hosts run their signal handlers on one thread only, and only between their own
//! instructions: Python runs them on its main thread. A call that blocks there for its whole
//! timeout keeps Ctrl-C (or a SIGTERM handler that raises) waiting. Inside [`with_check`],
//! every wait of a call on this thread (the DNS lookup, the connect, each read and write) lasts
//! at most [`STEP`] and is cut short by a signal (`EINTR`); after each, `check` runs, and when
//! it answers `true` the call ends at once with an "interrupted" error: for a money-moving
//! call, "outcome unknown" (the request may have been sent).
//!
//! Without a check installed nothing changes: waits last as long as the call's timeouts allow.

use std::cell::RefCell;
use std::io;
use std::time::Duration;

/// The longest wait between two checks.
pub const STEP: Duration = Duration::from_millis(50);

/// Why an interrupted wait ended (inside an `io::Error`), and whether the request could have
/// left by then (not while looking up the host or connecting).
#[derive(Debug)]
struct Interrupted {
    connected: bool,
}

impl std::fmt::Display for Interrupted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("interrupted: the caller stopped waiting")?;
        if !self.connected {
            f.write_str(" before the connection was open")?;
        }
        Ok(())
    }
}

impl std::error::Error for Interrupted {}

type Check = Box<dyn Fn() -> bool>;

thread_local! {
    static CHECK: RefCell<Option<Check>> = const { RefCell::new(None) };
}

/// Runs `call` with `check` asked, on this thread, at least every [`STEP`] while the call
/// waits, and after a signal interrupts a wait; `true` ends the call. Nests: an inner check
/// replaces the outer one until the inner call returns.
pub fn with_check<R>(check: Check, call: impl FnOnce() -> R) -> R {
    /// Puts the outer check back however `call` ends.
    struct Restore(Option<Check>);
    impl Drop for Restore {
        fn drop(&mut self) {
            let outer = self.0.take();
            let _ = CHECK.try_with(|slot| *slot.borrow_mut() = outer);
        }
    }
    let outer = CHECK.with(|slot| slot.borrow_mut().replace(check));
    let _restore = Restore(outer);
    call()
}

/// Whether a check is installed on this thread (its waits are then stepped).
pub(crate) fn stepped() -> bool {
    CHECK
        .try_with(|slot| slot.try_borrow().is_ok_and(|check| check.is_some()))
        .unwrap_or(false)
}

/// Asks the check; `true`: end the call now.
pub(crate) fn requested() -> bool {
    // Taken out while it runs: it may run code (a signal handler) that makes a call of its own.
    let Some(check) = CHECK
        .try_with(|slot| slot.try_borrow_mut().ok().and_then(|mut c| c.take()))
        .ok()
        .flatten()
    else {
        return false;
    };
    let stop = check();
    let _ = CHECK.try_with(|slot| {
        if let Ok(mut slot) = slot.try_borrow_mut() {
            slot.get_or_insert(check);
        }
    });
    stop
}

/// The wait for a timeout of `wanted`: at most [`STEP`] when stepped.
pub(crate) fn step(wanted: Option<Duration>, stepped: bool) -> Option<Duration> {
    if stepped {
        Some(wanted.map_or(STEP, |w| w.min(STEP)))
    } else {
        wanted
    }
}

/// The error of a wait interrupted on an open connection (the request may have left).
pub(crate) fn error() -> io::Error {
    io::Error::other(Interrupted { connected: true })
}

/// The error of a wait interrupted while looking up the host or connecting (nothing sent).
pub(crate) fn error_before_connecting() -> io::Error {
    io::Error::other(Interrupted { connected: false })
}

/// Whether `e` is [`error_before_connecting`]'s.
pub(crate) fn before_connecting(e: &io::Error) -> bool {
    e.get_ref()
        .and_then(|inner| inner.downcast_ref::<Interrupted>())
        .is_some_and(|interrupted| !interrupted.connected)
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;
    use std::rc::Rc;

    use super::*;

    #[test]
    fn a_check_is_asked_only_inside_with_check_and_nests() {
        assert!(!stepped() && !requested());
        let asked = Rc::new(Cell::new(0));
        let counter = Rc::clone(&asked);
        let stop = with_check(
            Box::new(move || {
                counter.set(counter.get() + 1);
                true
            }),
            || {
                assert!(stepped());
                let inner = with_check(Box::new(|| false), requested);
                assert!(!inner, "the inner check answers inside");
                requested()
            },
        );
        assert!(stop);
        assert_eq!(
            asked.get(),
            1,
            "the outer check is back after the inner call"
        );
        assert!(!stepped() && !requested(), "gone after the call");
    }

    #[test]
    fn stepped_waits_are_short() {
        assert_eq!(
            step(Some(Duration::from_secs(30)), false),
            Some(Duration::from_secs(30))
        );
        assert_eq!(step(Some(Duration::from_secs(30)), true), Some(STEP));
        assert_eq!(step(None, true), Some(STEP));
        assert_eq!(
            step(Some(Duration::from_millis(7)), true),
            Some(Duration::from_millis(7))
        );
    }
}
