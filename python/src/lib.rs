//! The native half of the `vngate` Python package: one frozen class over `vngate::api::Client`
//! and the one conversion of core errors into Python exceptions. Every network call runs
//! with the GIL released. The typed, per-provider API is `vngate/__init__.py`.
//!
//! Signals: Python runs signal handlers only on the main thread, between bytecodes. A call
//! made there runs inside `vngate::interrupt::with_check`: each of its waits (DNS, connect,
//! every read and write) lasts at most 50 ms or until a signal cuts it short, and then runs
//! Python's pending handlers; a handler that raises (`KeyboardInterrupt`, a SIGTERM handler)
//! ends the call at once, and for a money-moving call its exception carries an
//! `OutcomeUnknown` as `__cause__` with the caller's reference. A client with a journal waits
//! in its database too, where no step reaches: its calls run on a helper thread while the main
//! thread waits in steps of [`SIGNAL_CHECK`], and an abandoned request goes on in the
//! background until it ends or times out. Helper threads are kept and reused ([`Helpers`]).

use std::cell::Cell;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;
use std::time::Duration;

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyString, PyTuple, PyType};

mod objects;
mod request;
use objects::{Shape, ToObjects};

/// How often a waiting main thread runs Python's signal handlers.
const SIGNAL_CHECK: Duration = Duration::from_millis(50);

/// A provider client: `Client(provider, config_json)`. Immutable and shareable across threads.
#[pyclass(frozen, module = "vngate._vngate")]
struct Client {
    inner: Arc<vngate_front::Front>,
}

#[pymethods]
impl Client {
    #[new]
    fn new(py: Python<'_>, provider: &str, config_json: &str) -> PyResult<Self> {
        let inner =
            vngate_front::Front::new(provider, config_json).map_err(|e| to_pyerr(py, &e))?;
        Ok(Self {
            inner: Arc::new(inner),
        })
    }

