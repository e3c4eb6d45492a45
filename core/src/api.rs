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

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::appotapay::{AppotaPay, AppotaPayConfig};
pub use crate::appotapay::{DecryptCodeRequest, DecryptedCode};
use crate::chargingws::{CardRequest, ChargingWs, ChargingWsConfig};
use crate::error::Error;
use crate::esms::{Channel, Esms, EsmsConfig};
use crate::opencard::{OpenCard, OpenCardConfig};
use crate::outcome::{MoneyOutcome, Outcome};
use crate::registry;
use crate::secret::Secret;
use crate::topup::{Topup, TopupConfig};

// The types the registry's table names, for the dispatcher written from it here.
use crate::appotapay::{
    Balance, BankAccount, BankAccountRequest, BankTransfer, BankTransferRequest, BuyRequest,
    BuyResult, DataPackages, DataPackagesRequest, MobileTopup, MobileTopupRequest, Products,
};
use crate::chargingws::{
    BuyCardsRequest, CardOrder, CardProducts, CardResult, Fees, RedownloadRequest, ShopBalance,
    Stock, StockRequest, TopupOrder, TopupOrderRequest, TopupProducts, TopupStatusRequest,
    WalletBalanceRequest,
};
use crate::esms::{DisburseRequest, Disbursement, RecipientCheck};
use crate::opencard::{OpenCardRequest, OpenCardResult};
use crate::topup::{RecheckRequest, TopupBalance, TopupRequest, TopupResult};
#[cfg(feature = "schema")]
use crate::{
    appotapay::TransferIpn, chargingws::Callback, esms::EsmsCallback, opencard::OpenCardWebhook,
};

/// Reads the stored request given beside a callback; its errors name `expected.<field>`. It is
/// often a database row: columns that are not fields of the request (`id`, `created_at`,
/// `status`) are left out, and a whole number a driver hands back as text (`PDO`'s `MySQL`
/// `"50000"`) is read as the number, while a field of the request that is malformed is still
/// an error. (An operation's own input stays strict: a mistyped field there is an error.)
fn parse_expected<T: DeserializeOwned>(json: &str) -> Result<T, Error> {
    let named = |e: Error| match e {
        Error::InvalidInput { field, reason } => Error::InvalidInput {
            field: format!("expected.{field}"),
            reason,
        },
        other => other,
    };
    let Ok(serde_json::Value::Object(mut row)) = serde_json::from_str::<serde_json::Value>(json)
    else {
        return parse::<T>(json).map_err(named);
    };
    loop {
        let text = serde_json::Value::Object(row.clone()).to_string();
        match parse::<T>(&text) {
            // serde names one unknown field at a time, at its own path: a top-level column.
            Err(Error::InvalidInput { field, reason })
                if reason.starts_with("unknown field") && row.contains_key(&field) =>
            {
                row.remove(&field);
            }
            Err(Error::InvalidInput { field, reason })
                if reason.starts_with("invalid type: string")
                    && row
                        .get(&field)
                        .and_then(serde_json::Value::as_str)
                        .and_then(|text| text.parse::<i64>().ok())
                        .is_some() =>
            {
                let number = row[&field].as_str().and_then(|t| t.parse::<i64>().ok());
                row.insert(field, number.into());
            }
            other => return other.map_err(named),
        }
    }
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

/// The input of an operation that takes none (`fees`, `products`, `balance`, `login`): `{}`.
#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct NoInput {}

/// `parse_callback`'s input: the callback exactly as received, and optionally the request you
/// stored, to match it against.
#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct CallbackInput {
    /// The raw POST body or GET query string.
    pub data: String,
    /// The stored request: the card you sent ([`CardRequest`]) for chargingws, the charge you
    /// stored ([`crate::opencard::StoredCharge`]) for OpenCard. Refused for eSMS, whose
    /// callbacks are unsigned. Kept as JSON here so its errors name `expected.<field>`.
    #[serde(default)]
    #[cfg_attr(
        feature = "schema",
        schemars(with = "Option<serde_json::Map<String, Value>>")
    )]
    pub expected: Option<Box<serde_json::value::RawValue>>,
}

/// `confirm_callback`'s input: an eSMS callback exactly as received.
#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct RawCallback {
    /// The raw POST body or GET query string.
    pub data: String,
}

