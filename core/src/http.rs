//! HTTP, configured once and explicitly, and the one place that decides what a failed call
//! means for money: "nothing changed" or "outcome unknown".

use std::io;
use std::time::Duration;

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::error::Error;
use crate::secret::excerpt;

/// HTTP settings shared by every client. In a JSON config these keys sit beside the provider's
/// own keys.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct HttpOptions {
    /// The whole call, from connecting to the last byte of the reply. Default 30 000 ms.
    pub timeout_ms: u64,
    /// Opening the connection (and the TLS handshake). Default 10 000 ms.
    pub connect_timeout_ms: u64,
    /// The largest reply body read; a larger reply is a bad reply. Default 1 MiB.
    pub max_reply_bytes: u64,
    /// An HTTP(S) or SOCKS proxy URL. Default none: vngate ignores `HTTP_PROXY` and friends, so
    /// a stray environment variable cannot route card PINs through an unknown host.
    pub proxy: Option<String>,
}

impl Default for HttpOptions {
    fn default() -> Self {
        Self {
            timeout_ms: 30_000,
            connect_timeout_ms: 10_000,
            max_reply_bytes: 1024 * 1024,
            proxy: None,
        }
    }
}

/// A configured HTTP agent: one keep-alive pool per client, shared by all threads.
#[derive(Debug)]
pub(crate) struct Http {
    agent: ureq::Agent,
    max_reply_bytes: u64,
}

/// A reply as it came: status and bytes.
pub(crate) struct Reply {
    pub status: u16,
    pub body: Vec<u8>,
}

/// Why no reply came.
#[derive(Debug)]
pub(crate) enum Failure {
    /// The request certainly did not leave this machine.
    NotSent(String),
    /// The request may have been delivered; no complete reply came back.
    NoReply(String),
}

/// What an HTTP request carries.
pub(crate) enum Payload<'a> {
    /// GET with these query parameters.
    Query(&'a [(&'a str, String)]),
    /// POST `application/x-www-form-urlencoded`.
    Form(&'a [(&'a str, String)]),
    /// POST `application/json` with this body.
    Json(String),
}

impl Http {
    pub(crate) fn new(options: &HttpOptions) -> Result<Self, Error> {
        if options.timeout_ms == 0 {
            return Err(Error::invalid("timeout_ms", "must be greater than 0"));
        }
        if options.connect_timeout_ms == 0 {
            return Err(Error::invalid(
                "connect_timeout_ms",
                "must be greater than 0",
            ));
        }
        if options.max_reply_bytes == 0 {
            return Err(Error::invalid("max_reply_bytes", "must be greater than 0"));
        }
        let proxy = match &options.proxy {
            None => None,
            Some(url) => Some(
                ureq::Proxy::new(url)
                    .map_err(|_| Error::invalid("proxy", "not a valid proxy URL"))?,
            ),
        };
        let config = ureq::Agent::config_builder()
            .timeout_global(Some(Duration::from_millis(options.timeout_ms)))
            .timeout_connect(Some(Duration::from_millis(options.connect_timeout_ms)))
            // Providers put their error JSON in 4xx/5xx bodies: read them, never hide them.
            .http_status_as_error(false)
            // A redirected POST may be replayed as a GET or to another host; a provider that
            // redirects is misconfigured, and the reply says so.
            .max_redirects(0)
            .proxy(proxy)
            .user_agent(concat!("vngate/", env!("CARGO_PKG_VERSION")))
            .build();
        Ok(Self {
            agent: config.into(),
            max_reply_bytes: options.max_reply_bytes,
        })
    }

    /// Sends one request. Never retries.
    pub(crate) fn send(
        &self,
        url: &str,
        headers: &[(&str, &str)],
        payload: Payload<'_>,
    ) -> Result<Reply, Failure> {
        let result = match payload {
            Payload::Query(params) => {
                let mut request = self.agent.get(url);
                for (name, value) in headers {
                    request = request.header(*name, *value);
                }
                request
                    .query_pairs(params.iter().map(|(k, v)| (*k, v.as_str())))
                    .call()
            }
            Payload::Form(params) => {
                let mut request = self.agent.post(url);
                for (name, value) in headers {
                    request = request.header(*name, *value);
                }
                request.send_form(params.iter().map(|(k, v)| (*k, v.as_str())))
            }
            Payload::Json(body) => {
                let mut request = self
                    .agent
                    .post(url)
                    .header("content-type", "application/json");
                for (name, value) in headers {
                    request = request.header(*name, *value);
                }
                request.send(body)
            }
        };
        let mut response = result.map_err(|e| classify(&e))?;
        let status = response.status().as_u16();
        let body = response
            .body_mut()
            .with_config()
            .limit(self.max_reply_bytes)
            .read_to_vec()
            .map_err(|e| match e {
                ureq::Error::BodyExceedsLimit(limit) => {
                    Failure::NoReply(format!("reply body larger than {limit} bytes"))
                }
                other => classify(&other),
            })?;
        Ok(Reply { status, body })
    }
}

