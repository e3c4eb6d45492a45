//! The generated files: `schema/vngate.json` (JSON Schema of every config, request, result,
//! callback and error, with the registry's operations) and, from that schema alone, the
//! fronts' model: `python/vngate/_models.py` (result records, status enums, request and config
//! `TypedDict`s) and PHP's array shapes and status constants under `php/src/`. The test
//! `tests/tests/generated.rs` fails while a committed file differs from what this writes;
//! `VNGATE_WRITE_GENERATED=1 cargo test -p vngate-tests --test generated` rewrites them.

// A build tool: it panics on a schema shape it does not know yet, so that a new shape extends
// the generator instead of being rendered wrongly; its two writers read best whole.
#![allow(clippy::missing_panics_doc, clippy::too_many_lines)]

use std::collections::BTreeMap;

use schemars::SchemaGenerator;
use schemars::generate::{Contract, SchemaSettings};
use serde_json::{Map, Value, json};

use vngate::registry::{self, Kind};
use vngate::schema_json::ref_name;
pub use vngate::schema_json::{marked, prose};

/// Every type a front sees, by the direction it travels. Inputs are read (`Deserialize`:
/// optional fields may be left out), outputs written (`Serialize`: every field is present).
fn collect() -> (Map<String, Value>, Map<String, Value>) {
    let generator = |contract| {
        let mut settings = SchemaSettings::draft2020_12();
        settings.contract = contract;
        SchemaGenerator::new(settings)
    };
    let (mut inputs, mut outputs) = (
        generator(Contract::Deserialize),
        generator(Contract::Serialize),
    );
    // Every operation's request and result, from the registry's table.
    vngate::api::declared_types(&mut inputs, &mut outputs);
    // Flattened into every config; named too, so the fronts can share its fields.
    inputs.subschema_for::<vngate::HttpOptions>();
    inputs.subschema_for::<vngate::chargingws::ChargingWsConfig>();
    inputs.subschema_for::<vngate::opencard::OpenCardConfig>();
    inputs.subschema_for::<vngate::appotapay::AppotaPayConfig>();
    inputs.subschema_for::<vngate::esms::EsmsConfig>();
    inputs.subschema_for::<vngate::topup::TopupConfig>();
    // What `parse_callback`'s `expected` holds for OpenCard (chargingws's is its request).
    inputs.subschema_for::<vngate::opencard::StoredCharge>();
    outputs.subschema_for::<vngate_journal::Settlement>();
    outputs.subschema_for::<vngate_journal::ReconcileReport>();
    outputs.subschema_for::<vngate::Error>();
    (
        inputs.take_definitions(true),
        outputs.take_definitions(true),
    )
}

/// The config type of each provider, as `api::Client::new` reads it.
const CONFIGS: [(&str, &str); 5] = [
    ("chargingws", "ChargingWsConfig"),
    ("opencard", "OpenCardConfig"),
    ("appotapay", "AppotaPayConfig"),
    ("esms", "EsmsConfig"),
    ("topup", "TopupConfig"),
];

/// `schema/vngate.json`.
///
/// # Panics
/// When a registry entry names a type the schema lacks, or one name means two shapes.
#[must_use]
pub fn schema() -> Value {
    let (inputs, outputs) = collect();
    let mut all: BTreeMap<String, Value> = BTreeMap::new();
    for (name, schema) in inputs.into_iter().chain(outputs) {
        if let Some(seen) = all.get(&name) {
            assert_eq!(seen, &schema, "{name} differs as an input and as an output");
        }
        all.insert(name, schema);
    }
    let def = |name: &str| {
        assert!(all.contains_key(name), "the schema has no type {name}");
        json!({"$ref": format!("#/$defs/{name}")})
    };
    let mut providers = Map::new();
    for (provider, config) in CONFIGS {
        let mut operations = Map::new();
        for op in registry::of(provider) {
            let mut entry = json!({
                "kind": match op.kind {
                    Kind::MovesMoney => "moves_money",
                    Kind::ReadOnly => "read_only",
                    _ => "local",
                },
                "summary": op.summary,
                "request": def(op.request),
                "result": def(op.result),
            });
            if !op.aliases.is_empty() {
                entry["aliases"] = json!(op.aliases);
            }
            if let Some(money) = op.money {
                entry["reference_field"] = json!(money.reference_field);
                entry["resolved_by"] = json!(money.resolved_by);
                entry["next_step"] = json!(money.next_step);
            }
            operations.insert(op.name.to_owned(), entry);
        }
        providers.insert(
            provider.to_owned(),
            json!({"config": def(config), "operations": operations}),
        );
    }
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "vngate",
        "description": "Every config, request, result, callback and error of vngate, as JSON: \
            generated from the Rust types (do not edit). `providers` lists each provider's config \
            and operations (from the registry); `error` is what every failed call reports. \
            `x-vngate-secret` marks credentials and card PINs (masked on every front), \
            `x-vngate-raw` the provider's body as received.",
        "providers": providers,
        "error": def("Error"),
        "$defs": all,
    })
}