/// AppotaPay `transaction`, `topup_transaction` and `transfer_transaction`'s input.
#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct TransactionRequest {
    /// The `partner_ref_id` of the purchase, top-up or transfer.
    pub partner_ref_id: String,
}

/// eSMS `generate_api_token`'s input.
#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct AccessTokenRequest {
    /// A token from `login`.
    pub access_token: Secret,
}

/// eSMS `login`'s result: a token of 24 h.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct AccessToken {
    /// The token. A secret.
    #[serde(serialize_with = "Secret::serialize_exposed")]
    pub access_token: Secret,
}

/// eSMS `generate_api_token`'s result: a token that does not expire.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct ApiToken {
    /// The token (configure it as `api_token`). A secret.
    #[serde(serialize_with = "Secret::serialize_exposed")]
    pub api_token: Secret,
}

/// eSMS `verify_recipient`'s input.
#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct RecipientRequest {
    /// The wallet: `momo` or `zalopay`.
    pub channel: Channel,
    /// The wallet's phone number.
    pub phone: String,
}

/// eSMS `query`'s input.
#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct QueryRequest {
    /// The `order_id` of the payout.
    pub order_id: String,
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

    /// Who this client speaks as: the provider, its base URL's origin and the account's public
    /// id there (partner id, partner code or username; for an eSMS API token, none), e.g.
    /// `chargingws https://thesieure.com 10001`. No secret is part of it. A journal files each
    /// record with it, so that a record is resolved and settled only with the credentials
    /// (and at the site) that made it.
    #[must_use]
    pub fn identity(&self) -> String {
        let (url, id) = match self {
            Self::ChargingWs(c) => (c.endpoint_url(), Some(c.partner_id())),
            Self::OpenCard(c) => (c.endpoint_url(), Some(c.partner_id())),
            Self::AppotaPay(c) => (c.base_url(), Some(c.partner_code())),
            Self::Esms(c) => (c.base_url(), c.login_username()),
            Self::Topup(c) => (c.base_url(), Some(c.username())),
        };
        let origin = crate::http::origin(url);
        match id {
            Some(id) => format!("{} {origin} {id}", self.provider()),
            None => format!("{} {origin}", self.provider()),
        }
    }

    /// Whether money-moving calls, and [`Client::resolve_answer`], open a connection of their
    /// own for each request (the default), so that a reply is bound to its request by the
    /// connection it came on. `false` with `reuse_connections_for_money`: an answer is then
    /// tied to its record only by what it says (a journal settles nothing from one that does
    /// not name or match its record).
    #[must_use]
    pub fn own_connection_per_money_call(&self) -> bool {
        let http = match self {
            Self::ChargingWs(c) => c.http(),
            Self::OpenCard(c) => c.http(),
            Self::AppotaPay(c) => c.http(),
            Self::Esms(c) => c.http(),
            Self::Topup(c) => c.http(),
        };
        !http.reuses_connections_for_money()
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
        let Some(money) = registry::find(self.provider(), operation).and_then(|op| op.money) else {
            return unchanged();
        };
        let field = money.reference_field;
        // A request that is not an object fails validation in `call`, before any I/O.
        let Ok(Value::Object(mut request)) = serde_json::from_str::<Value>(request_json) else {
            return unchanged();
        };
        if request.get(field).is_none_or(Value::is_null)
            && let Some((field, made)) = self.made_reference(operation)
        {
            request.insert(field.to_owned(), Value::from(made));
        }
        let abandoned = match request.get(field) {
            Some(Value::String(reference)) => self.abandoned(operation, reference),
            _ => return unchanged(),
        };
        Prepared {
            request_json: Value::Object(request).to_string(),
            abandoned,
        }
    }

    /// The reference vngate makes up for `operation` when its request gives none: for a
    /// money-moving operation that makes its own ([`registry::Money::made_if_missing`]), the
    /// field it goes in and a new reference; `None` for any other. [`Client::prepare`] fills it
    /// in; a front that reads its request itself asks here.
    #[must_use]
    pub fn made_reference(&self, operation: &str) -> Option<(&'static str, String)> {
        let money = registry::find(self.provider(), operation)?.money?;
        money
            .made_if_missing
            .then(|| (money.reference_field, crate::new_request_id()))
    }

    /// For a money-moving operation, what to report when the caller stops waiting for the
    /// call with this reference (see [`Client::prepare`], which fills in a reference vngate
    /// would make up, and [`Client::made_reference`]). `None` for any other operation.
    #[must_use]
    pub fn abandoned(&self, operation: &str, reference: &str) -> Option<Error> {
        let op = registry::find(self.provider(), operation)?;
        let money = op.money?;
        Some(Error::OutcomeUnknown {
            operation: op.name,
            reference_field: money.reference_field,
            reference: reference.to_owned(),
            reason: "the caller stopped waiting (interrupted) after the request may have been \
                     sent"
                .to_owned(),
            next_step: money.next_step,
        })
    }

    /// Runs `operation` with its JSON input; returns the result as JSON. A business answer
    /// is `Ok`; see [`Error`] for the rest.
    pub fn call(&self, operation: &str, request_json: &str) -> Result<String, Error> {
        self.call_into(operation, request_json, &mut AsJson::text())
            .map(|answer| answer.json)
    }

    /// Checks a money-moving request's fields as [`Client::call`] checks them first, with no
    /// I/O and nothing signed: what a journal asks before it writes an intent, so that a
    /// request it would refuse leaves no record. Other operations are only parsed.
    pub fn validate(&self, operation: &str, request_json: &str) -> Result<(), Error> {
        let op = self.operation(operation)?;
        validate_declared(self, op, request_json)
    }

    /// `operation`'s registry entry (aliases resolved), or the error naming the ones there are.
    fn operation(&self, operation: &str) -> Result<&'static registry::Operation, Error> {
        registry::find(self.provider(), operation).ok_or_else(|| {
            Error::invalid(
                "operation",
                format!(
                    "{} has no operation {}; expected one of {}",
                    self.provider(),
                    crate::secret::quote(operation),
                    self.operations().join(", ")
                ),
            )
        })
    }

    /// [`Client::call`], with what the result means for the money (for a money-moving
    /// operation, its resolving call and the callbacks): what a journal records.
    pub fn call_answer(&self, operation: &str, request_json: &str) -> Result<Answer, Error> {
        self.call_into(operation, request_json, &mut AsJson::answer())
    }

    /// [`Client::call_answer`] on a connection of its own, never a pooled one, as money-moving
    /// calls are made: for a resolving call (`check`, `transaction`, …) whose answer will
    /// settle a money record. A stray or late reply left on a pooled keep-alive connection
    /// (the pool is shared by every client of the process) can never be read as its answer.
    pub fn resolve_answer(&self, operation: &str, request_json: &str) -> Result<Answer, Error> {
        crate::http::with_own_connection(|| self.call_answer(operation, request_json))
    }

    /// [`Client::call`], the result made by `results`: what a front uses to build its own
    /// values straight from the result type (Python's objects), without JSON text between.
    pub fn call_into<R: Results>(
        &self,
        operation: &str,
        request_json: &str,
        results: &mut R,
    ) -> Result<R::Made, Error> {
        let request = self.read(operation, request_json)?;
        self.run(request, results)
    }

    /// Reads `operation`'s request from `input` into its type, with no I/O: the first half of
    /// [`Client::call_into`], for a front that reads its callers' values itself ([`Input`]) or
    /// must read them before it lets go of something (Python's GIL). Refuses what `call`
    /// refuses before it validates anything: an unknown operation, a request of the wrong shape.
    pub fn read<I: Input>(&self, operation: &str, input: I) -> Result<Request, Error> {
        // The registry first: it resolves aliases, and a name it does not know is refused
        // here, so no implementation can exist without its entry.
        let op = self.operation(operation)?;
        Ok(Request {
            op,
            value: read_declared(self, op, input)?,
        })
    }

    /// Runs a request [`Client::read`] made (validation, signing, the call, its result): the
    /// second half of [`Client::call_into`].
    pub fn run<R: Results>(&self, request: Request, results: &mut R) -> Result<R::Made, Error> {
        if request.op.provider != self.provider() {
            return Err(Error::invalid(
                "request",
                format!(
                    "was read for {} and cannot run on a {} client",
                    request.op.provider,
                    self.provider()
                ),
            ));
        }
        run_declared(self, request.op, request.value, results)
    }

    /// A `run: callback` operation: the callback from its input, through the one path the
    /// raw-bytes entry ([`Client::parse_callback_into`]) takes too.
    fn run_callback<R: Results>(
        &self,
        input: &CallbackInput,
        results: &mut R,
    ) -> Result<R::Made, Error> {
        let expected = input
            .expected
            .as_deref()
            .map(serde_json::value::RawValue::get);
        self.parse_callback_into(input.data.as_bytes(), expected, results)
    }

    /// Verifies and reads a callback or webhook, given as the raw POST body or GET query
    /// string: the `parse_callback` operation of chargingws, OpenCard, eSMS and AppotaPay (its transfer IPN).
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
        self.parse_callback_into(data, expected_json, &mut AsJson::text())
            .map(|answer| answer.json)
    }

    /// [`Client::parse_callback_expected`], with what the callback means for the money and
    /// the reference it names.
    pub fn parse_callback_answer(
        &self,
        data: &[u8],
        expected_json: Option<&str>,
    ) -> Result<Answer, Error> {
        self.parse_callback_into(data, expected_json, &mut AsJson::answer())
    }

    /// [`Client::parse_callback_expected`], the result made by `results` (see
    /// [`Client::call_into`]).
    pub fn parse_callback_into<R: Results>(
        &self,
        data: &[u8],
        expected_json: Option<&str>,
        results: &mut R,
    ) -> Result<R::Made, Error> {
        let no_callbacks = || {
            Error::invalid(
                "operation",
                format!("{} sends no callbacks", self.provider()),
            )
        };
        let op = registry::find(self.provider(), "parse_callback").ok_or_else(no_callbacks)?;
        let value = match (self, expected_json) {
            // The stored request is the caller's input: read it (and refuse it, naming the
            // field) before the callback is.
            (Self::ChargingWs(c), expected) => {
                let stored = expected.map(parse_expected::<CardRequest>).transpose()?;
                let callback = c.parse_callback(data)?;
                if let Some(stored) = &stored {
                    callback.check_against(stored)?;
                }
                settled(results, op, &callback)
            }
            (Self::OpenCard(c), expected) => {
                let stored = expected.map(parse_expected).transpose()?;
                let webhook = c.parse_callback(data)?;
                if let Some(stored) = &stored {
                    webhook.check_against(stored)?;
                }
                settled(results, op, &webhook)
            }
            (Self::Esms(c), None) => output(results, op, &c.parse_callback(data)?),
            (Self::Esms(_), Some(_)) => {
                return Err(Error::invalid(
                    "expected",
                    "eSMS callbacks are unsigned: confirm them with confirm_callback",
                ));
            }
            (Self::AppotaPay(c), None) => settled(results, op, &c.parse_transfer_ipn(data)?),
            (Self::AppotaPay(_), Some(_)) => {
                return Err(Error::invalid(
                    "expected",
                    "AppotaPay's transfer IPN is matched by its partnerRefId: confirm it with \
                     transfer_transaction before you credit or refund",
                ));
            }
            (Self::Topup(_), _) => return Err(no_callbacks()),
        };
        Ok(value)
    }
}

