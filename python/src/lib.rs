//! The native half of the `vngate` Python package: one frozen class over `vngate::api::Client`
//! and the one conversion of core errors into Python exceptions. Every network call runs
//! with the GIL released. The typed, per-provider API is `vngate/__init__.py`.

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};

/// A provider client: `Client(provider, config_json)`. Immutable and shareable across threads.
#[pyclass(frozen, module = "vngate._vngate")]
struct Client {
    inner: vngate::api::Client,
}

#[pymethods]
impl Client {
    #[new]
    fn new(py: Python<'_>, provider: &str, config_json: &str) -> PyResult<Self> {
        let inner =
            vngate::api::Client::new(provider, config_json).map_err(|e| to_pyerr(py, &e))?;
        Ok(Self { inner })
    }

    /// The provider's name.
    #[getter]
    fn provider(&self) -> &'static str {
        self.inner.provider()
    }

    /// The operations `call` takes.
    #[getter]
    fn operations(&self) -> Vec<&'static str> {
        self.inner.operations().to_vec()
    }

    /// Runs an operation with its JSON input, the GIL released; returns the JSON result.
    fn call(&self, py: Python<'_>, operation: &str, request_json: &str) -> PyResult<String> {
        py.detach(|| self.inner.call(operation, request_json))
            .map_err(|e| to_pyerr(py, &e))
    }

    /// Verifies a raw callback or webhook (POST body or GET query string).
    fn parse_callback(&self, py: Python<'_>, data: &[u8]) -> PyResult<String> {
        py.detach(|| self.inner.parse_callback(data))
            .map_err(|e| to_pyerr(py, &e))
    }

    fn __repr__(&self) -> String {
        format!("<vngate._vngate.Client {}>", self.inner.provider())
    }
}

/// The one conversion of a core error: the exception class of its kind, from
/// `vngate._errors`, built with the message and the error's fields.
fn to_pyerr(py: Python<'_>, error: &vngate::Error) -> PyErr {
    let build = || -> PyResult<PyErr> {
        let errors = py.import("vngate._errors")?;
        let class = errors.getattr("ERRORS")?.get_item(error.kind())?;
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
        let args = PyTuple::new(
            py,
            [
                error.to_string().into_pyobject(py)?.into_any(),
                details.into_any(),
            ],
        )?;
        Ok(PyErr::from_value(class.call1(args)?))
    };
    build().unwrap_or_else(|e| {
        PyRuntimeError::new_err(format!("{error} (and vngate._errors failed: {e})"))
    })
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
    Ok(())
}
