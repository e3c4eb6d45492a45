//! A request read straight from Python values: a serde `Deserializer` over a generated
//! method's arguments, so that the core reads its request type from them
//! (`vngate::api::Input`) without JSON written here only to be parsed there.
//!
//! It takes exactly what `_dumps` writes as JSON, and reads it as `serde_json` reads that JSON:
//! both ask [`Plain`] which values are plain JSON, and as what (a non-negative int as `u64`, a
//! negative one as `i64`, `None` as null, a dict as an object, a list or tuple as an array).
//! Anything else (a float that is not finite, an int beyond 64 bits, a key that is not text,
//! text that is not Unicode, any other type, nesting deeper than `MAX_DEPTH`) and any request
//! its type refuses fails here with no reason given: the caller then reads the request again
//! from its JSON, so `json.dumps`' handling of odd values and every error's wording stay
//! exactly as they were.

use std::fmt;

use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};
use serde::de::{self, DeserializeOwned, IntoDeserializer, Visitor};

use crate::MAX_DEPTH;

/// A request's fields: each name with its value, `None`s left out (as `_dumps` leaves them).
pub(crate) struct Fields<'a, 'py>(pub(crate) &'a [(Bound<'py, PyString>, Bound<'py, PyAny>)]);

impl vngate::api::Input for Fields<'_, '_> {
    fn read<T: DeserializeOwned>(self) -> Result<T, vngate::Error> {
        T::deserialize(FieldsDe(self.0)).map_err(|NotRead| vngate::Error::InvalidInput {
            field: "request".into(),
            reason: "is not read from Python values (it is read again from its JSON)".into(),
        })
    }
}

/// Why a request was not read from Python values: nothing more (see the module's doc).
#[derive(Debug)]
pub(crate) struct NotRead;

impl fmt::Display for NotRead {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("not read from Python values")
    }
}

impl std::error::Error for NotRead {}

impl de::Error for NotRead {
    fn custom<T: fmt::Display>(_: T) -> Self {
        Self
    }
}

/// The request itself: an object of its fields.
struct FieldsDe<'a, 'py>(&'a [(Bound<'py, PyString>, Bound<'py, PyAny>)]);

impl<'de> de::Deserializer<'de> for FieldsDe<'_, '_> {
    type Error = NotRead;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, NotRead> {
        visitor.visit_map(Entries {
            items: self
                .0
                .iter()
                .map(|(name, value)| (name.as_any().clone(), value.clone())),
            value: None,
            depth: 1,
        })
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map struct enum
        identifier ignored_any
    }
}

/// An object's entries, keys first.
struct Entries<'py, I> {
    items: I,
    value: Option<Bound<'py, PyAny>>,
    depth: usize,
}

impl<'de, 'py, I> de::MapAccess<'de> for Entries<'py, I>
where
    I: Iterator<Item = (Bound<'py, PyAny>, Bound<'py, PyAny>)>,
{
    type Error = NotRead;

    fn next_key_seed<K: de::DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, NotRead> {
        let Some((key, value)) = self.items.next() else {
            return Ok(None);
        };
        self.value = Some(value);
        let key = key.cast::<PyString>().map_err(|_| NotRead)?;
        with_text(key, |text| seed.deserialize(text.into_deserializer())).map(Some)
    }

    fn next_value_seed<S: de::DeserializeSeed<'de>>(
        &mut self,
        seed: S,
    ) -> Result<S::Value, NotRead> {
        let value = self.value.take().ok_or(NotRead)?;
        seed.deserialize(ValueDe(value, self.depth))
    }
}

/// A list's or tuple's items.
struct Items<I> {
    items: I,
    depth: usize,
}

impl<'de, 'py, I: Iterator<Item = Bound<'py, PyAny>>> de::SeqAccess<'de> for Items<I> {
    type Error = NotRead;

    fn next_element_seed<S: de::DeserializeSeed<'de>>(
        &mut self,
        seed: S,
    ) -> Result<Option<S::Value>, NotRead> {
        match self.items.next() {
            Some(item) => seed.deserialize(ValueDe(item, self.depth)).map(Some),
            None => Ok(None),
        }
    }
}