/// A type's name without its path and lifetimes: `vngate::api::AccessToken<'_>` → `AccessToken`.
fn short_type_name<T: ?Sized>() -> &'static str {
    let full = std::any::type_name::<T>();
    let path = full.split('<').next().unwrap_or(full);
    path.rsplit("::").next().unwrap_or(path)
}

/// A result as JSON, with what it means for the money when it says so.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Answer {
    /// The result, as [`Client::call`] returns it.
    pub json: String,
    /// Where the money stands: for money-moving operations, their resolving calls and the
    /// callbacks; `None` for the rest (and for eSMS's unsigned callbacks).
    pub outcome: Option<Outcome>,
    /// The caller's reference as the answer names it (callbacks, eSMS's confirmed payouts).
    pub reference: Option<String>,
    /// The provider's own id for the transaction, when it has one (OpenCard's `request_id`,
    /// topup's `id_transaction`).
    pub provider_reference: Option<String>,
    /// The money the answer says moved ([`MoneyOutcome::amount`]).
    pub amount: Option<i64>,
    /// The outcome is only a hint ([`MoneyOutcome::outcome_is_hint`]): a callback whose
    /// signature leaves the status unsigned; the resolving call decides.
    pub hint: bool,
}

/// What the dispatcher makes of a result: an [`Answer`] (JSON text, with what it means for
/// the money) for the C ABI, PHP and the journal ([`AsJson`]), or a front's own values built
/// straight from the result type, without JSON text between (the Python module's objects).
///
/// Each `Results` type a program uses is one more copy of the dispatcher in it.
///
/// ```
/// use vngate::api::{Client, Meaning, Results};
///
/// /// Results as `serde_json::Value`s, with the outcome's name when there is one.
/// struct Values;
///
/// impl Results for Values {
///     type Made = (serde_json::Value, Option<String>);
///     fn make<T: serde::Serialize>(&mut self, result: &T, meaning: Meaning<'_>) -> Self::Made {
///         let value = serde_json::to_value(result).expect("results are JSON");
///         (value, meaning.outcome.map(|outcome| format!("{outcome:?}")))
///     }
/// }
///
/// let client = Client::new(
///     "chargingws",
///     r#"{"base_url": "http://127.0.0.1:9", "partner_id": "1", "partner_key": "k"}"#,
/// )?;
/// // A callback signed with the key: md5(key + code + serial).
/// let body = "status=1&message=OK&request_id=r-1&code=1234&serial=5678&declared_value=10000\
///             &value=10000&amount=8500&callback_sign=e0dcef47c8e8ce11db228e414b7624ec";
/// let (value, outcome) = client.parse_callback_into(body.as_bytes(), None, &mut Values)?;
/// assert_eq!(value["request_id"], "r-1");
/// assert_eq!(value["amount"], 8500);
/// assert_eq!(outcome.as_deref(), Some("Succeeded"));
/// # Ok::<(), vngate::Error>(())
/// ```
pub trait Results {
    /// What a result becomes.
    type Made;
    /// Makes `result`; `meaning` says where the money stands, when the result says so.
    fn make<T: Serialize>(&mut self, result: &T, meaning: Meaning<'_>) -> Self::Made;
}

/// What a result means for the money, borrowed from it (an [`Answer`] holds its own copy).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Meaning<'a> {
    /// Where the money stands: for money-moving operations, their resolving calls and the
    /// callbacks; `None` for the rest.
    pub outcome: Option<Outcome>,
    /// The caller's reference as the result names it.
    pub reference: Option<&'a str>,
    /// The provider's own id for the transaction, when it has one.
    pub provider_reference: Option<&'a str>,
    /// The money the result says moved ([`MoneyOutcome::amount`]).
    pub amount: Option<i64>,
    /// Whether the outcome is only a hint ([`MoneyOutcome::outcome_is_hint`]).
    pub hint: bool,
}

