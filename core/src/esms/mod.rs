//! eSMS (ViHAT) "Chi hộ": payouts to MoMo and ZaloPay wallets. The protocol and
//! every ruling on its ambiguities: `docs/providers/esms.md`.
//!
//! eSMS callbacks carry **no signature**: [`Esms::parse_callback`] reads one as an unconfirmed
//! hint, and [`Esms::confirm_callback`] confirms it with a signed `query`. Never pay out or
//! credit on an unconfirmed callback.

pub mod sign;

use std::sync::{Mutex, PoisonError};

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

pub use sign::SignatureEncoding;

use crate::callback_json::{self, Refused};
use crate::error::Error;
use crate::fields;
use crate::http::{self, Call, Http, HttpOptions, Payload, Reply};
use crate::registry;
use crate::secret::{Raw, Secret};

/// The only disbursement method eSMS documents: into an e-wallet.
const WALLET_METHOD: i64 = 1;

/// The wallet network.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    /// MoMo (eSMS channel 1).
    #[default]
    Momo,
    /// ZaloPay (eSMS channel 2).
    Zalopay,
}

impl Channel {
    /// eSMS's number for the channel.
    #[must_use]
    pub fn code(self) -> i64 {
        match self {
            Self::Momo => 1,
            Self::Zalopay => 2,
        }
    }
}

/// Everything an [`Esms`] client needs. Give `api_token`, or `email` and `password` to obtain
/// one on first use (`login` then `generate_api_token`).
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct EsmsConfig {
    /// Default `https://api.vihatsoftware.com` (sandbox `http://sb-disbursement.esms.center`).
    #[serde(default = "default_base_url")]
    pub base_url: String,
    /// An API token from `generate_api_token`, sent as the `token` header.
    #[serde(default)]
    pub api_token: Option<Secret>,
    /// Your eSMS login, to obtain a token when `api_token` is not given.
    #[serde(default)]
    pub email: Option<String>,
    /// Your eSMS password.
    #[serde(default)]
    pub password: Option<Secret>,
    /// The key that signs requests.
    pub secret_key: Secret,
    /// Signature printing. Default hex.
    #[serde(default)]
    pub signature_encoding: SignatureEncoding,
    /// Timeouts, reply limit, proxy.
    #[serde(flatten)]
    pub http: HttpOptions,
    /// Keys this version does not know. A client refuses to build while any are present, so
    /// a misspelt option is an error, not a silent default.
    #[serde(flatten)]
    #[cfg_attr(feature = "schema", schemars(skip))]
    pub unknown: BTreeMap<String, Value>,
}

fn default_base_url() -> String {
    "https://api.vihatsoftware.com".to_owned()
}

impl EsmsConfig {
    /// A config with an API token and the defaults.
    pub fn with_token(api_token: impl Into<Secret>, secret_key: impl Into<Secret>) -> Self {
        Self {
            base_url: default_base_url(),
            api_token: Some(api_token.into()),
            email: None,
            password: None,
            secret_key: secret_key.into(),
            signature_encoding: SignatureEncoding::default(),
            http: HttpOptions::default(),
            unknown: BTreeMap::new(),
        }
    }
}

/// A payout.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct DisburseRequest {
    /// VND, at least 10 000 and a multiple of 1 000.
    pub amount: i64,
    /// `momo` or `zalopay`.
    pub channel: Channel,
    /// The wallet's phone number (`0912345678`).
    pub phone: String,
    /// Your unique id, at most 50 characters.
    pub order_id: String,
    /// The transfer note, at most 255 characters.
    pub description: String,
    /// Where eSMS posts the result.
    #[serde(default)]
    pub callback_url: Option<String>,
}

impl DisburseRequest {
    /// A payout of `amount` VND to the `channel` wallet of `phone`, under your unique
    /// `order_id`; set `callback_url` for eSMS's callback.
    pub fn new(
        amount: i64,
        channel: Channel,
        phone: impl Into<String>,
        order_id: impl Into<String>,
        description: impl Into<String>,
    ) -> Self {
        Self {
            amount,
            channel,
            phone: phone.into(),
            order_id: order_id.into(),
            description: description.into(),
            callback_url: None,
        }
    }
}

