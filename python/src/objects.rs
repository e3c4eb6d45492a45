//! Results as Python objects, written straight from the core's result types: a serde
//! `Serializer` whose output is dicts, lists, str, int, float, bool and None, exactly what
//! `json.loads` makes of the core's JSON text for the same result (`serde_json`'s data model:
//! `None` and unit as None, an enum's unit variant as its name, a newtype as its content, other
//! variants as `{name: content}`, bytes as a list of ints, a float that is not finite as None),
//! without the text between: no JSON written, none parsed. Struct field names become Python
//! strings once per thread and are reused.

use std::cell::{Cell, RefCell};
use std::collections::{HashMap, HashSet};
use std::fmt;

use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyList, PyString};
use serde::ser::{self, Serialize};

/// [`vngate::api::Results`] as Python objects, for a call made with the GIL released (it is
/// taken back for the building only).
pub(crate) struct ToObjects;

impl vngate::api::Results for ToObjects {
    type Made = PyResult<(Py<PyAny>, Option<Shape>)>;

    fn make<T: Serialize>(&mut self, result: &T, _: vngate::api::Meaning<'_>) -> Self::Made {
        Python::attach(|py| {
            let _ = SHAPE.try_with(|shape| shape.set(None));
            let made = to_objects(py, result)?.unbind();
            Ok((made, SHAPE.try_with(Cell::take).ok().flatten().map(Shape)))
        })
    }
}

/// The field names of a result's own struct, in order, as one number (their addresses and
/// lengths mixed): a record's fields are checked against its class once per shape (and
/// thread), not on every call. A result that is not a struct has none: checked every time.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct Shape(u64);

thread_local! {
    /// The shape of the result being built, while it is.
    static SHAPE: Cell<Option<u64>> = const { Cell::new(None) };
    /// The shapes whose names matched a plan's (by the plan's address: plans live as long as
    /// their classes, which is the process).
    static CHECKED: RefCell<HashSet<(usize, u64), ByAddress>> =
        const { RefCell::new(HashSet::with_hasher(ByAddress)) };
}

impl Shape {
    fn start() {
        let _ = SHAPE.try_with(|shape| shape.set(Some(0x243f_6a88_85a3_08d3)));
    }

    fn add(name: &'static str) {
        let _ = SHAPE.try_with(|shape| {
            if let Some(mixed) = shape.get() {
                let mut hasher = AddressHasher(mixed);
                std::hash::Hasher::write_usize(&mut hasher, name.as_ptr() as usize);
                std::hash::Hasher::write_usize(&mut hasher, name.len());
                shape.set(Some(hasher.0));
            }
        });
    }

    fn checked(self, plan: &Bound<'_, PyAny>) -> bool {
        CHECKED
            .try_with(|checked| {
                checked
                    .try_borrow()
                    .is_ok_and(|checked| checked.contains(&(plan.as_ptr() as usize, self.0)))
            })
            .unwrap_or(false)
    }

    fn remember(self, plan: &Bound<'_, PyAny>) {
        let _ = CHECKED.try_with(|checked| {
            if let Ok(mut checked) = checked.try_borrow_mut() {
                checked.insert((plan.as_ptr() as usize, self.0));
            }
        });
    }
}

/// `value` as Python objects.
fn to_objects<'py, T: Serialize + ?Sized>(
    py: Python<'py>,
    value: &T,
) -> PyResult<Bound<'py, PyAny>> {
    value.serialize(Objects(py, true)).map_err(|e| {
        pyo3::exceptions::PyRuntimeError::new_err(format!("vngate: a result as Python: {}", e.0))
    })
}

thread_local! {
    /// Struct field names as Python strings, by the address of the `&'static str` serde
    /// hands over: made once, their hashes computed once.
    static FIELD_NAMES: RefCell<HashMap<(usize, usize), Py<PyString>, ByAddress>> =
        const { RefCell::new(HashMap::with_hasher(ByAddress)) };
}

/// Hashes a field name's address and length: a multiplication each, not `SipHash` (a dozen
/// lookups per result; the keys are the program's own addresses, nothing anyone chooses).
#[derive(Clone, Copy, Default)]
struct ByAddress;

impl std::hash::BuildHasher for ByAddress {
    type Hasher = AddressHasher;
    fn build_hasher(&self) -> AddressHasher {
        AddressHasher(0)
    }
}

struct AddressHasher(u64);

impl std::hash::Hasher for AddressHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.write_u64(u64::from(*byte));
        }
    }
    fn write_u64(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
    fn write_usize(&mut self, word: usize) {
        self.write_u64(word as u64);
    }
}

