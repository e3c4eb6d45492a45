//! What the fronts built on the schema know of each operation (the command's arguments and
//! tables, the gateway's masked events and OpenAPI document), read from the schema of the
//! core's types as `schema/vngate.json` holds it: its request's fields, their types and help,
//! which fields are secrets.

use std::fmt::Write as _;

use serde_json::Value;

/// One field of a request.
pub struct Field {
    /// Its name in the vocabulary.
    pub name: String,
    /// Its description, with its choices when it has a fixed set.
    pub help: String,
    /// What a command line gives for it.
    pub kind: Kind,
    /// Whether the request needs it.
    pub required: bool,
    /// A credential (`Secret`): never taken from the command line.
    pub secret: bool,
    /// A secret that is part of the request (a card PIN, a bought code): never taken from the
    /// command line either, but from `--NAME_file`, `--NAME_env` or the JSON on stdin.
    pub secret_value: bool,
}

/// A field's type, as a command line gives it.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A string.
    Text,
    /// A number.
    Integer,
    /// `true` or `false`.
    Boolean,
    /// An object or list: given as JSON.
    Json,
}

/// The committed schema, read.
pub struct Model {
    schema: Value,
}

impl Model {
    /// # Panics
    /// Never: the committed schema is JSON (a test of every front reads it).
    #[must_use]
    pub fn load() -> Self {
        Self {
            // The committed schema (CI fails while it differs from the types): parsed, not
            // generated with schemars at every start.
            schema: serde_json::from_str(include_str!("../../schema/vngate.json"))
                .expect("the committed schema is JSON"),
        }
    }

    /// The schema itself (`$defs`, `providers`, `error`).
    #[must_use]
    pub fn schema(&self) -> &Value {
        &self.schema
    }

    fn def(&self, name: &str) -> &Value {
        &self.schema["$defs"][name]
    }

    fn resolve<'a>(&'a self, property: &'a Value) -> &'a Value {
        match property.get("$ref").and_then(Value::as_str) {
            Some(r) => self.def(r.trim_start_matches("#/$defs/")),
            None => property,
        }
    }

    /// Whether `property` (directly, through its `$ref`, or as an optional one) carries `key`:
    /// the generator's own reading, so the command and the fronts mark the same fields.
    fn marked(&self, property: &Value, key: &str) -> bool {
        let defs = self.schema["$defs"].as_object().expect("$defs");
        vngate::schema_json::marked(defs, property, key)
    }

    /// A result of type `result` as a table shows it: every card PIN and token masked, at any
    /// depth (the cards of an order too), and raw bodies left out (`<N bytes>`). Returns
    /// whether anything was masked.
    pub fn masked(&self, result: &str, value: &mut Value) -> bool {
        self.mask_in(self.def(result), value)
    }

    fn mask_in(&self, def: &Value, value: &mut Value) -> bool {
        let mut hidden = false;
        match value {
            Value::Object(fields) => {
                for (name, field) in fields.iter_mut() {
                    let property = &def["properties"][name.as_str()];
                    if let Value::String(text) = field {
                        if self.marked(property, "x-vngate-raw") {
                            *field = format!("<{} bytes>", text.len()).into();
                        } else if self.marked(property, "x-vngate-secret") {
                            *field = vngate::mask_pin(text).into();
                            hidden = true;
                        }
                    } else {
                        hidden |= self.mask_in(self.inner(property), field);
                    }
                }
            }
            Value::Array(items) => {
                for item in items {
                    hidden |= self.mask_in(def, item);
                }
            }
            _ => {}
        }
        hidden
    }

    /// Every string at any depth of `value` whose field name is a secret or a raw body in
    /// any type of the schema, masked (a PIN to its last two digits, a raw body to its size):
    /// for JSON that leaves vngate where its type is not known (an event for an application).
    /// It masks by name, so it may mask more than the type would; never less.
    pub fn mask_by_name(&self, value: &mut Value) {
        let (mut secret, mut raw) = (Vec::new(), Vec::new());
        for def in self.schema["$defs"]
            .as_object()
            .into_iter()
            .flat_map(|defs| defs.values())
        {
            for (name, property) in def["properties"].as_object().into_iter().flatten() {
                if self.marked(property, "x-vngate-raw") {
                    raw.push(name.as_str());
                } else if self.marked(property, "x-vngate-secret")
                    || self.marked(property, "writeOnly")
                {
                    secret.push(name.as_str());
                }
            }
        }
        mask_names(value, &secret, &raw);
    }

