//! Reading vngate's JSON schema (`schema/vngate.json`, generated from these types): what the
//! generator of the fronts' code and the `vngate` command both need of it, in one place. Plain
//! `serde_json`, so that a reader needs neither the `schema` feature nor schemars.

use serde_json::{Map, Value};

/// A `$defs` entry's name from a `$ref`.
#[must_use]
pub fn ref_name(schema: &Value) -> Option<&str> {
    schema.get("$ref")?.as_str()?.strip_prefix("#/$defs/")
}

/// A Rust doc comment as prose for another language (or a command's help): links unwrapped,
/// one paragraph per line.
#[must_use]
pub fn prose(schema: &Value) -> String {
    let text = schema
        .get("description")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("[`") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        if let Some(end) = after.find("`]") {
            let name = &after[1..end];
            let name = name.rsplit("::").next().unwrap_or(name);
            out.push('`');
            out.push_str(name);
            out.push('`');
            rest = &after[end + 2..];
        } else {
            out.push('[');
            rest = after;
        }
    }
    out.push_str(rest);
    out.replace('\n', " ")
}

/// Whether a property (directly, through its `$ref`, or as the non-null side of an `anyOf`)
/// carries the keyword `key`: `x-vngate-secret` (masked) or `x-vngate-raw` (the raw body).
#[must_use]
pub fn marked(defs: &Map<String, Value>, property: &Value, key: &str) -> bool {
    if property.get(key) == Some(&Value::Bool(true)) {
        return true;
    }
    let inner = property
        .get("anyOf")
        .and_then(Value::as_array)
        .and_then(|a| a.iter().find_map(ref_name))
        .or_else(|| ref_name(property));
    inner.is_some_and(|name| defs[name].get(key) == Some(&Value::Bool(true)))
}