/// A payout's state, as eSMS numbers it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DisbursementStatus {
    /// 0: created.
    Initial,
    /// 1: waiting.
    Waiting,
    /// 2: processing.
    Processing,
    /// 3: paid.
    Success,
    /// -1: failed.
    Failed,
    /// Anything else, kept.
    Other(i64),
}

impl DisbursementStatus {
    /// The statuses with a name (the schema and the fronts' constants list them).
    pub const KNOWN: [Self; 5] = [
        Self::Failed,
        Self::Initial,
        Self::Waiting,
        Self::Processing,
        Self::Success,
    ];

    /// The status for eSMS's number.
    #[must_use]
    pub fn from_code(code: i64) -> Self {
        Self::KNOWN
            .into_iter()
            .find(|known| known.code() == code)
            .unwrap_or(Self::Other(code))
    }

    /// eSMS's number.
    #[must_use]
    pub fn code(self) -> i64 {
        match self {
            Self::Initial => 0,
            Self::Waiting => 1,
            Self::Processing => 2,
            Self::Success => 3,
            Self::Failed => -1,
            Self::Other(code) => code,
        }
    }

    /// Whether the payout is settled (paid or failed).
    #[must_use]
    pub fn is_final(self) -> bool {
        matches!(self, Self::Success | Self::Failed)
    }
}

impl Serialize for DisbursementStatus {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_i64(self.code())
    }
}

/// eSMS's answer to `disburse` or `query`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct Disbursement {
    /// eSMS's code: 0 accepted; -12 duplicate `order_id`; -9 bad signature; -11 balance; …
    pub code: i64,
    /// eSMS's message.
    pub message: String,
    /// The payout's state, when eSMS returned one.
    pub status: Option<DisbursementStatus>,
    /// eSMS's transaction id.
    pub transaction_id: Option<String>,
    /// Your order id, echoed.
    pub order_id: Option<String>,
    /// The amount.
    pub amount: Option<i64>,
    /// The channel number (1 MoMo, 2 ZaloPay).
    pub channel: Option<i64>,
    /// The wallet network's own code (MoMo: 0 success; ZaloPay: 1 success).
    pub result_code: Option<String>,
    /// The wallet network's message.
    pub channel_message: Option<String>,
    /// eSMS's timestamp.
    pub timestamp: Option<i64>,
    /// The reply body as received.
    pub raw: Raw,
}

/// eSMS's answer to `verify_recipient`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct RecipientCheck {
    /// eSMS's code (0: the check ran).
    pub code: i64,
    /// eSMS's message.
    pub message: String,
    /// The wallet network's verdict code.
    pub result_code: Option<String>,
    /// The wallet network's verdict.
    pub result_message: Option<String>,
    /// The reply body as received.
    pub raw: Raw,
}

/// A callback as received. eSMS does not sign callbacks: this is a hint until
/// [`Esms::confirm_callback`] confirms it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct EsmsCallback {
    /// Always `false`: nothing vouches for an eSMS callback.
    pub confirmed: bool,
    /// Your order id.
    pub order_id: String,
    /// The claimed state.
    pub status: DisbursementStatus,
    /// eSMS's transaction id.
    pub transaction_id: Option<String>,
    /// The claimed amount.
    pub amount: Option<i64>,
    /// The channel number.
    pub channel: Option<i64>,
    /// The wallet network's code.
    pub result_code: Option<String>,
    /// The message.
    pub message: String,
    /// The callback as received.
    pub raw: Raw,
}

/// An eSMS disbursement client. `Send + Sync`; its only state is the API token it obtains.
#[derive(Debug)]
pub struct Esms {
    base_url: String,
    login: Option<(String, Secret)>,
    secret_key: Secret,
    encoding: SignatureEncoding,
    token: Mutex<Option<Secret>>,
    http: Http,
}

impl Esms {
    pub(crate) fn http(&self) -> &Http {
        &self.http
    }

    pub(crate) fn base_url(&self) -> &str {
        &self.base_url
    }

    pub(crate) fn login_username(&self) -> Option<&str> {
        self.login.as_ref().map(|(username, _)| username.as_str())
    }