/// [`Results`] as JSON text: an [`Answer`], with what the result means for the money when
/// asked for ([`AsJson::answer`], the journal's) or without ([`AsJson::text`]: not copied out
/// only to be dropped). The one way the dispatcher writes JSON, so that a library holds the
/// dispatcher once for it (the C ABI's answers, [`Client::call`], the journal).
#[derive(Debug, Clone, Copy)]
pub struct AsJson {
    meaning: bool,
}

impl AsJson {
    /// The JSON text and what it means for the money: [`Client::call_answer`]'s.
    #[must_use]
    pub const fn answer() -> Self {
        Self { meaning: true }
    }

    /// The JSON text alone (the [`Answer`]'s other fields `None`): [`Client::call`]'s.
    #[must_use]
    pub const fn text() -> Self {
        Self { meaning: false }
    }
}

impl Results for AsJson {
    type Made = Answer;

    fn make<T: Serialize>(&mut self, result: &T, meaning: Meaning<'_>) -> Answer {
        let meaning = if self.meaning {
            meaning
        } else {
            Meaning::default()
        };
        Answer {
            json: to_json(result),
            outcome: meaning.outcome,
            reference: meaning.reference.map(str::to_owned),
            provider_reference: meaning.provider_reference.map(str::to_owned),
            amount: meaning.amount,
            hint: meaning.hint,
        }
    }
}

