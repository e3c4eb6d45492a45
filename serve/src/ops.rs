//! The ops page: the journal and the relay as a person reads them, server-rendered HTML with
//! no script and no build step, readable on a phone. Money records by state, totals per day
//! and provider, a record's history (its masked request, every state change, its callbacks
//! and the event that told the application), deliveries and their attempts, refused
//! callbacks, and a reconcile button.
//!
//! A browser signs in once with a token (`/ops/login`): the session is a random id in an
//! `HttpOnly`, `SameSite=Strict` cookie, held in memory for 12 hours; the reconcile button also
//! carries the session's own CSRF token. A bearer token opens the pages too (for scripts).
//! Nothing secret is shown: requests are the journal's masked ones, callbacks stay sealed,
//! events carry no secret.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::{CACHE_CONTROL, CONTENT_TYPE, COOKIE, HeaderValue, LOCATION, SET_COOKIE};
use hyper::{Method, Request, Response, StatusCode};
use serde_json::Value;
use vngate_journal::{Filter, Journal, Record, State};

use crate::{Gateway, Reply};

const COOKIE_NAME: &str = "vngate_ops";
const SESSION_LIFE: Duration = Duration::from_secs(12 * 3600);
const DAY_MS: i64 = 86_400_000;

/// The signed-in browsers: session id → (CSRF token, expiry).
#[derive(Default)]
pub(crate) struct Sessions(Mutex<HashMap<String, (String, Instant)>>);

impl Sessions {
    fn open(&self) -> (String, String) {
        let (id, csrf) = (random_hex(), random_hex());
        let mut sessions = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let now = Instant::now();
        sessions.retain(|_, (_, expires)| *expires > now);
        sessions.insert(id.clone(), (csrf.clone(), now + SESSION_LIFE));
        (id, csrf)
    }

    /// The session's CSRF token, while it lives.
    fn csrf(&self, id: &str) -> Option<String> {
        let sessions = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        sessions
            .get(id)
            .filter(|(_, expires)| *expires > Instant::now())
            .map(|(csrf, _)| csrf.clone())
    }

    fn close(&self, id: &str) {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(id);
    }
}

fn random_hex() -> String {
    let mut bytes = [0u8; 32];
    // getrandom fails only without an entropy source, where nothing here can be safe: a
    // session id of zeros would be guessable, so the sign-in is refused instead (no session).
    if getrandom::fill(&mut bytes).is_err() {
        return String::new();
    }
    vngate::hex(&bytes)
}

/// Text for HTML: `&`, `<`, `>`, `"` and `'` escaped.
fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A query component for a link.
fn q(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, percent_encoding::NON_ALPHANUMERIC).to_string()
}

