//! Host names to addresses for ureq without a thread or a DNS lookup per call.
//!
//! A name is resolved only to open a connection (a kept-alive one needs no address). ureq's
//! default resolver ran every lookup on a new thread when a timeout was set (vngate always
//! sets one), and ureq resolved before it looked in its pool: a thread and a `getaddrinfo` per
//! call, even on a pooled connection, and a DNS blip failed a call that had a live connection.
//! This resolver returns IP literals as they are, keeps each name's addresses for
//! `dns_cache_secs` in a cache shared by the whole process (a php-fpm worker keeps it across
//! requests), and looks up only on a miss, on a thread of its own so that the connect timeout
//! holds. When a refresh fails, the addresses last seen are used (and the lookup retried after
//! [`RETRY_AFTER_FAILURE`]): the provider did not move because a DNS server hiccupped.
//!
//! It implements ureq's `unversioned` resolver trait, outside ureq's semver: the workspace
//! pins ureq to 3.5.x for it (and for [`super::transport`] and [`super::exchange`]).

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::sync::{Mutex, OnceLock, PoisonError, mpsc};
use std::time::{Duration, Instant};

use ureq::config::Config;
use ureq::http::Uri;
use ureq::unversioned::resolver::{DefaultResolver, ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::NextTimeout;

/// How soon a failed lookup is tried again while stale addresses serve the calls.
const RETRY_AFTER_FAILURE: Duration = Duration::from_secs(5);

/// `host:port` to its addresses.
type Lookup = fn(&str) -> std::io::Result<Vec<SocketAddr>>;

/// The system's resolver (`getaddrinfo`).
fn system_lookup(host_port: &str) -> std::io::Result<Vec<SocketAddr>> {
    host_port.to_socket_addrs().map(Iterator::collect)
}

/// A failed lookup, as the error the connect step reports: nothing can have been sent to a
/// host whose address was never known, and [`failed_lookup`] lets the caller say so (a
/// resolver's own error is an `io::Error` of no particular kind, like many that come after
/// bytes left).
#[derive(Debug)]
struct LookupFailed {
    host_port: String,
    cause: std::io::Error,
}

impl std::fmt::Display for LookupFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "cannot look up {}: {}", self.host_port, self.cause)
    }
}

impl std::error::Error for LookupFailed {}

fn lookup_failed(host_port: &str, cause: std::io::Error) -> ureq::Error {
    ureq::Error::Io(std::io::Error::new(
        cause.kind(),
        LookupFailed {
            host_port: host_port.to_owned(),
            cause,
        },
    ))
}

/// Whether `e` is a host name that could not be looked up.
pub(crate) fn failed_lookup(e: &std::io::Error) -> bool {
    e.get_ref()
        .is_some_and(|inner| inner.downcast_ref::<LookupFailed>().is_some())
}

/// A name's addresses: when they were looked up, and when a refresh last failed. Each client
/// judges freshness by its own `dns_cache_secs`.
struct Entry {
    addrs: Vec<SocketAddr>,
    looked_up: Instant,
    refresh_failed: Option<Instant>,
}

impl Entry {
    fn fresh(&self, ttl: Duration) -> bool {
        self.looked_up.elapsed() < ttl
            || self
                .refresh_failed
                .is_some_and(|failed| failed.elapsed() < RETRY_AFTER_FAILURE.min(ttl))
    }
}

type Cache = Mutex<HashMap<String, Entry>>;

/// The process's cache: every client shares it.
fn process_cache() -> &'static Cache {
    static CACHE: OnceLock<Cache> = OnceLock::new();
    CACHE.get_or_init(Cache::default)
}

/// The resolver of one client's agents.
pub(crate) struct CachingResolver {
    ttl: Duration,
    lookup: Lookup,
    cache: &'static Cache,
}

impl std::fmt::Debug for CachingResolver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CachingResolver")
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

