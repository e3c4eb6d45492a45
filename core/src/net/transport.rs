//! The connections vngate opens: ureq's HTTP CONNECT proxy and rustls layers over a TCP
//! transport of vngate's own ([`Tcp`]), which does per call the least a client must:
//!
//! - **one write per request**: the exchange hands a transport the request head and then the
//!   body; on a socket with `TCP_NODELAY` that would be two packets, and the server would wake
//!   twice for one request. What is transmitted waits until the reply is awaited, then leaves
//!   whole. Under TLS this sits below rustls, so the records of one request go out together too;
//! - **no socket option per call**: a timeout is the time left of the call, a new value for
//!   every read and write; the socket's timeout is set to that value rounded down to 5
//!   significant bits (so the same from one call to the next), and a read that times out early
//!   because of the rounding is retried for the exact rest;
//! - **one liveness probe per reuse**, of one syscall (`recv` with `MSG_PEEK | MSG_DONTWAIT`)
//!   where ureq's pool toggled the socket to non-blocking and back around a read.
//!
//! It implements ureq's `unversioned` transport traits, outside ureq's semver: the workspace
//! pins ureq to 3.5.x for it (and for [`super::exchange`] and [`super::resolve`]).

use std::fmt;
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use ureq::unversioned::transport::{
    Buffers, ConnectProxyConnector, ConnectionDetails, Connector, LazyBuffers, NextTimeout,
    RustlsConnector, Transport,
};

/// The connector of vngate's agents.
pub(crate) fn connector() -> impl Connector {
    ().chain(Tunnel(ConnectProxyConnector::default()))
        .chain(TcpConnect)
        .chain(RustlsConnector::default())
}

/// ureq's CONNECT proxy layer, whose every failure is reported as what it is: the tunnel to
/// the provider never opened, so not one byte of the request was written to the provider. A
/// proxy that answers CONNECT with garbage surfaced as a protocol error, which reads like a
/// provider's broken reply: a money call's outcome would have been called unknown.
#[derive(Debug)]
struct Tunnel(ConnectProxyConnector);

impl<In: Transport> Connector<In> for Tunnel {
    type Out = <ConnectProxyConnector as Connector<In>>::Out;

    fn connect(
        &self,
        details: &ConnectionDetails,
        chained: Option<In>,
    ) -> Result<Option<Self::Out>, ureq::Error> {
        self.0
            .connect(details, chained)
            .map_err(|error| match error {
                ureq::Error::Timeout(_) => ureq::Error::Timeout(ureq::Timeout::Connect),
                already @ ureq::Error::ConnectProxyFailed(_) => already,
                other => ureq::Error::ConnectProxyFailed(format!(
                    "the proxy did not open a tunnel: {other}"
                )),
            })
    }
}

/// Opens [`Tcp`] transports (unless a proxy layer already did).
#[derive(Debug)]
pub(crate) struct TcpConnect;

impl<In: Transport> Connector<In> for TcpConnect {
    type Out = ureq::unversioned::transport::Either<In, Tcp>;

    fn connect(
        &self,
        details: &ConnectionDetails,
        chained: Option<In>,
    ) -> Result<Option<Self::Out>, ureq::Error> {
        use ureq::unversioned::transport::Either;
        if let Some(chained) = chained {
            return Ok(Some(Either::A(chained)));
        }
        let stream = connect(&details.addrs, details.timeout)?;
        if details.config.no_delay() {
            stream.set_nodelay(true)?;
        }
        let buffers = LazyBuffers::new(
            details.config.input_buffer_size(),
            details.config.output_buffer_size(),
        );
        Ok(Some(Either::B(Tcp {
            stream,
            buffers,
            pending: Vec::new(),
            read_timeout: None,
            write_timeout: None,
        })))
    }
}

/// Tries each address in turn within the connect timeout. Every failure here happens before
/// a request byte is written: a timeout is reported as the connect timeout (nothing sent).
fn connect(addrs: &[SocketAddr], timeout: NextTimeout) -> Result<TcpStream, ureq::Error> {
    let started = Instant::now();
    let budget = timeout.not_zero().map(|t| *t);
    let stepped = super::interrupt::stepped();
    let mut last = None;
    for addr in addrs {
        let left = budget.map(|budget| budget.saturating_sub(started.elapsed()));
        if left.is_some_and(|left| left.is_zero()) {
            break;
        }
        match connect_one(addr, left, stepped) {
            Ok(stream) => return Ok(stream),
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock
                ) =>
            {
                last = Some(ureq::Error::Timeout(ureq::Timeout::Connect));
            }
            // Stopped by the caller: no other address is tried.
            Err(e) if super::interrupt::before_connecting(&e) => return Err(ureq::Error::Io(e)),
            Err(e) => last = Some(ureq::Error::Io(e)),
        }
    }
    Err(last.unwrap_or(ureq::Error::Timeout(ureq::Timeout::Connect)))
}