fn field_name<'py>(py: Python<'py>, name: &'static str) -> Bound<'py, PyString> {
    // Address and length: a name could start where a longer one does.
    let key = (name.as_ptr() as usize, name.len());
    let cached = FIELD_NAMES.try_with(|names| {
        let mut names = names.try_borrow_mut().ok()?;
        Some(
            names
                .entry(key)
                .or_insert_with(|| PyString::intern(py, name).unbind())
                .bind(py)
                .clone(),
        )
    });
    cached
        .ok()
        .flatten()
        .unwrap_or_else(|| PyString::new(py, name))
}

/// Why a result could not be built (a Python error while building, or a map key that is not
/// text, which JSON would not have either).
#[derive(Debug)]
pub(crate) struct Failed(String);

impl fmt::Display for Failed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Failed {}

impl ser::Error for Failed {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Self(msg.to_string())
    }
}

impl From<PyErr> for Failed {
    fn from(error: PyErr) -> Self {
        Self(error.to_string())
    }
}

/// Builds one value; `.1`: whether it is the result itself (not a value inside it), whose
/// struct fields make the result's [`Shape`].
#[derive(Clone, Copy)]
struct Objects<'py>(Python<'py>, bool);

impl Objects<'_> {
    /// A value inside the result.
    fn inner(self) -> Self {
        Self(self.0, false)
    }
}

type Made<'py> = Result<Bound<'py, PyAny>, Failed>;

impl<'py> Objects<'py> {
    fn int<I>(self, value: I) -> Made<'py>
    where
        I: IntoPyObject<'py, Target = pyo3::types::PyInt, Output = Bound<'py, pyo3::types::PyInt>>,
        PyErr: From<I::Error>,
    {
        Ok(value.into_pyobject(self.0).map_err(PyErr::from)?.into_any())
    }

    fn none(self) -> Bound<'py, PyAny> {
        self.0.None().into_bound(self.0)
    }

    /// `{variant: content}`, as `serde_json` writes an enum's non-unit variants.
    fn variant(self, variant: &'static str, content: Bound<'py, PyAny>) -> Made<'py> {
        let dict = PyDict::new(self.0);
        dict.set_item(field_name(self.0, variant), content)?;
        Ok(dict.into_any())
    }
}

impl<'py> ser::Serializer for Objects<'py> {
    type Ok = Bound<'py, PyAny>;
    type Error = Failed;
    type SerializeSeq = List<'py>;
    type SerializeTuple = List<'py>;
    type SerializeTupleStruct = List<'py>;
    type SerializeTupleVariant = Variant<List<'py>>;
    type SerializeMap = Dict<'py>;
    type SerializeStruct = Dict<'py>;
    type SerializeStructVariant = Variant<Dict<'py>>;

    fn serialize_bool(self, v: bool) -> Made<'py> {
        Ok(PyBool::new(self.0, v).to_owned().into_any())
    }
    fn serialize_i8(self, v: i8) -> Made<'py> {
        self.int(v)
    }
    fn serialize_i16(self, v: i16) -> Made<'py> {
        self.int(v)
    }
    fn serialize_i32(self, v: i32) -> Made<'py> {
        self.int(v)
    }
    fn serialize_i64(self, v: i64) -> Made<'py> {
        self.int(v)
    }
    fn serialize_i128(self, v: i128) -> Made<'py> {
        self.int(v)
    }
    fn serialize_u8(self, v: u8) -> Made<'py> {
        self.int(v)
    }
    fn serialize_u16(self, v: u16) -> Made<'py> {
        self.int(v)
    }
    fn serialize_u32(self, v: u32) -> Made<'py> {
        self.int(v)
    }
    fn serialize_u64(self, v: u64) -> Made<'py> {
        self.int(v)
    }
    fn serialize_u128(self, v: u128) -> Made<'py> {
        self.int(v)
    }
    fn serialize_f32(self, v: f32) -> Made<'py> {
        self.serialize_f64(f64::from(v))
    }
    fn serialize_f64(self, v: f64) -> Made<'py> {
        if v.is_finite() {
            Ok(PyFloat::new(self.0, v).into_any())
        } else {
            // JSON has no such number: serde_json writes null.
            Ok(self.none())
        }
    }
    fn serialize_char(self, v: char) -> Made<'py> {
        Ok(PyString::new(self.0, v.encode_utf8(&mut [0; 4])).into_any())
    }
    fn serialize_str(self, v: &str) -> Made<'py> {
        Ok(PyString::new(self.0, v).into_any())
    }
    fn serialize_bytes(self, v: &[u8]) -> Made<'py> {
        Ok(PyList::new(self.0, v)?.into_any())
    }
    fn serialize_none(self) -> Made<'py> {
        Ok(self.none())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Made<'py> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Made<'py> {
        Ok(self.none())
    }
    fn serialize_unit_struct(self, _: &'static str) -> Made<'py> {
        Ok(self.none())
    }
    fn serialize_unit_variant(self, _: &'static str, _: u32, variant: &'static str) -> Made<'py> {
        Ok(field_name(self.0, variant).into_any())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Made<'py> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        value: &T,
    ) -> Made<'py> {
        let content = value.serialize(self.inner())?;
        self.variant(variant, content)
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<List<'py>, Failed> {
        Ok(List(self, PyList::empty(self.0)))
    }
    fn serialize_tuple(self, len: usize) -> Result<List<'py>, Failed> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(self, _: &'static str, len: usize) -> Result<List<'py>, Failed> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Variant<List<'py>>, Failed> {
        Ok(Variant(variant, self.inner().serialize_seq(Some(len))?))
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Dict<'py>, Failed> {
        Ok(Dict {
            to: self,
            made: PyDict::new(self.0),
            key: None,
        })
    }
    fn serialize_struct(self, _: &'static str, len: usize) -> Result<Dict<'py>, Failed> {
        if self.1 {
            Shape::start();
        }
        self.serialize_map(Some(len))
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Variant<Dict<'py>>, Failed> {
        Ok(Variant(variant, self.inner().serialize_map(Some(len))?))
    }
}