impl CachingResolver {
    pub(crate) fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            lookup: system_lookup,
            cache: process_cache(),
        }
    }

    /// The addresses of `host_port`, from the cache or a lookup.
    fn addresses(
        &self,
        host_port: &str,
        timeout: NextTimeout,
    ) -> Result<Vec<SocketAddr>, ureq::Error> {
        let stale = {
            let cache = self.cache.lock().unwrap_or_else(PoisonError::into_inner);
            match cache.get(host_port) {
                Some(entry) if entry.fresh(self.ttl) => return Ok(entry.addrs.clone()),
                Some(entry) => Some(entry.addrs.clone()),
                None => None,
            }
        };
        let started = Instant::now();
        let looked_up = self.lookup_within(host_port, timeout);
        let mut cache = self.cache.lock().unwrap_or_else(PoisonError::into_inner);
        match (looked_up, stale) {
            (Ok(addrs), _) => {
                log::debug!(
                    target: "vngate",
                    "dns {host_port}: {} address(es) in {} ms, kept {} s",
                    addrs.len(),
                    started.elapsed().as_millis(),
                    self.ttl.as_secs()
                );
                cache.insert(
                    host_port.to_owned(),
                    Entry {
                        addrs: addrs.clone(),
                        looked_up: Instant::now(),
                        refresh_failed: None,
                    },
                );
                Ok(addrs)
            }
            (Err(e), Some(addrs)) => {
                log::info!(
                    target: "vngate",
                    "dns {host_port}: lookup failed ({e}); using the {} address(es) last seen",
                    addrs.len()
                );
                if let Some(entry) = cache.get_mut(host_port) {
                    entry.refresh_failed = Some(Instant::now());
                }
                Ok(addrs)
            }
            (Err(e), None) => Err(e),
        }
    }

    /// One lookup, within the call's timeout: on this thread when there is no timeout, else
    /// on a thread of its own (once per miss, not per call) that is left behind if it hangs.
    fn lookup_within(
        &self,
        host_port: &str,
        timeout: NextTimeout,
    ) -> Result<Vec<SocketAddr>, ureq::Error> {
        let found = if timeout.after.is_not_happening() {
            (self.lookup)(host_port).map_err(|e| lookup_failed(host_port, e))?
        } else {
            let (tx, rx) = mpsc::sync_channel(1);
            let (lookup, owned) = (self.lookup, host_port.to_owned());
            std::thread::Builder::new()
                .name("vngate-dns".into())
                .spawn(move || tx.send(lookup(&owned)).ok())
                .map_err(ureq::Error::Io)?;
            // In steps inside `interrupt::with_check`, asking the check between them.
            let (budget, started) = (*timeout.after, Instant::now());
            let stepped = super::interrupt::stepped();
            loop {
                let left = budget.saturating_sub(started.elapsed());
                let wait = super::interrupt::step(Some(left), stepped).unwrap_or(left);
                match rx.recv_timeout(wait) {
                    Ok(found) => break found.map_err(|e| lookup_failed(host_port, e))?,
                    Err(mpsc::RecvTimeoutError::Timeout) if wait < left => {
                        if super::interrupt::requested() {
                            return Err(ureq::Error::Io(
                                super::interrupt::error_before_connecting(),
                            ));
                        }
                    }
                    Err(mpsc::RecvTimeoutError::Timeout) => {
                        return Err(ureq::Error::Timeout(timeout.reason));
                    }
                    Err(mpsc::RecvTimeoutError::Disconnected) => {
                        return Err(ureq::Error::HostNotFound);
                    }
                }
            }
        };
        if found.is_empty() {
            Err(ureq::Error::HostNotFound)
        } else {
            Ok(found)
        }
    }
}