/// Elsewhere: the standard library's, not in steps (the check runs once the connection is
/// open).
#[cfg(not(unix))]
fn connect_one(addr: &SocketAddr, budget: Option<Duration>, _: bool) -> io::Result<TcpStream> {
    match budget {
        Some(budget) => TcpStream::connect_timeout(addr, budget),
        None => TcpStream::connect(addr),
    }
}

/// `TcpStream::connect_timeout`, and in steps when `stepped` (see [`super::interrupt`]): a
/// non-blocking connect, then `poll`, for at most a step at a time when stepped, asking the
/// check between steps.
#[cfg(unix)]
fn connect_one(
    addr: &SocketAddr,
    budget: Option<Duration>,
    stepped: bool,
) -> io::Result<TcpStream> {
    use rustix::event::{PollFd, PollFlags, Timespec, poll};
    use socket2::{Domain, Protocol, Socket, Type};

    // Non-blocking from its creation, the error read only when poll reports one (as the
    // standard library does), blocking again by one ioctl: 4 syscalls (socket, connect, poll,
    // ioctl) where `TcpStream::connect_timeout` makes 5 and socket2's defaults 8.
    let socket = Socket::new(
        Domain::for_address(*addr),
        Type::STREAM.nonblocking(),
        Some(Protocol::TCP),
    )?;
    match socket.connect(&(*addr).into()) {
        Ok(()) => {}
        Err(e) if e.raw_os_error() == Some(libc::EINPROGRESS) => {
            let started = Instant::now();
            let revents = loop {
                let left = budget.map(|b| b.saturating_sub(started.elapsed()));
                if left.is_some_and(|l| l.is_zero()) {
                    return Err(io::ErrorKind::TimedOut.into());
                }
                let wait = super::interrupt::step(left, stepped)
                    .map(Timespec::try_from)
                    .transpose()
                    .map_err(|_| io::ErrorKind::InvalidInput)?;
                let mut fds = [PollFd::new(&socket, PollFlags::OUT)];
                match poll(&mut fds, wait.as_ref()) {
                    Ok(0) | Err(rustix::io::Errno::INTR) => {
                        if stepped && super::interrupt::requested() {
                            return Err(super::interrupt::error_before_connecting());
                        }
                    }
                    Ok(_) => break fds[0].revents(),
                    Err(e) => return Err(e.into()),
                }
            };
            // Linux reports a refused connect as POLLOUT | POLLERR | POLLHUP.
            if revents.intersects(PollFlags::ERR | PollFlags::HUP) {
                return Err(socket.take_error()?.unwrap_or_else(|| {
                    io::Error::other("the connect failed without an error set")
                }));
            }
        }
        Err(e) => return Err(e),
    }
    rustix::io::ioctl_fionbio(&socket, false)?;
    Ok(socket.into())
}

/// A socket timeout that stays the same from one call to the next: `left` rounded down to 5
/// significant bits of milliseconds (at most 1/16 shorter; the caller retries for the rest).
fn steady(left: Duration) -> Duration {
    let ms = u64::try_from(left.as_millis()).unwrap_or(u64::MAX).max(1);
    let shift = (64 - ms.leading_zeros()).saturating_sub(5);
    Duration::from_millis((ms >> shift) << shift)
}

/// A TCP connection; see the module's documentation.
pub(crate) struct Tcp {
    stream: TcpStream,
    buffers: LazyBuffers,
    /// What was transmitted and the socket has not been given yet.
    pending: Vec<u8>,
    read_timeout: Option<Duration>,
    write_timeout: Option<Duration>,
}

impl fmt::Debug for Tcp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tcp")
            .field("peer", &self.stream.peer_addr().ok())
            .finish_non_exhaustive()
    }
}

/// Whether an I/O error is a socket timeout.
fn timed_out(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock
    )
}