/// Makes `op`'s result, straight from its type (no `Value` in between); in tests, a result of
/// another type than its registry entry names fails.
fn output<R: Results, T: Serialize>(
    results: &mut R,
    op: &registry::Operation,
    value: &T,
) -> R::Made {
    made(results, op, value, Meaning::default())
}

/// [`output`], for a result that says where the money stands.
fn settled<R: Results, T: Serialize + MoneyOutcome>(
    results: &mut R,
    op: &registry::Operation,
    value: &T,
) -> R::Made {
    let meaning = Meaning {
        outcome: Some(value.outcome()),
        reference: value.reference(),
        provider_reference: value.provider_reference(),
        amount: value.amount(),
        hint: value.outcome_is_hint(),
    };
    made(results, op, value, meaning)
}

fn made<R: Results, T: Serialize>(
    results: &mut R,
    op: &registry::Operation,
    value: &T,
    meaning: Meaning<'_>,
) -> R::Made {
    debug_assert_eq!(
        short_type_name::<T>(),
        op.result,
        "registry entry {} {}",
        op.provider,
        op.name
    );
    results.make(value, meaning)
}

thread_local! {
    /// Where results are written before they are copied out at their size: growing a fresh
    /// buffer from 128 bytes took three reallocations per result.
    static SCRATCH: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// A result as JSON text in one allocation of its size, with room for the NUL a C caller's
/// copy needs.
fn to_json<T: serde::Serialize>(value: &T) -> String {
    let write = |buffer: &mut Vec<u8>| -> String {
        buffer.clear();
        serde_json::to_writer(&mut *buffer, value).expect("results serialise to JSON");
        let text = std::str::from_utf8(buffer).expect("serde_json writes UTF-8");
        let mut json = String::with_capacity(text.len() + 1);
        json.push_str(text);
        json
    };
    SCRATCH
        .try_with(|scratch| match scratch.try_borrow_mut() {
            Ok(mut buffer) => {
                let json = write(&mut buffer);
                // A huge result does not stay behind in every thread.
                if buffer.capacity() > 64 * 1024 {
                    *buffer = Vec::new();
                }
                json
            }
            Err(_) => write(&mut Vec::new()),
        })
        .unwrap_or_else(|_| write(&mut Vec::new()))
}

/// Where [`Client::read`] reads a request from: JSON text, or a front's own values through a
/// serde `Deserializer` of its own (Python's keyword arguments), so that no JSON is written
/// only to be parsed again. Either way the request is the operation's one type.
pub trait Input {
    /// The request, read as `T`.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] naming the field, when the input is not a `T`.
    fn read<T: DeserializeOwned>(self) -> Result<T, Error>;
}

impl Input for &str {
    fn read<T: DeserializeOwned>(self) -> Result<T, Error> {
        parse(self)
    }
}

/// A request read as its operation's type, not yet validated or sent: what [`Client::read`]
/// makes and [`Client::run`] takes.
pub struct Request {
    op: &'static registry::Operation,
    /// The operation's request type (its registry entry's), boxed: one dispatch reads it and
    /// one runs it, both written from the registry's table.
    value: Box<dyn std::any::Any + Send>,
}

impl Request {
    /// The operation it is a request of.
    #[must_use]
    pub fn operation(&self) -> &'static registry::Operation {
        self.op
    }
}