/// What a named type is, as the fronts render it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    /// An object with properties.
    Record,
    /// Integer codes with names; other codes are kept.
    Codes,
    /// A closed set of strings.
    Strings,
    /// A string (`Secret`, `CardCode`, `Raw`).
    Text,
}

fn shape_of(schema: &Value) -> Shape {
    if schema.get("properties").is_some() || schema.get("type") == Some(&json!("object")) {
        Shape::Record
    } else if schema.get("anyOf").is_some() {
        Shape::Codes
    } else if schema.get("oneOf").is_some() {
        Shape::Strings
    } else {
        assert_eq!(schema.get("type"), Some(&json!("string")), "{schema}");
        Shape::Text
    }
}

/// The named members of a `Codes` or `Strings` type: (name, value).
fn members(schema: &Value) -> Vec<(String, Value)> {
    let list = schema
        .get("anyOf")
        .or_else(|| schema.get("oneOf"))
        .and_then(Value::as_array)
        .expect("an enum");
    list.iter()
        .filter_map(|m| {
            let value = m.get("const")?.clone();
            let name = match m.get("title").and_then(Value::as_str) {
                Some(title) => title.to_owned(),
                None => value.as_str().expect("a string const").to_uppercase(),
            };
            Some((name, value))
        })
        .collect()
}

/// The properties of a record in the order the fronts list them: the required ones as the Rust
/// type declares them (results: every field), then the optional ones.
fn fields(schema: &Value) -> Vec<(&str, &Value, bool)> {
    let Some(props) = schema.get("properties").and_then(Value::as_object) else {
        return Vec::new();
    };
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let mut out: Vec<(&str, &Value, bool)> = required
        .iter()
        .map(|name| {
            let (key, value) = props.get_key_value(*name).expect("a required property");
            (key.as_str(), value, true)
        })
        .collect();
    for (key, value) in props {
        if !required.contains(&key.as_str()) {
            out.push((key.as_str(), value, false));
        }
    }
    out
}

/// A type in one front's notation: its scalars, and templates where `{}` is the inner type.
struct Notation {
    text: &'static str,
    int: &'static str,
    float: &'static str,
    bool: &'static str,
    any: &'static str,
    nullable: &'static str,
    list: &'static str,
    map: &'static str,
    /// A named enum or record.
    named: NamedType,
}

/// How a front writes a named enum or record: (name, shape, members, as an input).
type NamedType = fn(&str, Shape, &[(String, Value)], bool) -> String;

impl Notation {
    fn wrap(template: &str, inner: &str) -> String {
        template.replace("{}", inner)
    }
}

fn render(n: &Notation, defs: &Map<String, Value>, schema: &Value, input: bool) -> String {
    if let Some(name) = ref_name(schema) {
        let def = &defs[name];
        return match shape_of(def) {
            Shape::Text => n.text.to_owned(),
            Shape::Record => (n.named)(name, Shape::Record, &[], input),
            shape => (n.named)(name, shape, &members(def), input),
        };
    }
    if let Some(any) = schema.get("anyOf").and_then(Value::as_array) {
        let [some, null] = any.as_slice() else {
            panic!("unexpected anyOf {schema}")
        };
        assert_eq!(null, &json!({"type": "null"}), "{schema}");
        return Notation::wrap(n.nullable, &render(n, defs, some, input));
    }
    let (ty, nullable) = match schema.get("type") {
        Some(Value::String(t)) => (t.as_str(), false),
        Some(Value::Array(types)) => {
            assert_eq!(types.len(), 2, "{schema}");
            assert_eq!(types[1], "null", "{schema}");
            (types[0].as_str().expect("a type"), true)
        }
        _ => panic!("unexpected schema {schema}"),
    };
    let base = match ty {
        "string" => n.text.to_owned(),
        "integer" => n.int.to_owned(),
        "number" => n.float.to_owned(),
        "boolean" => n.bool.to_owned(),
        "array" => Notation::wrap(n.list, &render(n, defs, &schema["items"], input)),
        "object" => match schema.get("additionalProperties") {
            Some(Value::Bool(true)) | None => Notation::wrap(n.map, n.any),
            Some(inner) => Notation::wrap(n.map, &render(n, defs, inner, input)),
        },
        other => panic!("unexpected type {other}"),
    };
    if nullable {
        Notation::wrap(n.nullable, &base)
    } else {
        base
    }
}