impl Tcp {
    /// Runs `io` until it is done or `timeout` has passed: the socket's timeout is set (when it
    /// changes) to a steady value no longer than what is left, and `io` is run again on a
    /// socket timeout or a signal while time is left. Inside [`super::interrupt::with_check`]
    /// the socket's timeout is at most its step and the check runs after each wake.
    fn within<T>(
        &mut self,
        timeout: NextTimeout,
        write: bool,
        mut io: impl FnMut(&mut Self) -> io::Result<T>,
    ) -> Result<T, ureq::Error> {
        let started = Instant::now();
        let budget = timeout.not_zero().map(|t| *t);
        let stepped = super::interrupt::stepped();
        // The caller measured the time left just now: the first try needs no clock reading.
        let mut first = true;
        loop {
            let left = budget.map(|b| {
                if first {
                    b
                } else {
                    b.saturating_sub(started.elapsed())
                }
            });
            first = false;
            if left.is_some_and(|l| l.is_zero()) {
                return Err(ureq::Error::Timeout(timeout.reason));
            }
            let wanted = super::interrupt::step(left.map(steady), stepped);
            let current = if write {
                self.write_timeout
            } else {
                self.read_timeout
            };
            if current != wanted {
                if write {
                    self.stream.set_write_timeout(wanted)?;
                    self.write_timeout = wanted;
                } else {
                    self.stream.set_read_timeout(wanted)?;
                    self.read_timeout = wanted;
                }
            }
            match io(self) {
                Ok(value) => return Ok(value),
                Err(e) if e.kind() == io::ErrorKind::Interrupted || timed_out(&e) => {
                    if stepped && super::interrupt::requested() {
                        return Err(ureq::Error::Io(super::interrupt::error()));
                    }
                    if timed_out(&e) && budget.is_none() && !stepped {
                        return Err(ureq::Error::Timeout(timeout.reason));
                    }
                }
                Err(e) => return Err(ureq::Error::Io(e)),
            }
        }
    }

    /// Gives the socket everything pending, in one write.
    fn flush(&mut self, timeout: NextTimeout) -> Result<(), ureq::Error> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let pending = std::mem::take(&mut self.pending);
        let mut sent = 0;
        let result = self.within(timeout.for_write(), true, |tcp| {
            while sent < pending.len() {
                match tcp.stream.write(&pending[sent..]) {
                    Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                    Ok(n) => sent += n,
                    Err(e) => return Err(e),
                }
            }
            Ok(())
        });
        // The buffer is kept for the next request (its capacity, not its bytes).
        self.pending = pending;
        self.pending.clear();
        result
    }
}

impl Transport for Tcp {
    fn buffers(&mut self) -> &mut dyn Buffers {
        &mut self.buffers
    }

    fn transmit_output(&mut self, amount: usize, _: NextTimeout) -> Result<(), ureq::Error> {
        // The output buffer is reused for the next part: keep a copy.
        let output = self.buffers.output();
        self.pending.extend_from_slice(&output[..amount]);
        Ok(())
    }

    fn maybe_await_input(&mut self, timeout: NextTimeout) -> Result<bool, ureq::Error> {
        self.flush(timeout)?;
        if self.buffers.can_use_input() {
            return Ok(true);
        }
        self.await_input(timeout)
    }

    fn await_input(&mut self, timeout: NextTimeout) -> Result<bool, ureq::Error> {
        self.flush(timeout)?;
        let (buffered, room) = (
            self.buffers.input().len(),
            self.buffers.input_append_buf().len(),
        );
        if room == 0 {
            // More of a reply head that fills the whole buffer is awaited: a read would get
            // nothing, which looks like a disconnect.
            return Err(ureq::Error::Io(io::Error::other(format!(
                "the reply head does not fit in {buffered} bytes"
            ))));
        }
        let amount = self.within(timeout.for_read(), false, |tcp| {
            let input = tcp.buffers.input_append_buf();
            tcp.stream.read(input)
        })?;
        self.buffers.input_appended(amount);
        Ok(amount > 0)
    }

    fn is_open(&mut self) -> bool {
        // A connection is kept only with nothing left in its buffer (see `super::exchange`).
        probe(&self.stream)
    }
}

/// Whether an idle connection is still usable: nothing to read (the server sent nothing
/// unasked) and not closed. One `recv(MSG_PEEK | MSG_DONTWAIT)`.
#[cfg(unix)]
fn probe(stream: &TcpStream) -> bool {
    let mut byte = [std::mem::MaybeUninit::<u8>::uninit()];
    let peeked = socket2::SockRef::from(stream)
        .recv_with_flags(&mut byte, libc::MSG_PEEK | libc::MSG_DONTWAIT);
    matches!(peeked, Err(e) if e.kind() == io::ErrorKind::WouldBlock)
}

