//! `vngate serve`: every operation of the registry over HTTP/JSON, for systems that cannot
//! load a library (old PHP without FFI, Java, .NET, Node, Go, a shell with curl).
//!
//! ```text
//! POST /v1/{provider}/{operation}[?account=NAME]   the operation; body: its request as JSON
//! POST /v1/{provider}/settle[?account=NAME]        {"reference": …}: a journaled call's settlement
//! POST /v1/reconcile                               resolve every open money call (all accounts)
//! GET  /v1/journal/records[?state=…&provider=…]    the journal's records, oldest first
//! GET  /v1/events[?state=pending|delivered|failed] events for the application, oldest first
//! GET  /v1/events/{id}                             an event and its delivery attempts
//! POST /v1/events/{id}/ack                         the application took it (polling)
//! GET  /v1/callbacks[?verified=false]              callbacks received, newest first
//! POST|GET /callbacks/{provider}/{account}         a provider's callback (no token: signed)
//! GET  /v1/openapi.json                            this API, described (no token needed)
//! GET  /health                                     200 while serving (no token needed)
//! ```
//!
//! An operation answers what `vngate_client_call` answers, in the same JSON: its result with
//! `200`, or the error object (`kind`, `message`, the kind's fields) with the status
//! [`status_of`] gives the kind. Every front's promise holds here: bad input is refused with
//! the field named before anything is sent, a money-moving call goes through the journal
//! (written before it is sent, never sent twice: the same reference again is answered by its
//! resolving call), and "outcome unknown" comes with the reference and the call that resolves
//! it.
//!
//! The server is hyper's HTTP/1.1 on a tokio runtime of its own; the blocking core runs on
//! that runtime's blocking threads, one call per thread. A client that leaves mid-call does
//! not stop the call: it finishes, and the journal has its answer.

mod openapi;
mod ops;
mod relay;

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::fmt;
use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::header::{AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use tokio::sync::{Semaphore, oneshot};
use vngate::Error;
use vngate::registry;
use vngate_front::Front;
use vngate_journal::{Filter, JournaledClient, ReconcileReport, State};

pub use openapi::{openapi, openapi_from};
pub use relay::{RelayOptions, WebhookSecret, callback_operation};

/// One account the server answers for: a provider's client (journaled or not) and its name.
pub struct Account {
    /// The provider (`chargingws`, …).
    pub provider: String,
    /// The account's name in the config (`default`, `s1`, …): `?account=` chooses it.
    pub name: String,
    /// Its client.
    pub front: Front,
}

impl fmt::Debug for Account {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Account")
            .field("provider", &self.provider)
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// A bearer token the server accepts. Only its SHA-256 is kept, and compared in constant time:
/// neither the token nor how much of it a guess got right can leak.
#[derive(Clone)]
pub struct Token([u8; 32]);

impl Token {
    /// A token, as the `Authorization: Bearer` header carries it.
    #[must_use]
    pub fn new(token: &str) -> Self {
        Self(Sha256::digest(token.as_bytes()).into())
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(***)")
    }
}

/// How the server listens and what it bounds.
#[derive(Debug, Clone)]
pub struct Options {
    /// Where to listen. Default `127.0.0.1:8080`.
    pub listen: SocketAddr,
    /// Listening on an address other than loopback: off unless the config asks for it, since
    /// the API moves money for whoever holds a token.
    pub public: bool,
    /// The tokens accepted (at least one; several while one is rotated out).
    pub tokens: Vec<Token>,
    /// The largest request body, in bytes. Default 64 KiB (a request is a few hundred bytes).
    pub max_body_bytes: usize,
    /// How long a client may take to send a request's head, and then its body. Default 10 s.
    pub read_timeout: Duration,
    /// Connections open at once; more wait in the listen queue. Default 1024.
    pub max_connections: usize,
    /// Provider calls running at once (threads); more wait their turn. Default 64.
    pub max_calls: usize,
    /// How events reach the application.
    pub relay: RelayOptions,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            public: false,
            tokens: Vec::new(),
            max_body_bytes: 64 * 1024,
            read_timeout: Duration::from_secs(10),
            max_connections: 1024,
            max_calls: 64,
            relay: RelayOptions::default(),
        }
    }
}