/// The `$defs` a set of roots reaches through `$ref`, in an order where every type comes after
/// the types it refers to.
fn reachable(defs: &Map<String, Value>, roots: &[&str]) -> Vec<String> {
    fn visit(defs: &Map<String, Value>, name: &str, out: &mut Vec<String>) {
        if out.iter().any(|n| n == name) {
            return;
        }
        let mut refs = Vec::new();
        collect_refs(&defs[name], &mut refs);
        for r in refs {
            visit(defs, &r, out);
        }
        out.push(name.to_owned());
    }
    fn collect_refs(schema: &Value, out: &mut Vec<String>) {
        match schema {
            Value::Object(map) => {
                if let Some(name) = ref_name(schema) {
                    out.push(name.to_owned());
                }
                for value in map.values() {
                    collect_refs(value, out);
                }
            }
            Value::Array(items) => items.iter().for_each(|v| collect_refs(v, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    for root in roots {
        visit(defs, root, &mut out);
    }
    out
}

/// The options flattened into every config: the fronts declare them once and extend it.
const MIXIN: &str = "HttpOptions";

/// The type names behind `providers` and `error`: (inputs, outputs).
fn directions(schema: &Value) -> (Vec<String>, Vec<String>) {
    let defs = schema["$defs"].as_object().expect("$defs");
    let (mut inputs, mut outputs) = (vec![MIXIN], Vec::new());
    for provider in schema["providers"].as_object().expect("providers").values() {
        inputs.push(ref_name(&provider["config"]).expect("a config"));
        for op in provider["operations"]
            .as_object()
            .expect("operations")
            .values()
        {
            inputs.push(ref_name(&op["request"]).expect("a request"));
            outputs.push(ref_name(&op["result"]).expect("a result"));
        }
    }
    outputs.extend(JOURNAL_RESULTS);
    (reachable(defs, &inputs), reachable(defs, &outputs))
}

/// The journal's results (`settle`, `reconcile` on every front): not registry operations.
const JOURNAL_RESULTS: [&str; 2] = ["Settlement", "ReconcileReport"];

/// The field whose schema (through `null` and lists) names another type.
fn inner_ref(property: &Value) -> Option<&str> {
    ref_name(property)
        .or_else(|| property.get("items").and_then(inner_ref))
        .or_else(|| {
            property
                .get("anyOf")
                .and_then(Value::as_array)
                .and_then(|a| a.iter().find_map(inner_ref))
        })
}

/// Word-wraps prose into lines of at most `width` characters, each starting with `prefix`.
fn wrap(text: &str, width: usize, prefix: &str) -> String {
    let mut out = String::new();
    let mut line = String::from(prefix);
    for word in text.split_whitespace() {
        if line.len() > prefix.len() && line.len() + 1 + word.len() > width {
            out.push_str(line.trim_end());
            out.push('\n');
            line = String::from(prefix);
        }
        if line.len() > prefix.len() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if line.len() > prefix.len() {
        out.push_str(&line);
        out.push('\n');
    }
    out
}

const GENERATED: &str = "Generated from schema/vngate.json by `VNGATE_WRITE_GENERATED=1 cargo test -p \
                         vngate-tests --test generated`: do not edit.";

const PYTHON: Notation = Notation {
    text: "str",
    int: "int",
    float: "float",
    bool: "bool",
    any: "Any",
    nullable: "Optional[{}]",
    list: "List[{}]",
    map: "Dict[str, {}]",
    named: |name, shape, values, input| match (shape, input) {
        // Results keep a code no enum member names, as sent.
        (Shape::Codes, false) => format!("Union[{name}, int]"),
        (Shape::Codes, true) => "int".into(),
        (Shape::Strings, true) => {
            let values: Vec<String> = values.iter().map(|(_, v)| v.to_string()).collect();
            format!("Literal[{}]", values.join(", "))
        }
        _ => name.to_owned(),
    },
};

/// `python/vngate/_models.py`.
#[must_use]
pub fn python(schema: &Value) -> String {
    use std::fmt::Write as _;
    let defs = schema["$defs"].as_object().expect("$defs");
    let (inputs, outputs) = directions(schema);
    let mut out = format!(
        "# {GENERATED}\n\"\"\"vngate's model, from the Rust types: the result records and their status enums, and\n\
         the request and config ``TypedDict``s (``client.charge(**card)`` type-checks).\"\"\"\n\n\
         from __future__ import annotations\n\n\
         import enum\n\
         from typing import Any, Dict, List, Literal, Optional, TypedDict, Union\n\n\
         from ._record import Record\n"
    );
    let mut exported = Vec::new();
    for name in &outputs {
        let def = &defs[name];
        let shape = shape_of(def);
        if name == "Error" || !matches!(shape, Shape::Codes | Shape::Strings) {
            continue;
        }
        let base = if shape == Shape::Codes {
            "enum.IntEnum"
        } else {
            "str, enum.Enum"
        };
        let _ = write!(out, "\n\nclass {name}({base}):\n");
        let mut doc = prose(def);
        if shape == Shape::Codes {
            doc.push_str(" Codes outside this list stay plain ``int``.");
        }
        out.push_str(&wrap(&format!("\"\"\"{doc}\"\"\""), 96, "    "));
        out.push('\n');
        for (member, value) in members(def) {
            let _ = writeln!(out, "    {member} = {value}");
        }
        exported.push(name.clone());
    }
    let mut records = |names: &[String], input: bool, out: &mut String| {
        for name in names {
            let def = &defs[name];
            if name == "Error" || shape_of(def) != Shape::Record {
                continue;
            }
            let mut fields = fields(def);
            let doc = wrap(&format!("\"\"\"{}\"\"\"", prose(def)), 96, "    ") + "\n";
            let mixin = defs[MIXIN]["properties"].as_object().expect("HttpOptions");
            let extends = name != MIXIN && mixin.keys().all(|k| fields.iter().any(|f| f.0 == k));
            if extends {
                fields.retain(|f| !mixin.contains_key(f.0));
            }
            if input {
                let required: Vec<_> = fields.iter().filter(|f| f.2).collect();
                let optional: Vec<_> = fields.iter().filter(|f| !f.2).collect();
                let write_fields = |out: &mut String, list: &[&(&str, &Value, bool)]| {
                    for (field, property, _) in list {
                        out.push_str(&wrap(&prose(property), 96, "    #: "));
                        let _ = writeln!(
                            out,
                            "    {field}: {}",
                            render(&PYTHON, defs, property, true)
                        );
                    }
                };
                // TypedDict's two-class idiom for optional keys (NotRequired needs 3.11).
                let mut bases = vec!["TypedDict".to_owned()];
                if !required.is_empty() && !optional.is_empty() {
                    let _ = write!(out, "\n\nclass _{name}Required(TypedDict):\n");
                    write_fields(out, &required);
                    bases = vec![format!("_{name}Required")];
                }
                if extends {
                    if bases == ["TypedDict"] {
                        bases.clear();
                    }
                    bases.push(MIXIN.to_owned());
                }
                if !optional.is_empty() {
                    bases.push("total=False".to_owned());
                }
                let _ = write!(out, "\n\nclass {name}({}):\n{doc}", bases.join(", "));
                if required.is_empty() || optional.is_empty() {
                    write_fields(out, &required);
                }
                write_fields(out, &optional);
                if fields.is_empty() {
                    out.push_str("    pass\n");
                }
            } else {
                let _ = write!(out, "\n\nclass {name}(Record):\n{doc}");
                let mut enums = Vec::new();
                let mut nested = Vec::new();
                let mut masked = Vec::new();
                let mut raw = Vec::new();
                for (field, property, _) in &fields {
                    if marked(defs, property, "x-vngate-secret") {
                        masked.push(format!("\"{field}\""));
                    }
                    if marked(defs, property, "x-vngate-raw") {
                        raw.push(format!("\"{field}\""));
                    }
                    if let Some(inner) = inner_ref(property) {
                        match shape_of(&defs[inner]) {
                            Shape::Codes | Shape::Strings => {
                                enums.push(format!("\"{field}\": {inner}"));
                            }
                            Shape::Record => nested.push(format!("\"{field}\": {inner}")),
                            Shape::Text => {}
                        }
                    }
                }
                let mut meta = String::new();
                let names: Vec<String> = fields.iter().map(|f| format!("\"{}\"", f.0)).collect();
                let _ = writeln!(meta, "    _fields = ({},)", names.join(", "));
                if !enums.is_empty() {
                    let _ = writeln!(meta, "    _enums = {{{}}}", enums.join(", "));
                }
                if !nested.is_empty() {
                    let _ = writeln!(meta, "    _nested = {{{}}}", nested.join(", "));
                }
                if !masked.is_empty() {
                    let _ = writeln!(meta, "    _masked = ({},)", masked.join(", "));
                }
                if !raw.is_empty() {
                    let _ = writeln!(meta, "    _raw = ({},)", raw.join(", "));
                }
                // `_fields` is always there: meta is never empty.
                out.push_str(&meta);
                out.push('\n');
                for (field, property, _) in &fields {
                    out.push_str(&wrap(&prose(property), 96, "    #: "));
                    let _ = writeln!(
                        out,
                        "    {field}: {}",
                        render(&PYTHON, defs, property, false)
                    );
                }
            }
            exported.push(name.clone());
        }
    };
    records(&outputs, false, &mut out);
    let only_inputs: Vec<String> = inputs
        .iter()
        .filter(|n| !outputs.contains(n))
        .cloned()
        .collect();
    records(&only_inputs, true, &mut out);
    exported.sort();
    let _ = write!(out, "\n\n__all__ = [\n");
    for name in &exported {
        let _ = writeln!(out, "    \"{name}\",");
    }
    out.push_str("]\n");
    out
}

/// The operations whose Python method is not a pass-through of the request: written by hand in
/// `vngate/__init__.py` and `vngate/aio.py` (callbacks take raw bytes and a stored request).
/// `tests/tests/generated.rs` checks each one is there, on both.
pub const PY_HAND_WRITTEN: &[(&str, &str)] = &[
    ("chargingws", "parse_callback"),
    ("opencard", "parse_callback"),
    ("appotapay", "parse_callback"),
    ("esms", "parse_callback"),
    ("esms", "confirm_callback"),
];

/// The fields a Python method takes positionally, in order (every other one is keyword-only),
/// as the package has always taken them.
const PY_POSITIONAL: &[(&str, &str, &[&str])] = &[
    ("chargingws", "redownload", &["request_id", "order_code"]),
    ("chargingws", "wallet_balance", &["service"]),
    ("chargingws", "topup_status", &["request_id", "order_code"]),
    ("appotapay", "transaction", &["partner_ref_id"]),
    ("appotapay", "decrypt_code", &["serial", "encrypted_code"]),
    ("appotapay", "topup_transaction", &["partner_ref_id"]),
    (
        "appotapay",
        "data_packages",
        &["phone_number", "telco_service_type", "value"],
    ),
    ("appotapay", "transfer_transaction", &["partner_ref_id"]),
    (
        "appotapay",
        "bank_account_info",
        &["bank_code", "account_no", "account_type", "partner_ref_id"],
    ),
    ("esms", "generate_api_token", &["access_token"]),
    ("esms", "query", &["order_id"]),
];

/// The Python methods that return one field of their result (the string itself).
const PY_RETURNS_FIELD: &[(&str, &str, &str)] = &[
    ("appotapay", "decrypt_code", "code"),
    ("esms", "login", "access_token"),
    ("esms", "generate_api_token", "api_token"),
];

/// The class names of the providers, as the fronts spell them.
pub const CLASSES: [(&str, &str); 5] = [
    ("chargingws", "ChargingWs"),
    ("opencard", "OpenCard"),
    ("appotapay", "AppotaPay"),
    ("esms", "Esms"),
    ("topup", "Topup"),
];

/// A generated method's documentation, from the registry: its summary as a sentence and, for a
/// money-moving operation, what to do when the outcome is unknown (`unknown`: the front's name
/// for that error).
fn method_doc(op: &vngate::registry::Operation, unknown: &str) -> String {
    let mut doc = op.summary.to_owned();
    if let Some(first) = doc.get(..1) {
        doc.replace_range(..1, &first.to_uppercase());
    }
    doc.push('.');
    if let Some(money) = op.money {
        use std::fmt::Write as _;
        let _ = write!(
            doc,
            " Moves money, never retried: on {unknown} (or a status that says unknown), {}.",
            money.next_step
        );
    }
    doc
}

/// `python/vngate/_operations.py`: every pass-through operation as a method of a mixin per
/// provider, sync and async, from the registry and the schema (the schema's `Literal` types,
/// the registry's summary and next step).
#[must_use]
pub fn python_operations(schema: &Value) -> String {
    use std::fmt::Write as _;
    let defs = schema["$defs"].as_object().expect("$defs");
    let mut results = std::collections::BTreeSet::new();
    let mut body = String::new();
    for (provider, class) in CLASSES {
        let mut sync = format!(
            "\n\nclass _{class}Operations(_Calls):\n    \"\"\"{class}'s operations (generated).\"\"\"\n"
        );
        let mut asynchronous = format!(
            "\n\nclass _{class}AsyncOperations:\n    \"\"\"{class}'s operations, awaitable (generated).\"\"\"\n\n    sync: _{class}Operations\n"
        );
        for op in vngate::registry::of(provider) {
            if PY_HAND_WRITTEN.contains(&(provider, op.name)) {
                continue;
            }
            let positional: &[&str] = PY_POSITIONAL
                .iter()
                .find(|(p, o, _)| *p == provider && *o == op.name)
                .map_or(&[], |(_, _, fields)| fields);
            let request = &defs[op.request];
            let mut fields: Vec<(&str, &Value, bool)> = fields(request);
            fields.sort_by_key(|(_, _, required)| !required);
            let param = |(name, property, required): &(&str, &Value, bool)| {
                let ty = render(&PYTHON, defs, property, true);
                if *required {
                    format!("{name}: {ty}")
                } else if ty.starts_with("Optional[") {
                    format!("{name}: {ty} = None")
                } else {
                    format!("{name}: Optional[{ty}] = None")
                }
            };
            let mut params = vec!["self".to_owned()];
            for name in positional {
                let field = fields
                    .iter()
                    .find(|(n, _, _)| n == name)
                    .unwrap_or_else(|| panic!("{provider} {}: no field {name}", op.name));
                params.push(param(field));
            }
            let keywords: Vec<String> = fields
                .iter()
                .filter(|(name, _, _)| !positional.contains(name))
                .map(param)
                .collect();
            if !keywords.is_empty() {
                params.push("*".to_owned());
                params.extend(keywords);
            }
            let field = PY_RETURNS_FIELD
                .iter()
                .find(|(p, o, _)| *p == provider && *o == op.name)
                .map(|(_, _, field)| *field);
            let returns = match field {
                Some(field) => render(&PYTHON, defs, &defs[op.result]["properties"][field], false),
                None => op.result.to_owned(),
            };
            results.insert(op.result);
            let doc = wrap(&method_doc(op, ":class:`OutcomeUnknown`"), 92, "        ");
            let doc = doc.trim();
            // The native client's `run`: the field names as one constant tuple, then the values.
            let names: Vec<String> = fields
                .iter()
                .map(|(name, _, _)| format!("\"{name}\""))
                .collect();
            let names = match names.len() {
                0 => "()".to_owned(),
                1 => format!("({},)", names[0]),
                _ => format!("({})", names.join(", ")),
            };
            let values: String = fields
                .iter()
                .flat_map(|(name, _, _)| [", ", name])
                .collect();
            let pick = field.map(|f| format!(".{f}")).unwrap_or_default();
            let signature = params.join(", ");
            let _ = write!(
                sync,
                "\n    def {name}({signature}) -> {returns}:\n        \"\"\"{doc}\"\"\"\n        return self._client.run(\"{name}\", {result}, {names}{values}){pick}\n",
                name = op.name,
                result = op.result,
            );
            let forwarded: Vec<String> = positional
                .iter()
                .map(|name| (*name).to_owned())
                .chain(
                    fields
                        .iter()
                        .filter(|(name, _, _)| !positional.contains(name))
                        .map(|(name, _, _)| format!("{name}={name}")),
                )
                .collect();
            let forwarded = if forwarded.is_empty() {
                String::new()
            } else {
                format!(", {}", forwarded.join(", "))
            };
            let _ = write!(
                asynchronous,
                "\n    async def {name}({signature}) -> {returns}:\n        \"\"\"{doc}\"\"\"\n        return await _run(self.sync.{name}{forwarded})\n",
                name = op.name,
            );
        }
        body.push_str(&sync);
        body.push_str(&asynchronous);
    }
    let imports: Vec<&str> = results.into_iter().collect();
    format!(
        "# {GENERATED}\n\"\"\"Every operation that passes its request through, as a method: one mixin per provider for\n\
         the sync clients (``vngate.ChargingWs`` …) and one for the async ones (``vngate.aio``), made\n\
         from the operation registry and the schema. The few methods that are not pass-throughs\n\
         (callbacks) are written by hand in ``__init__.py`` and ``aio.py``.\"\"\"\n\n\
         from __future__ import annotations\n\n\
         from typing import Any, Dict, List, Literal, Optional\n\n\
         from . import _vngate\n\
         from ._async import _run\n\
         from ._models import (\n{}\n)\n\n\n\
         class _Calls:\n    \"\"\"What the generated methods call: the native client's ``run`` (the operation, its\n    \
         result's record class, the request's field names, then their values).\"\"\"\n\n    \
         _client: _vngate.Client\n{body}",
        imports
            .iter()
            .map(|name| format!("    {name},"))
            .collect::<Vec<_>>()
            .join("\n")
    )
}

/// PHP's methods written by hand (callbacks), as for Python: checked to exist.
pub const PHP_HAND_WRITTEN: &[(&str, &str)] = PY_HAND_WRITTEN;

/// The fields a PHP method takes as its own parameters, in order (an operation not listed
/// takes its request as one array), as the package has always taken them.
const PHP_POSITIONAL: &[(&str, &str, &[&str])] = &[
    ("chargingws", "redownload", &["request_id", "order_code"]),
    ("chargingws", "wallet_balance", &["service"]),
    ("chargingws", "topup_status", &["request_id", "order_code"]),
    ("appotapay", "transaction", &["partner_ref_id"]),
    ("appotapay", "decrypt_code", &["serial", "encrypted_code"]),
    ("appotapay", "topup_transaction", &["partner_ref_id"]),
    ("appotapay", "transfer_transaction", &["partner_ref_id"]),
    ("esms", "generate_api_token", &["access_token"]),
    ("esms", "verify_recipient", &["channel", "phone"]),
    ("esms", "query", &["order_id"]),
];

/// `buy_cards` → `buyCards`.
#[must_use]
pub fn camel(name: &str) -> String {
    let mut out = String::new();
    let mut upper = false;
    for c in name.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// `php/src/<Provider>Operations.php`: a trait per provider with every pass-through operation
/// as a camelCase method, its array shapes from `Types`, `#[\SensitiveParameter]` where the
/// request carries a secret.
fn php_operations(schema: &Value) -> Vec<(String, String)> {
    use std::fmt::Write as _;
    let defs = schema["$defs"].as_object().expect("$defs");
    let mut files = Vec::new();
    for (provider, class) in CLASSES {
        let mut imports = std::collections::BTreeSet::new();
        let mut methods = String::new();
        for op in vngate::registry::of(provider) {
            if PHP_HAND_WRITTEN.contains(&(provider, op.name)) {
                continue;
            }
            let request = &defs[op.request];
            let fields = fields(request);
            let positional: Option<&[&str]> = PHP_POSITIONAL
                .iter()
                .find(|(p, o, _)| *p == provider && *o == op.name)
                .map(|(_, _, names)| *names);
            let secret = |property: &Value| {
                marked(defs, property, "x-vngate-secret") || marked(defs, property, "writeOnly")
            };
            let field = PY_RETURNS_FIELD
                .iter()
                .find(|(p, o, _)| *p == provider && *o == op.name)
                .map(|(_, _, field)| *field);
            let doc = method_doc(op, "OutcomeUnknownException");
            let mut tags = Vec::new();
            let (params, request_expr) = match positional {
                Some(names) => {
                    let params: Vec<String> =
                        names
                            .iter()
                            .map(|name| {
                                let (_, property, required) =
                                    fields.iter().find(|(n, _, _)| n == name).unwrap_or_else(
                                        || panic!("{provider} {}: no field {name}", op.name),
                                    );
                                let base = match render(&PHP, defs, property, true).as_str() {
                                    "int" | "int|null" => "int",
                                    _ => "string",
                                };
                                let sensitive = if secret(property) {
                                    "#[\\SensitiveParameter] "
                                } else {
                                    ""
                                };
                                let default = match (*required, *name) {
                                    (false, "service") => " = 'shop'",
                                    (false, _) => " = null",
                                    (true, _) => "",
                                };
                                let ty = if *required || *name == "service" {
                                    base.to_owned()
                                } else {
                                    format!("?{base}")
                                };
                                format!("{sensitive}{ty} ${name}{default}")
                            })
                            .collect();
                    let pairs: Vec<String> = names
                        .iter()
                        .map(|name| format!("'{name}' => ${name}"))
                        .collect();
                    let optional = names.iter().any(|name| {
                        fields
                            .iter()
                            .any(|(n, _, required)| n == name && !required && *name != "service")
                    });
                    let array = format!("[{}]", pairs.join(", "));
                    let expr = if optional {
                        format!("array_filter({array}, fn ($v) => $v !== null)")
                    } else {
                        array
                    };
                    (params.join(", "), format!(", {expr}"))
                }
                None if fields.is_empty() => (String::new(), String::new()),
                None => {
                    imports.insert(op.request);
                    tags.push(format!("@param {} $request", op.request));
                    let sensitive = if fields.iter().any(|(_, property, _)| secret(property)) {
                        "#[\\SensitiveParameter] "
                    } else {
                        ""
                    };
                    (
                        format!("{sensitive}array $request"),
                        ", $request".to_owned(),
                    )
                }
            };
            let (returns, body) = if let Some(field) = field {
                (
                    "string".to_owned(),
                    format!(
                        "return (string)$this->call('{}'{request_expr})['{field}'];",
                        op.name
                    ),
                )
            } else {
                imports.insert(op.result);
                tags.push(format!("@return {}", op.result));
                (
                    "array".to_owned(),
                    format!("return $this->call('{}'{request_expr});", op.name),
                )
            };
            let mut block = wrap(&doc, 96, "     * ");
            if !tags.is_empty() {
                block.push_str("     *\n");
                for tag in &tags {
                    let _ = writeln!(block, "     * {tag}");
                }
            }
            let _ = write!(
                methods,
                "\n    /**\n{block}     */\n    public function {}({params}): {returns}\n    {{\n        {body}\n    }}\n",
                camel(op.name)
            );
        }
        // The registry's money facts, by method: what a wrapper (the Laravel package's
        // accounts) needs to settle a call's record after it, without a list of its own.
        let money: Vec<String> = vngate::registry::of(provider)
            .filter_map(|op| {
                let money = op.money?;
                Some(format!(
                    "            '{}' => ['{}', '{}'],\n",
                    camel(op.name),
                    op.name,
                    money.reference_field
                ))
            })
            .collect();
        let _ = write!(
            methods,
            "\n    /**\n     * The money-moving operations, by method: the operation's name and the request field\n     * that is its reference (what settle() takes).\n     *\n     * @return array<string, array{{string, string}}>\n     */\n    public static function moneyMovingCalls(): array\n    {{\n        return [\n{}        ];\n    }}\n",
            money.concat()
        );
        let mut import_lines = String::new();
        for name in &imports {
            let _ = writeln!(import_lines, " * @psalm-import-type {name} from Types");
        }
        let contents = format!(
            "<?php\n\n// {GENERATED}\n\ndeclare(strict_types=1);\n\nnamespace Vngate;\n\n/**\n * {class}'s operations that pass their request through, generated from the operation\n * registry and the schema; {class} adds the few written by hand (callbacks).\n *\n{import_lines} */\ntrait {class}Operations\n{{\n    /**\n     * @param array<string, mixed> $request\n     * @return array<string, mixed>\n     */\n    abstract protected function call(string $operation, #[\\SensitiveParameter] array $request = []): array;\n{methods}}}\n"
        );
        files.push((format!("php/src/{class}Operations.php"), contents));
    }
    files
}

/// Every generated file: (path from the repository's root, contents).
#[must_use]
pub fn files() -> Vec<(String, String)> {
    let schema = schema();
    let mut files = vec![
        (
            "schema/vngate.json".to_owned(),
            serde_json::to_string_pretty(&schema).expect("JSON") + "\n",
        ),
        (
            "schema/openapi.json".to_owned(),
            serde_json::to_string_pretty(&vngate_serve::openapi_from(&schema)).expect("JSON")
                + "\n",
        ),
        ("python/vngate/_models.py".to_owned(), python(&schema)),
        (
            "python/vngate/_operations.py".to_owned(),
            python_operations(&schema),
        ),
    ];
    files.extend(php(&schema));
    files.extend(php_operations(&schema));
    files
}

/// The marker every generated file carries, so that one left behind is found.
#[must_use]
pub fn marker() -> &'static str {
    GENERATED
}

const PHP: Notation = Notation {
    text: "string",
    int: "int",
    float: "float",
    bool: "bool",
    any: "mixed",
    nullable: "{}|null",
    list: "list<{}>",
    map: "array<string, {}>",
    named: |name, shape, values, _input| match shape {
        Shape::Codes => "int".into(),
        Shape::Strings => {
            let values: Vec<String> = values
                .iter()
                .map(|(_, v)| format!("'{}'", v.as_str().expect("a string")))
                .collect();
            values.join("|")
        }
        _ => name.to_owned(),
    },
};

/// PHP's files: `php/src/Types.php` (an array shape per config, request and result, for
/// `PHPStan` and Psalm) and a class of constants per status enum of the results.
fn php(schema: &Value) -> Vec<(String, String)> {
    use std::fmt::Write as _;
    let defs = schema["$defs"].as_object().expect("$defs");
    let (inputs, outputs) = directions(schema);
    let header =
        format!("<?php\n\n// {GENERATED}\n\ndeclare(strict_types=1);\n\nnamespace Vngate;\n");
    let mut files = Vec::new();
    let mut shapes = String::new();
    let mut seen = Vec::new();
    for (names, input) in [(&inputs, true), (&outputs, false)] {
        for name in names {
            let def = &defs[name];
            if name == "Error" || shape_of(def) != Shape::Record || seen.contains(name) {
                continue;
            }
            seen.push(name.clone());
            let entries: Vec<String> = fields(def)
                .iter()
                .map(|(field, property, required)| {
                    let optional = if input && !required { "?" } else { "" };
                    format!("{field}{optional}: {}", render(&PHP, defs, property, input))
                })
                .collect();
            let _ = writeln!(
                shapes,
                " *\n * @psalm-type {name} = array{{{}}}",
                entries.join(", ")
            );
        }
    }
    let mut types = header.clone();
    let _ = write!(
        types,
        "\n/**\n * The array shape of every config, request and result, for PHPStan and Psalm. Import one\n \
         * where you use it: `@psalm-import-type CardResult from \\Vngate\\Types` (PHPStan reads the\n \
         * `@psalm-` tags too). Status codes are in `CardStatus`, `DisbursementStatus`,\n \
         * `PurchaseStatus` and `TopupOutcome`.\n{shapes} */\nfinal class Types\n{{\n    private function __construct()\n    {{\n    }}\n}}\n"
    );
    files.push(("php/src/Types.php".to_owned(), types));
    for name in &outputs {
        let def = &defs[name];
        let shape = shape_of(def);
        if !matches!(shape, Shape::Codes | Shape::Strings) {
            continue;
        }
        let mut doc = prose(def);
        doc.push_str(if shape == Shape::Codes {
            " The values of a result's `status`; other codes are kept as sent."
        } else {
            " The values of a result's `status`."
        });
        let mut class = header.clone();
        let _ = write!(
            class,
            "\n/**\n{} */\nfinal class {name}\n{{\n",
            wrap(&doc, 100, " * ")
        );
        for (member, value) in members(def) {
            let value = match value {
                Value::String(s) => format!("'{s}'"),
                other => other.to_string(),
            };
            let _ = writeln!(class, "    public const {member} = {value};");
        }
        class.push_str("\n    private function __construct()\n    {\n    }\n}\n");
        files.push((format!("php/src/{name}.php"), class));
    }
    files
}