    /// Builds a client; checks the config. No request is sent.
    pub fn new(config: EsmsConfig) -> Result<Self, Error> {
        fields::no_unknown(&config.unknown)?;
        let base_url = http::base_url(
            "base_url",
            &config.base_url,
            http::Scheme::https(&config.http),
        )?;
        fields::required("secret_key", config.secret_key.expose(), 256)?;
        let login = match (config.email, config.password) {
            (Some(email), Some(password)) => {
                fields::required("email", &email, 254)?;
                fields::required("password", password.expose(), 256)?;
                Some((email, password))
            }
            (Some(_), None) => return Err(Error::invalid("password", "is required with email")),
            (None, Some(_)) => return Err(Error::invalid("email", "is required with password")),
            (None, None) => None,
        };
        if let Some(token) = &config.api_token {
            fields::required("api_token", token.expose(), 4096)?;
        } else if login.is_none() {
            return Err(Error::invalid(
                "api_token",
                "give api_token, or email and password",
            ));
        }
        Ok(Self {
            base_url,
            login,
            secret_key: config.secret_key,
            encoding: config.signature_encoding,
            token: Mutex::new(config.api_token),
            http: Http::new(&config.http)?,
        })
    }

    /// Logs in (`POST /api/v1/authentication`) and returns the 24-hour access token.
    pub fn login(&self) -> Result<Secret, Error> {
        let (email, password) = self.login.as_ref().ok_or_else(|| {
            Error::invalid("email", "login needs email and password in the config")
        })?;
        let call = Call::read_only(&registry::ESMS_LOGIN, vec![password.expose()]);
        let body = json!({"username": email, "password": password.expose()}).to_string();
        let reply = self.http.send(
            &call,
            &format!("{}/api/v1/authentication", self.base_url),
            &[],
            Payload::Json(body),
        )?;
        auth_token(&call, &reply, "accessToken")
    }

    /// Turns an access token into a non-expiring API token
    /// (`POST /api/v1/user/generate-api-token`).
    pub fn generate_api_token(&self, access_token: &Secret) -> Result<Secret, Error> {
        // It travels in a header: no control characters, nothing empty.
        fields::required("access_token", access_token.expose(), 4096)?;
        let call = Call::read_only(
            &registry::ESMS_GENERATE_API_TOKEN,
            vec![access_token.expose()],
        );
        let bearer = format!("Bearer {}", access_token.expose());
        let reply = self.http.send(
            &call,
            &format!("{}/api/v1/user/generate-api-token", self.base_url),
            &[("authorization", &bearer)],
            Payload::Json("{}".to_owned()),
        )?;
        auth_token(&call, &reply, "token")
    }

    /// Pays `amount` into a wallet (`POST /api/v2/disbursement/create`). Never retried: after
    /// [`Error::OutcomeUnknown`] call [`Esms::query`] with the same `order_id`.
    pub fn disburse(&self, request: &DisburseRequest) -> Result<Disbursement, Error> {
        validate_disburse(request)?;
        let token = self.api_token()?;
        let data = sign::disbursement_data(&request.phone);
        let signature = sign::disburse_signature(
            self.encoding,
            self.secret_key.expose(),
            &sign::PayoutFields {
                amount: request.amount,
                channel: request.channel.code(),
                description: &request.description,
                disbursement_data: &data,
                method: WALLET_METHOD,
                order_id: &request.order_id,
            },
        );
        let mut body = Map::new();
        body.insert("amount".into(), Value::from(request.amount));
        body.insert("disbursementMethod".into(), Value::from(WALLET_METHOD));
        body.insert("channel".into(), Value::from(request.channel.code()));
        body.insert("disbursementData".into(), Value::from(data));
        body.insert("orderId".into(), Value::from(request.order_id.as_str()));
        if let Some(url) = &request.callback_url {
            body.insert("callbackUrl".into(), Value::from(url.as_str()));
        }
        body.insert(
            "description".into(),
            Value::from(request.description.as_str()),
        );
        body.insert("signature".into(), Value::from(signature));
        let call = Call::new(
            &registry::ESMS_DISBURSE,
            &request.order_id,
            vec![self.secret_key.expose(), token.expose()],
        );
        let reply = self.post(
            &call,
            "/api/v2/disbursement/create",
            &token,
            &Value::Object(body),
        )?;
        read_disbursement(&call, &reply, &request.order_id)
    }