    /// The provider's name.
    #[getter]
    fn provider(&self) -> &'static str {
        self.inner.client().provider()
    }

    /// The operations `call` takes.
    #[getter]
    fn operations(&self) -> Vec<&'static str> {
        self.inner.client().operations()
    }

    /// Runs an operation with its input (JSON text, or a dict written as `_dumps` writes it),
    /// the GIL released; returns the result as Python objects (dicts, lists, str, int, float,
    /// bool, None), made here without `json.loads`: without a journal straight from the result
    /// (`objects`), with one from its JSON. With `record` (a record's plan, see
    /// `objects::record`), the result as that record.
    #[pyo3(signature = (operation, request, record = None))]
    fn call<'py>(
        &self,
        py: Python<'py>,
        operation: &str,
        request: &Bound<'py, PyAny>,
        record: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let request_json = request_text(request)?;
        let (made, shape) = self.call_objects(py, operation, &request_json)?;
        match record {
            Some(plan) => objects::record(plan, &made, shape),
            None => Ok(made),
        }
    }

    /// Runs `operation` with its request given as field names and their values (a generated
    /// method's arguments, `None` for a field not given), the GIL released; returns the result
    /// as a record of the class `record`. The request is read straight from the values
    /// (`request::Fields`), or from its JSON where they are not plain JSON values (as `call`
    /// reads a dict). On `vngate.aio`'s worker thread, a money-moving call is sent only if the
    /// awaiting task was not cancelled first, and a cancellation from then on reports its
    /// reference.
    #[pyo3(signature = (operation, record, names, *values))]
    fn run<'py>(
        &self,
        py: Python<'py>,
        operation: &str,
        record: &Bound<'py, PyType>,
        names: &Bound<'py, PyTuple>,
        values: &Bound<'py, PyTuple>,
    ) -> PyResult<Bound<'py, PyAny>> {
        if names.len() != values.len() {
            return Err(pyo3::exceptions::PyTypeError::new_err(format!(
                "{operation}: {} names for {} values",
                names.len(),
                values.len()
            )));
        }
        let mut fields = Vec::with_capacity(names.len());
        for (name, value) in names.iter().zip(values.iter()) {
            if !value.is_none() {
                fields.push((name.cast_into::<PyString>()?, value));
            }
        }
        let guard = async_guard(py);
        let main = guard.is_none() && on_main_thread(py);
        // What an interrupted or cancelled money-moving call reports, with the reference it
        // was sent with (one vngate makes up is made now, so that it is known).
        let abandoned = if guard.is_some() || main {
            self.abandoned(py, operation, &mut fields)?
        } else {
            None
        };
        let plan = record_plan(record)?;
        let (made, shape) = if let vngate_front::Front::Plain(client) = &*self.inner {
            let request = if let Ok(request) = client.read(operation, request::Fields(&fields)) {
                request
            } else {
                // Read again from JSON: its errors, and the values only `json.dumps` writes.
                READ_AGAIN.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                client
                    .read(operation, fields_json(py, &fields)?.as_str())
                    .map_err(|e| to_pyerr(py, &e))?
            };
            if let Some(guard) = &guard {
                about_to_send(py, guard, abandoned.as_ref())?;
            }
            let made = if main {
                Self::call_stepped(py, client, request, abandoned.as_ref())?
            } else {
                py.detach(|| client.run(request, &mut ToObjects))
                    .map_err(|e| to_pyerr(py, &e))?
            };
            made.map(|(made, shape)| (made.into_bound(py), shape))?
        } else {
            let request_json = fields_json(py, &fields)?;
            if let Some(guard) = &guard {
                about_to_send(py, guard, abandoned.as_ref())?;
            }
            let json = self.call_json(py, operation, &request_json)?;
            (to_python(py, &json)?, None)
        };
        objects::record(&plan, &made, shape)
    }

    /// Gets a request (JSON text, or a dict as `call` takes it) ready to send
    /// (`vngate::api::Client::prepare`): the request JSON with any id vngate would make filled
    /// in, and for a money-moving operation the `OutcomeUnknown` to report if the caller
    /// abandons the call (an asyncio cancellation), else `None`.
    fn prepare(
        &self,
        py: Python<'_>,
        operation: &str,
        request: &Bound<'_, PyAny>,
    ) -> PyResult<(String, Option<Py<PyAny>>)> {
        let prepared = self
            .inner
            .client()
            .prepare(operation, &request_text(request)?);
        let abandoned = prepared
            .abandoned
            .as_ref()
            .map(|error| to_pyerr(py, error).into_value(py).into_any());
        Ok((prepared.request_json, abandoned))
    }

    /// Verifies a raw callback or webhook (POST body or GET query string), exactly as given;
    /// with `expected_json`, matches it against the stored request too.
    /// With `record` (a record's plan), the result as that record.
    #[pyo3(signature = (data, expected_json = None, record = None))]
    fn parse_callback<'py>(
        &self,
        py: Python<'py>,
        data: &[u8],
        expected_json: Option<&str>,
        record: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (made, shape) = self.parse_callback_objects(py, data, expected_json)?;
        match record {
            Some(plan) => objects::record(plan, &made, shape),
            None => Ok(made),
        }
    }

    /// With a journal: whether `reference` is final and whether this is the first time anyone
    /// asked since.
    fn settle<'py>(&self, py: Python<'py>, reference: &str) -> PyResult<Bound<'py, PyAny>> {
        let json = py
            .detach(|| self.inner.settle(reference))
            .map_err(|e| to_pyerr(py, &e))?;
        to_python(py, &json)
    }

    /// With a journal: resolves the pending and unknown money-moving calls (the report).
    fn reconcile<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let json = py
            .detach(|| self.inner.reconcile())
            .map_err(|e| to_pyerr(py, &e))?;
        to_python(py, &json)
    }

    fn __repr__(&self) -> String {
        format!("<vngate._vngate.Client {}>", self.inner.client().provider())
    }
}