/// Sorts a ureq error into "certainly not sent" and "may have been delivered". Anything not
/// known to happen before the first request byte is written counts as possibly delivered.
fn classify(error: &ureq::Error) -> Failure {
    use ureq::Timeout;
    let not_sent = match error {
        ureq::Error::HostNotFound
        | ureq::Error::ConnectionFailed
        | ureq::Error::BadUri(_)
        | ureq::Error::InvalidProxyUrl
        | ureq::Error::ConnectProxyFailed(_)
        | ureq::Error::Tls(_)
        | ureq::Error::Rustls(_)
        | ureq::Error::Timeout(Timeout::Resolve | Timeout::Connect) => true,
        ureq::Error::Io(io) => {
            matches!(
                io.kind(),
                io::ErrorKind::ConnectionRefused
                    | io::ErrorKind::HostUnreachable
                    | io::ErrorKind::NetworkUnreachable
                    | io::ErrorKind::AddrNotAvailable
            ) || failed_handshake(io)
        }
        _ => false,
    };
    let reason = match error {
        ureq::Error::Timeout(_) => "timed out".to_owned(),
        other => other.to_string(),
    };
    if not_sent {
        Failure::NotSent(reason)
    } else {
        Failure::NoReply(reason)
    }
}

/// ureq reports TLS failures as io errors wrapping rustls's. Certificate and protocol
/// mismatches can only happen in the handshake, before any request byte is sent.
fn failed_handshake(io: &io::Error) -> bool {
    io.get_ref()
        .and_then(|e| e.downcast_ref::<rustls::Error>())
        .is_some_and(|e| {
            matches!(
                e,
                rustls::Error::InvalidCertificate(_)
                    | rustls::Error::NoCertificatesPresented
                    | rustls::Error::PeerIncompatible(_)
                    | rustls::Error::UnsupportedNameType
            )
        })
}

/// One provider call in flight: its name, whether it moves money, and the secrets that must
/// not appear in an error about it. Turns every failure into the right [`Error`].
pub(crate) struct Call<'a> {
    pub operation: &'static str,
    /// For a money-moving call: the caller's reference and how to resolve an unknown outcome.
    pub money: Option<MoneyRef>,
    pub secrets: Vec<&'a str>,
}

/// The caller's handle on a money-moving call.
pub(crate) struct MoneyRef {
    pub field: &'static str,
    pub value: String,
    pub next_step: &'static str,
}

impl<'a> Call<'a> {
    /// A call that only reads: its failures change nothing at the provider.
    pub(crate) fn read_only(operation: &'static str, secrets: Vec<&'a str>) -> Self {
        Self {
            operation,
            money: None,
            secrets,
        }
    }

    /// The error for a reply that never came.
    pub(crate) fn failed(&self, failure: Failure) -> Error {
        // An error's words may quote the URL, and a query string may carry a key.
        let failure = match failure {
            Failure::NotSent(reason) => Failure::NotSent(excerpt(&reason, &self.secrets)),
            Failure::NoReply(reason) => Failure::NoReply(excerpt(&reason, &self.secrets)),
        };
        match failure {
            Failure::NotSent(reason) => Error::Transport {
                reason: format!("{}: {reason} (the request was not sent)", self.operation),
            },
            Failure::NoReply(reason) => self.unknown_or(reason, |reason| Error::Transport {
                reason: format!("{}: {reason}", self.operation),
            }),
        }
    }

    /// The error for a reply that came but cannot be read.
    pub(crate) fn bad_reply(&self, http_status: u16, reason: &str, body: &[u8]) -> Error {
        let text = excerpt(&String::from_utf8_lossy(body), &self.secrets);
        self.unknown_or(
            format!("bad reply (HTTP {http_status}): {reason}: {text:?}"),
            |_| Error::bad_reply(Some(http_status), reason, text.clone()),
        )
    }

    fn unknown_or(&self, reason: String, otherwise: impl FnOnce(String) -> Error) -> Error {
        match &self.money {
            Some(money) => Error::OutcomeUnknown {
                operation: self.operation,
                reference_field: money.field,
                reference: money.value.clone(),
                reason,
                next_step: money.next_step,
            },
            None => otherwise(reason),
        }
    }

    /// Reads a reply body as one JSON object, whatever the HTTP status: providers answer
    /// business errors with 4xx/5xx and a JSON body.
    pub(crate) fn json_object(&self, reply: &Reply) -> Result<Map<String, Value>, Error> {
        match serde_json::from_slice::<Value>(&reply.body) {
            Ok(Value::Object(map)) => Ok(map),
            Ok(_) => Err(self.bad_reply(reply.status, "not a JSON object", &reply.body)),
            Err(_) => Err(self.bad_reply(reply.status, "not JSON", &reply.body)),
        }
    }

    /// Reads a reply body as JSON of any shape.
    pub(crate) fn json_value(&self, reply: &Reply) -> Result<Value, Error> {
        serde_json::from_slice::<Value>(&reply.body)
            .map_err(|_| self.bad_reply(reply.status, "not JSON", &reply.body))
    }
}

/// Checks a base URL and returns it without a trailing slash.
pub(crate) fn base_url(field: &'static str, url: &str) -> Result<String, Error> {
    let trimmed = url.trim_end_matches('/');
    let rest = trimmed
        .strip_prefix("https://")
        .or_else(|| trimmed.strip_prefix("http://"))
        .ok_or_else(|| Error::invalid(field, "must start with http:// or https://"))?;
    if rest.is_empty() || rest.contains(char::is_whitespace) || rest.contains(['?', '#']) {
        return Err(Error::invalid(
            field,
            "must be a URL like https://host[:port][/path]",
        ));
    }
    Ok(trimmed.to_owned())
}