    /// A result field's value as a table shows it: a status code with its name
    /// (`99 PENDING`), from the schema's constants for that field's type.
    #[must_use]
    pub fn named(&self, result: &str, field: &str, value: &Value) -> Option<String> {
        let number = value.as_i64()?;
        let def = self.inner(&self.def(result)["properties"][field]);
        def["anyOf"]
            .as_array()?
            .iter()
            .find(|choice| choice["const"].as_i64() == Some(number))
            .and_then(|choice| choice["title"].as_str())
            .map(|name| format!("{number} {name}"))
    }

    /// The type a property holds: through an optional (`anyOf`), a `$ref` and a list's
    /// `items`.
    fn inner<'a>(&'a self, property: &'a Value) -> &'a Value {
        let property = property["anyOf"]
            .as_array()
            .and_then(|any| any.iter().find(|p| p.get("$ref").is_some()))
            .unwrap_or(property);
        let property = property.get("items").unwrap_or(property);
        self.resolve(property)
    }

    /// The fields of a request type, required first.
    #[must_use]
    pub fn fields(&self, type_name: &str) -> Vec<Field> {
        let def = self.def(type_name);
        let required: Vec<&str> = def["required"]
            .as_array()
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let mut fields: Vec<Field> = def["properties"]
            .as_object()
            .map(|props| {
                props
                    .iter()
                    .map(|(name, property)| {
                        let resolved = self.resolve(property);
                        let types: Vec<&str> = match &resolved["type"] {
                            Value::String(t) => vec![t.as_str()],
                            Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
                            _ => vec![],
                        };
                        let kind = if types.contains(&"integer") {
                            Kind::Integer
                        } else if types.contains(&"boolean") {
                            Kind::Boolean
                        } else if types.contains(&"object") || types.contains(&"array") {
                            Kind::Json
                        } else {
                            Kind::Text
                        };
                        let mut help = vngate::schema_json::prose(property);
                        if let Some(values) = resolved["oneOf"].as_array() {
                            let names: Vec<&str> =
                                values.iter().filter_map(|v| v["const"].as_str()).collect();
                            let _ = write!(help, " [{}]", names.join(", "));
                        }
                        Field {
                            name: name.clone(),
                            help,
                            kind,
                            required: required.contains(&name.as_str()),
                            // A credential (`Secret`, write-only), optional or not; a
                            // card PIN is a secret too but is the request itself.
                            secret: self.marked(property, "writeOnly"),
                            secret_value: self.marked(property, "x-vngate-secret"),
                        }
                    })
                    .collect()
            })
            .unwrap_or_default();
        fields.sort_by_key(|f| !f.required);
        fields
    }

    /// The config fields of `provider` that are credentials.
    #[must_use]
    pub fn config_secrets(&self, provider: &str) -> Vec<String> {
        let config = self.schema["providers"][provider]["config"]["$ref"]
            .as_str()
            .unwrap_or_default()
            .trim_start_matches("#/$defs/");
        self.fields(config)
            .into_iter()
            .filter(|f| f.secret)
            .map(|f| f.name)
            .collect()
    }

    #[must_use]
    pub fn is_config_secret(&self, provider: &str, field: &str) -> bool {
        self.config_secrets(provider).iter().any(|f| f == field)
    }

    /// Every provider's credential field names, for refusing them on the command line.
    #[must_use]
    pub fn all_config_secrets(&self) -> Vec<String> {
        let mut all: Vec<String> = vngate::api::PROVIDERS
            .iter()
            .flat_map(|p| self.config_secrets(p))
            .collect();
        all.sort();
        all.dedup();
        all
    }
}

fn mask_names(value: &mut Value, secret: &[&str], raw: &[&str]) {
    match value {
        Value::Object(fields) => {
            for (name, field) in fields.iter_mut() {
                match field {
                    Value::String(text) if raw.contains(&name.as_str()) => {
                        *field = format!("<{} bytes>", text.len()).into();
                    }
                    Value::String(text) if secret.contains(&name.as_str()) => {
                        *field = vngate::mask_pin(text).into();
                    }
                    other => mask_names(other, secret, raw),
                }
            }
        }
        Value::Array(items) => items
            .iter_mut()
            .for_each(|item| mask_names(item, secret, raw)),
        _ => {}
    }
}
