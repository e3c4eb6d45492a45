//! The connections vngate's agents open: ureq's own TCP (and HTTP CONNECT proxy) and rustls
//! transports, with one change between them: a request leaves in one write.
//!
//! ureq hands the transport the request head and then the body as two writes; on a socket
//! with `TCP_NODELAY` that is two packets, and the server wakes twice for one request (on a
//! provider's busy host, or the loopback benchmark, that is the largest cost of a call).
//! [`OneWrite`] keeps what ureq transmits until ureq waits for the reply, then sends it whole.
//! Under TLS it sits below rustls, so the TLS records of one request go out together too.

use std::fmt;

use ureq::unversioned::transport::{
    Buffers, ConnectProxyConnector, ConnectionDetails, Connector, NextTimeout, RustlsConnector,
    TcpConnector, Transport,
};

/// The connector of vngate's agents.
pub(crate) fn connector() -> impl Connector {
    ().chain(ConnectProxyConnector::default())
        .chain(TcpConnector::default())
        .chain(OneWrite)
        .chain(RustlsConnector::default())
}

/// Wraps the TCP transport in [`Coalescing`].
#[derive(Debug)]
pub(crate) struct OneWrite;

impl<In: Transport> Connector<In> for OneWrite {
    type Out = Coalescing<In>;

    fn connect(
        &self,
        _: &ConnectionDetails,
        chained: Option<In>,
    ) -> Result<Option<Self::Out>, ureq::Error> {
        Ok(chained.map(|inner| Coalescing {
            inner,
            pending: Vec::new(),
        }))
    }
}

/// A transport whose writes wait for the next read.
pub(crate) struct Coalescing<T> {
    inner: T,
    /// What ureq transmitted and the socket has not been given yet.
    pending: Vec<u8>,
}

impl<T> fmt::Debug for Coalescing<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Coalescing")
            .field("pending", &self.pending.len())
            .finish_non_exhaustive()
    }
}

impl<T: Transport> Coalescing<T> {
    /// Gives the socket everything pending, in as few writes as its output buffer allows (one
    /// for any request vngate makes).
    fn flush(&mut self, timeout: NextTimeout) -> Result<(), ureq::Error> {
        let mut sent = 0;
        while sent < self.pending.len() {
            let output = self.inner.buffers().output();
            let amount = output.len().min(self.pending.len() - sent);
            output[..amount].copy_from_slice(&self.pending[sent..sent + amount]);
            self.inner.transmit_output(amount, timeout)?;
            sent += amount;
        }
        self.pending.clear();
        Ok(())
    }
}

impl<T: Transport> Transport for Coalescing<T> {
    fn buffers(&mut self) -> &mut dyn Buffers {
        self.inner.buffers()
    }

    fn transmit_output(&mut self, amount: usize, _: NextTimeout) -> Result<(), ureq::Error> {
        // ureq reuses its output buffer for the next part: keep a copy.
        let output = self.inner.buffers().output();
        self.pending.extend_from_slice(&output[..amount]);
        Ok(())
    }

    fn maybe_await_input(&mut self, timeout: NextTimeout) -> Result<bool, ureq::Error> {
        self.flush(timeout)?;
        self.inner.maybe_await_input(timeout)
    }

    fn await_input(&mut self, timeout: NextTimeout) -> Result<bool, ureq::Error> {
        self.flush(timeout)?;
        self.inner.await_input(timeout)
    }

    fn is_open(&mut self) -> bool {
        self.inner.is_open()
    }

    fn is_tls(&self) -> bool {
        self.inner.is_tls()
    }
}

#[cfg(test)]
mod tests {
    use ureq::unversioned::transport::LazyBuffers;

    use super::*;

    /// A socket that records each write it is given.
    #[derive(Debug)]
    struct Recording {
        buffers: LazyBuffers,
        writes: Vec<Vec<u8>>,
    }

    impl Transport for Recording {
        fn buffers(&mut self) -> &mut dyn Buffers {
            &mut self.buffers
        }
        fn transmit_output(&mut self, amount: usize, _: NextTimeout) -> Result<(), ureq::Error> {
            let written = self.buffers.output()[..amount].to_vec();
            self.writes.push(written);
            Ok(())
        }
        fn await_input(&mut self, _: NextTimeout) -> Result<bool, ureq::Error> {
            Ok(false)
        }
        fn is_open(&mut self) -> bool {
            true
        }
    }

    fn transmit(t: &mut Coalescing<Recording>, bytes: &[u8]) {
        t.buffers().output()[..bytes.len()].copy_from_slice(bytes);
        t.transmit_output(bytes.len(), NextTimeout::default())
            .unwrap();
    }

    #[test]
    fn a_request_head_and_body_reach_the_socket_in_one_write_when_the_reply_is_awaited() {
        let inner = Recording {
            buffers: LazyBuffers::new(64, 20),
            writes: Vec::new(),
        };
        let mut t = Coalescing {
            inner,
            pending: Vec::new(),
        };
        transmit(&mut t, b"POST / HTTP/1.1\r\n");
        transmit(&mut t, b"a=1&b=2");
        assert!(
            t.inner.writes.is_empty(),
            "nothing is written before the reply is awaited"
        );
        t.await_input(NextTimeout::default()).unwrap();
        // 24 bytes through a 20-byte output buffer: two writes, in order, nothing lost.
        assert_eq!(t.inner.writes.concat(), b"POST / HTTP/1.1\r\na=1&b=2");
        assert_eq!(t.inner.writes.len(), 2);
        t.inner.writes.clear();
        transmit(&mut t, b"GET /");
        transmit(&mut t, b" x");
        t.maybe_await_input(NextTimeout::default()).unwrap();
        assert_eq!(t.inner.writes, [b"GET / x".to_vec()]);
    }
}