impl Client {
    /// For a money-moving operation, the error to report if its caller stops waiting, with
    /// the reference among `fields`; one vngate makes up when none is given
    /// (`vngate::api::Client::made_reference`) is added to them first, as
    /// `vngate::api::Client::prepare` adds it to JSON.
    fn abandoned<'py>(
        &self,
        py: Python<'py>,
        operation: &str,
        fields: &mut Vec<(Bound<'py, PyString>, Bound<'py, PyAny>)>,
    ) -> PyResult<Option<vngate::Error>> {
        let client = self.inner.client();
        let Some(money) =
            vngate::registry::find(client.provider(), operation).and_then(|op| op.money)
        else {
            return Ok(None);
        };
        let field = money.reference_field;
        let mut reference = None;
        for (name, value) in fields.iter() {
            if name.to_cow()? == field {
                reference = Some(value.clone());
            }
        }
        if reference.is_none()
            && let Some((field, made)) = client.made_reference(operation)
        {
            let made = PyString::new(py, &made).into_any();
            fields.push((PyString::new(py, field), made.clone()));
            reference = Some(made);
        }
        // A reference that is not text fails the call's validation, before any I/O.
        Ok(match reference.map(|value| value.extract::<String>()) {
            Some(Ok(reference)) => client.abandoned(operation, &reference),
            _ => None,
        })
    }

    /// The result as Python objects: without a journal straight from the result
    /// (`objects::ToObjects`), with one from its JSON.
    fn call_objects<'py>(
        &self,
        py: Python<'py>,
        operation: &str,
        request_json: &str,
    ) -> PyResult<(Bound<'py, PyAny>, Option<Shape>)> {
        if let vngate_front::Front::Plain(client) = &*self.inner {
            let made = if on_main_thread(py) {
                let prepared = client.prepare(operation, request_json);
                let request = client
                    .read(operation, prepared.request_json.as_str())
                    .map_err(|e| to_pyerr(py, &e))?;
                Self::call_stepped(py, client, request, prepared.abandoned.as_ref())?
            } else {
                py.detach(|| client.call_into(operation, request_json, &mut ToObjects))
                    .map_err(|e| to_pyerr(py, &e))?
            };
            return made.map(|(made, shape)| (made.into_bound(py), shape));
        }
        let json = self.call_json(py, operation, request_json)?;
        Ok((to_python(py, &json)?, None))
    }

    /// [`Client::call_objects`] for a callback.
    fn parse_callback_objects<'py>(
        &self,
        py: Python<'py>,
        data: &[u8],
        expected_json: Option<&str>,
    ) -> PyResult<(Bound<'py, PyAny>, Option<Shape>)> {
        if let vngate_front::Front::Plain(client) = &*self.inner {
            // No I/O without a journal: a microsecond of work, done with the GIL held.
            return client
                .parse_callback_into(data, expected_json, &mut ToObjects)
                .map_err(|e| to_pyerr(py, &e))?
                .map(|(made, shape)| (made.into_bound(py), shape));
        }
        let json = py
            .detach(|| self.inner.parse_callback(data, expected_json))
            .map_err(|e| to_pyerr(py, &e))?;
        Ok((to_python(py, &json)?, None))
    }

    /// A journaled call, on this thread or (from the main thread) on a helper, while signals
    /// are handled here; the result as JSON.
    fn call_json(&self, py: Python<'_>, operation: &str, request_json: &str) -> PyResult<String> {
        if !on_main_thread(py) {
            return py
                .detach(|| self.inner.call(operation, request_json))
                .map_err(|e| to_pyerr(py, &e));
        }
        let prepared = self.inner.client().prepare(operation, request_json);
        let (sender, receiver) = mpsc::sync_channel(1);
        let job = Job {
            client: Arc::clone(&self.inner),
            operation: operation.to_owned(),
            request_json: prepared.request_json.clone(),
            reply: sender,
        };
        if Helpers::run(job).is_err() {
            // No thread to spare: wait in place, as on any other thread.
            return py
                .detach(|| self.inner.call(operation, &prepared.request_json))
                .map_err(|e| to_pyerr(py, &e));
        }
        let mut receiver = receiver;
        loop {
            // A Receiver is Send but not Sync: move it into the GIL-free wait and back.
            let (waited, back) = py.detach(move || (receiver.recv_timeout(SIGNAL_CHECK), receiver));
            receiver = back;
            match waited {
                Ok(result) => return result.map_err(|e| to_pyerr(py, &e)),
                Err(RecvTimeoutError::Timeout) => {
                    if let Err(interrupt) = py.check_signals() {
                        if let Some(unknown) = &prepared.abandoned {
                            let cause = to_pyerr(py, unknown);
                            interrupt.set_cause(py, Some(cause));
                        }
                        return Err(interrupt);
                    }
                }
                Err(RecvTimeoutError::Disconnected) => {
                    let error = prepared
                        .abandoned
                        .clone()
                        .unwrap_or(vngate::Error::Transport {
                            reason: format!("{operation}: the call ended without an answer"),
                        });
                    return Err(to_pyerr(py, &error));
                }
            }
        }
    }
}

impl Client {
    /// A call on the main thread, in place: Python's signal handlers run between the steps of
    /// its waits, and one that raises ends it (see the module's documentation).
    fn call_stepped(
        py: Python<'_>,
        client: &vngate::api::Client,
        request: vngate::api::Request,
        abandoned: Option<&vngate::Error>,
    ) -> PyResult<PyResult<(Py<PyAny>, Option<Shape>)>> {
        let _ = RAISED.try_with(Cell::take);
        let result = py.detach(|| {
            // Captures nothing: boxing it allocates nothing. What it raised waits in RAISED (a
            // handler's own vngate call, nested in it, takes its own before this one is read).
            let check = Box::new(|| {
                Python::attach(|py| match py.check_signals() {
                    Ok(()) => false,
                    Err(interrupt) => {
                        let _ = RAISED.try_with(|raised| raised.set(Some(interrupt)));
                        true
                    }
                })
            });
            vngate::interrupt::with_check(check, || client.run(request, &mut ToObjects))
        });
        let interrupt = RAISED.try_with(Cell::take).ok().flatten();
        if let Some(interrupt) = interrupt {
            // A money-moving call says where it stopped: "outcome unknown" once the request
            // may have left, "not sent" before its connection was open.
            if let Some(unknown) = abandoned {
                let stopped = result.as_ref().err().unwrap_or(unknown);
                interrupt.set_cause(py, Some(to_pyerr(py, stopped)));
            }
            return Err(interrupt);
        }
        result.map_err(|e| to_pyerr(py, &e))
    }
}