pub(crate) struct List<'py>(Objects<'py>, Bound<'py, PyList>);

impl List<'_> {
    fn push<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Failed> {
        self.1.append(value.serialize(self.0.inner())?)?;
        Ok(())
    }
}

impl<'py> ser::SerializeSeq for List<'py> {
    type Ok = Bound<'py, PyAny>;
    type Error = Failed;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Failed> {
        self.push(value)
    }
    fn end(self) -> Made<'py> {
        Ok(self.1.into_any())
    }
}

impl<'py> ser::SerializeTuple for List<'py> {
    type Ok = Bound<'py, PyAny>;
    type Error = Failed;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Failed> {
        self.push(value)
    }
    fn end(self) -> Made<'py> {
        Ok(self.1.into_any())
    }
}

impl<'py> ser::SerializeTupleStruct for List<'py> {
    type Ok = Bound<'py, PyAny>;
    type Error = Failed;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Failed> {
        self.push(value)
    }
    fn end(self) -> Made<'py> {
        Ok(self.1.into_any())
    }
}

pub(crate) struct Dict<'py> {
    to: Objects<'py>,
    made: Bound<'py, PyDict>,
    key: Option<Bound<'py, PyAny>>,
}

impl Dict<'_> {
    fn field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Result<(), Failed> {
        if self.to.1 {
            Shape::add(key);
        }
        let value = value.serialize(self.to.inner())?;
        self.made.set_item(field_name(self.to.0, key), value)?;
        Ok(())
    }
}

impl<'py> ser::SerializeMap for Dict<'py> {
    type Ok = Bound<'py, PyAny>;
    type Error = Failed;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Failed> {
        let key = key.serialize(self.to.inner())?;
        // JSON object keys are text; serde_json writes integer and bool keys as text too.
        let key = if key.is_instance_of::<PyString>() {
            key
        } else if let Ok(flag) = key.cast::<PyBool>() {
            PyString::new(self.to.0, if flag.is_true() { "true" } else { "false" }).into_any()
        } else if key.is_instance_of::<pyo3::types::PyInt>() {
            key.str()?.into_any()
        } else {
            return Err(Failed("a map key is not text".into()));
        };
        self.key = Some(key);
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Failed> {
        let key = self
            .key
            .take()
            .ok_or_else(|| Failed("a map value without its key".into()))?;
        self.made.set_item(key, value.serialize(self.to.inner())?)?;
        Ok(())
    }
    fn end(self) -> Made<'py> {
        Ok(self.made.into_any())
    }
}

impl<'py> ser::SerializeStruct for Dict<'py> {
    type Ok = Bound<'py, PyAny>;
    type Error = Failed;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Failed> {
        self.field(key, value)
    }
    fn end(self) -> Made<'py> {
        Ok(self.made.into_any())
    }
}