/// Elsewhere: a non-blocking peek, as ureq does it.
#[cfg(not(unix))]
fn probe(stream: &TcpStream) -> bool {
    if stream.set_nonblocking(true).is_err() {
        return false;
    }
    let open = matches!(stream.peek(&mut [0]), Err(e) if e.kind() == io::ErrorKind::WouldBlock);
    stream.set_nonblocking(false).is_ok() && open
}

#[cfg(test)]
mod tests {
    use std::net::TcpListener;

    use super::*;

    #[test]
    fn steady_timeouts_round_down_by_at_most_a_sixteenth_and_repeat() {
        for ms in [1, 7, 31, 32, 33, 600, 29_999, 30_000] {
            let left = Duration::from_millis(ms);
            let steady = steady(left);
            assert!(
                steady <= left && steady * 16 >= left * 15,
                "{ms} ms -> {steady:?}"
            );
        }
        // The time left of two calls a few milliseconds apart: one socket timeout.
        assert_eq!(
            steady(Duration::from_millis(29_998)),
            steady(Duration::from_millis(29_700))
        );
    }

    /// A connect that hangs (the server's accept queue is full, so its SYNs go unanswered)
    /// ends at the check's first `true`, as nothing sent.
    #[test]
    fn a_stepped_connect_ends_when_the_check_says_so() {
        use socket2::{Domain, Socket, Type};
        let listener = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
        listener
            .bind(&"127.0.0.1:0".parse::<SocketAddr>().unwrap().into())
            .unwrap();
        listener.listen(0).unwrap();
        let addr = listener.local_addr().unwrap().as_socket().unwrap();
        let mut queued = Vec::new();
        let hangs =
            (0..64).any(
                |_| match TcpStream::connect_timeout(&addr, Duration::from_millis(200)) {
                    Ok(stream) => {
                        queued.push(stream);
                        false
                    }
                    Err(_) => true,
                },
            );
        assert!(hangs, "the accept queue never filled");
        let started = Instant::now();
        let result = crate::interrupt::with_check(
            Box::new(move || started.elapsed() >= Duration::from_millis(150)),
            || connect_one(&addr, Some(Duration::from_secs(10)), true),
        );
        let waited = started.elapsed();
        let error = result.expect_err("no connection can open");
        assert!(crate::interrupt::before_connecting(&error), "{error}");
        assert!(waited < Duration::from_secs(1), "{waited:?}");
        // Not stepped: the connect timeout ends it.
        let started = Instant::now();
        let error = connect_one(&addr, Some(Duration::from_millis(200)), false)
            .expect_err("no connection can open");
        assert_eq!(error.kind(), io::ErrorKind::TimedOut, "{error}");
        assert!(started.elapsed() < Duration::from_secs(1));
    }

    #[test]
    fn a_connect_stepped_or_not_reports_a_refusal_and_hands_over_a_blocking_stream() {
        for stepped in [true, false] {
            let check = || -> Box<dyn Fn() -> bool> { Box::new(|| false) };
            // A port nobody listens on (bound, then closed).
            let closed = TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap();
            let refused = crate::interrupt::with_check(check(), || {
                connect_one(&closed, Some(Duration::from_secs(5)), stepped)
            });
            let error = refused.expect_err("nothing listens there");
            assert_eq!(error.kind(), io::ErrorKind::ConnectionRefused, "{error}");

            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            let addr = listener.local_addr().unwrap();
            let stream = crate::interrupt::with_check(check(), || {
                connect_one(&addr, Some(Duration::from_secs(5)), stepped)
            })
            .expect("connects");
            let (mut server, _) = listener.accept().unwrap();
            // Blocking again: a read waits for the bytes instead of failing with WouldBlock.
            std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(50));
                server.write_all(b"x").unwrap();
            });
            let mut byte = [0u8; 1];
            assert_eq!((&stream).read(&mut byte).unwrap(), 1, "stepped: {stepped}");
        }
    }

    #[test]
    fn the_probe_sees_unasked_bytes_and_a_closed_connection() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (mut server, _) = listener.accept().unwrap();
        assert!(probe(&client), "idle and open");
        server.write_all(b"x").unwrap();
        std::thread::sleep(Duration::from_millis(50));
        assert!(!probe(&client), "a byte nobody asked for");
        let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (server, _) = listener.accept().unwrap();
        drop(server);
        std::thread::sleep(Duration::from_millis(50));
        assert!(!probe(&client), "closed by the server");
    }
}
