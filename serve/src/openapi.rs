//! The API's OpenAPI 3.1 document, made from the registry (one path per operation) and the
//! committed JSON Schema of the core's types (`schema/vngate.json`, whose `$defs` become the
//! components: OpenAPI 3.1 takes JSON Schema 2020-12 as it is).

use std::fmt::Write as _;

use serde_json::{Map, Value, json};
use vngate::registry::{self, Kind};

/// The OpenAPI document `GET /v1/openapi.json` serves (and `schema/openapi.json` holds).
///
#[must_use]
pub fn openapi() -> Value {
    openapi_from(vngate_front::model::Model::load().schema())
}

/// The document for `schema` (the JSON Schema of the core's types): the generator of
/// `schema/` makes it from the schema it is writing.
#[must_use]
pub fn openapi_from(schema: &Value) -> Value {
    let mut schemas = schema["$defs"].clone();
    rewrite_refs(&mut schemas);
    let mut paths = Map::new();
    for op in registry::OPERATIONS {
        paths.insert(
            format!("/v1/{}/{}", op.provider, op.name),
            json!({"post": operation(op)}),
        );
    }
    for provider in vngate::api::PROVIDERS {
        paths.insert(
            format!("/v1/{provider}/settle"),
            json!({"post": settle(provider)}),
        );
    }
    paths.insert("/v1/reconcile".into(), json!({"post": {
        "operationId": "reconcile",
        "tags": ["journal"],
        "summary": "Resolve every open money call of every account with its resolving call (never resends; never reads no answer as failed)",
        "responses": responses(&json!({"$ref": "#/components/schemas/ReconcileReport"})),
    }}));
    paths.insert("/v1/journal/records".into(), json!({"get": {
        "operationId": "journal_records",
        "tags": ["journal"],
        "summary": "The journal's money records, oldest first (requests with card PINs masked)",
        "parameters": [
            {"name": "state", "in": "query", "description": "Only these states, comma-separated", "schema": {"type": "string"}},
            {"name": "provider", "in": "query", "schema": {"type": "string", "enum": vngate::api::PROVIDERS}},
            {"name": "account", "in": "query", "schema": {"type": "string"}},
            limit_parameter(),
        ],
        "responses": responses(&json!({"type": "array", "items": {"type": "object", "description": "A journal record: id, provider, account, operation, reference, provider_reference, state, request (masked), error, note, attempts, created_at_ms, updated_at_ms"}})),
    }}));
    relay_paths(&mut paths);
    paths.insert("/v1/openapi.json".into(), json!({"get": {
        "operationId": "openapi",
        "tags": ["server"],
        "summary": "This document",
        "security": [],
        "responses": {"200": {"description": "OpenAPI 3.1", "content": {"application/json": {"schema": {"type": "object"}}}}},
    }}));
    paths.insert("/health".into(), json!({"get": {
        "operationId": "health",
        "tags": ["server"],
        "summary": "200 while the server serves",
        "security": [],
        "responses": {"200": {"description": "Serving", "content": {"application/json": {"schema": {"type": "object"}}}}},
    }}));
    let mut errors = schemas["Error"].clone();
    // The server's own refusals, in the same shape: `kind` and `message`.
    errors["description"] = "An error: a call's (the kinds of vngate's Error, with their fields) or the server's own (unauthorized, not_found, method_not_allowed, request_timeout, payload_too_large, internal: kind and message only). The HTTP status follows the kind.".into();
    if let Some(variants) = errors.get_mut("oneOf").and_then(Value::as_array_mut) {
        variants.push(json!({
            "type": "object",
            "description": "A refusal of the server itself.",
            "properties": {
                "kind": {"type": "string", "enum": ["unauthorized", "not_found", "method_not_allowed", "request_timeout", "payload_too_large", "internal"]},
                "message": {"type": "string"},
            },
            "required": ["kind", "message"],
        }));
    }
    schemas["GatewayError"] = errors;
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "vngate serve",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Every vngate operation over HTTP/JSON: the same names, requests, results and errors as vngate_client_call. A 200 is the provider's business answer (which may be a refusal: read its status). Money-moving calls are journaled: written before they are sent, never sent twice (the same reference again is answered by the resolving call). An error's kind decides what to do: outcome_unknown (504) means do not resend, resolve with next_step; transport (503) means nothing changed, safe to retry; invalid_input (400) names the field, nothing was sent.",
        },
        "servers": [{"url": "http://127.0.0.1:8080"}],
        "security": [{"bearer": []}],
        "tags": vngate::api::PROVIDERS.iter().map(|p| json!({"name": p})).chain([json!({"name": "journal"}), json!({"name": "relay"}), json!({"name": "server"})]).collect::<Vec<_>>(),
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": schemas,
        },
    })
}

fn operation(op: &registry::Operation) -> Value {
    let mut description = op.summary.to_owned();
    if let Some(money) = op.money {
        let _ = write!(
            description,
            ". Moves money: never retried. If the outcome is unknown (504, outcome_unknown): {}",
            money.next_step
        );
    }
    let mut operation = json!({
        "operationId": format!("{}_{}", op.provider, op.name),
        "tags": [op.provider],
        "summary": op.summary,
        "description": description,
        "parameters": [account_parameter()],
        "requestBody": {
            "required": true,
            "content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{}", op.request)}}},
        },
        "responses": responses(&json!({"$ref": format!("#/components/schemas/{}", op.result)})),
        "x-vngate-kind": match op.kind {
            Kind::MovesMoney => "moves_money",
            Kind::ReadOnly => "read_only",
            _ => "local",
        },
    });
    if let Some(example) = op
        .example
        .and_then(|e| serde_json::from_str::<Value>(e).ok())
    {
        operation["requestBody"]["content"]["application/json"]["example"] = example;
    }
    if let Some(money) = op.money {
        operation["x-vngate-reference"] = money.reference_field.into();
        if let Some(resolving) = money.resolved_by {
            operation["x-vngate-resolved-by"] = resolving.into();
        }
    }
    operation
}