    /// Asks the wallet network whether `phone` can receive (`POST /api/v2/disbursement/verify`).
    pub fn verify_recipient(&self, channel: Channel, phone: &str) -> Result<RecipientCheck, Error> {
        fields::vn_mobile("phone", phone)?;
        let token = self.api_token()?;
        let data = sign::disbursement_data(phone);
        let signature = sign::verify_signature(
            self.encoding,
            self.secret_key.expose(),
            &sign::RecipientFields {
                channel: channel.code(),
                disbursement_data: &data,
                method: WALLET_METHOD,
            },
        );
        let body = json!({"disbursementData": data, "disbursementMethod": WALLET_METHOD, "channel": channel.code(), "signature": signature});
        let call = Call::read_only(
            &registry::ESMS_VERIFY_RECIPIENT,
            vec![self.secret_key.expose(), token.expose()],
        );
        let reply = self.post(&call, "/api/v2/disbursement/verify", &token, &body)?;
        let map = call.json_object(&reply)?;
        call.read(&reply, || -> Result<RecipientCheck, fields::FieldError> {
            let data = map.get("data").and_then(Value::as_object);
            let text = |key| {
                data.map(|d| fields::opt_text(d, key))
                    .transpose()
                    .map(Option::flatten)
            };
            Ok(RecipientCheck {
                code: fields::int(&map, "code")?,
                message: fields::opt_text(&map, "message")?.unwrap_or_default(),
                result_code: text("resultCode")?,
                result_message: text("resultMessage")?,
                raw: Raw::new(&reply.body),
            })
        })
    }

    /// A payout's state by your order id (`POST /api/v2/disbursement/query-trx`).
    pub fn query(&self, order_id: &str) -> Result<Disbursement, Error> {
        fields::required("order_id", order_id, 50)?;
        let token = self.api_token()?;
        let signature = sign::query_signature(self.encoding, self.secret_key.expose(), order_id);
        let call = Call::read_only(
            &registry::ESMS_QUERY,
            vec![self.secret_key.expose(), token.expose()],
        );
        let reply = self.post(
            &call,
            "/api/v2/disbursement/query-trx",
            &token,
            &json!({"orderId": order_id, "signature": signature}),
        )?;
        read_disbursement(&call, &reply, order_id)
    }

    /// Reads a callback body. It is **unconfirmed**: eSMS does not sign callbacks.
    pub fn parse_callback(&self, body: &[u8]) -> Result<EsmsCallback, Error> {
        let bad =
            |reason: &str| Error::bad_reply(None, reason, crate::secret::reply_excerpt(body, &[]));
        let map = match callback_json::object(body) {
            Ok(map) => map,
            Err(Refused::Ambiguous(reason)) => return Err(bad(&reason)),
            Err(Refused::NotAnObject) => return Err(bad("the callback is not a JSON object")),
        };
        let read = || -> Result<EsmsCallback, fields::FieldError> {
            Ok(EsmsCallback {
                confirmed: false,
                order_id: fields::opt_text(&map, "orderId")?.ok_or("field orderId is missing")?,
                status: DisbursementStatus::from_code(fields::int(&map, "status")?),
                transaction_id: fields::opt_text(&map, "transactionId")?,
                amount: fields::opt_int(&map, "amount")?,
                channel: fields::opt_int(&map, "channelId")?,
                result_code: fields::opt_text(&map, "resultCode")?,
                message: fields::opt_text(&map, "message")?.unwrap_or_default(),
                raw: Raw::new(body),
            })
        };
        read().map_err(|reason| bad(&reason))
    }

    /// Confirms a callback with a signed `query`: the status, amount and transaction id must
    /// agree, or the error names the field that differs. Returns what `query` said.
    pub fn confirm_callback(&self, callback: &EsmsCallback) -> Result<Disbursement, Error> {
        let truth = self.query(&callback.order_id)?;
        let differs = |field, expected: String, received: String| Error::CallbackMismatch {
            field,
            expected,
            received,
        };
        let show = |v: Option<i64>| v.map(|v| v.to_string()).unwrap_or_default();
        if truth.status != Some(callback.status) {
            return Err(differs(
                "status",
                show(truth.status.map(DisbursementStatus::code)),
                callback.status.code().to_string(),
            ));
        }
        if truth.amount != callback.amount {
            return Err(differs("amount", show(truth.amount), show(callback.amount)));
        }
        if callback.transaction_id.is_some() && truth.transaction_id != callback.transaction_id {
            return Err(differs(
                "transaction_id",
                truth.transaction_id.clone().unwrap_or_default(),
                callback.transaction_id.clone().unwrap_or_default(),
            ));
        }
        Ok(truth)
    }