thread_local! {
    /// What Python's signal handlers raised during a main-thread call (see `call_stepped`).
    static RAISED: Cell<Option<PyErr>> = const { Cell::new(None) };
}

/// A call for a helper thread, and where its answer goes.
struct Job {
    client: Arc<vngate_front::Front>,
    operation: String,
    request_json: String,
    reply: mpsc::SyncSender<Result<String, vngate::Error>>,
}

/// The helper threads that run the main thread's calls: parked between calls and reused. One
/// serves a script; another is started only while an abandoned (interrupted) call still runs.
struct Helpers {
    /// The process they belong to: a forked child has none of its parent's threads.
    pid: u32,
    idle: Vec<mpsc::Sender<Job>>,
}

/// Set in a child forked while a helper thread held [`HELPERS`]'s lock (the lock stays held
/// there forever): calls then wait in place, without signal handling.
static HELPERS_UNUSABLE: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

static HELPERS: Mutex<Helpers> = Mutex::new(Helpers {
    pid: 0,
    idle: Vec::new(),
});

impl Helpers {
    /// Runs `job` on an idle helper, or on a new one.
    fn run(mut job: Job) -> Result<(), std::io::Error> {
        if HELPERS_UNUSABLE.load(std::sync::atomic::Ordering::Relaxed) {
            return Err(std::io::Error::other("forked while a helper held the lock"));
        }
        loop {
            let idle = {
                let mut helpers = HELPERS.lock().unwrap_or_else(PoisonError::into_inner);
                if helpers.pid != std::process::id() {
                    Self::forget(&mut helpers);
                }
                helpers.idle.pop()
            };
            let Some(helper) = idle else { break };
            match helper.send(job) {
                Ok(()) => return Ok(()),
                // That helper is gone (it cannot be, short of a panic): try the next one.
                Err(mpsc::SendError(back)) => job = back,
            }
        }
        let (sender, jobs) = mpsc::channel::<Job>();
        let me = sender.clone();
        thread::Builder::new()
            .name("vngate-call".into())
            .spawn(move || {
                for job in jobs {
                    let result = job.client.call(&job.operation, &job.request_json);
                    // Idle again before answering, so that the caller's next call finds it.
                    HELPERS
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .idle
                        .push(me.clone());
                    let _ = job.reply.send(result);
                }
            })?;
        sender
            .send(job)
            .map_err(|_| std::io::Error::other("the new helper thread is gone"))
    }

    /// In a forked child: the parent's helpers do not exist here; a job sent to one would
    /// wait forever. Their channels are leaked, not dropped (nothing to close on this side).
    fn forget(helpers: &mut Self) {
        std::mem::forget(std::mem::take(&mut helpers.idle));
        helpers.pid = std::process::id();
    }
}

/// JSON text (the core's results) to Python objects, in one pass: no `json.loads`, no tree in
/// between. Objects become dicts in the document's order, as `json.loads` makes them.
fn to_python<'py>(py: Python<'py>, json: &str) -> PyResult<Bound<'py, PyAny>> {
    use serde::de::DeserializeSeed;
    let mut deserializer = serde_json::Deserializer::from_str(json);
    ToPython(py)
        .deserialize(&mut deserializer)
        .map_err(|e| PyRuntimeError::new_err(format!("vngate: a result is not JSON: {e}")))
}

/// Builds the Python object of one JSON value (see [`to_python`]).
#[derive(Clone, Copy)]
struct ToPython<'py>(Python<'py>);

impl<'de, 'py> serde::de::DeserializeSeed<'de> for ToPython<'py> {
    type Value = Bound<'py, PyAny>;

    fn deserialize<D: serde::Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de, 'py> serde::de::Visitor<'de> for ToPython<'py> {
    type Value = Bound<'py, PyAny>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("JSON")
    }

    fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Ok(pyo3::types::PyBool::new(self.0, v).to_owned().into_any())
    }

    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(v.into_pyobject(self.0).map_err(E::custom)?.into_any())
    }

    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(v.into_pyobject(self.0).map_err(E::custom)?.into_any())
    }

    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(pyo3::types::PyFloat::new(self.0, v).into_any())
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(pyo3::types::PyString::new(self.0, v).into_any())
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
        Ok(self.0.None().into_bound(self.0))
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let list = pyo3::types::PyList::empty(self.0);
        while let Some(item) = seq.next_element_seed(self)? {
            list.append(item).map_err(serde::de::Error::custom)?;
        }
        Ok(list.into_any())
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let dict = PyDict::new(self.0);
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            let value = map.next_value_seed(self)?;
            dict.set_item(key.as_ref(), value)
                .map_err(serde::de::Error::custom)?;
        }
        Ok(dict.into_any())
    }
}

/// Forks seen (bumped by [`_after_fork_in_child`]): the thread that forks is the child's main
/// thread, whatever it was in the parent.
static FORKS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