/// Text as UTF-8, through its encoding (a bytes object: the stable ABI of Python 3.9 has no
/// borrowed UTF-8 view); text that is not Unicode (a lone surrogate) is not read.
pub(crate) fn with_text<R>(
    text: &Bound<'_, PyString>,
    then: impl FnOnce(&str) -> Result<R, NotRead>,
) -> Result<R, NotRead> {
    let encoded = text.encode_utf8().map_err(|_| NotRead)?;
    then(std::str::from_utf8(encoded.as_bytes()).map_err(|_| NotRead)?)
}

/// A Python value as plain JSON has it: the one place that says which values are plain and
/// as what, for this reader and for `_dumps`' writer alike. `None` (the type) is null; a bool
/// is a bool before it is an int; an int is read as `serde_json` reads its digits (`u64`
/// without a sign, `i64` with one); a float only when finite. Containers are returned whole:
/// how deep they may nest is their reader's or writer's to say.
pub(crate) enum Plain<'a, 'py> {
    Null,
    Bool(bool),
    Unsigned(u64),
    Signed(i64),
    Float(f64),
    Text(&'a Bound<'py, PyString>),
    Object(&'a Bound<'py, PyDict>),
    List(&'a Bound<'py, PyList>),
    Tuple(&'a Bound<'py, PyTuple>),
}

impl<'a, 'py> Plain<'a, 'py> {
    /// `value` as plain JSON, or `None` for anything else (an int beyond 64 bits, a float that
    /// is not finite, any other type).
    pub(crate) fn of(value: &'a Bound<'py, PyAny>) -> Option<Self> {
        Some(if value.is_none() {
            Self::Null
        } else if let Ok(flag) = value.cast::<PyBool>() {
            Self::Bool(flag.is_true())
        } else if value.is_instance_of::<PyInt>() {
            match value.extract::<u64>() {
                Ok(int) => Self::Unsigned(int),
                Err(_) => Self::Signed(value.extract::<i64>().ok()?),
            }
        } else if let Ok(float) = value.cast::<PyFloat>() {
            let float = float.value();
            if !float.is_finite() {
                return None;
            }
            Self::Float(float)
        } else if let Ok(text) = value.cast::<PyString>() {
            Self::Text(text)
        } else if let Ok(dict) = value.cast::<PyDict>() {
            Self::Object(dict)
        } else if let Ok(list) = value.cast::<PyList>() {
            Self::List(list)
        } else if let Ok(tuple) = value.cast::<PyTuple>() {
            Self::Tuple(tuple)
        } else {
            return None;
        })
    }

    /// A dict, a list or a tuple.
    pub(crate) fn nests(&self) -> bool {
        matches!(self, Self::Object(_) | Self::List(_) | Self::Tuple(_))
    }
}

/// One value, `.1` levels down.
struct ValueDe<'py>(Bound<'py, PyAny>, usize);

impl<'de> de::Deserializer<'de> for ValueDe<'_> {
    type Error = NotRead;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, NotRead> {
        let Self(value, depth) = self;
        let plain = Plain::of(&value).ok_or(NotRead)?;
        if plain.nests() && depth >= MAX_DEPTH {
            return Err(NotRead);
        }
        match plain {
            Plain::Null => visitor.visit_unit(),
            Plain::Bool(flag) => visitor.visit_bool(flag),
            Plain::Unsigned(int) => visitor.visit_u64(int),
            Plain::Signed(int) => visitor.visit_i64(int),
            Plain::Float(float) => visitor.visit_f64(float),
            Plain::Text(text) => with_text(text, |text| visitor.visit_str(text)),
            Plain::Object(dict) => visitor.visit_map(Entries {
                items: dict.iter(),
                value: None,
                depth: depth + 1,
            }),
            Plain::List(list) => visitor.visit_seq(Items {
                items: list.iter(),
                depth: depth + 1,
            }),
            Plain::Tuple(tuple) => visitor.visit_seq(Items {
                items: tuple.iter(),
                depth: depth + 1,
            }),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, NotRead> {
        if self.0.is_none() {
            visitor.visit_none()
        } else {
            visitor.visit_some(self)
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        visitor: V,
    ) -> Result<V::Value, NotRead> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, NotRead> {
        // A unit variant, as serde_json reads one from a string; any other shape goes to JSON.
        let text = self.0.cast::<PyString>().map_err(|_| NotRead)?;
        with_text(text, |text| visitor.visit_enum(text.into_deserializer()))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        unit unit_struct seq tuple tuple_struct map struct identifier ignored_any
    }
}
