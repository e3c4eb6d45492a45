//! A callback receiver: what a shop's callback URL is, for tests and the demo.

use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::server::{Handler, Reply, Server};

/// One callback as it arrived.
#[derive(Debug, Clone)]
pub struct Received {
    /// `GET` or `POST`.
    pub method: String,
    /// The query string (GET callbacks carry their fields here).
    pub query: String,
    /// The body (POST callbacks).
    pub body: Vec<u8>,
}

impl Received {
    /// What a callback parser takes: the body of a POST, the query string of a GET.
    #[must_use]
    pub fn data(&self) -> &[u8] {
        if self.method == "GET" {
            self.query.as_bytes()
        } else {
            &self.body
        }
    }
}

/// Listens on loopback and hands every request to [`CallbackSink::recv`].
pub struct CallbackSink {
    server: Server,
    received: Mutex<Receiver<Received>>,
}

impl CallbackSink {
    /// Starts a sink on a free port.
    ///
    /// # Panics
    /// When no loopback port can be bound.
    #[must_use]
    pub fn start() -> Self {
        let (tx, rx): (Sender<Received>, Receiver<Received>) = channel();
        let tx = Mutex::new(tx);
        let handler: Handler = Arc::new(move |request| {
            let received = Received {
                method: request.method.clone(),
                query: request.query.clone(),
                body: request.body.clone(),
            };
            let _ = tx.lock().map(|tx| tx.send(received));
            Reply::json(&serde_json::json!({"success": true}))
        });
        Self {
            server: Server::start(0, handler).expect("bind a loopback port"),
            received: Mutex::new(rx),
        }
    }

    /// The URL to give the provider.
    #[must_use]
    pub fn url(&self) -> String {
        format!("{}/callback", self.server.url())
    }

    /// The next callback, waiting at most `timeout`.
    #[must_use]
    pub fn recv(&self, timeout: Duration) -> Option<Received> {
        let rx = self.received.lock().ok()?;
        rx.recv_timeout(timeout).ok()
    }
}