thread_local! {
    /// Whether this thread is Python's main thread, as of which fork.
    static ON_MAIN: std::cell::Cell<Option<(u64, bool)>> = const { std::cell::Cell::new(None) };
}

/// Whether the caller is Python's main thread, the only one that runs signal handlers. Asked
/// of `threading` once per thread (and again after a fork), not on every call.
fn on_main_thread(py: Python<'_>) -> bool {
    let forks = FORKS.load(std::sync::atomic::Ordering::Relaxed);
    if let Ok(Some((seen, main))) = ON_MAIN.try_with(std::cell::Cell::get)
        && seen == forks
    {
        return main;
    }
    let ask = || -> PyResult<bool> {
        let threading = py.import("threading")?;
        let main: u64 = threading
            .call_method0("main_thread")?
            .getattr("ident")?
            .extract()?;
        let me: u64 = threading.call_method0("get_ident")?.extract()?;
        Ok(me == main)
    };
    let Ok(main) = ask() else {
        return false;
    };
    let _ = ON_MAIN.try_with(|cell| cell.set(Some((forks, main))));
    main
}

/// The exception classes of `vngate._errors` by kind, looked up once when the module loads:
/// raising an error then runs no Python code that a pending signal could interrupt.
static ERRORS: PyOnceLock<Vec<(String, Py<PyType>)>> = PyOnceLock::new();

fn error_classes(py: Python<'_>) -> PyResult<&Vec<(String, Py<PyType>)>> {
    ERRORS.get_or_try_init(py, || {
        let errors = py.import("vngate._errors")?.getattr("ERRORS")?;
        let mut classes = Vec::new();
        for item in errors.call_method0("items")?.try_iter()? {
            let (kind, class): (String, Bound<'_, PyType>) = item?.extract()?;
            classes.push((kind, class.unbind()));
        }
        Ok(classes)
    })
}

/// The one conversion of a core error: an instance of the exception class of its kind, with
/// `message` and `details` set directly (`BaseException.__new__` and attribute stores, both C
/// code), so that no Python `__init__` runs while a signal may be pending.
fn to_pyerr(py: Python<'_>, error: &vngate::Error) -> PyErr {
    let build = || -> PyResult<PyErr> {
        let class = error_classes(py)?
            .iter()
            .find(|(kind, _)| kind == error.kind())
            .map(|(_, class)| class.bind(py).clone())
            .ok_or_else(|| PyRuntimeError::new_err("vngate._errors lacks this kind"))?;
        let details = PyDict::new(py);
        if let serde_json::Value::Object(map) = error.to_json() {
            for (key, value) in map {
                let value = match value {
                    serde_json::Value::Null => py.None(),
                    serde_json::Value::Number(n) => {
                        n.as_i64().into_pyobject(py)?.into_any().unbind()
                    }
                    serde_json::Value::String(s) => s.into_pyobject(py)?.into_any().unbind(),
                    other => other.to_string().into_pyobject(py)?.into_any().unbind(),
                };
                details.set_item(key, value)?;
            }
        }
        let message = error.to_string();
        // The classes define no __new__: this is BaseException's, in C, with no import.
        let instance = class.call_method1("__new__", (&class, message.as_str()))?;
        instance.setattr("message", message.as_str())?;
        instance.setattr("details", details)?;
        Ok(PyErr::from_value(instance))
    };
    build().unwrap_or_else(|e| {
        PyRuntimeError::new_err(format!("{error} (and vngate._errors failed: {e})"))
    })
}

/// Forgets every client's pooled connections in a forked child (they are the parent's).
/// `vngate` registers it with `os.register_at_fork`; clients also notice a new process id.
#[pyfunction]
fn _after_fork_in_child() {
    vngate::after_fork_in_child();
    FORKS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    match HELPERS.try_lock() {
        Ok(mut helpers) => Helpers::forget(&mut helpers),
        Err(std::sync::TryLockError::Poisoned(poisoned)) => {
            Helpers::forget(&mut poisoned.into_inner());
        }
        Err(std::sync::TryLockError::WouldBlock) => {
            HELPERS_UNUSABLE.store(true, std::sync::atomic::Ordering::Relaxed);
        }
    }
}

/// vngate's own lines (target `vngate`) to Python's logging, through pyo3-log; not those of the
/// crates underneath (ureq, rustls, the database clients): they are not vetted for secrets as
/// vngate's are, and asking Python's logging (through pyo3-log's cache) about each of their
/// debug lines cost ~0.7 µs a call.
///
/// The pyo3-log logger is made at vngate's first line, not at `import vngate`: it imports
/// `logging` (with `traceback`, `tokenize` and `re`: some 6 ms, a quarter of the import) in a
/// program that may never log. Until then every line of vngate's is let through to that first
/// call, which makes the logger and from then on asks Python's logging as before.
struct OwnLines;

/// The logger, once vngate's first line made it.
static PYTHON_LOGGER: std::sync::OnceLock<pyo3_log::Logger> = std::sync::OnceLock::new();

/// The levels Python's logging has said no to since the last reset, so that a call's lines
/// below the `vngate` logger's level cost an atomic load, not a walk of pyo3-log's cache (two
/// per call, ~0.2 µs). One word: the reset's generation (high half), and a bit per level (low):
/// an answer asked before a reset is not stored after it.
static DISABLED: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

const GENERATION: u64 = 1 << 32;

fn level_bit(level: log::Level) -> u64 {
    1 << (level as u64)
}

impl OwnLines {
    /// Whether Python's logging takes `metadata`'s lines: pyo3-log's answer, whose "no" (made
    /// from the logger's level, cached until a reset, as pyo3-log caches it) is kept here.
    fn takes(logger: &pyo3_log::Logger, metadata: &log::Metadata<'_>) -> bool {
        use std::sync::atomic::Ordering::Relaxed;
        let bit = level_bit(metadata.level());
        let seen = DISABLED.load(Relaxed);
        if seen & bit != 0 {
            return false;
        }
        if log::Log::enabled(logger, metadata) {
            return true;
        }
        // Stored only if no reset came in between (else the next line asks again).
        let _ = DISABLED.compare_exchange(seen, seen | bit, Relaxed, Relaxed);
        false
    }

    /// Forgets the kept answers: after `_reset_logging`.
    fn reset() {
        use std::sync::atomic::Ordering::Relaxed;
        let _ = DISABLED.fetch_update(Relaxed, Relaxed, |seen| {
            Some((seen & !(GENERATION - 1)).wrapping_add(GENERATION))
        });
    }
}

impl log::Log for OwnLines {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        metadata.target() == "vngate"
            && PYTHON_LOGGER
                .get()
                .is_none_or(|logger| Self::takes(logger, metadata))
    }

    fn log(&self, record: &log::Record<'_>) {
        if record.target() != "vngate" {
            return;
        }
        if let Some(logger) = PYTHON_LOGGER.get()
            && !Self::takes(logger, record.metadata())
        {
            return;
        }
        if PYTHON_LOGGER.get().is_none() {
            // Made with the GIL held. Two threads may both make one (importing `logging` may
            // let another thread run): the first stored wins, and its reset handle is stored
            // with it, before the GIL can pass; the std lock is never held while waiting.
            Python::attach(|py| {
                if PYTHON_LOGGER.get().is_some() {
                    return;
                }
                let Ok(logger) = pyo3_log::Logger::new(py, pyo3_log::Caching::LoggersAndLevels)
                else {
                    return; // no `logging` module: nowhere to write the line
                };
                let handle = logger.reset_handle();
                if PYTHON_LOGGER.set(logger).is_ok() {
                    let _ = LOGGING.set(py, std::sync::Mutex::new(handle));
                }
            });
        }
        if let Some(logger) = PYTHON_LOGGER.get() {
            logger.log(record);
        }
    }

    fn flush(&self) {
        if let Some(logger) = PYTHON_LOGGER.get() {
            logger.flush();
        }
    }
}