/// A running server: [`Server::stop`] or [`Server::wait`].
#[derive(Debug)]
pub struct Server {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Server {
    /// Binds `options.listen` and serves `accounts` on a thread of its own.
    ///
    /// Refused (with why) when there is no token, no account, two accounts of one provider
    /// under one name, or a listen address beyond loopback without `options.public`.
    pub fn start(accounts: Vec<Account>, options: Options) -> Result<Self, String> {
        if options.tokens.is_empty() {
            return Err(
                "no token: the API moves money, so every request must carry a bearer \
                        token (serve.token_env or serve.token_file in the config)"
                    .into(),
            );
        }
        if accounts.is_empty() {
            return Err("no account in the config: add a [<provider>.<account>] table".into());
        }
        if !options.listen.ip().is_loopback() && !options.public {
            return Err(format!(
                "{} is not a loopback address: anyone who reaches it and holds a token can \
                 move money. Put the gateway behind your own proxy on 127.0.0.1, or set \
                 serve.public = true to listen there",
                options.listen
            ));
        }
        let mut by_name = BTreeMap::new();
        for (index, account) in accounts.iter().enumerate() {
            if by_name
                .insert((account.provider.clone(), account.name.clone()), index)
                .is_some()
            {
                return Err(format!(
                    "two accounts {}.{}: names are unique per provider",
                    account.provider, account.name
                ));
            }
        }
        let listener = TcpListener::bind(options.listen)
            .map_err(|e| format!("cannot listen on {}: {e}", options.listen))?;
        listener
            .set_nonblocking(true)
            .map_err(|e| format!("cannot listen on {}: {e}", options.listen))?;
        let addr = listener
            .local_addr()
            .map_err(|e| format!("cannot listen on {}: {e}", options.listen))?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .thread_name("vngate-serve")
            .max_blocking_threads(options.max_calls.max(1))
            .build()
            .map_err(|e| format!("cannot start the server's threads: {e}"))?;
        let state = Arc::new(Gateway {
            accounts,
            by_name,
            openapi: serde_json::to_vec(&openapi()).unwrap_or_default(),
            model: vngate_front::model::Model::load(),
            sessions: ops::Sessions::default(),
            wake: Arc::new(tokio::sync::Notify::new()),
            options,
        });
        let (stop, stopped) = oneshot::channel();
        let thread = std::thread::Builder::new()
            .name("vngate-serve".into())
            .spawn(move || {
                // Dropping the runtime waits for the calls still running on its blocking
                // threads: a stop never abandons a money call half-way (its journal record
                // would stay `sent` until a reconcile).
                runtime.block_on(accept(listener, state, stopped));
            })
            .map_err(|e| format!("cannot start the server's thread: {e}"))?;
        Ok(Self {
            addr,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// Where it listens (the port chosen when `listen` had port 0).
    #[must_use]
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops accepting, lets the calls in flight finish, and returns.
    pub fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.wait_thread();
    }

    /// Serves until the process ends.
    pub fn wait(mut self) {
        self.wait_thread();
    }

    fn wait_thread(&mut self) {
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.wait_thread();
    }
}

struct Gateway {
    accounts: Vec<Account>,
    /// (provider, name) → index in `accounts`.
    by_name: BTreeMap<(String, String), usize>,
    openapi: Vec<u8>,
    model: vngate_front::model::Model,
    /// The ops page's signed-in browsers.
    sessions: ops::Sessions,
    /// Rings the delivery task when an event is added.
    wake: Arc<tokio::sync::Notify>,
    options: Options,
}

impl Gateway {
    /// The journal the relay keeps its inbox and outbox in: the accounts share one.
    fn relay_journal(&self) -> Option<&vngate_journal::Journal> {
        self.accounts
            .iter()
            .find_map(|account| match &account.front {
                Front::Journaled(journaled) => Some(journaled.journal()),
                Front::Plain(_) => None,
            })
    }

    fn journaled(&self, index: usize) -> Option<&JournaledClient> {
        match &self.accounts[index].front {
            Front::Journaled(journaled) => Some(journaled),
            Front::Plain(_) => None,
        }
    }
}

async fn accept(listener: TcpListener, gateway: Arc<Gateway>, mut stopped: oneshot::Receiver<()>) {
    let listener = match tokio::net::TcpListener::from_std(listener) {
        Ok(listener) => listener,
        Err(e) => {
            log::error!(target: "vngate", "serve: cannot listen: {e}");
            return;
        }
    };
    // One permit per open connection: the bound on them, and, once stopped, how the server
    // knows every connection has finished (all permits back).
    let slots = u32::try_from(gateway.options.max_connections.max(1)).unwrap_or(u32::MAX);
    let connections = Arc::new(Semaphore::new(slots as usize));
    let (shutdown, shutting_down) = tokio::sync::watch::channel(false);
    let delivery = tokio::spawn(relay::deliver(
        gateway.clone(),
        gateway.wake.clone(),
        shutting_down.clone(),
    ));
    loop {
        let permit = tokio::select! {
            _ = &mut stopped => break,
            permit = connections.clone().acquire_owned() => permit,
        };
        let Ok(permit) = permit else { break };
        let stream = tokio::select! {
            _ = &mut stopped => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    // Out of file descriptors, mostly: wait a little rather than spin.
                    log::warn!(target: "vngate", "serve: accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        let gateway = gateway.clone();
        let read_timeout = gateway.options.read_timeout;
        let mut shutting_down = shutting_down.clone();
        tokio::spawn(async move {
            let _permit = permit;
            let service = hyper::service::service_fn(move |request| {
                let gateway = gateway.clone();
                async move { Ok::<_, Infallible>(gateway.answer(request).await) }
            });
            // The head must arrive within read_timeout, on a new connection and between
            // kept-alive requests alike: an idle or slow client cannot hold a connection slot.
            let connection = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(read_timeout)
                .max_buf_size(64 * 1024)
                .serve_connection(TokioIo::new(stream), service);
            tokio::pin!(connection);
            tokio::select! {
                _ = connection.as_mut() => {}
                _ = shutting_down.changed() => {
                    // Stopping: the request in progress is answered, then the connection
                    // closes; an idle one closes now.
                    connection.as_mut().graceful_shutdown();
                    let _ = connection.await;
                }
            }
        });
    }
    drop(listener);
    let _ = shutdown.send(true);
    // Every connection finished (its permit back): the answers of the calls in flight were
    // written before the runtime goes.
    let _ = connections.acquire_many(slots).await;
    let _ = delivery.await;
}

type Reply = Response<Full<Bytes>>;

/// The HTTP status of an error kind: 4xx when the request is at fault (nothing was sent),
/// 5xx when the provider's side is (the body's `kind` says which case).
#[must_use]
pub fn status_of(kind: &str) -> u16 {
    match kind {
        "invalid_input" => 400,
        "unauthorized" => 401,
        "not_found" => 404,
        "method_not_allowed" => 405,
        "request_timeout" => 408,
        "payload_too_large" => 413,
        // A callback that does not verify or match: the caller's input, refused.
        "signature_mismatch" | "callback_mismatch" => 422,
        // The provider answered in a way that cannot be read, or refused the credentials.
        "bad_reply" | "auth" => 502,
        // Nothing changed at the provider: safe to retry.
        "transport" => 503,
        // A money call may have reached the provider: resolve it, never resend.
        "outcome_unknown" => 504,
        _ => 500,
    }
}

fn reply(status: u16, body: Vec<u8>) -> Reply {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() =
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

fn error_reply(error: &Error) -> Reply {
    reply(
        status_of(error.kind()),
        error.to_json().to_string().into_bytes(),
    )
}

/// An error of the gateway itself (not of a call): the same shape, `kind` and `message`.
fn gateway_error(kind: &str, message: &str) -> Reply {
    reply(
        status_of(kind),
        json!({"kind": kind, "message": message})
            .to_string()
            .into_bytes(),
    )
}

fn invalid(field: &str, reason: impl Into<String>) -> Reply {
    error_reply(&Error::InvalidInput {
        field: field.into(),
        reason: reason.into(),
    })
}

impl Gateway {
    async fn answer(self: Arc<Self>, request: Request<Incoming>) -> Reply {
        let started = Instant::now();
        let method = request.method().clone();
        let path = request.uri().path().to_owned();
        let response = self.route(request).await;
        // The path and status only: never a body, a query (it may name a reference) or a header.
        log::info!(
            target: "vngate",
            "serve: {method} {path} {} {} ms",
            response.status().as_u16(),
            started.elapsed().as_millis()
        );
        response
    }

    async fn route(self: Arc<Self>, request: Request<Incoming>) -> Reply {
        let path = request.uri().path().to_owned();
        let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
        let method = request.method().clone();
        match (segments.as_slice(), &method) {
            (["health"], &Method::GET) => return reply(200, br#"{"status":"ok"}"#.to_vec()),
            (["v1", "openapi.json"], &Method::GET) => return reply(200, self.openapi.clone()),
            // The ops page: a browser signs in with a token once (a session cookie).
            (["ops", ..], _) => return self.ops(&segments, request).await,
            // A provider's callback: no token (the provider has none), its signature instead.
            (["callbacks", provider, account], &Method::GET | &Method::POST) => {
                let (provider, account) = ((*provider).to_owned(), (*account).to_owned());
                return self.callback(&provider, &account, request).await;
            }
            _ => {}
        }
        if !self.authorized(&request) {
            let mut response = gateway_error(
                "unauthorized",
                "missing or wrong bearer token: send Authorization: Bearer <token>",
            );
            response.headers_mut().insert(
                hyper::header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer"),
            );
            return response;
        }
        let query = decode_query(request.uri().query().unwrap_or_default());
        let query = match query {
            Ok(query) => query,
            Err(reason) => return invalid("query", reason),
        };
        match (segments.as_slice(), method) {
            (["v1", "journal", "records"], Method::GET) => self.records(&query).await,
            (["v1", "events"], Method::GET) => self.events(&query).await,
            (["v1", "events", id], Method::GET) => self.event(id).await,
            (["v1", "events", id, "ack"], Method::POST) => self.ack(id).await,
            (["v1", "callbacks"], Method::GET) => self.callbacks(&query).await,
            (["v1", "reconcile"], Method::POST) => self.reconcile().await,
            (["v1", provider, "settle"], Method::POST) => {
                let body = match self.body(request).await {
                    Ok(body) => body,
                    Err(reply) => return *reply,
                };
                self.settle(provider, &query, &body).await
            }
            (["v1", provider, operation], Method::POST) => {
                let (provider, operation) = ((*provider).to_owned(), (*operation).to_owned());
                let body = match self.body(request).await {
                    Ok(body) => body,
                    Err(reply) => return *reply,
                };
                self.operation(&provider, &operation, &query, body).await
            }
            (
                ["v1", _, _]
                | ["v1", "reconcile" | "events" | "callbacks"]
                | ["v1", "events", _, _],
                _,
            ) => gateway_error("method_not_allowed", "operations take POST; lists take GET"),
            _ => gateway_error("not_found", "no such path: see /v1/openapi.json"),
        }
    }

    fn authorized(&self, request: &Request<Incoming>) -> bool {
        request
            .headers()
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .is_some_and(|given| self.token_matches(given.trim()))
    }

    /// Whether `given` is one of the tokens. Every token is compared, whichever matches: the
    /// time says nothing of which.
    fn token_matches(&self, given: &str) -> bool {
        let given = Token::new(given);
        self.options
            .tokens
            .iter()
            .fold(subtle::Choice::from(0), |found, token| {
                found | token.0.ct_eq(&given.0)
            })
            .into()
    }

    /// The body as sent, within the size and time limits.
    async fn raw_body(&self, request: Request<Incoming>) -> Result<Vec<u8>, Box<Reply>> {
        let limit = self.options.max_body_bytes;
        let too_large = || {
            gateway_error(
                "payload_too_large",
                &format!("the body is larger than {limit} bytes"),
            )
        };
        let declared = request
            .headers()
            .get(CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|n| n > limit as u64) {
            return Err(Box::new(too_large()));
        }
        let read = Limited::new(request.into_body(), limit).collect();
        match tokio::time::timeout(self.options.read_timeout, read).await {
            Err(_) => Err(Box::new(gateway_error(
                "request_timeout",
                "the body did not arrive in time",
            ))),
            Ok(Err(e)) if e.is::<http_body_util::LengthLimitError>() => Err(Box::new(too_large())),
            Ok(Err(_)) => Err(Box::new(gateway_error(
                "invalid_input",
                "the body could not be read",
            ))),
            Ok(Ok(body)) => Ok(body.to_bytes().to_vec()),
        }
    }

    /// The body as a request: empty is `{}`.
    async fn body(&self, request: Request<Incoming>) -> Result<Vec<u8>, Box<Reply>> {
        let body = self.raw_body(request).await?;
        Ok(if body.iter().all(u8::is_ascii_whitespace) {
            b"{}".to_vec()
        } else {
            body
        })
    }

    /// The account `?account=` names, else the provider's only one, else its `default`.
    fn account(
        &self,
        provider: &str,
        query: &BTreeMap<String, String>,
    ) -> Result<usize, Box<Reply>> {
        if !vngate::api::PROVIDERS.contains(&provider) {
            return Err(Box::new(gateway_error(
                "not_found",
                &format!(
                    "no provider {provider:?}: one of {}",
                    vngate::api::PROVIDERS.join(", ")
                ),
            )));
        }
        let mut of_provider = self
            .by_name
            .iter()
            .filter(|((p, _), _)| p == provider)
            .peekable();
        if of_provider.peek().is_none() {
            return Err(Box::new(gateway_error(
                "not_found",
                &format!("no {provider} account in the config"),
            )));
        }
        let names: Vec<&str> = of_provider.map(|((_, n), _)| n.as_str()).collect();
        let wanted = match query.get("account") {
            Some(name) => name.as_str(),
            None if names.len() == 1 => names[0],
            None => "default",
        };
        self.by_name
            .get(&(provider.to_owned(), wanted.to_owned()))
            .copied()
            .ok_or_else(|| {
                Box::new(gateway_error(
                    "not_found",
                    &format!(
                        "no {provider} account {wanted:?} (accounts: {}): choose with ?account=",
                        names.join(", ")
                    ),
                ))
            })
    }

    async fn operation(
        self: Arc<Self>,
        provider: &str,
        operation: &str,
        query: &BTreeMap<String, String>,
        body: Vec<u8>,
    ) -> Reply {
        let index = match self.account(provider, query) {
            Ok(index) => index,
            Err(reply) => return *reply,
        };
        let Some(op) = registry::find(provider, operation) else {
            return gateway_error(
                "not_found",
                &format!(
                    "{provider} has no operation {operation:?}: one of {}",
                    registry::of(provider)
                        .map(|op| op.name)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            );
        };
        // The request is one JSON object (`{}` when there is nothing to give); anything else
        // is refused here, where it can be said plainly.
        let Ok(Value::Object(fields)) = serde_json::from_slice::<Value>(&body) else {
            return invalid("request", "the body is not one JSON object");
        };
        let Ok(request) = String::from_utf8(body) else {
            return invalid("request", "the body is not UTF-8");
        };
        let reference = op
            .money
            .and_then(|money| fields.get(money.reference_field))
            .and_then(Value::as_str)
            .map(str::to_owned);
        let gateway = self.clone();
        let call = tokio::task::spawn_blocking(move || {
            let result = gateway.accounts[index].front.call(op.name, &request);
            // A money call answered final: the application hears of it once, as it would
            // of a callback's settlement.
            if let (Ok(_), Some(reference), Some(journaled)) =
                (&result, &reference, gateway.journaled(index))
            {
                gateway.settled(journaled, index, reference);
            }
            result
        });
        match call.await {
            Ok(Ok(result)) => reply(200, result.into_bytes()),
            Ok(Err(error)) => error_reply(&error),
            // The call panicked: nothing is known of it beyond what the journal kept.
            Err(_) => gateway_error("internal", "the call failed inside vngate; see the journal"),
        }
    }

    async fn settle(
        self: Arc<Self>,
        provider: &str,
        query: &BTreeMap<String, String>,
        body: &[u8],
    ) -> Reply {
        let index = match self.account(provider, query) {
            Ok(index) => index,
            Err(reply) => return *reply,
        };
        let reference = match serde_json::from_slice::<Value>(body) {
            Ok(Value::Object(map)) => match map.get("reference") {
                Some(Value::String(reference)) if !reference.is_empty() => reference.clone(),
                _ => {
                    return invalid(
                        "reference",
                        "the body names the call: {\"reference\": \"…\"}",
                    );
                }
            },
            _ => return invalid("request", "the body is not one JSON object"),
        };
        let gateway = self.clone();
        let settled = tokio::task::spawn_blocking(move || {
            let settled = gateway.accounts[index].front.settle(&reference);
            if let (Ok(_), Some(journaled)) = (&settled, gateway.journaled(index)) {
                gateway.settled(journaled, index, &reference);
            }
            settled
        });
        match settled.await {
            Ok(Ok(settlement)) => reply(200, settlement.into_bytes()),
            Ok(Err(error)) => error_reply(&error),
            Err(_) => gateway_error("internal", "the settlement failed inside vngate"),
        }
    }

    async fn reconcile(self: Arc<Self>) -> Reply {
        let gateway = self.clone();
        let report = tokio::task::spawn_blocking(move || {
            let mut total = ReconcileReport::default();
            for (index, account) in gateway.accounts.iter().enumerate() {
                if let Front::Journaled(journaled) = &account.front {
                    let report = journaled.reconcile(&mut |_, _| {})?;
                    for line in report.lines.iter().filter(|line| line.after.is_final()) {
                        gateway.settled(journaled, index, &line.reference);
                    }
                    total.absorb(report);
                }
            }
            Ok::<_, Error>(total)
        });
        match report.await {
            Ok(Ok(report)) => reply(200, serde_json::to_vec(&report).unwrap_or_default()),
            Ok(Err(error)) => error_reply(&error),
            Err(_) => gateway_error("internal", "the reconcile failed inside vngate"),
        }
    }

    /// Adds `money.settled` for a record once it is final (once per record), and wakes the
    /// delivery. Blocking.
    fn settled(&self, journaled: &JournaledClient, index: usize, reference: &str) {
        let account = &self.accounts[index];
        match relay::settled_event(journaled, &account.provider, &account.name, reference) {
            Ok(true) => self.wake.notify_one(),
            Ok(false) => {}
            Err(e) => log::error!(
                target: "vngate",
                "serve: the settled event of a {} call: {e}",
                account.provider
            ),
        }
    }

    async fn callback(
        self: Arc<Self>,
        provider: &str,
        account: &str,
        request: Request<Incoming>,
    ) -> Reply {
        let method = request.method().as_str().to_owned();
        let Some(&index) = self.by_name.get(&(provider.to_owned(), account.to_owned())) else {
            return gateway_error("not_found", "no such account");
        };
        if self.journaled(index).is_none() || relay::callback_operation(provider).is_none() {
            return gateway_error("not_found", "this account takes no callbacks");
        }
        let data = if method == "GET" {
            request
                .uri()
                .query()
                .unwrap_or_default()
                .as_bytes()
                .to_vec()
        } else {
            match self.raw_body(request).await {
                Ok(body) => body,
                Err(reply) => return *reply,
            }
        };
        let gateway = self.clone();
        let (provider, account) = (provider.to_owned(), account.to_owned());
        let taken = tokio::task::spawn_blocking(move || {
            let journaled = gateway.journaled(index).expect("checked above");
            relay::take(
                journaled,
                &gateway.model,
                &provider,
                &account,
                &method,
                &data,
            )
        })
        .await;
        match taken {
            Ok(taken) => {
                if taken.events > 0 {
                    self.wake.notify_one();
                }
                reply(taken.status, taken.body.into_bytes())
            }
            Err(_) => gateway_error("internal", "the callback failed inside vngate; it is kept"),
        }
    }

    /// Runs `read` on the relay's journal on a blocking thread, its answer as JSON.
    async fn relay_read<T: serde::Serialize + Send + 'static>(
        self: Arc<Self>,
        read: impl FnOnce(&vngate_journal::Journal) -> Result<Option<T>, vngate_journal::JournalError>
        + Send
        + 'static,
    ) -> Reply {
        let gateway = self.clone();
        let read = tokio::task::spawn_blocking(move || match gateway.relay_journal() {
            Some(journal) => read(journal),
            None => Ok(None),
        });
        match read.await {
            Ok(Ok(Some(value))) => reply(200, serde_json::to_vec(&value).unwrap_or_default()),
            Ok(Ok(None)) => gateway_error("not_found", "no such event"),
            Ok(Err(e)) => error_reply(&e.into_vngate()),
            Err(_) => gateway_error("internal", "the read failed inside vngate"),
        }
    }

    async fn events(self: Arc<Self>, query: &BTreeMap<String, String>) -> Reply {
        let state = query.get("state").cloned();
        if state
            .as_deref()
            .is_some_and(|s| !["pending", "delivered", "failed"].contains(&s))
        {
            return invalid("state", "pending, delivered or failed");
        }
        let Ok(limit) = limit(query) else {
            return invalid("limit", "a positive integer");
        };
        self.relay_read(move |journal| journal.outbox(state.as_deref(), limit).map(Some))
            .await
    }

    async fn event(self: Arc<Self>, id: &str) -> Reply {
        let id = id.to_owned();
        self.relay_read(move |journal| {
            Ok(journal
                .outbox_event(&id)?
                .map(|(event, attempts)| json!({"event": event, "attempts": attempts})))
        })
        .await
    }

    async fn ack(self: Arc<Self>, id: &str) -> Reply {
        let id = id.to_owned();
        self.relay_read(move |journal| {
            if journal.outbox_event(&id)?.is_none() {
                return Ok(None);
            }
            let acknowledged = journal.outbox_ack(&id)?;
            Ok(Some(json!({"id": id, "acknowledged": acknowledged})))
        })
        .await
    }

    async fn callbacks(self: Arc<Self>, query: &BTreeMap<String, String>) -> Reply {
        let verified = match query.get("verified").map(String::as_str) {
            None => None,
            Some("true") => Some(true),
            Some("false") => Some(false),
            Some(_) => return invalid("verified", "true or false"),
        };
        let Ok(limit) = limit(query) else {
            return invalid("limit", "a positive integer");
        };
        self.relay_read(move |journal| journal.inbox(verified, limit).map(Some))
            .await
    }

    async fn records(self: Arc<Self>, query: &BTreeMap<String, String>) -> Reply {
        let mut filter = Filter::default();
        for state in query.get("state").into_iter().flat_map(|s| s.split(',')) {
            match State::parse(state) {
                Some(state) => filter.states.push(state),
                None => return invalid("state", format!("no state {state:?}")),
            }
        }
        filter.provider = query.get("provider").cloned();
        filter.account = query.get("account").cloned();
        let Ok(limit) = limit(query) else {
            return invalid("limit", "a positive integer");
        };
        filter.limit = Some(limit);
        let gateway = self.clone();
        let listed = tokio::task::spawn_blocking(move || {
            // The accounts of one config share a journal: list it once.
            let Some(Front::Journaled(journaled)) = gateway
                .accounts
                .iter()
                .map(|a| &a.front)
                .find(|f| matches!(f, Front::Journaled(_)))
            else {
                return Ok(Vec::new());
            };
            journaled.journal().list(&filter)
        });
        match listed.await {
            Ok(Ok(records)) => reply(200, serde_json::to_vec(&records).unwrap_or_default()),
            Ok(Err(error)) => error_reply(&error.into_vngate()),
            Err(_) => gateway_error("internal", "the listing failed inside vngate"),
        }
    }
}

/// `?limit=`: a positive integer, default 1000.
fn limit(query: &BTreeMap<String, String>) -> Result<u32, ()> {
    match query.get("limit").map(|n| n.parse::<u32>()) {
        None => Ok(1000),
        Some(Ok(n)) if n > 0 => Ok(n),
        Some(_) => Err(()),
    }
}

fn decode_query(query: &str) -> Result<BTreeMap<String, String>, String> {
    let mut map = BTreeMap::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let decode = |s: &str| {
            percent_encoding::percent_decode_str(&s.replace('+', " "))
                .decode_utf8()
                .map(std::borrow::Cow::into_owned)
                .map_err(|_| "the query is not UTF-8".to_owned())
        };
        if map.insert(decode(k)?, decode(v)?).is_some() {
            return Err(format!("{k} is given twice"));
        }
    }
    Ok(map)
}
