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

/// A `&'static str`'s identity: its address and length (a name could start where a longer
/// one does). serde hands over a struct's and its fields' names as the program's own strings.
fn address(name: &'static str) -> (usize, usize) {
    (name.as_ptr() as usize, name.len())
}

fn field_name<'py>(py: Python<'py>, name: &'static str) -> Bound<'py, PyString> {
    let key = address(name);
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
            fields: None,
        })
    }
    fn serialize_struct(self, name: &'static str, _: usize) -> Result<Dict<'py>, Failed> {
        if self.1 {
            Shape::start();
        }
        let template = Template::of(name);
        let made = match &template {
            Some(template) => template.dict.bind(self.0).copy()?,
            None => PyDict::new(self.0),
        };
        Ok(Dict {
            to: self,
            made,
            key: None,
            fields: Some(Fields {
                name,
                template,
                count: 0,
                written: Vec::new(),
            }),
        })
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
    /// A struct's: its fields so far, and the template its dict was copied from.
    fields: Option<Fields>,
}

/// A struct being made (see [`Template`]).
struct Fields {
    name: &'static str,
    /// The template the dict was copied from while the fields come as it has them.
    template: Option<std::rc::Rc<Template>>,
    /// How many fields were written: while the template holds, they are its first `count`.
    count: usize,
    /// The fields written, once there is no template (to make one, or to make the dict):
    /// nothing is allocated for a struct made from its template.
    written: Vec<&'static str>,
}

/// A struct's fields as it was last made: their names in order (serde's `&'static str`s and
/// their Python strings), and a dict of them with `None` values that a new one is copied
/// from. A copy takes the keys table whole, where inserting a dozen keys one at a time grew
/// and rehashed it three times; each field then replaces its value. A struct whose fields
/// come otherwise (one skipped) is made field by field, as without a template.
struct Template {
    names: Vec<(&'static str, Py<PyString>)>,
    dict: Py<PyDict>,
}

thread_local! {
    /// Templates by the struct's name (the address and length of serde's `&'static str`).
    static TEMPLATES: RefCell<HashMap<(usize, usize), std::rc::Rc<Template>, ByAddress>> =
        const { RefCell::new(HashMap::with_hasher(ByAddress)) };
}

impl Template {
    fn of(name: &'static str) -> Option<std::rc::Rc<Self>> {
        TEMPLATES
            .try_with(|templates| templates.try_borrow().ok()?.get(&address(name)).cloned())
            .ok()
            .flatten()
    }

    /// Keeps `fields` (all of a struct, in order) as `name`'s template.
    fn keep(py: Python<'_>, name: &'static str, fields: &[&'static str]) -> PyResult<()> {
        let dict = PyDict::new(py);
        let mut names = Vec::with_capacity(fields.len());
        for field in fields {
            let key = field_name(py, field);
            dict.set_item(&key, py.None())?;
            names.push((*field, key.unbind()));
        }
        let template = std::rc::Rc::new(Self {
            names,
            dict: dict.unbind(),
        });
        let _ = TEMPLATES.try_with(|templates| {
            if let Ok(mut templates) = templates.try_borrow_mut() {
                templates.insert(address(name), template);
            }
        });
        Ok(())
    }

    /// A dict of `made`'s values for this template's first `count` fields, in order: a struct
    /// that left the template, made as it would have been without one.
    fn prefix<'py>(&self, made: &Bound<'py, PyDict>, count: usize) -> PyResult<Bound<'py, PyDict>> {
        let py = made.py();
        let fresh = PyDict::new(py);
        for (_, key) in &self.names[..count] {
            let key = key.bind(py);
            if let Some(value) = made.get_item(key)? {
                fresh.set_item(key, value)?;
            }
        }
        Ok(fresh)
    }
}

impl<'py> Dict<'py> {
    fn field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Result<(), Failed> {
        if self.to.1 {
            Shape::add(key);
        }
        let value = value.serialize(self.to.inner())?;
        let py = self.to.0;
        let Some(fields) = &mut self.fields else {
            self.made.set_item(field_name(py, key), value)?;
            return Ok(());
        };
        let at = fields.count;
        fields.count += 1;
        if let Some(template) = &fields.template {
            if let Some((_, name)) = template
                .names
                .get(at)
                .filter(|(name, _)| address(name) == address(key))
            {
                self.made.set_item(name.bind(py), value)?;
                return Ok(());
            }
            // Not the template's field here: the fields so far into a dict of their own.
            fields.written = template.names[..at].iter().map(|(name, _)| *name).collect();
            self.made = template.prefix(&self.made, at)?;
            fields.template = None;
        }
        fields.written.push(key);
        self.made.set_item(field_name(py, key), value)?;
        Ok(())
    }

    /// The struct's dict, once its fields are written: without the template's fields that did
    /// not come; and the first time a struct is made, its template kept.
    fn finish(self) -> Made<'py> {
        let py = self.to.0;
        let Some(fields) = self.fields else {
            return Ok(self.made.into_any());
        };
        match &fields.template {
            Some(template) if template.names.len() != fields.count => {
                Ok(template.prefix(&self.made, fields.count)?.into_any())
            }
            Some(_) => Ok(self.made.into_any()),
            None => {
                if Template::of(fields.name).is_none() {
                    Template::keep(py, fields.name, &fields.written)?;
                }
                Ok(self.made.into_any())
            }
        }
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
        self.finish()
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

/// A record's plan (`vngate._record._plan`: a tuple of the class, its field names, its enum
/// fields with their members by value, its nested record fields with their plans), read once
/// per thread into what [`record`] uses on every call.
struct Plan {
    class: Py<pyo3::types::PyType>,
    names: Py<pyo3::types::PyFrozenSet>,
    enums: Vec<(Py<PyAny>, Py<PyDict>)>,
    nested: Vec<(Py<PyAny>, Py<PyAny>)>,
}

thread_local! {
    /// Plans read, by the address of their tuple (which they keep alive: plans live as long as
    /// their classes, which is the process).
    static PLANS: RefCell<HashMap<usize, std::rc::Rc<Plan>, ByAddress>> =
        const { RefCell::new(HashMap::with_hasher(ByAddress)) };
}

impl Plan {
    fn of(plan: &Bound<'_, PyAny>) -> PyResult<std::rc::Rc<Self>> {
        let key = plan.as_ptr() as usize;
        if let Ok(Some(known)) = PLANS.try_with(|plans| {
            plans
                .try_borrow()
                .ok()
                .and_then(|plans| plans.get(&key).cloned())
        }) {
            return Ok(known);
        }
        let read = std::rc::Rc::new(Self::read(plan)?);
        let _ = PLANS.try_with(|plans| {
            if let Ok(mut plans) = plans.try_borrow_mut() {
                // The tuple itself is kept too, so that its address is never another's.
                plans.insert(key, std::rc::Rc::clone(&read));
                std::mem::forget(plan.clone().unbind());
            }
        });
        Ok(read)
    }

    fn read(plan: &Bound<'_, PyAny>) -> PyResult<Self> {
        use pyo3::types::{PyFrozenSet, PyTuple, PyType};
        let plan = plan.cast::<PyTuple>()?;
        let mut enums = Vec::new();
        for item in plan.get_item(2)?.cast::<PyTuple>()? {
            let (name, members) = item.extract::<(Bound<'_, PyAny>, Bound<'_, PyDict>)>()?;
            enums.push((name.unbind(), members.unbind()));
        }
        let mut nested = Vec::new();
        for item in plan.get_item(3)?.cast::<PyTuple>()? {
            let (name, plan) = item.extract::<(Bound<'_, PyAny>, Bound<'_, PyAny>)>()?;
            nested.push((name.unbind(), plan.unbind()));
        }
        Ok(Self {
            class: plan.get_item(0)?.cast_into::<PyType>()?.unbind(),
            names: plan.get_item(1)?.cast_into::<PyFrozenSet>()?.unbind(),
            enums,
            nested,
        })
    }
}

/// A record of the package (`vngate._record.Record`) from a fresh dict of its fields, as its
/// `plan` says ([`Plan`]): enum codes become members (an unknown code is kept as sent), nested
/// dicts records, and the dict becomes the record's own, without a copy. Fields other than
/// the plan's raise what `vngate._record._disagree` makes: the package and its native module
/// disagree.
pub(crate) fn record<'py>(
    plan_object: &Bound<'py, PyAny>,
    data: &Bound<'py, PyAny>,
    shape: Option<Shape>,
) -> PyResult<Bound<'py, PyAny>> {
    let py = plan_object.py();
    let plan = Plan::of(plan_object)?;
    let class = plan.class.bind(py);
    let names = plan.names.bind(py);
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
    for (name, members) in &plan.enums {
        let name = name.bind(py);
        if let Some(value) = fields.get_item(name)?
            && !value.is_none()
            // An unhashable value is no code: kept, as an unknown one.
            && let Ok(Some(member)) = members.bind(py).get_item(&value)
        {
            fields.set_item(name, member)?;
        }
    }
    for (name, nested) in &plan.nested {
        let name = name.bind(py);
        let Some(value) = fields.get_item(name)? else {
            continue;
        };
        if let Ok(list) = value.cast::<PyList>() {
            let records = PyList::empty(py);
            for entry in list {
                records.append(record(nested.bind(py), &entry, None)?)?;
            }
            fields.set_item(name, records)?;
        } else if !value.is_none() {
            fields.set_item(name, record(nested.bind(py), &value, None)?)?;
        }
    }
    instance(class, fields)
}

