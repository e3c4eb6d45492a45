//! `make bench`'s Python floor (not shipped): what a Python front costs at the least when it
//! returns a call's answer. One method, chargingws `check` through the typed Rust client: five
//! positional arguments, the call with the GIL released, the answer's eleven fields in a plain
//! dict. vngate's own front does more, for its users: keyword methods, the request read and
//! checked as the operation's one declaration says, and a typed record (enums, masked repr)
//! instead of a dict. Its row beside vngate's shows what those cost, and how near to Rust any
//! front that returns the answer as Python objects can come.

use pyo3::prelude::*;
use pyo3::types::PyDict;
use vngate::chargingws::{CardRequest, ChargingWs, ChargingWsConfig};

#[pyclass(frozen)]
struct Client(ChargingWs);

#[pymethods]
impl Client {
    #[new]
    fn new(base_url: &str, partner_id: &str, partner_key: &str) -> PyResult<Self> {
        let config = ChargingWsConfig::new(base_url, partner_id, partner_key);
        ChargingWs::new(config)
            .map(Client)
            .map_err(|e| pyo3::exceptions::PyValueError::new_err(e.to_string()))
    }

    /// chargingws `check`: the answer's fields as a dict.
    fn check<'py>(
        &self,
        py: Python<'py>,
        telco: &str,
        code: &str,
        serial: &str,
        amount: i64,
        request_id: &str,
    ) -> PyResult<Bound<'py, PyDict>> {
        let card = CardRequest::new(telco, code, serial, amount, request_id);
        let answer = py
            .detach(|| self.0.check(&card))
            .map_err(|e| pyo3::exceptions::PyRuntimeError::new_err(e.to_string()))?;
        let fields = PyDict::new(py);
        fields.set_item("status", answer.status.code())?;
        fields.set_item("message", &answer.message)?;
        fields.set_item("request_id", &answer.request_id)?;
        fields.set_item("trans_id", &answer.trans_id)?;
        fields.set_item("telco", &answer.telco)?;
        fields.set_item("code", answer.code.as_ref().map(|code| code.as_str()))?;
        fields.set_item("serial", &answer.serial)?;
        fields.set_item("declared_value", answer.declared_value)?;
        fields.set_item("value", answer.value)?;
        fields.set_item("amount", answer.amount)?;
        fields.set_item("raw", answer.raw.as_str())?;
        Ok(fields)
    }
}

#[pymodule]
fn floor(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add_class::<Client>()
}