const STYLE: &str = "
body{font:15px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:0;color:#1b1f24;background:#f6f7f9}
header{background:#1b1f24;color:#fff;padding:.6rem 1rem;display:flex;flex-wrap:wrap;gap:.4rem 1rem;align-items:center}
header a{color:#cfe3ff;text-decoration:none}header strong{margin-right:.5rem}
main{max-width:62rem;margin:0 auto;padding:1rem}
h1{font-size:1.3rem;margin:.2rem 0 1rem}h2{font-size:1.05rem;margin:1.4rem 0 .5rem}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(9rem,1fr));gap:.6rem}
.card{background:#fff;border:1px solid #dde1e6;border-radius:.5rem;padding:.6rem .8rem;text-decoration:none;color:inherit}
.card b{display:block;font-size:1.5rem}
.scroll{overflow-x:auto;background:#fff;border:1px solid #dde1e6;border-radius:.5rem}
table{border-collapse:collapse;width:100%;font-size:.9rem}
th,td{padding:.4rem .6rem;border-bottom:1px solid #eef0f2;text-align:left;white-space:nowrap}
td.wrap{white-space:normal;word-break:break-all}
.s{border-radius:.3rem;padding:.05rem .4rem;font-size:.8rem;background:#e8eaed}
.succeeded,.delivered{background:#d3f2dc}.failed{background:#fbd9d9}
.unknown,.attention,.sent{background:#ffe7b3}.pending,.not_found,.intent{background:#dbe8ff}
button{font:inherit;padding:.5rem 1rem;border-radius:.4rem;border:1px solid #1b1f24;background:#1b1f24;color:#fff}
.note{background:#fff;border-left:4px solid #1b1f24;padding:.5rem .8rem;margin:.6rem 0}
form.inline{display:inline}input{font:inherit;padding:.45rem;width:100%;max-width:24rem;box-sizing:border-box}
pre{white-space:pre-wrap;word-break:break-all;background:#fff;border:1px solid #dde1e6;padding:.6rem;border-radius:.5rem}
";

fn page(title: &str, body: &str, csrf: Option<&str>) -> String {
    let reconcile = csrf.map_or_else(String::new, |csrf| {
        format!(
            "<form class=inline method=post action=/ops/reconcile><input type=hidden name=csrf value=\"{}\"><button>Reconcile</button></form>",
            esc(csrf)
        )
    });
    format!(
        "<!doctype html><html lang=en><head><meta charset=utf-8>\
         <meta name=viewport content=\"width=device-width, initial-scale=1\">\
         <title>vngate · {title}</title><style>{STYLE}</style></head><body>\
         <header><strong>vngate</strong><a href=/ops>Overview</a><a href=/ops/records>Records</a>\
         <a href=/ops/events>Deliveries</a><a href=/ops/callbacks>Callbacks</a>{reconcile}</header>\
         <main><h1>{title}</h1>{body}</main></body></html>",
        title = esc(title)
    )
}

fn html(status: u16, body: String) -> Reply {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    let headers = response.headers_mut();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        "content-security-policy",
        HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'"),
    );
    headers.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    headers.insert("referrer-policy", HeaderValue::from_static("no-referrer"));
    response
}

fn see_other(location: &str, cookie: Option<String>) -> Reply {
    let mut response = html(303, String::new());
    if let Ok(location) = HeaderValue::from_str(location) {
        response.headers_mut().insert(LOCATION, location);
    }
    if let Some(cookie) = cookie.and_then(|c| HeaderValue::from_str(&c).ok()) {
        response.headers_mut().insert(SET_COOKIE, cookie);
    }
    response
}

fn session_of(request: &Request<Incoming>) -> Option<String> {
    request
        .headers()
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|pair| {
            let (name, value) = pair.trim().split_once('=')?;
            (name == COOKIE_NAME).then(|| value.to_owned())
        })
}

fn badge(state: &str) -> String {
    format!("<span class=\"s {0}\">{0}</span>", esc(state))
}

fn form_field(body: &[u8], name: &str) -> Option<String> {
    crate::decode_query(std::str::from_utf8(body).ok()?)
        .ok()?
        .remove(name)
}

impl Gateway {
    pub(crate) async fn ops(self: Arc<Self>, path: &[&str], request: Request<Incoming>) -> Reply {
        let method = request.method().clone();
        if path == ["ops", "login"] {
            return self.login(&method, request).await;
        }
        // Signed in: a live session, or a bearer token (scripts, tests).
        let (session, csrf) = session_of(&request)
            .and_then(|id| self.sessions.csrf(&id).map(|csrf| (id, csrf)))
            .unzip();
        if session.is_none() && !self.authorized(&request) {
            return see_other("/ops/login", None);
        }
        let query =
            crate::decode_query(request.uri().query().unwrap_or_default()).unwrap_or_default();
        match (path, method) {
            (["ops", "logout"], Method::POST) => {
                if let Some(id) = &session {
                    self.sessions.close(id);
                }
                see_other(
                    "/ops/login",
                    Some(format!(
                        "{COOKIE_NAME}=; Max-Age=0; Path=/ops; HttpOnly; SameSite=Strict"
                    )),
                )
            }
            (["ops", "reconcile"], Method::POST) => {
                let body = match self.raw_body(request).await {
                    Ok(body) => body,
                    Err(reply) => return *reply,
                };
                let given = form_field(&body, "csrf").unwrap_or_default();
                // With a session the form must carry its token; a bearer token is its own proof.
                if session.is_some()
                    && !csrf.as_deref().is_some_and(|csrf| {
                        subtle::ConstantTimeEq::ct_eq(csrf.as_bytes(), given.as_bytes()).into()
                    })
                {
                    return html(
                        403,
                        page(
                            "Refused",
                            "<p>The form is stale: reload the page and try again.</p>",
                            None,
                        ),
                    );
                }
                self.ops_reconcile(csrf.as_deref()).await
            }
            (_, method) if method != Method::GET => {
                html(405, page("Not allowed", "", csrf.as_deref()))
            }
            (["ops"], _) => self.read_page(csrf, overview).await,
            (["ops", "records"], _) => {
                self.read_page(csrf, move |journal| records(journal, &query))
                    .await
            }
            (["ops", "record"], _) => {
                self.read_page(csrf, move |journal| record(journal, &query))
                    .await
            }
            (["ops", "events"], _) => {
                self.read_page(csrf, move |journal| events(journal, &query))
                    .await
            }
            (["ops", "event"], _) => {
                self.read_page(csrf, move |journal| event(journal, &query))
                    .await
            }
            (["ops", "callbacks"], _) => {
                self.read_page(csrf, move |journal| callbacks(journal, &query))
                    .await
            }
            _ => html(
                404,
                page("Not found", "<p>No such page.</p>", csrf.as_deref()),
            ),
        }
    }

    async fn login(self: Arc<Self>, method: &Method, request: Request<Incoming>) -> Reply {
        let form = |note: &str| {
            page(
                "Sign in",
                &format!(
                    "{note}<form method=post action=/ops/login><p><label for=token>Token</label></p>\
                     <p><input id=token name=token type=password autocomplete=current-password autofocus></p>\
                     <p><button>Sign in</button></p></form>"
                ),
                None,
            )
        };
        if *method != Method::POST {
            return html(200, form(""));
        }
        let body = match self.raw_body(request).await {
            Ok(body) => body,
            Err(reply) => return *reply,
        };
        let token = form_field(&body, "token").unwrap_or_default();
        if !self.token_matches(token.trim()) {
            return html(
                401,
                form("<p class=note>That token is not one this server takes.</p>"),
            );
        }
        let (id, _) = self.sessions.open();
        if id.is_empty() {
            return html(
                500,
                form("<p class=note>No random source: sessions cannot be made.</p>"),
            );
        }
        see_other(
            "/ops",
            Some(format!(
                "{COOKIE_NAME}={id}; Max-Age={}; Path=/ops; HttpOnly; SameSite=Strict",
                SESSION_LIFE.as_secs()
            )),
        )
    }

    async fn read_page(
        self: Arc<Self>,
        csrf: Option<String>,
        render: impl FnOnce(&Journal) -> Result<(String, String), String> + Send + 'static,
    ) -> Reply {
        let gateway = self.clone();
        let rendered = tokio::task::spawn_blocking(move || match gateway.relay_journal() {
            Some(journal) => render(journal),
            None => Err("no journal".into()),
        })
        .await;
        match rendered {
            Ok(Ok((title, body))) => html(200, page(&title, &body, csrf.as_deref())),
            Ok(Err(why)) => html(
                500,
                page(
                    "Cannot read the journal",
                    &format!("<p class=note>{}</p>", esc(&why)),
                    csrf.as_deref(),
                ),
            ),
            Err(_) => html(500, page("Failed", "", csrf.as_deref())),
        }
    }

    async fn ops_reconcile(self: Arc<Self>, csrf: Option<&str>) -> Reply {
        let reply = self.clone().reconcile().await;
        let status = reply.status().as_u16();
        let body = http_body_util::BodyExt::collect(reply.into_body())
            .await
            .map(http_body_util::Collected::to_bytes)
            .unwrap_or_default();
        let report: Value = serde_json::from_slice(&body).unwrap_or_default();
        let mut text = if status == 200 {
            format!(
                "<p class=note>Checked {}, resolved {}, still open {}, closed as never sent {}, awaiting a callback {}, errors {}.</p>",
                report["checked"],
                report["resolved"],
                report["still_open"],
                report["not_sent"],
                report["awaiting_callback"],
                report["errors"]
            )
        } else {
            format!(
                "<p class=note>The reconcile failed: {}</p>",
                esc(report["message"].as_str().unwrap_or("unknown error"))
            )
        };
        text.push_str(
            "<div class=scroll><table><tr><th>reference<th>before<th>after<th>call<th>note</tr>",
        );
        for line in report["lines"].as_array().into_iter().flatten() {
            let _ = write!(
                text,
                "<tr><td>{}<td>{}<td>{}<td>{} {}<td>{}</tr>",
                esc(line["reference"].as_str().unwrap_or_default()),
                badge(line["before"].as_str().unwrap_or_default()),
                badge(line["after"].as_str().unwrap_or_default()),
                esc(line["provider"].as_str().unwrap_or_default()),
                esc(line["operation"].as_str().unwrap_or_default()),
                esc(line["note"].as_str().unwrap_or_default()),
            );
        }
        text.push_str("</table></div><p><a href=/ops>Back to the overview</a></p>");
        html(status, page("Reconcile", &text, csrf))
    }
}

fn day(ms: i64) -> String {
    vngate_front::utc(ms)[..10].to_owned()
}

fn amount_of(record: &Record) -> i64 {
    serde_json::from_str::<Value>(&record.request)
        .ok()
        .and_then(|r| r["amount"].as_i64())
        .unwrap_or(0)
}

fn overview(journal: &Journal) -> Result<(String, String), String> {
    let e = |e: vngate_journal::JournalError| e.to_string();
    let mut open_states = State::OPEN.to_vec();
    open_states.push(State::Intent);
    let mut open = Filter::default();
    open.states = open_states;
    let open = journal.list(&open).map_err(e)?;
    let mut recent = Filter::default();
    recent.created_since_ms = Some(vngate_journal::now_ms() - 14 * DAY_MS);
    let recent = journal.list(&recent).map_err(e)?;
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    let mut seen = std::collections::BTreeSet::new();
    for record in open.iter().chain(&recent) {
        if seen.insert(record.id) {
            *counts.entry(record.state.as_str()).or_default() += 1;
        }
    }
    let mut body = String::from("<h2>Money records by state</h2><div class=cards>");
    for (label, states) in [
        ("Pending", "intent,sent,pending,not_found"),
        ("Unknown", "unknown"),
        ("Attention", "attention"),
        ("Succeeded (14 days)", "succeeded"),
        ("Failed (14 days)", "failed"),
        ("Never sent (14 days)", "not_sent"),
    ] {
        let n: usize = states
            .split(',')
            .map(|s| counts.get(s).copied().unwrap_or(0))
            .sum();
        let _ = write!(
            body,
            "<a class=card href=\"/ops/records?state={}\"><b>{n}</b>{label}</a>",
            q(states)
        );
    }
    body.push_str("</div><h2>Per day and provider (14 days)</h2><div class=scroll><table><tr><th>day<th>provider<th>succeeded<th>failed<th>open<th>amount requested, succeeded</tr>");
    let mut days: BTreeMap<(String, &str), [i64; 4]> = BTreeMap::new();
    for record in &recent {
        let totals = days
            .entry((day(record.created_at_ms), record.provider.as_str()))
            .or_default();
        match record.state {
            State::Succeeded => {
                totals[0] += 1;
                totals[3] += amount_of(record);
            }
            State::Failed => totals[1] += 1,
            State::NotSent => {}
            _ => totals[2] += 1,
        }
    }
    for ((day, provider), [succeeded, failed, open, amount]) in days.iter().rev() {
        let _ = write!(
            body,
            "<tr><td>{}<td>{}<td>{succeeded}<td>{failed}<td>{open}<td>{}</tr>",
            esc(day),
            esc(provider),
            group_digits(*amount)
        );
    }
    if days.is_empty() {
        body.push_str("<tr><td colspan=6>No money call in 14 days.</tr>");
    }
    body.push_str("</table></div><h2>Deliveries to the application</h2><div class=cards>");
    for state in ["pending", "failed", "delivered"] {
        let n = journal
            .outbox(Some(state), 100_000)
            .map_or(0, |events| events.len());
        let _ = write!(
            body,
            "<a class=card href=\"/ops/events?state={state}\"><b>{n}</b>{state}</a>"
        );
    }
    let refused = journal.inbox(Some(false), 1000).map_or(0, |c| c.len());
    let _ = write!(
        body,
        "<a class=card href=\"/ops/callbacks?verified=false\"><b>{refused}</b>callbacks refused</a></div>"
    );
    Ok(("Overview".into(), body))
}

fn group_digits(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(' ');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

fn records(
    journal: &Journal,
    query: &BTreeMap<String, String>,
) -> Result<(String, String), String> {
    let mut filter = Filter::default();
    for state in query.get("state").into_iter().flat_map(|s| s.split(',')) {
        filter.states.extend(State::parse(state));
    }
    filter.provider = query.get("provider").cloned();
    let mut records = journal.list(&filter).map_err(|e| e.to_string())?;
    records.reverse();
    records.truncate(500);
    let title = match query.get("state") {
        Some(state) => format!("Records: {state}"),
        None => "Records".into(),
    };
    let mut body = format!(
        "<p>{} shown, newest first.</p><div class=scroll><table><tr><th>reference<th>state<th>operation<th>account<th>created (UTC)<th>attempts<th>note</tr>",
        records.len()
    );
    for r in &records {
        let _ = write!(
            body,
            "<tr><td><a href=\"/ops/record?provider={}&account={}&reference={}\">{}</a><td>{}<td>{}<td>{}<td>{}<td>{}<td class=wrap>{}</tr>",
            q(&r.provider),
            q(&r.account),
            q(&r.reference),
            esc(&r.reference),
            badge(r.state.as_str()),
            esc(&r.operation),
            esc(&format!("{}.{}", r.provider, r.account)),
            esc(&vngate_front::utc(r.created_at_ms)[..19]),
            r.attempts,
            esc(r.note.as_deref().unwrap_or_default())
        );
    }
    body.push_str("</table></div>");
    Ok((title, body))
}

fn record(journal: &Journal, query: &BTreeMap<String, String>) -> Result<(String, String), String> {
    let get = |name: &str| query.get(name).map(String::as_str).unwrap_or_default();
    let (provider, account, reference) = (get("provider"), get("account"), get("reference"));
    let Some(r) = journal
        .record(provider, account, reference)
        .map_err(|e| e.to_string())?
    else {
        return Ok(("No such record".into(), String::new()));
    };
    let mut body = format!(
        "<p>{} · {}.{} · {} · attempts {}</p><h2>Request (card PINs masked)</h2><pre>{}</pre>",
        badge(r.state.as_str()),
        esc(&r.provider),
        esc(&r.account),
        esc(&r.operation),
        r.attempts,
        esc(&r.request)
    );
    if let Some(error) = &r.error {
        let pretty = serde_json::from_str::<Value>(error)
            .and_then(|e| serde_json::to_string_pretty(&e))
            .unwrap_or_else(|_| error.clone());
        let _ = write!(body, "<h2>Last error</h2><pre>{}</pre>", esc(&pretty));
    }
    body.push_str(
        "<h2>History</h2><div class=scroll><table><tr><th>at (UTC)<th>event<th>state after</tr>",
    );
    for (at, event, state) in journal.events(&r).map_err(|e| e.to_string())? {
        let _ = write!(
            body,
            "<tr><td>{}<td>{}<td>{}</tr>",
            esc(&vngate_front::utc(at)),
            esc(&event),
            badge(&state)
        );
    }
    body.push_str("</table></div><h2>Callbacks</h2><div class=scroll><table><tr><th>received (UTC)<th>method<th>bytes<th>verified</tr>");
    for c in journal
        .inbox(None, 10_000)
        .map_err(|e| e.to_string())?
        .iter()
        .filter(|c| c.reference.as_deref() == Some(reference) && c.provider == provider)
    {
        let _ = write!(
            body,
            "<tr><td>{}<td>{}<td>{}<td>{}</tr>",
            esc(&vngate_front::utc(c.received_at_ms)),
            esc(&c.method),
            c.size,
            if c.verified == Some(true) {
                "yes"
            } else {
                "no"
            }
        );
    }
    body.push_str("</table></div>");
    let id = crate::relay::event_id(&["money.settled", provider, account, reference]);
    if let Some((event, attempts)) = journal.outbox_event(&id).map_err(|e| e.to_string())? {
        let _ = write!(
            body,
            "<h2>Told to the application</h2><p><a href=\"/ops/event?id={}\">{}</a> {} {} attempt(s)</p>",
            q(&event.id),
            esc(&event.id),
            badge(&event.state),
            attempts.len()
        );
    }
    Ok((format!("{} {}", r.operation, r.reference), body))
}

fn events(journal: &Journal, query: &BTreeMap<String, String>) -> Result<(String, String), String> {
    let state = query.get("state").map(String::as_str);
    let mut events = journal.outbox(state, 100_000).map_err(|e| e.to_string())?;
    events.reverse();
    events.truncate(500);
    let mut body = format!(
        "<p>{} shown, newest first.</p><div class=scroll><table><tr><th>type<th>reference<th>state<th>attempts<th>last error<th>created (UTC)<th>event</tr>",
        events.len()
    );
    for e in &events {
        let payload: Value = serde_json::from_str(&e.payload).unwrap_or_default();
        let _ = write!(
            body,
            "<tr><td><a href=\"/ops/event?id={}\">{}</a><td>{}<td>{}<td>{}<td class=wrap>{}<td>{}<td>{}</tr>",
            q(&e.id),
            esc(&e.kind),
            esc(payload["data"]["reference"].as_str().unwrap_or_default()),
            badge(&e.state),
            e.attempts,
            esc(e.last_error.as_deref().unwrap_or_default()),
            esc(&vngate_front::utc(e.created_at_ms)[..19]),
            esc(&e.id)
        );
    }
    body.push_str("</table></div>");
    Ok(("Deliveries".into(), body))
}

fn event(journal: &Journal, query: &BTreeMap<String, String>) -> Result<(String, String), String> {
    let id = query.get("id").map(String::as_str).unwrap_or_default();
    let Some((event, attempts)) = journal.outbox_event(id).map_err(|e| e.to_string())? else {
        return Ok(("No such event".into(), String::new()));
    };
    let payload: Value = serde_json::from_str(&event.payload).unwrap_or_default();
    let mut body = format!(
        "<p>{} · {} · {} attempt(s)</p><h2>Body</h2><pre>{}</pre><h2>Attempts</h2><div class=scroll><table><tr><th>at (UTC)<th>server<th>status<th>error<th>ms</tr>",
        esc(&event.kind),
        badge(&event.state),
        attempts.len(),
        esc(&serde_json::to_string_pretty(&payload).unwrap_or_default())
    );
    for a in &attempts {
        let _ = write!(
            body,
            "<tr><td>{}<td>{}<td>{}<td class=wrap>{}<td>{}</tr>",
            esc(&vngate_front::utc(a.at_ms)),
            esc(&a.instance),
            a.status.map_or_else(|| "-".into(), |s| s.to_string()),
            esc(a.error.as_deref().unwrap_or_default()),
            a.duration_ms
        );
    }
    body.push_str("</table></div>");
    Ok((format!("Event {}", event.id), body))
}

fn callbacks(
    journal: &Journal,
    query: &BTreeMap<String, String>,
) -> Result<(String, String), String> {
    let verified = match query.get("verified").map(String::as_str) {
        Some("true") => Some(true),
        Some("false") => Some(false),
        _ => None,
    };
    let list = journal.inbox(verified, 500).map_err(|e| e.to_string())?;
    let mut body = String::from(
        "<p>Their data stays sealed; a refused one is kept here and never delivered.</p><div class=scroll><table><tr><th>verified<th>account<th>reference<th>why refused<th>received (UTC)<th>method<th>bytes</tr>",
    );
    for c in &list {
        let why: Value = c
            .error
            .as_deref()
            .and_then(|e| serde_json::from_str(e).ok())
            .unwrap_or_default();
        let _ = write!(
            body,
            "<tr><td>{}<td>{}<td>{}<td class=wrap>{}<td>{}<td>{}<td>{}</tr>",
            match c.verified {
                Some(true) => badge("succeeded").replace(">succeeded<", ">yes<"),
                Some(false) => badge("failed").replace(">failed<", ">no<"),
                None => "…".into(),
            },
            esc(&format!("{}.{}", c.provider, c.account)),
            esc(c.reference.as_deref().unwrap_or_default()),
            esc(why["message"].as_str().unwrap_or_default()),
            esc(&vngate_front::utc(c.received_at_ms)[..19]),
            esc(&c.method),
            c.size
        );
    }
    body.push_str("</table></div>");
    Ok(("Callbacks".into(), body))
}