    /// The API token: the configured one, or one obtained once with the login and kept.
    fn api_token(&self) -> Result<Secret, Error> {
        let mut cached = self.token.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(token) = cached.as_ref() {
            return Ok(token.clone());
        }
        let token = self.generate_api_token(&self.login()?)?;
        *cached = Some(token.clone());
        Ok(token)
    }

    fn post(
        &self,
        call: &Call<'_>,
        path: &str,
        token: &Secret,
        body: &Value,
    ) -> Result<Reply, Error> {
        self.http.send(
            call,
            &format!("{}{path}", self.base_url),
            &[("token", token.expose())],
            Payload::Json(body.to_string()),
        )
    }
}

fn auth_token(call: &Call<'_>, reply: &Reply, key: &str) -> Result<Secret, Error> {
    let map = call.json_object(reply)?;
    let token = map
        .get("data")
        .and_then(|d| d.get(key))
        .and_then(Value::as_str)
        .filter(|t| !t.is_empty());
    match (map.get("success").and_then(Value::as_bool), token) {
        (Some(true), Some(token)) => Ok(Secret::new(token)),
        (Some(false), _) => Err(Error::Auth {
            reason: crate::secret::provider_words(
                &fields::opt_text(&map, "message")
                    .ok()
                    .flatten()
                    .unwrap_or_default(),
                &call.secrets,
            ),
        }),
        _ => Err(call.bad_reply(
            reply.status,
            &format!("no data.{key} in the reply"),
            &reply.body,
        )),
    }
}

/// Reads a disbursement. eSMS echoes the order id: a reply for another order is not this
/// call's answer (a stray reply), so it is refused, and for `disburse` the outcome is unknown.
fn read_disbursement(
    call: &Call<'_>,
    reply: &Reply,
    order_id: &str,
) -> Result<Disbursement, Error> {
    let map = call.json_object(reply)?;
    call.read(reply, || -> Result<Disbursement, fields::FieldError> {
        let empty = Map::new();
        let data = map.get("data").and_then(Value::as_object).unwrap_or(&empty);
        Ok(Disbursement {
            code: fields::int(&map, "code")?,
            message: fields::opt_text(&map, "message")?.unwrap_or_default(),
            status: fields::opt_int(data, "status")?.map(DisbursementStatus::from_code),
            transaction_id: fields::opt_text(data, "transactionId")?,
            order_id: fields::opt_text(data, "orderId")?,
            amount: fields::opt_int(data, "amount")?,
            channel: fields::opt_int(data, "channelId")?,
            result_code: fields::opt_text(data, "resultCode")?,
            channel_message: fields::opt_text(data, "message")?,
            timestamp: fields::opt_int(data, "timestamp")?,
            raw: Raw::new(&reply.body),
        })
        .and_then(|result: Disbursement| match &result.order_id {
            Some(echoed) if echoed != order_id => Err(format!(
                "the reply is for order_id {echoed:?}, not {order_id:?}"
            )),
            _ => Ok(result),
        })
    })
}

pub(crate) fn validate_disburse(request: &DisburseRequest) -> Result<(), Error> {
    if request.amount < 10_000 || request.amount % 1_000 != 0 {
        return Err(Error::invalid(
            "amount",
            "must be at least 10000 and a multiple of 1000",
        ));
    }
    fields::vn_mobile("phone", &request.phone)?;
    fields::required("order_id", &request.order_id, 50)?;
    fields::required("description", &request.description, 255)?;
    if let Some(url) = &request.callback_url {
        http::base_url("callback_url", url, http::Scheme::Any).map(|_| ())?;
    }
    Ok(())
}

#[cfg(feature = "schema")]
impl schemars::JsonSchema for DisbursementStatus {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "DisbursementStatus".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        crate::schema::named_codes(
            "An eSMS payout's state.",
            &DisbursementStatus::KNOWN,
            DisbursementStatus::code,
        )
    }
}

