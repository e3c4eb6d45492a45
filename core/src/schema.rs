//! JSON Schema for the types whose JSON form is written by hand (`Serialize` impls, secret
//! wrappers), behind the `schema` feature. The derived ones carry
//! `#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]` beside their serde attributes.
//!
//! Two keywords of vngate's own ride along (JSON Schema ignores unknown keywords), so that the
//! generated fronts know what to hide: `x-vngate-secret` (a credential or a card PIN: masked
//! in `repr`, logs and dumps) and `x-vngate-raw` (the provider's body as received).

use std::borrow::Cow;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};

use crate::secret::{CardCode, Raw, Secret};

impl JsonSchema for Secret {
    fn schema_name() -> Cow<'static, str> {
        "Secret".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "description": "A credential: never shown in Debug, repr, errors, logs or dumps.",
            "writeOnly": true,
            "x-vngate-secret": true,
        })
    }
}

impl JsonSchema for CardCode {
    fn schema_name() -> Cow<'static, str> {
        "CardCode".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "description": "A card PIN, as printed: shown masked (`***81`) everywhere but in the value itself.",
            "x-vngate-secret": true,
        })
    }
}

impl JsonSchema for Raw {
    fn schema_name() -> Cow<'static, str> {
        "Raw".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "description": "The provider's reply body exactly as received (it may echo card PINs: never log it).",
            "x-vngate-raw": true,
        })
    }
}

/// An integer status: its known codes by name (`const` + `title`, the variant's name as
/// `SCREAMING_SNAKE`), and any other integer, kept as sent. Each status type's own
/// `JsonSchema` impl, beside it, calls it.
pub(crate) fn named_codes<T: std::fmt::Debug + Copy>(
    description: &str,
    known: &[T],
    code: impl Fn(T) -> i64,
) -> Schema {
    let mut any_of: Vec<serde_json::Value> = known
        .iter()
        .map(
            |&s| serde_json::json!({"const": code(s), "title": screaming_snake(&format!("{s:?}"))}),
        )
        .collect();
    any_of.push(
        serde_json::json!({"type": "integer", "description": "any other code, kept as sent"}),
    );
    json_schema!({"description": description, "anyOf": any_of})
}

/// `WrongValue` → `WRONG_VALUE`: the names the fronts give the codes.
fn screaming_snake(debug: &str) -> String {
    let mut out = String::new();
    for (i, c) in debug.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_uppercase());
    }
    out
}

/// Adds the `message` every error carries (its `Display`) to each variant of the derived
/// schema of [`crate::Error`], as [`crate::Error::to_json`] writes it.
pub(crate) fn error_message(schema: &mut Schema) {
    let Some(variants) = schema.get_mut("oneOf").and_then(|v| v.as_array_mut()) else {
        return;
    };
    for variant in variants {
        if let Some(props) = variant
            .get_mut("properties")
            .and_then(|p| p.as_object_mut())
        {
            props.insert(
                "message".to_owned(),
                serde_json::json!({"type": "string", "description": "What happened, in one line (no secret)."}),
            );
        }
        if let Some(required) = variant.get_mut("required").and_then(|r| r.as_array_mut()) {
            required.push("message".into());
        }
    }
}
