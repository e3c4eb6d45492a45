//! Every operation of every provider by name, JSON in and JSON out: the one dispatcher the C
//! ABI and the Python module share, so that neither holds provider logic. Names are the
//! vocabulary's (see the crate docs).
//!
//! ```
//! let client = vngate::api::Client::new(
//!     "chargingws",
//!     r#"{"base_url": "https://thesieure.com", "partner_id": "1", "partner_key": "k"}"#,
//! )?;
//! assert!(client.operations().contains(&"charge"));
//! // Invalid input is refused before any I/O, naming the field:
//! let err = client.call("charge", r#"{"telco": "VIETTEL", "code": "1", "serial": "2", "amount": "x", "request_id": "r"}"#).unwrap_err();
//! assert!(matches!(err, vngate::Error::InvalidInput { ref field, .. } if field == "amount"));
//! # Ok::<(), vngate::Error>(())
//! ```

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::appotapay::{AppotaPay, AppotaPayConfig, BuyRequest};
use crate::chargingws::{CardRequest, ChargingWs, ChargingWsConfig};
use crate::error::Error;
use crate::esms::{Channel, DisburseRequest, Esms, EsmsConfig};
use crate::opencard::{OpenCard, OpenCardConfig, OpenCardRequest};
use crate::registry;
use crate::secret::Secret;
use crate::topup::{RecheckRequest, Topup, TopupConfig, TopupRequest};

/// Reads the stored request given beside a callback; its errors name `expected.<field>`.
fn parse_expected<T: DeserializeOwned>(json: &str) -> Result<T, Error> {
    parse::<T>(json).map_err(|e| match e {
        Error::InvalidInput { field, reason } => Error::InvalidInput {
            field: format!("expected.{field}"),
            reason,
        },
        other => other,
    })
}

/// A request made ready by [`Client::prepare`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Prepared {
    /// The request to send, with any id vngate made up filled in.
    pub request_json: String,
    /// For a money-moving operation: what to report when the caller abandons the call.
    pub abandoned: Option<Error>,
}

/// The providers, by the name [`Client::new`] takes.
pub const PROVIDERS: &[&str] = &["chargingws", "opencard", "appotapay", "esms", "topup"];

/// A client of any provider.
#[derive(Debug)]
#[non_exhaustive]
pub enum Client {
    /// chargingws/v2.
    ChargingWs(ChargingWs),
    /// OpenCard.
    OpenCard(OpenCard),
    /// AppotaPay (boxed: its RSA key makes it much larger than the others).
    AppotaPay(Box<AppotaPay>),
    /// eSMS.
    Esms(Esms),
    /// kenhthanhtoan topup.
    Topup(Topup),
}

/// No input.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Empty {}

/// A raw callback, with the stored request to match it against, left as JSON for
/// [`Client::parse_callback_expected`] to read as the provider's stored request.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CallbackInput {
    data: String,
    #[serde(default)]
    expected: Option<Box<serde_json::value::RawValue>>,
}