impl Resolver for CachingResolver {
    fn resolve(
        &self,
        uri: &Uri,
        config: &Config,
        timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
        let target = uri
            .scheme()
            .zip(uri.authority())
            .and_then(|(scheme, authority)| {
                let port = authority.port_u16().or(match scheme.as_str() {
                    "http" => Some(80),
                    "https" => Some(443),
                    s if s.starts_with("socks") => Some(1080),
                    _ => None,
                })?;
                Some((authority.host(), port))
            });
        let Some((host, port)) = target else {
            // Not a URL this resolver knows: ureq's own says why.
            return DefaultResolver::default().resolve(uri, config, timeout);
        };
        let literal = host.trim_start_matches('[').trim_end_matches(']');
        let addrs = match literal.parse::<IpAddr>() {
            Ok(ip) => vec![SocketAddr::new(ip, port)],
            Err(_) => self.addresses(&format!("{host}:{port}"), timeout)?,
        };
        let mut out = self.empty();
        for addr in config.ip_family().keep_wanted(addrs.into_iter()).take(16) {
            out.push(addr);
        }
        if out.is_empty() {
            return Err(ureq::Error::HostNotFound);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    static LOOKUPS: AtomicUsize = AtomicUsize::new(0);
    static FAIL: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

    fn counting_lookup(_: &str) -> std::io::Result<Vec<SocketAddr>> {
        LOOKUPS.fetch_add(1, Ordering::SeqCst);
        if FAIL.load(Ordering::SeqCst) {
            Err(std::io::Error::other("SERVFAIL"))
        } else {
            Ok(vec!["192.0.2.7:443".parse().unwrap()])
        }
    }

    fn resolver(ttl: Duration) -> CachingResolver {
        CachingResolver {
            ttl,
            lookup: counting_lookup,
            cache: Box::leak(Box::default()),
        }
    }

    fn resolve(r: &CachingResolver, url: &str) -> Result<Vec<SocketAddr>, ureq::Error> {
        let uri: Uri = url.parse().unwrap();
        let timeout = NextTimeout {
            after: ureq::unversioned::transport::time::Duration::from(Duration::from_secs(2)),
            ..NextTimeout::default()
        };
        r.resolve(&uri, &Config::default(), timeout)
            .map(|a| a.to_vec())
    }

    // One test: the counters are shared.
    #[test]
    fn names_are_cached_literals_never_looked_up_and_stale_addresses_survive_a_failed_refresh() {
        let r = resolver(Duration::from_secs(3600));
        assert_eq!(
            resolve(&r, "http://127.0.0.1:8080/x").unwrap(),
            ["127.0.0.1:8080".parse().unwrap()]
        );
        assert_eq!(
            resolve(&r, "https://[::1]/x").unwrap(),
            ["[::1]:443".parse().unwrap()]
        );
        assert_eq!(
            LOOKUPS.load(Ordering::SeqCst),
            0,
            "an IP literal is not looked up"
        );
        for _ in 0..1000 {
            assert_eq!(
                resolve(&r, "https://api.example.vn/x").unwrap(),
                ["192.0.2.7:443".parse().unwrap()]
            );
        }
        assert_eq!(LOOKUPS.load(Ordering::SeqCst), 1, "one lookup per TTL");

        // TTL 0: a lookup per call; the lookup failing with nothing seen before fails the call.
        let uncached = resolver(Duration::ZERO);
        LOOKUPS.store(0, Ordering::SeqCst);
        for _ in 0..3 {
            resolve(&uncached, "https://api.example.vn/x").unwrap();
        }
        assert_eq!(LOOKUPS.load(Ordering::SeqCst), 3);
        FAIL.store(true, Ordering::SeqCst);
        let never_seen = resolver(Duration::ZERO);
        assert!(resolve(&never_seen, "https://other.example.vn/x").is_err());
        // Seen before: the stale addresses serve the call, and the next lookup waits a while.
        LOOKUPS.store(0, Ordering::SeqCst);
        let stale = resolve(&uncached, "https://api.example.vn/x").unwrap();
        assert_eq!(stale, ["192.0.2.7:443".parse().unwrap()]);
        FAIL.store(false, Ordering::SeqCst);
        assert_eq!(LOOKUPS.load(Ordering::SeqCst), 1);
    }
}