/// Where `logging` levels are read once and cached: call after changing the `vngate` logger's
/// level or handlers, so the next lines follow the new configuration.
static LOGGING: PyOnceLock<std::sync::Mutex<pyo3_log::ResetHandle>> = PyOnceLock::new();

#[pyfunction]
fn _reset_logging(py: Python<'_>) {
    if let Some(handle) = LOGGING.get(py) {
        handle
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .reset();
    }
    OwnLines::reset();
}

/// A request's JSON, without its `None` values, written here instead of by `json.dumps`; `None`
/// when a value is not plain JSON (a float that is not finite, an int beyond 64 bits, a key
/// that is not text, text that is not Unicode, any other type), which `json.dumps` then
/// handles (or refuses) exactly as before. Nested deeper than [`MAX_DEPTH`]: `InvalidInput`.
#[pyfunction]
fn _dumps(request: &Bound<'_, PyDict>) -> PyResult<Option<String>> {
    plain_json(request)
}

/// The deepest a request may nest: the core reads no JSON deeper (`serde_json`'s limit), and a
/// writer that followed a request 100 000 levels down overflowed the stack and killed the
/// interpreter.
pub(crate) const MAX_DEPTH: usize = 128;

/// Why a request was not written as plain JSON.
enum NotPlain {
    /// A value `json.dumps` may know how to write (or to refuse).
    Other,
    /// Nested deeper than [`MAX_DEPTH`].
    TooDeep,
}