/// A callback with nothing to match it against (eSMS callbacks are unsigned).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DataInput {
    data: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PartnerRefId {
    partner_ref_id: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EncryptedCode {
    serial: String,
    encrypted_code: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AccessToken {
    access_token: Secret,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Recipient {
    channel: Channel,
    phone: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OrderId {
    order_id: String,
}

impl Client {
    /// Builds the client of `provider` (one of [`PROVIDERS`]) from its JSON config.
    pub fn new(provider: &str, config_json: &str) -> Result<Self, Error> {
        Ok(match provider {
            "chargingws" => {
                Self::ChargingWs(ChargingWs::new(parse::<ChargingWsConfig>(config_json)?)?)
            }
            "opencard" => Self::OpenCard(OpenCard::new(parse::<OpenCardConfig>(config_json)?)?),
            "appotapay" => Self::AppotaPay(Box::new(AppotaPay::new(parse::<AppotaPayConfig>(
                config_json,
            )?)?)),
            "esms" => Self::Esms(Esms::new(parse::<EsmsConfig>(config_json)?)?),
            "topup" => Self::Topup(Topup::new(parse::<TopupConfig>(config_json)?)?),
            other => {
                return Err(Error::invalid(
                    "provider",
                    format!(
                        "unknown provider {}; expected one of {}",
                        crate::secret::quote(other),
                        PROVIDERS.join(", ")
                    ),
                ));
            }
        })
    }

    /// The provider's name.
    #[must_use]
    pub fn provider(&self) -> &'static str {
        match self {
            Self::ChargingWs(_) => "chargingws",
            Self::OpenCard(_) => "opencard",
            Self::AppotaPay(_) => "appotapay",
            Self::Esms(_) => "esms",
            Self::Topup(_) => "topup",
        }
    }

    /// The operations [`Client::call`] takes for this provider, from the registry.
    #[must_use]
    pub fn operations(&self) -> Vec<&'static str> {
        registry::of(self.provider()).map(|op| op.name).collect()
    }

    /// Gets a request ready to send, for a caller that may stop waiting for it (a signal, a
    /// cancelled task): fills in the ids vngate would otherwise make up during the call
    /// (topup's `client_trans_id`), so the reference is known before anything is sent, and
    /// for a money-moving operation returns the error to report if the caller abandons the
    /// call: [`Error::OutcomeUnknown`] with the caller's reference and the resolving call.
    /// Send [`Prepared::request_json`] with [`Client::call`].
    #[must_use]
    pub fn prepare(&self, operation: &str, request_json: &str) -> Prepared {
        let unchanged = || Prepared {
            request_json: request_json.to_owned(),
            abandoned: None,
        };
        let Some((op, money)) = registry::find(self.provider(), operation)
            .and_then(|op| op.money.map(|money| (op, money)))
        else {
            return unchanged();
        };
        let (field, next_step) = (money.reference_field, money.next_step);
        // A request that is not an object fails validation in `call`, before any I/O.
        let Ok(Value::Object(mut request)) = serde_json::from_str::<Value>(request_json) else {
            return unchanged();
        };
        if money.made_if_missing && request.get(field).is_none_or(Value::is_null) {
            request.insert(field.to_owned(), Value::from(crate::new_request_id()));
        }
        let reference = match request.get(field) {
            Some(Value::String(s)) => s.clone(),
            _ => return unchanged(),
        };
        Prepared {
            request_json: Value::Object(request).to_string(),
            abandoned: Some(Error::OutcomeUnknown {
                operation: op.name,
                reference_field: field,
                reference,
                reason: "the caller stopped waiting (interrupted) after the request may have \
                         been sent"
                    .to_owned(),
                next_step,
            }),
        }
    }

    /// Runs `operation` with its JSON input; returns the result as JSON. A business answer
    /// is `Ok`; see [`Error`] for the rest.
    // One arm per operation reads best as one table, however long.
    #[allow(clippy::too_many_lines)]
    pub fn call(&self, operation: &str, request_json: &str) -> Result<String, Error> {
        // The registry first: it resolves aliases, and a name it does not know is refused
        // here, so no implementation can exist without its entry.
        let Some(op) = registry::find(self.provider(), operation) else {
            return Err(Error::invalid(
                "operation",
                format!(
                    "{} has no operation {}; expected one of {}",
                    self.provider(),
                    crate::secret::quote(operation),
                    self.operations().join(", ")
                ),
            ));
        };
        let value = match (self, op.name) {
            // Every provider's callback, through the one path the raw-bytes entry takes too.
            (_, "parse_callback") => {
                let input: CallbackInput = parse(request_json)?;
                let expected = input
                    .expected
                    .as_deref()
                    .map(serde_json::value::RawValue::get);
                return self.parse_callback_expected(input.data.as_bytes(), expected);
            }
            (Self::ChargingWs(c), "charge") => to_json(&c.charge(&parse(request_json)?)?),
            (Self::ChargingWs(c), "check") => to_json(&c.check(&parse(request_json)?)?),
            (Self::ChargingWs(c), "fees") => {
                parse::<Empty>(request_json)?;
                to_json(&c.fees()?)
            }
            (Self::OpenCard(c), "charge") => {
                to_json(&c.charge(&parse::<OpenCardRequest>(request_json)?)?)
            }
            (Self::AppotaPay(c), "buy_cards") => {
                to_json(&c.buy_cards(&parse::<BuyRequest>(request_json)?)?)
            }
            (Self::AppotaPay(c), "transaction") => {
                to_json(&c.transaction(&parse::<PartnerRefId>(request_json)?.partner_ref_id)?)
            }
            (Self::AppotaPay(c), "products") => {
                parse::<Empty>(request_json)?;
                to_json(&c.products()?)
            }
            (Self::AppotaPay(c), "balance") => {
                parse::<Empty>(request_json)?;
                to_json(&c.balance()?)
            }
            (Self::AppotaPay(c), "decrypt_code") => {
                let input: EncryptedCode = parse(request_json)?;
                crate::fields::required("serial", &input.serial, 64)?;
                if !c.has_private_key() {
                    return Err(Error::invalid(
                        "private_key_pem",
                        "is not configured: decrypt_code needs the partner's RSA private key",
                    ));
                }
                let code = c
                    .decrypt_code(&input.serial, &input.encrypted_code)
                    .map_err(|e| Error::invalid("encrypted_code", e.reason))?;
                json!({"serial": input.serial, "code": code.as_str()})
            }
            (Self::Esms(c), "login") => {
                parse::<Empty>(request_json)?;
                json!({"access_token": c.login()?.expose()})
            }
            (Self::Esms(c), "generate_api_token") => {
                let input: AccessToken = parse(request_json)?;
                json!({"api_token": c.generate_api_token(&input.access_token)?.expose()})
            }
            (Self::Esms(c), "disburse") => {
                to_json(&c.disburse(&parse::<DisburseRequest>(request_json)?)?)
            }
            (Self::Esms(c), "verify_recipient") => {
                let input: Recipient = parse(request_json)?;
                to_json(&c.verify_recipient(input.channel, &input.phone)?)
            }
            (Self::Esms(c), "query") => {
                to_json(&c.query(&parse::<OrderId>(request_json)?.order_id)?)
            }
            (Self::Esms(c), "confirm_callback") => {
                let callback =
                    c.parse_callback(parse::<DataInput>(request_json)?.data.as_bytes())?;
                to_json(&c.confirm_callback(&callback)?)
            }
            (Self::Topup(c), "topup") => to_json(&c.topup(&parse::<TopupRequest>(request_json)?)?),
            (Self::Topup(c), "recheck") => {
                to_json(&c.recheck(&parse::<RecheckRequest>(request_json)?)?)
            }
            (Self::Topup(c), "balance") => {
                parse::<Empty>(request_json)?;
                to_json(&c.balance()?)
            }
            (client, name) => {
                // A registry entry without an implementation: a bug the registry test finds.
                return Err(Error::Transport {
                    reason: format!("{} {name}: not implemented", client.provider()),
                });
            }
        };
        Ok(value.to_string())
    }

    /// Verifies and reads a callback or webhook, given as the raw POST body or GET query
    /// string: the `parse_callback` operation of chargingws, OpenCard and eSMS.
    pub fn parse_callback(&self, data: &[u8]) -> Result<String, Error> {
        self.parse_callback_expected(data, None)
    }

    /// [`Client::parse_callback`], then a match against the request you stored, given as JSON
    /// (`expected`): for chargingws the card you sent (`telco`, `code`, `serial`, `amount`,
    /// `request_id`), for OpenCard the charge you stored (OpenCard's `request_id`, `amount`, `telco`).
    /// The bytes are verified exactly as given. eSMS callbacks are unsigned: confirm them with
    /// `confirm_callback` instead, so `expected` is refused there.
    pub fn parse_callback_expected(
        &self,
        data: &[u8],
        expected_json: Option<&str>,
    ) -> Result<String, Error> {
        let value = match (self, expected_json) {
            // The stored request is the caller's input: read it (and refuse it, naming the
            // field) before the callback is.
            (Self::ChargingWs(c), expected) => {
                let stored = expected.map(parse_expected::<CardRequest>).transpose()?;
                let callback = c.parse_callback(data)?;
                if let Some(stored) = &stored {
                    callback.check_against(stored)?;
                }
                to_json(&callback)
            }
            (Self::OpenCard(c), expected) => {
                let stored = expected.map(parse_expected).transpose()?;
                let webhook = c.parse_callback(data)?;
                if let Some(stored) = &stored {
                    webhook.check_against(stored)?;
                }
                to_json(&webhook)
            }
            (Self::Esms(c), None) => to_json(&c.parse_callback(data)?),
            (Self::Esms(_), Some(_)) => {
                return Err(Error::invalid(
                    "expected",
                    "eSMS callbacks are unsigned: confirm them with confirm_callback",
                ));
            }
            (Self::AppotaPay(_) | Self::Topup(_), _) => {
                return Err(Error::invalid(
                    "operation",
                    format!("{} sends no callbacks", self.provider()),
                ));
            }
        };
        Ok(value.to_string())
    }
}

fn to_json<T: serde::Serialize>(value: &T) -> Value {
    serde_json::to_value(value).expect("results serialise to JSON")
}

/// Reads JSON input into `T`; errors name the field, as the vocabulary spells it.
fn parse<T: DeserializeOwned>(json: &str) -> Result<T, Error> {
    let deserializer = &mut serde_json::Deserializer::from_str(json);
    serde_path_to_error::deserialize(deserializer).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let message = inner.to_string();
        // serde names a missing field only in its message (`missing field `x``), at the
        // parent's path; an unknown field's path is the field itself.
        let missing = message
            .strip_prefix("missing field `")
            .and_then(|rest| rest.split('`').next());
        let field = match (path.as_str(), missing) {
            ("." | "", Some(name)) => name.to_owned(),
            (path, Some(name)) => format!("{path}.{name}"),
            ("." | "", None) => "request".to_owned(),
            (path, None) => path.to_owned(),
        };
        // Keep serde's words but not its position, nor the offending value: inputs carry PINs.
        let reason = match (inner.classify(), missing) {
            (serde_json::error::Category::Syntax | serde_json::error::Category::Eof, _) => {
                "is not valid JSON".to_owned()
            }
            (_, Some(_)) => "is required".to_owned(),
            _ => {
                let message = message.split(" at line ").next().unwrap_or("is invalid");
                match message.split_once(", expected") {
                    Some((what, expected)) => {
                        format!("{}, expected{expected}", redact_quoted(what))
                    }
                    None => redact_quoted(message),
                }
            }
        };
        Error::invalid(field, reason)
    })
}