/// An instance of a record class whose `__dict__` is `fields`: `object.__new__(class)` (no
/// `__init__`: it wants every field as an argument), then the dict set as its own as
/// `object.__setattr__(made, "__dict__", fields)` sets it (records refuse `setattr`). Both
/// through their C functions: as Python calls they were half of a record's cost.
#[allow(unsafe_code)]
fn instance<'py>(
    class: &Bound<'py, pyo3::types::PyType>,
    fields: &Bound<'py, PyDict>,
) -> PyResult<Bound<'py, PyAny>> {
    use pyo3::ffi;
    let py = class.py();
    // SAFETY: `class` is a live type object made by a class statement (a heap type), whose
    // slots `PyType_GetSlot` reads on every Python the wheel supports (3.9 on). Records define
    // no `__new__`, so the slot is `object.__new__`'s, which the call below makes as
    // `type.__call__` does (the class, an empty args tuple, no keywords): it returns a new
    // reference or NULL with an exception set, which `from_owned_ptr_or_err` takes over.
    let made = unsafe {
        let new = ffi::PyType_GetSlot(class.as_type_ptr(), ffi::Py_tp_new);
        if new.is_null() {
            return Err(pyo3::exceptions::PyTypeError::new_err(
                "vngate: a record class without tp_new",
            ));
        }
        let new: ffi::newfunc = std::mem::transmute::<*mut std::ffi::c_void, ffi::newfunc>(new);
        let args = pyo3::types::PyTuple::empty(py);
        Bound::from_owned_ptr_or_err(
            py,
            new(class.as_type_ptr(), args.as_ptr(), std::ptr::null_mut()),
        )?
    };
    // SAFETY: three live objects, borrowed for the call; `PyObject_GenericSetAttr` (what
    // `object.__setattr__` runs) returns -1 with an exception set on failure.
    let set = unsafe {
        ffi::PyObject_GenericSetAttr(
            made.as_ptr(),
            pyo3::intern!(py, "__dict__").as_ptr(),
            fields.as_ptr(),
        )
    };
    if set != 0 {
        return Err(PyErr::fetch(py));
    }
    Ok(made)
}

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