impl crate::outcome::MoneyOutcome for crate::esms::Disbursement {
    fn outcome(&self) -> crate::outcome::Outcome {
        use crate::esms::DisbursementStatus;
        match (self.code, self.status) {
            (0, Some(DisbursementStatus::Success)) => crate::outcome::Outcome::Succeeded,
            // The payout failed, or eSMS refused it (-9 bad signature, -11 balance short):
            // nothing was paid.
            (0, Some(DisbursementStatus::Failed)) | (-9 | -11, _) => {
                crate::outcome::Outcome::Failed
            }
            (
                0,
                Some(
                    DisbursementStatus::Initial
                    | DisbursementStatus::Waiting
                    | DisbursementStatus::Processing,
                ),
            ) => crate::outcome::Outcome::Pending,
            // The order does not exist (from `query`).
            (-14, _) => crate::outcome::Outcome::NotFound,
            // -12 duplicate order_id, and anything no document lists.
            _ => crate::outcome::Outcome::Unknown,
        }
    }

    fn reference(&self) -> Option<&str> {
        self.order_id.as_deref()
    }

    fn amount(&self) -> Option<i64> {
        self.amount
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payout_rules_name_the_field() {
        let good = DisburseRequest {
            amount: 10_000,
            channel: Channel::Momo,
            phone: "0335690164".into(),
            order_id: "mã-1724305722484".into(),
            description: "chi ho test".into(),
            callback_url: None,
        };
        validate_disburse(&good).unwrap();
        let field = |r: DisburseRequest| match validate_disburse(&r) {
            Err(Error::InvalidInput { field, .. }) => field,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            field(DisburseRequest {
                amount: 9_000,
                ..good.clone()
            }),
            "amount"
        );
        assert_eq!(
            field(DisburseRequest {
                amount: 10_500,
                ..good.clone()
            }),
            "amount"
        );
        assert_eq!(
            field(DisburseRequest {
                amount: -10_000,
                ..good.clone()
            }),
            "amount"
        );
        assert_eq!(
            field(DisburseRequest {
                phone: "0135690164".into(),
                ..good.clone()
            }),
            "phone"
        );
        assert_eq!(
            field(DisburseRequest {
                phone: "+84335690164".into(),
                ..good.clone()
            }),
            "phone"
        );
        assert_eq!(
            field(DisburseRequest {
                order_id: "x".repeat(51),
                ..good.clone()
            }),
            "order_id"
        );
        assert_eq!(
            field(DisburseRequest {
                description: String::new(),
                ..good.clone()
            }),
            "description"
        );
        assert_eq!(
            field(DisburseRequest {
                description: "d".repeat(256),
                ..good.clone()
            }),
            "description"
        );
        assert_eq!(
            field(DisburseRequest {
                callback_url: Some("javascript:x".into()),
                ..good
            }),
            "callback_url"
        );
    }

    #[test]
    fn a_config_needs_a_token_or_a_login() {
        let config =
            |token: Option<&str>, email: Option<&str>, password: Option<&str>| EsmsConfig {
                api_token: token.map(Secret::from),
                email: email.map(str::to_owned),
                password: password.map(Secret::from),
                ..EsmsConfig::with_token("t", "k")
            };
        assert!(Esms::new(config(Some("t"), None, None)).is_ok());
        assert!(Esms::new(config(None, Some("a@b.vn"), Some("p"))).is_ok());
        assert!(
            matches!(Esms::new(config(None, None, None)), Err(Error::InvalidInput { ref field, .. }) if field == "api_token")
        );
        assert!(
            matches!(Esms::new(config(None, Some("a@b.vn"), None)), Err(Error::InvalidInput { ref field, .. }) if field == "password")
        );
    }

    #[test]
    fn the_seed_callback_is_read_unconfirmed() {
        let client = Esms::new(EsmsConfig::with_token("t", "k")).unwrap();
        let body = r#"{"orderId":"mã-1724290351675","status":-1,"timestamp":1724290351,"transactionId":"51461342aa7449c4afb8e14e33536c05","channelId":1,"method":1,"amount":10000000,"resultCode":"1007","message":"Giao dịch bị từ chối"}"#;
        let cb = client.parse_callback(body.as_bytes()).unwrap();
        assert!(!cb.confirmed);
        assert_eq!(
            (cb.status, cb.amount, cb.result_code.as_deref()),
            (DisbursementStatus::Failed, Some(10_000_000), Some("1007"))
        );
        assert!(client.parse_callback(b"{\"status\":3}").is_err());
        assert!(client.parse_callback(b"<html>").is_err());
    }
}