fn settle(provider: &str) -> Value {
    json!({
        "operationId": format!("{provider}_settle"),
        "tags": [provider, "journal"],
        "summary": "A journaled money call's settlement: final (succeeded or failed) only from an answer bound to it, else still open",
        "parameters": [account_parameter()],
        "requestBody": {
            "required": true,
            "content": {"application/json": {"schema": {
                "type": "object",
                "properties": {"reference": {"type": "string", "description": "The call's reference (request_id, partner_ref_id, …)"}},
                "required": ["reference"],
                "additionalProperties": false,
            }}},
        },
        "responses": responses(&json!({"$ref": "#/components/schemas/Settlement"})),
    })
}

/// The relay's paths: the events for the application, the callbacks received, the intake.
fn relay_paths(paths: &mut Map<String, Value>) {
    paths.insert("/v1/events".into(), json!({"get": {
        "operationId": "events",
        "tags": ["relay"],
        "summary": "Events for the application (callback.verified, money.settled), oldest first",
        "parameters": [
            {"name": "state", "in": "query", "schema": {"type": "string", "enum": ["pending", "delivered", "failed"]}},
            limit_parameter(),
        ],
        "responses": responses(&json!({"type": "array", "items": {"type": "object", "description": "An event: id, type, payload (the JSON delivered), created_at_ms, state, attempts, next_attempt_at_ms, delivered_at_ms, last_error"}})),
    }}));
    paths.insert("/v1/events/{id}".into(), json!({"get": {
        "operationId": "event",
        "tags": ["relay"],
        "summary": "An event and every delivery attempt",
        "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}],
        "responses": responses(&json!({"type": "object", "properties": {"event": {"type": "object"}, "attempts": {"type": "array", "items": {"type": "object"}}}})),
    }}));
    paths.insert("/v1/events/{id}/ack".into(), json!({"post": {
        "operationId": "event_ack",
        "tags": ["relay"],
        "summary": "The application took the event itself: delivered",
        "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}],
        "responses": responses(&json!({"type": "object", "properties": {"id": {"type": "string"}, "acknowledged": {"type": "boolean", "description": "Whether it was pending until now"}}})),
    }}));
    paths.insert("/v1/callbacks".into(), json!({"get": {
        "operationId": "callbacks",
        "tags": ["relay"],
        "summary": "Callbacks received, newest first (their data sealed, never shown)",
        "parameters": [{"name": "verified", "in": "query", "schema": {"type": "boolean"}}, limit_parameter()],
        "responses": responses(&json!({"type": "array", "items": {"type": "object", "description": "A callback: id, provider, account, method, received_at_ms, size, verified, reference, error, checked_at_ms"}})),
    }}));
    paths.insert(
        "/callbacks/{provider}/{account}".into(),
        json!({
            "post": callback_intake(),
            "get": callback_intake(),
        }),
    );
}

fn callback_intake() -> Value {
    json!({
        "tags": ["relay"],
        "summary": "A provider's callback: kept, verified, settled, answered as the provider expects, and told to the application",
        "security": [],
        "parameters": [
            {"name": "provider", "in": "path", "required": true, "schema": {"type": "string", "enum": ["chargingws", "opencard", "appotapay", "esms"]}},
            {"name": "account", "in": "path", "required": true, "schema": {"type": "string"}},
        ],
        "responses": {
            "200": {"description": "Verified: the provider's expected reply"},
            "4XX": {"description": "Refused (not signed, not matching): kept, never delivered"},
            "503": {"description": "Not kept: the provider should send it again"},
        },
    })
}

/// `?limit=`, as every list takes it.
fn limit_parameter() -> Value {
    json!({"name": "limit", "in": "query", "description": "At most this many (default 1000)", "schema": {"type": "integer", "minimum": 1}})
}

fn account_parameter() -> Value {
    json!({
        "name": "account",
        "in": "query",
        "required": false,
        "description": "The account of the provider (default: its only one, else `default`)",
        "schema": {"type": "string"},
    })
}

fn responses(result: &Value) -> Value {
    let error = json!({
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/GatewayError"}}},
    });
    let mut responses = json!({
        "200": {"description": "The answer", "content": {"application/json": {"schema": result}}},
    });
    for (status, description) in [
        ("400", "invalid_input: the field is named; nothing was sent"),
        ("401", "unauthorized: no or wrong bearer token"),
        ("404", "not_found: no such provider, account or operation"),
        ("413", "payload_too_large"),
        (
            "422",
            "signature_mismatch or callback_mismatch: a callback that does not verify or match",
        ),
        (
            "502",
            "bad_reply or auth: the provider's answer cannot be read, or it refused the credentials",
        ),
        (
            "503",
            "transport: nothing changed at the provider; safe to retry",
        ),
        (
            "504",
            "outcome_unknown: a money call may have reached the provider; do not resend, resolve with next_step",
        ),
    ] {
        let mut response = error.clone();
        response["description"] = description.into();
        responses[status] = response;
    }
    responses
}

/// `#/$defs/X` → `#/components/schemas/X`, at any depth.
fn rewrite_refs(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (key, field) in map.iter_mut() {
                match field {
                    Value::String(target) if key == "$ref" => {
                        if let Some(name) = target.strip_prefix("#/$defs/") {
                            *target = format!("#/components/schemas/{name}");
                        }
                    }
                    other => rewrite_refs(other),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(rewrite_refs),
        _ => {}
    }
}
