//! Reading a callback body as JSON without ambiguity. `serde_json::Value` keeps the last of
//! two equal keys; a web framework, a log or a second parser may keep the first, so a body
//! that says `"status":3,"status":1` means different things to different readers. A signed
//! message must mean one thing: such a body is refused.

use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use crate::flat_json;

/// A JSON value whose objects (at any depth) have no repeated key.
struct Strict(Value);

impl<'de> Deserialize<'de> for Strict {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(StrictVisitor)
    }
}

struct StrictVisitor;

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = Strict;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("JSON")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Strict, A::Error> {
        let mut map = Map::new();
        while let Some(key) = access.next_key::<String>()? {
            let Strict(value) = access.next_value()?;
            // One search for both the check and the insert.
            match map.entry(key) {
                serde_json::map::Entry::Vacant(slot) => {
                    slot.insert(value);
                }
                serde_json::map::Entry::Occupied(taken) => {
                    return Err(de::Error::custom(format!(
                        "the field {} is given twice",
                        crate::secret::quote(taken.key())
                    )));
                }
            }
        }
        Ok(Strict(Value::Object(map)))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut access: A) -> Result<Strict, A::Error> {
        let mut items = Vec::new();
        while let Some(Strict(item)) = access.next_element()? {
            items.push(item);
        }
        Ok(Strict(Value::Array(items)))
    }

    fn visit_bool<E>(self, v: bool) -> Result<Strict, E> {
        Ok(Strict(Value::Bool(v)))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Strict, E> {
        Ok(Strict(Value::from(v)))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Strict, E> {
        Ok(Strict(Value::from(v)))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Strict, E> {
        Ok(Strict(Value::from(v)))
    }

    fn visit_str<E>(self, v: &str) -> Result<Strict, E> {
        Ok(Strict(Value::from(v)))
    }

    fn visit_string<E>(self, v: String) -> Result<Strict, E> {
        Ok(Strict(Value::from(v)))
    }

    fn visit_unit<E>(self) -> Result<Strict, E> {
        Ok(Strict(Value::Null))
    }

    fn visit_none<E>(self) -> Result<Strict, E> {
        Ok(Strict(Value::Null))
    }
}

/// Why a callback body was refused.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Refused {
    /// Not a JSON object at all.
    NotAnObject,
    /// A key repeats, or a key is one a web framework would rewrite; the reason says which.
    Ambiguous(String),
}

/// Reads a callback body as one JSON object; refuses a repeated key at any depth and a key a
/// PHP front would rewrite (see [`ambiguous_key`]).
pub(crate) fn object(body: &[u8]) -> Result<Map<String, Value>, Refused> {
    read(serde_json::Deserializer::from_slice(
        &crate::fields::exact_numbers(body),
    ))
}

/// [`object`] of a body already checked to be UTF-8: its strings are not checked again.
pub(crate) fn object_str(text: &str) -> Result<Map<String, Value>, Refused> {
    match crate::fields::exact_numbers(text.as_bytes()) {
        std::borrow::Cow::Borrowed(_) => read(serde_json::Deserializer::from_str(text)),
        std::borrow::Cow::Owned(turned) => read(serde_json::Deserializer::from_slice(&turned)),
    }
}

fn read<'de, R: serde_json::de::Read<'de>>(
    mut deserializer: serde_json::Deserializer<R>,
) -> Result<Map<String, Value>, Refused> {
    let value = match Strict::deserialize(&mut deserializer) {
        Ok(Strict(value)) => value,
        Err(e) if e.to_string().contains("is given twice") => {
            let reason = e.to_string();
            let reason = reason
                .split(" at line ")
                .next()
                .unwrap_or("a field is given twice");
            return Err(Refused::Ambiguous(reason.to_owned()));
        }
        Err(_) => return Err(Refused::NotAnObject),
    };
    if deserializer.end().is_err() {
        return Err(Refused::NotAnObject);
    }
    let Value::Object(map) = value else {
        return Err(Refused::NotAnObject);
    };
    if let Some(reason) = map.keys().find_map(|k| ambiguous_key(k)) {
        return Err(Refused::Ambiguous(reason));
    }
    Ok(map)
}

/// [`object_str`], read in place when the body is a flat object of plain values (a signed
/// callback almost always is: see [`crate::flat_json`]), by the full reader otherwise, which
/// also gives every refusal its reason.
pub(crate) fn fields_str(text: &str) -> Result<flat_json::Object<'_>, Refused> {
    match flat_json::Flat::read(text) {
        Some(flat) if !flat.keys().any(|key| ambiguous_key(key).is_some()) => {
            Ok(flat_json::Object::Flat(flat))
        }
        _ => object_str(text).map(flat_json::Object::Map),
    }
}

/// A callback key that one reader would take as written and another would rewrite: PHP turns
/// `status[]` into an array and `request.id` or `request id` into `request_id` in `$_GET` and
/// `$_POST`, so the library and the shop's own code would read different fields.
pub(crate) fn ambiguous_key(key: &str) -> Option<String> {
    // A byte scan: the four are ASCII, and no byte of a multi-byte character is ASCII.
    key.bytes()
        .any(|b| matches!(b, b'[' | b']' | b'.' | b' '))
        .then(|| {
            format!(
                "the field name {} is ambiguous ([, ], . or space)",
                crate::secret::quote(key)
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_keys_are_refused_at_any_depth() {
        assert!(
            matches!(object(br#"{"status":3,"status":1}"#), Err(Refused::Ambiguous(r)) if r.contains("\"status\" is given twice"))
        );
        assert!(matches!(
            object(br#"{"data":{"a":1,"a":2}}"#),
            Err(Refused::Ambiguous(_))
        ));
        assert!(matches!(
            object(br#"{"status[]":1}"#),
            Err(Refused::Ambiguous(_))
        ));
        assert!(matches!(
            object(br#"{"request.id":"1"}"#),
            Err(Refused::Ambiguous(_))
        ));
        // Read in place or not, a callback is refused the same way.
        for body in [
            r#"{"status[]":1}"#,
            r#"{"a":1,"a":2}"#,
            r#"{"request id":"1"}"#,
        ] {
            assert!(
                matches!(fields_str(body), Err(Refused::Ambiguous(_))),
                "{body}"
            );
        }
        assert!(matches!(
            fields_str(r#"{"a":1,"b":"x"}"#),
            Ok(flat_json::Object::Flat(_))
        ));
        assert_eq!(object(b"[1]"), Err(Refused::NotAnObject));
        assert_eq!(object(b"{} {}"), Err(Refused::NotAnObject));
        let map = object(br#"{"a":[1,{"b":null}],"c":1.5,"d":"x"}"#).unwrap();
        assert_eq!(
            Value::Object(map).to_string(),
            r#"{"a":[1,{"b":null}],"c":1.5,"d":"x"}"#
        );
    }
}