impl std::fmt::Debug for Request {
    // The operation alone: a request holds card codes and PINs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Request")
            .field("provider", &self.op.provider)
            .field("operation", &self.op.name)
            .finish_non_exhaustive()
    }
}

/// Reads JSON input into `T`: one JSON value and nothing after it but whitespace (a second
/// object behind the first is refused, not ignored); errors name the field, as the vocabulary
/// spells it.
fn parse<T: DeserializeOwned>(json: &str) -> Result<T, Error> {
    // Read untracked first: tracking the path costs a `String` per key read (a third of a C
    // call's allocations). Reading is pure, so a refused input, read again tracked, is refused
    // again, now with its field's path.
    let mut untracked = serde_json::Deserializer::from_str(json);
    if let Ok(value) = T::deserialize(&mut untracked)
        && untracked.end().is_ok()
    {
        return Ok(value);
    }
    let mut deserializer = serde_json::Deserializer::from_str(json);
    let read = match serde_path_to_error::deserialize(&mut deserializer) {
        Ok(value) => deserializer
            .end()
            .map(|()| value)
            .map_err(|e| (String::new(), e)),
        Err(e) => Err((e.path().to_string(), e.into_inner())),
    };
    read.map_err(|(path, inner)| {
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
            registry::OPERATIONS.len() + 2,
            "every entry and the two aliases"
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
        let input = serde_json::json!({"data": hook}).to_string();
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
        // A whole request with something behind it is refused, not sent without what follows
        // (a second object, a stray word); whitespace behind it is not something.
        let whole = format!(r#"{{{card},"amount":50000}}"#);
        for trailing in [r#"{"amount":10000}"#, "x", ","] {
            assert_eq!(
                field_of(c.call("charge", &format!("{whole} {trailing}"))),
                "request"
            );
        }
        let sent = c.call("fees", "{} \n\t");
        assert!(matches!(sent, Err(Error::Transport { .. })), "{sent:?}");
        // A first object that is refused itself names its field, whatever follows it.
        assert_eq!(
            field_of(c.call("charge", &format!(r#"{{{card}}} {{"amount":1}}"#))),
            "amount"
        );
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

/// A registry entry without an implementation: a bug the registry test finds.
fn not_implemented(client: &Client, op: &registry::Operation) -> Error {
    Error::Transport {
        reason: format!("{} {}: not implemented", client.provider(), op.name),
    }
}

/// A request `read_declared` boxed, as the type its operation's entry names (a `Request`
/// carries its operation, so only a bug can make it another).
fn read_value<T: 'static>(value: Box<dyn std::any::Any + Send>) -> Result<T, Error> {
    value
        .downcast::<T>()
        .map(|value| *value)
        .map_err(|_| Error::Transport {
            reason: "a request of another type than its operation's".to_owned(),
        })
}

/// Writes the dispatcher from the registry's table ([`registry::operations`]): for each
/// operation, its request read as its type, its function run, its result made; the check of a
/// money-moving request; and, with the `schema` feature, the types the schema holds.
macro_rules! declare_dispatch {
    (@run $client:ident $op:ident $value:ident $results:ident;
        $variant:ident $name:literal $request:ident $result:ident callback []) => {
        if let (Client::$variant(_), $name) = ($client, $op.name) {
            return $client.run_callback(&read_value::<$request>($value)?, $results);
        }
    };
    (@run $client:ident $op:ident $value:ident $results:ident;
        $variant:ident $name:literal $request:ident $result:ident $how:ident [$run:expr]) => {
        if let (Client::$variant(provider), $name) = ($client, $op.name) {
            let run: fn(&$variant, $request) -> Result<$result, Error> = $run;
            return Ok($how($results, $op, &run(provider, read_value::<$request>($value)?)?));
        }
    };
    // The tuples `registry::normalize_operations` hands on.
    ($(($attrs:tt $konst:ident $variant:ident $name:literal $kind:ident $request:ident
        $result:ident $aliases:tt $summary:literal $money:tt $example:tt
        [$($validate:expr)?] $how:ident $run:tt))*) => {
        /// Reads a registered operation's request as its type (see `Client::read`).
        fn read_declared<I: Input>(
            client: &Client,
            op: &'static registry::Operation,
            input: I,
        ) -> Result<Box<dyn std::any::Any + Send>, Error> {
            $(
                if let (Client::$variant(_), $name) = (client, op.name) {
                    return Ok(Box::new(input.read::<$request>()?));
                }
            )*
            Err(not_implemented(client, op))
        }

        /// Runs a registered operation's request, read by `read_declared` (see `Client::run`).
        fn run_declared<R: Results>(
            client: &Client,
            op: &'static registry::Operation,
            value: Box<dyn std::any::Any + Send>,
            results: &mut R,
        ) -> Result<R::Made, Error> {
            $(declare_dispatch!(@run client op value results;
                $variant $name $request $result $how $run);)*
            Err(not_implemented(client, op))
        }

        /// Checks a request as its operation's `validate:` says (see `Client::validate`).
        fn validate_declared(
            client: &Client,
            op: &'static registry::Operation,
            json: &str,
        ) -> Result<(), Error> {
            $($(
                if let (Client::$variant(provider), $name) = (client, op.name) {
                    let validate: fn(&$variant, $request) -> Result<(), Error> = $validate;
                    return validate(provider, parse::<$request>(json)?);
                }
            )?)*
            debug_assert!(!op.moves_money(), "{} {} validates", op.provider, op.name);
            parse::<Value>(json).map(drop)
        }

        /// Adds every operation's request type to `inputs` and result type to `outputs`: the
        /// schema's generator reads the types from the table, not from a list of its own.
        #[cfg(feature = "schema")]
        pub fn declared_types(
            inputs: &mut schemars::SchemaGenerator,
            outputs: &mut schemars::SchemaGenerator,
        ) {
            $(
                inputs.subschema_for::<$request>();
                outputs.subschema_for::<$result>();
            )*
        }
    };
}

registry::operations!(declare_dispatch);