/// [`_dumps`].
fn plain_json(request: &Bound<'_, PyDict>) -> PyResult<Option<String>> {
    let mut json = Vec::with_capacity(256);
    match write_object(&mut json, request, true, 0) {
        Ok(()) => Ok(String::from_utf8(json).ok()),
        Err(NotPlain::Other) => Ok(None),
        Err(NotPlain::TooDeep) => Err(to_pyerr(
            request.py(),
            &vngate::Error::InvalidInput {
                field: "request".into(),
                reason: format!("is nested deeper than {MAX_DEPTH} levels"),
            },
        )),
    }
}

/// A request as `call` and `prepare` take it: JSON text as it is, a dict as [`request_json`]
/// writes it.
fn request_text<'a>(request: &'a Bound<'_, PyAny>) -> PyResult<std::borrow::Cow<'a, str>> {
    match request.cast::<PyDict>() {
        Ok(dict) => Ok(std::borrow::Cow::Owned(request_json(dict)?)),
        Err(_) => Ok(request.cast::<pyo3::types::PyString>()?.to_cow()?),
    }
}

/// A request dict as JSON: [`_dumps`], or for what is not plain JSON `json.dumps` of it
/// without its `None` values (its output and its errors, as the package always had them).
fn request_json(request: &Bound<'_, PyDict>) -> PyResult<String> {
    if let Some(json) = plain_json(request)? {
        return Ok(json);
    }
    let py = request.py();
    let kept = PyDict::new(py);
    for (key, value) in request.iter() {
        if !value.is_none() {
            kept.set_item(key, value)?;
        }
    }
    py.import("json")?.call_method1("dumps", (kept,))?.extract()
}

/// A dict as a JSON object (without its `None` values when `skip_none`), or why not (see
/// [`_dumps`]).
fn write_object(
    json: &mut Vec<u8>,
    dict: &Bound<'_, PyDict>,
    skip_none: bool,
    depth: usize,
) -> Result<(), NotPlain> {
    json.push(b'{');
    let mut first = true;
    for (key, value) in dict.iter() {
        if skip_none && value.is_none() {
            continue;
        }
        if !first {
            json.push(b',');
        }
        first = false;
        // serde_json's writers: the same JSON the core reads back.
        write_text(
            json,
            key.cast::<pyo3::types::PyString>()
                .map_err(|_| NotPlain::Other)?,
        )?;
        json.push(b':');
        write_value(json, &value, depth + 1)?;
    }
    json.push(b'}');
    Ok(())
}

/// A string as JSON, read through its UTF-8 encoding (`request::with_text`), or `Other` for
/// text that is not Unicode.
fn write_text(json: &mut Vec<u8>, text: &Bound<'_, pyo3::types::PyString>) -> Result<(), NotPlain> {
    request::with_text(text, |text| {
        serde_json::to_writer(&mut *json, text).map_err(|_| request::NotRead)
    })
    .map_err(|request::NotRead| NotPlain::Other)
}

/// One value as JSON, or why not (see [`_dumps`]): plain as `request::Plain` says, written
/// with `serde_json`'s writers (the same JSON the core reads back).
fn write_value(json: &mut Vec<u8>, value: &Bound<'_, PyAny>, depth: usize) -> Result<(), NotPlain> {
    let plain = request::Plain::of(value).ok_or(NotPlain::Other)?;
    if plain.nests() && depth >= MAX_DEPTH {
        return Err(NotPlain::TooDeep);
    }
    let other = |_| NotPlain::Other;
    match plain {
        request::Plain::Null => json.extend_from_slice(b"null"),
        request::Plain::Bool(flag) => {
            json.extend_from_slice(if flag { b"true" } else { b"false" });
        }
        request::Plain::Unsigned(int) => serde_json::to_writer(&mut *json, &int).map_err(other)?,
        request::Plain::Signed(int) => serde_json::to_writer(&mut *json, &int).map_err(other)?,
        request::Plain::Float(float) => serde_json::to_writer(&mut *json, &float).map_err(other)?,
        request::Plain::Text(text) => write_text(json, text)?,
        request::Plain::Object(dict) => write_object(json, dict, false, depth)?,
        request::Plain::List(list) => write_items(json, list.iter(), depth)?,
        request::Plain::Tuple(tuple) => write_items(json, tuple.iter(), depth)?,
    }
    Ok(())
}

/// A list's or tuple's items as a JSON array.
fn write_items<'py>(
    json: &mut Vec<u8>,
    items: impl Iterator<Item = Bound<'py, PyAny>>,
    depth: usize,
) -> Result<(), NotPlain> {
    json.push(b'[');
    for (i, item) in items.enumerate() {
        if i > 0 {
            json.push(b',');
        }
        write_value(json, &item, depth + 1)?;
    }
    json.push(b']');
    Ok(())
}

/// Requests `run` read again from their JSON (see `request`): for the tests, which check that
/// plain values are read straight.
static READ_AGAIN: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

#[pyfunction]
fn _read_again() -> u64 {
    READ_AGAIN.load(std::sync::atomic::Ordering::Relaxed)
}