/// An enum's tuple or struct variant: its content, then `{variant: content}`.
pub(crate) struct Variant<S>(&'static str, S);

impl<'py> ser::SerializeTupleVariant for Variant<List<'py>> {
    type Ok = Bound<'py, PyAny>;
    type Error = Failed;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Failed> {
        self.1.push(value)
    }
    fn end(self) -> Made<'py> {
        let Self(variant, List(to, list)) = self;
        to.variant(variant, list.into_any())
    }
}

impl<'py> ser::SerializeStructVariant for Variant<Dict<'py>> {
    type Ok = Bound<'py, PyAny>;
    type Error = Failed;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Failed> {
        self.1.field(key, value)
    }
    fn end(self) -> Made<'py> {
        let Self(variant, Dict { to, made, .. }) = self;
        to.variant(variant, made.into_any())
    }
}

/// A record of the package (`vngate._record.Record`) from a fresh dict of its fields, as its
/// `plan` says (made once per class by `vngate._record._plan`: the class, its field names, its
/// enum fields with their members by value, its nested record fields with their plans): enum
/// codes become members (an unknown code is kept as sent), nested dicts records, and the dict
/// becomes the record's own, without a copy. Fields other than the plan's raise what
/// `vngate._record._disagree` makes: the package and its native module disagree.
pub(crate) fn record<'py>(
    plan_object: &Bound<'py, PyAny>,
    data: &Bound<'py, PyAny>,
    shape: Option<Shape>,
) -> PyResult<Bound<'py, PyAny>> {
    use pyo3::types::{PyFrozenSet, PyTuple, PyType};
    let py = plan_object.py();
    let plan = plan_object.cast::<PyTuple>()?;
    let class = plan.get_item(0)?;
    let class = class.cast::<PyType>()?;
    let names = plan.get_item(1)?;
    let names = names.cast::<PyFrozenSet>()?;
    let Ok(fields) = data.cast::<PyDict>() else {
        return Err(disagree(class, data));
    };
    let known = shape.is_some_and(|shape| shape.checked(plan_object));
    let same = fields.len() == names.len()
        // A keys view against a set: compared in C, one call.
        && (known || fields.call_method0(pyo3::intern!(py, "keys"))?.eq(names)?);
    if !same {
        return Err(disagree(class, data));
    }
    if let (false, Some(shape)) = (known, shape) {
        shape.remember(plan_object);
    }
    for item in plan.get_item(2)?.cast::<PyTuple>()? {
        let (name, members) = item.extract::<(Bound<'py, PyAny>, Bound<'py, PyDict>)>()?;
        if let Some(value) = fields.get_item(&name)?
            && !value.is_none()
            // An unhashable value is no code: kept, as an unknown one.
            && let Ok(Some(member)) = members.get_item(&value)
        {
            fields.set_item(name, member)?;
        }
    }
    for item in plan.get_item(3)?.cast::<PyTuple>()? {
        let (name, nested) = item.extract::<(Bound<'py, PyAny>, Bound<'py, PyAny>)>()?;
        let Some(value) = fields.get_item(&name)? else {
            continue;
        };
        if let Ok(list) = value.cast::<PyList>() {
            let records = PyList::empty(py);
            for entry in list {
                records.append(record(&nested, &entry, None)?)?;
            }
            fields.set_item(name, records)?;
        } else if !value.is_none() {
            fields.set_item(name, record(&nested, &value, None)?)?;
        }
    }
    // `object.__new__`: no `__init__` (it wants every field as an argument), and the dict
    // set as the instance's own through `object.__setattr__` (records refuse `setattr`).
    let (new, setattr) = OBJECT.get_or_try_init(py, || {
        let object = py.get_type::<PyAny>();
        Ok::<_, PyErr>((
            object.getattr("__new__")?.unbind(),
            object.getattr("__setattr__")?.unbind(),
        ))
    })?;
    let made = new.bind(py).call1((class,))?;
    setattr
        .bind(py)
        .call1((&made, pyo3::intern!(py, "__dict__"), fields))?;
    Ok(made)
}

/// `object.__new__` and `object.__setattr__`, looked up once.
static OBJECT: pyo3::sync::PyOnceLock<(Py<PyAny>, Py<PyAny>)> = pyo3::sync::PyOnceLock::new();

fn disagree(class: &Bound<'_, pyo3::types::PyType>, data: &Bound<'_, PyAny>) -> PyErr {
    let py = class.py();
    let made = py
        .import("vngate._record")
        .and_then(|module| module.getattr("_disagree"))
        .and_then(|disagree| disagree.call1((class, data)));
    match made {
        Ok(error) => PyErr::from_value(error),
        Err(error) => error,
    }
}