#[cfg(test)]
mod tests {
    use super::*;

    /// Two structs serde names alike (their fields differ), one with a field it may skip:
    /// each is made as its own fields say, whatever template the other left.
    #[derive(serde::Serialize)]
    #[serde(rename = "Same")]
    struct First {
        a: u8,
        b: u8,
        #[serde(skip_serializing_if = "Option::is_none")]
        c: Option<u8>,
    }

    #[derive(serde::Serialize)]
    #[serde(rename = "Same")]
    struct Second {
        b: u8,
        a: u8,
        d: u8,
    }

    #[derive(serde::Serialize)]
    #[serde(rename = "Same")]
    struct Third {
        a: u8,
        d: u8,
    }

    #[test]
    fn structs_are_made_as_their_fields_come_whatever_template_is_kept() {
        fn made<T: Serialize>(py: Python<'_>, value: &T) -> String {
            to_objects(py, value).unwrap().repr().unwrap().to_string()
        }
        let first = |a, b, c| First { a, b, c };
        let second = Second { b: 2, a: 1, d: 4 };
        Python::initialize();
        Python::attach(|py| {
            // The first makes the template; the rest come as it has them, or not.
            assert_eq!(made(py, &first(1, 2, Some(3))), "{'a': 1, 'b': 2, 'c': 3}");
            assert_eq!(made(py, &first(1, 2, None)), "{'a': 1, 'b': 2}");
            assert_eq!(made(py, &second), "{'b': 2, 'a': 1, 'd': 4}");
            assert_eq!(made(py, &first(5, 6, Some(7))), "{'a': 5, 'b': 6, 'c': 7}");
            // The template's first field, then another.
            assert_eq!(made(py, &Third { a: 1, d: 4 }), "{'a': 1, 'd': 4}");
            assert_eq!(
                made(py, &(first(1, 2, None), second)),
                "[{'a': 1, 'b': 2}, {'b': 2, 'a': 1, 'd': 4}]"
            );
        });
    }
}