/// A request's fields (names and values, no `None`) as JSON, as `call` writes a dict.
fn fields_json(
    py: Python<'_>,
    fields: &[(Bound<'_, PyString>, Bound<'_, PyAny>)],
) -> PyResult<String> {
    let dict = PyDict::new(py);
    for (name, value) in fields {
        dict.set_item(name, value)?;
    }
    request_json(&dict)
}

/// `vngate._record`'s plans and their maker, looked up once.
static RECORDS: PyOnceLock<(Py<PyDict>, Py<PyAny>)> = PyOnceLock::new();

thread_local! {
    /// The guard (`vngate._async._Guard`) of the `vngate.aio` call this thread runs, set by
    /// [`_set_async_guard`] around it.
    static ASYNC_GUARD: std::cell::RefCell<Option<Py<PyAny>>> = const { std::cell::RefCell::new(None) };
}

/// Sets (or, with `None`, clears) the guard of the `vngate.aio` call the calling thread is
/// about to run: `vngate._async` sets it on its worker thread around the call.
#[pyfunction]
fn _set_async_guard(guard: Option<Py<PyAny>>) -> PyResult<()> {
    ASYNC_GUARD
        .try_with(|cell| {
            cell.try_borrow_mut()
                .map(|mut cell| drop(std::mem::replace(&mut *cell, guard)))
        })
        .ok()
        .and_then(Result::ok)
        .ok_or_else(|| PyRuntimeError::new_err("vngate: the async guard is in use"))
}

/// The guard of the `vngate.aio` call this thread runs, if it runs one.
fn async_guard(py: Python<'_>) -> Option<Bound<'_, PyAny>> {
    ASYNC_GUARD
        .try_with(|cell| {
            cell.try_borrow()
                .ok()
                .and_then(|guard| guard.as_ref().map(|guard| guard.bind(py).clone()))
        })
        .ok()
        .flatten()
}

/// Tells `vngate.aio`'s guard the call is about to be sent; it raises `CancelledError`
/// instead when the awaiting task was cancelled first.
fn about_to_send(
    py: Python<'_>,
    guard: &Bound<'_, PyAny>,
    abandoned: Option<&vngate::Error>,
) -> PyResult<()> {
    let abandoned = match abandoned {
        Some(error) => to_pyerr(py, error).into_value(py).into_any(),
        None => py.None(),
    };
    guard.call_method1(pyo3::intern!(py, "about_to_send"), (abandoned,))?;
    Ok(())
}

/// A record class's plan (`vngate._record._plan`), made once per class.
fn record_plan<'py>(record: &Bound<'py, PyType>) -> PyResult<Bound<'py, PyAny>> {
    let py = record.py();
    let (plans, plan) = RECORDS.get_or_try_init(py, || {
        let records = py.import("vngate._record")?;
        Ok::<_, PyErr>((
            records.getattr("_PLANS")?.cast_into::<PyDict>()?.unbind(),
            records.getattr("_plan")?.unbind(),
        ))
    })?;
    match plans.bind(py).get_item(record)? {
        Some(made) => Ok(made),
        None => plan.bind(py).call1((record,)),
    }
}

/// A record from a dict of its fields, as its plan says (`vngate._record._plan`): the one
/// implementation of `Record._from`, which calls and callbacks also run here directly.
#[pyfunction]
fn _record<'py>(plan: &Bound<'py, PyAny>, data: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
    objects::record(plan, data, None)
}

/// A fresh, time-ordered, unique request id.
#[pyfunction]
fn new_request_id() -> String {
    vngate::new_request_id()
}

#[pymodule]
fn _vngate(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add("__version__", env!("CARGO_PKG_VERSION"))?;
    module.add("PROVIDERS", vngate::api::PROVIDERS.to_vec())?;
    module.add_class::<Client>()?;
    module.add_function(wrap_pyfunction!(new_request_id, module)?)?;
    module.add_function(wrap_pyfunction!(_dumps, module)?)?;
    module.add_function(wrap_pyfunction!(_record, module)?)?;
    module.add_function(wrap_pyfunction!(_after_fork_in_child, module)?)?;
    module.add_function(wrap_pyfunction!(_reset_logging, module)?)?;
    module.add_function(wrap_pyfunction!(_set_async_guard, module)?)?;
    module.add_function(wrap_pyfunction!(_read_again, module)?)?;
    // vngate's log lines (target "vngate": one per call at INFO, masked details at DEBUG) go to
    // Python's logging. Another extension may have installed a Rust logger first: then not.
    if log::set_boxed_logger(Box::new(OwnLines)).is_ok() {
        log::set_max_level(log::LevelFilter::Debug);
    }
    // Cached now, so that raising an error never imports or runs Python code.
    error_classes(module.py())?;
    Ok(())
}