/// serde quotes the offending value (invalid type: integer \`3128…\`); a PIN must not reach
/// an error message, so quoted values are dropped.
fn redact_quoted(message: &str) -> String {
    let mut out = String::new();
    let mut quote = None;
    for c in message.chars() {
        match (quote, c) {
            (None, '"' | '`') => {
                out.push('…');
                quote = Some(c);
            }
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, c) => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chargingws() -> Client {
        Client::new(
            "chargingws",
            r#"{"base_url":"http://127.0.0.1:9","partner_id":"1","partner_key":"k"}"#,
        )
        .unwrap()
    }

    /// Every registry entry has an implementation behind `call`, for every provider.
    #[test]
    fn every_registered_operation_is_implemented() {
        let configs = [
            (
                "chargingws",
                r#"{"base_url":"http://127.0.0.1:9","partner_id":"1","partner_key":"k"}"#,
            ),
            (
                "opencard",
                r#"{"base_url":"http://127.0.0.1:9","partner_id":"1","partner_key":"k"}"#,
            ),
            (
                "appotapay",
                r#"{"base_url":"http://127.0.0.1:9","partner_code":"P","api_key":"a","secret_key":"s"}"#,
            ),
            (
                "esms",
                r#"{"base_url":"http://127.0.0.1:9","api_token":"t","secret_key":"k"}"#,
            ),
            (
                "topup",
                r#"{"base_url":"http://127.0.0.1:9","username":"u","private_key":"k"}"#,
            ),
        ];
        let mut seen = 0;
        for (provider, config) in configs {
            let client = Client::new(provider, config).unwrap();
            for op in registry::of(provider) {
                for name in std::iter::once(op.name).chain(op.aliases.iter().copied()) {
                    if let Err(e) = client.call(name, "{}") {
                        assert!(
                            !e.to_string().contains("not implemented"),
                            "{provider} {name}: {e}"
                        );
                    }
                    seen += 1;
                }
            }
            assert_eq!(
                client.operations(),
                registry::of(provider).map(|op| op.name).collect::<Vec<_>>()
            );
        }
        assert_eq!(
            seen,
            registry::OPERATIONS.len() + 1,
            "every entry and the one alias"
        );
    }

    /// One name per operation on every path: OpenCard's webhook is `parse_callback`, as for
    /// chargingws and eSMS and as the C function says; `parse_webhook` stays as an alias.
    #[test]
    fn opencard_webhooks_answer_to_one_name_and_its_alias() {
        let client =
            Client::new("opencard", r#"{"partner_id":"1","partner_key":"ockey"}"#).unwrap();
        assert_eq!(client.operations(), ["charge", "parse_callback"]);
        let hook = r#"{"request_id":"385672323","trans_id":"10895648","telco":"VIETTEL","declared_value":10000,"status":3,"message":"CARD_INVALID","amount":0,"actual_amount":8600,"notified_at":"2025-11-16 06:02:35","sign":"42c114fba679c95505709bb4856ba52f"}"#;
        let input = json!({"data": hook}).to_string();
        let by_name = client.call("parse_callback", &input).unwrap();
        assert_eq!(client.call("parse_webhook", &input).unwrap(), by_name);
        assert_eq!(client.parse_callback(hook.as_bytes()).unwrap(), by_name);
    }

    /// Each error names the field at fault: a missing key is the config's, not the code's.
    #[test]
    fn decrypt_code_without_a_key_blames_the_key() {
        let client = Client::new(
            "appotapay",
            r#"{"partner_code":"P","api_key":"a","secret_key":"s"}"#,
        )
        .unwrap();
        let result = client.call("decrypt_code", r#"{"serial":"S1","encrypted_code":"AAAA"}"#);
        assert_eq!(field_of(result), "private_key_pem");
    }

    #[test]
    fn huge_caller_values_are_quoted_short() {
        let huge = "x".repeat(1 << 20);
        for error in [
            chargingws().call(&huge, "{}").unwrap_err(),
            Client::new(&huge, "{}").unwrap_err(),
            chargingws()
                .call(
                    "charge",
                    &format!(
                        r#"{{"telco":"{huge}","code":"312821445892981","serial":"10004783347874","amount":10000,"request_id":"r"}}"#
                    ),
                )
                .unwrap_err(),
            Client::new(
                "chargingws",
                &format!(r#"{{"base_url":"https://{huge}.vn","partner_id":"1","partner_key":"k"}}"#),
            )
            .unwrap_err(),
        ] {
            let shown = error.to_string();
            assert!(shown.len() < 600, "{} characters: {}", shown.len(), &shown[..200]);
            assert!(shown.contains("1048576 characters") || shown.contains("characters)"), "{shown}");
        }
    }

    fn field_of(result: Result<String, Error>) -> String {
        match result {
            Err(Error::InvalidInput { field, reason }) => {
                assert!(
                    !reason.contains("3128214458") && !reason.contains("line"),
                    "{reason}"
                );
                field
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn inputs_name_the_field() {
        let c = chargingws();
        let card = r#""telco":"VIETTEL","code":"312821445892981","serial":"10004783347874","request_id":"r1""#;
        assert_eq!(field_of(c.call("charge", &format!("{{{card}}}"))), "amount");
        assert_eq!(
            field_of(c.call("charge", &format!(r#"{{{card},"amount":"50000"}}"#))),
            "amount"
        );
        assert_eq!(
            field_of(c.call("charge", &format!(r#"{{{card},"amount":50000,"amout":1}}"#))),
            "amout"
        );
        assert_eq!(field_of(c.call("charge", r#"{"telco":5}"#)), "telco");
        assert_eq!(
            field_of(c.call("charge", r#"{"code":312821445892981}"#)),
            "code"
        );
        assert_eq!(field_of(c.call("charge", "not json")), "request");
        assert_eq!(field_of(c.call("charge", "[]")), "request");
        assert_eq!(field_of(c.call("fees", r#"{"x":1}"#)), "x");
        assert_eq!(field_of(c.call("refund", "{}")), "operation");
        assert_eq!(
            field_of(c.call("parse_callback", r#"{"data":"","expected":{"telco":1}}"#)),
            "expected.telco"
        );
        assert_eq!(
            field_of(Client::new("paypal", "{}").map(|_| String::new())),
            "provider"
        );
        assert_eq!(
            field_of(
                Client::new("chargingws", r#"{"base_url":"https://x"}"#).map(|_| String::new())
            ),
            "partner_id"
        );
        assert_eq!(
            field_of(
                Client::new(
                    "topup",
                    r#"{"username":"u","private_key":"k","digest":"md5"}"#
                )
                .map(|_| String::new())
            ),
            "digest"
        );
        match Client::new(
            "topup",
            r#"{"username":"u","private_key":"k","digest":"md5"}"#,
        ) {
            Err(e) => assert_eq!(
                e.to_string(),
                "invalid digest: unknown variant …, expected `sha256` or `sha1`"
            ),
            Ok(_) => panic!("md5 is not a digest"),
        }
        match c.call("charge", r#"{"telco":"VIETTEL"}"#) {
            Err(e) => assert_eq!(e.to_string(), "invalid code: is required"),
            Ok(_) => panic!("code is required"),
        }
    }

    #[test]
    fn every_provider_builds_and_lists_its_operations() {
        let configs = [
            (
                "chargingws",
                r#"{"base_url":"https://x","partner_id":"1","partner_key":"k"}"#,
            ),
            ("opencard", r#"{"partner_id":"1","partner_key":"k"}"#),
            (
                "appotapay",
                r#"{"partner_code":"P","api_key":"a","secret_key":"s"}"#,
            ),
            ("esms", r#"{"api_token":"t","secret_key":"s"}"#),
            ("topup", r#"{"username":"u","private_key":"k"}"#),
        ];
        for (provider, config) in configs {
            let client = Client::new(provider, config).unwrap();
            assert_eq!(client.provider(), provider);
            assert!(!client.operations().is_empty());
        }
        assert_eq!(PROVIDERS.len(), configs.len());
    }
}
