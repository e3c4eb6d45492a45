//! kenhthanhtoan mobile top-up ("nạp tiền điện thoại"): GET requests with checksums, text
//! replies `code;idtransaction`. The protocol and
//! every ruling on its ambiguities: `docs/providers/topup.md`.
//!
//! The provider wants the private key in the query string over plain HTTP: anyone on the path
//! can read it. vngate does what the provider requires and keeps the key out of its errors.

pub mod sign;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use sign::Digest;

use crate::error::Error;
use crate::fields;
use crate::http::{self, Call, Http, HttpOptions, Payload, Reply};
use crate::registry;
use crate::secret::{Raw, Secret};

/// Everything a [`Topup`] client needs. In JSON the HTTP options sit beside these keys.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct TopupConfig {
    /// Default `http://210.211.109.117/apipayment`.
    #[serde(default = "default_base_url")]
    pub base_url: String,
    /// Your username.
    pub username: String,
    /// Your private key.
    pub private_key: Secret,
    /// The checksum digest. Default SHA-256.
    #[serde(default)]
    pub digest: Digest,
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
    "http://210.211.109.117/apipayment".to_owned()
}

impl TopupConfig {
    /// A config with the defaults.
    pub fn new(username: impl Into<String>, private_key: impl Into<Secret>) -> Self {
        Self {
            base_url: default_base_url(),
            username: username.into(),
            private_key: private_key.into(),
            digest: Digest::default(),
            http: HttpOptions::default(),
            unknown: BTreeMap::new(),
        }
    }
}

/// A top-up.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct TopupRequest {
    /// The phone to top up, starting with 0.
    pub phone: String,
    /// VND, a multiple of 10 000 (the wire's `sotien`).
    pub amount: i64,
    /// Your id for this top-up (the wire's `transidclient`). vngate makes one when you give
    /// none, so that an unknown outcome can always be rechecked.
    #[serde(default)]
    pub client_trans_id: Option<String>,
    /// The network: `VMS` (MobiFone), `VTL` (Viettel), `VNP` (VinaPhone), `VNB`
    /// (Vietnamobile), `GTEL` (Gmobile). Optional.
    #[serde(default)]
    pub gateway: Option<String>,
}

impl TopupRequest {
    /// A top-up of `amount` VND to `phone`; set `client_trans_id` to your own id (vngate makes
    /// one otherwise) and `gateway` to pick one.
    pub fn new(phone: impl Into<String>, amount: i64) -> Self {
        Self {
            phone: phone.into(),
            amount,
            client_trans_id: None,
            gateway: None,
        }
    }
}

/// Which top-up to recheck: the provider's id, your id, or both.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct RecheckRequest {
    /// The provider's id from the top-up reply.
    #[serde(default)]
    pub id_transaction: Option<String>,
    /// Your id.
    #[serde(default)]
    pub client_trans_id: Option<String>,
}

impl RecheckRequest {
    /// A recheck by your `client_trans_id`.
    pub fn by_client_trans_id(client_trans_id: impl Into<String>) -> Self {
        Self {
            id_transaction: None,
            client_trans_id: Some(client_trans_id.into()),
        }
    }

    /// A recheck by the provider's `id_transaction`.
    pub fn by_id_transaction(id_transaction: impl Into<String>) -> Self {
        Self {
            id_transaction: Some(id_transaction.into()),
            client_trans_id: None,
        }
    }
}

/// What a reply code means for the money.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum TopupOutcome {
    /// `1`: done.
    Success,
    /// `0`, `-1`, `-99`: questionable. Recheck; do not refund the customer yet.
    Unknown,
    /// `-302`, `-304`: failed, and the provider allows a refund.
    FailedRefundable,
    /// `-308`: this `client_trans_id` was used before.
    DuplicateClientId,
    /// A documented failure (`-2`, `-3`, `-4`, `-5`, `-6`, `5`, `6`, `61`): nothing was
    /// topped up. A code no document lists is `Unknown`: recheck before refunding.
    Failed,
    /// A recheck answered `61` without naming a transaction (`61;`): the provider does not
    /// know the one asked about, or not yet. Not final: a top-up still on its way may execute
    /// after this answer. It means "never executed" only when it is still the answer well
    /// after the top-up was sent (a journal waits `not_found_after_secs`). (Another failure
    /// code without a transaction, to a recheck, is about the recheck: `Unknown`.)
    NotFound,
}

impl TopupOutcome {
    fn from_code(code: i64) -> Self {
        match code {
            1 => Self::Success,
            0 | -1 | -99 => Self::Unknown,
            -302 | -304 => Self::FailedRefundable,
            -308 => Self::DuplicateClientId,
            -2 | -3 | -4 | -5 | -6 | 5 | 6 | 61 => Self::Failed,
            // The document says an undefined code is "usually a failed transaction": usually
            // is not enough to refund on. Recheck it.
            _ => Self::Unknown,
        }
    }
}

/// The answer to `topup` or `recheck`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct TopupResult {
    /// What the code means for the money (the name every provider's results use).
    pub status: TopupOutcome,
    /// The provider's code.
    pub code: i64,
    /// The code's meaning, from the provider's document.
    pub message: String,
    /// The provider's id (may be empty on a refusal).
    pub id_transaction: Option<String>,
    /// Your id (given or made by vngate).
    pub client_trans_id: Option<String>,
    /// The reply body as received.
    pub raw: Raw,
}

/// The answer to `balance`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct TopupBalance {
    /// The balance, or `None` with `code` -6 (wrong checksum) or -302 (no such user).
    pub balance: Option<i64>,
    /// The error code, when there is no balance.
    pub code: Option<i64>,
    /// What the code means.
    pub message: String,
    /// The reply body as received.
    pub raw: Raw,
}

/// A top-up client. Immutable, `Send + Sync`.
#[derive(Debug)]
pub struct Topup {
    base_url: String,
    username: String,
    private_key: Secret,
    digest: Digest,
    http: Http,
}

impl Topup {
    pub(crate) fn http(&self) -> &Http {
        &self.http
    }

    pub(crate) fn base_url(&self) -> &str {
        &self.base_url
    }

    pub(crate) fn username(&self) -> &str {
        &self.username
    }

    /// Builds a client; checks the config.
    pub fn new(config: TopupConfig) -> Result<Self, Error> {
        fields::no_unknown(&config.unknown)?;
        let base_url = http::base_url("base_url", &config.base_url, http::Scheme::Any)?;
        fields::required("username", &config.username, 64)?;
        fields::required("private_key", config.private_key.expose(), 256)?;
        Ok(Self {
            base_url,
            username: config.username,
            private_key: config.private_key,
            digest: config.digest,
            http: Http::new(&config.http)?,
        })
    }

    /// Tops up a phone (`topup.jsp`). Never retried: after [`Error::OutcomeUnknown`] or a
    /// [`TopupOutcome::Unknown`] result, call [`Topup::recheck`].
    pub fn topup(&self, request: &TopupRequest) -> Result<TopupResult, Error> {
        validate_topup(request)?;
        let client_trans_id = request
            .client_trans_id
            .clone()
            .unwrap_or_else(crate::new_request_id);
        let amount = request.amount.to_string();
        let checksum = sign::topup_checksum(
            self.digest,
            &self.username,
            &request.phone,
            &amount,
            self.private_key.expose(),
        );
        let gateway = request.gateway.as_deref().map(str::to_ascii_uppercase);
        let mut params = vec![
            ("username", self.username.as_str()),
            ("privatekey", self.private_key.expose()),
            ("phone", &request.phone),
            ("sotien", &amount),
            ("checksum", &checksum),
            ("transidclient", &client_trans_id),
        ];
        if let Some(gateway) = &gateway {
            params.push(("gateway", gateway));
        }
        let call = Call::new(
            &registry::TOPUP_TOPUP,
            &client_trans_id,
            vec![self.private_key.expose()],
        );
        let reply = self.get(&call, "topup.jsp", &params)?;
        read_result(&call, &reply, Some(client_trans_id))
    }

    /// Asks for a top-up's outcome (`recheck.jsp`), by the provider's id, your id, or both.
    pub fn recheck(&self, request: &RecheckRequest) -> Result<TopupResult, Error> {
        let mut params = vec![
            ("username", self.username.as_str()),
            ("privatekey", self.private_key.expose()),
        ];
        for (field, wire, value) in [
            ("id_transaction", "idtransaction", &request.id_transaction),
            ("client_trans_id", "transidclient", &request.client_trans_id),
        ] {
            if let Some(value) = value {
                fields::identifier(field, value)?;
                params.push((wire, value.as_str()));
            }
        }
        if params.len() == 2 {
            return Err(Error::invalid(
                "id_transaction",
                "give id_transaction or client_trans_id",
            ));
        }
        let call = Call::read_only(&registry::TOPUP_RECHECK, vec![self.private_key.expose()]);
        let reply = self.get(&call, "recheck.jsp", &params)?;
        let mut result = read_result(&call, &reply, request.client_trans_id.clone())?;
        // A failure code that names no transaction is not bound to the one asked about. `61`
        // ("transaction failed") is the provider not knowing it, perhaps not yet: asked by
        // `transidclient` while the top-up is on its way, which executes after this answer.
        // Any other (a wrong checksum, a suspended partner) is about the recheck itself and
        // says nothing of the top-up.
        if result.id_transaction.is_none()
            && matches!(
                result.status,
                TopupOutcome::Failed | TopupOutcome::FailedRefundable
            )
        {
            result.status = if result.code == 61 {
                TopupOutcome::NotFound
            } else {
                TopupOutcome::Unknown
            };
        }
        Ok(result)
    }

    /// Your balance (`userbalance.jsp`).
    pub fn balance(&self) -> Result<TopupBalance, Error> {
        let checksum =
            sign::balance_checksum(self.digest, &self.username, self.private_key.expose());
        let params = [
            ("username", self.username.as_str()),
            ("privatekey", self.private_key.expose()),
            ("checksum", &checksum),
        ];
        let call = Call::read_only(&registry::TOPUP_BALANCE, vec![self.private_key.expose()]);
        let reply = self.get(&call, "userbalance.jsp", &params)?;
        let (code, _) = split_reply(&call, &reply)?;
        let (balance, code, message) = match code {
            -6 => (None, Some(code), "wrong checksum"),
            -302 => (None, Some(code), "user does not exist"),
            balance => (Some(balance), None, "ok"),
        };
        Ok(TopupBalance {
            balance,
            code,
            message: message.to_owned(),
            raw: Raw::new(&reply.body),
        })
    }

    fn get(&self, call: &Call<'_>, page: &str, params: &[(&str, &str)]) -> Result<Reply, Error> {
        self.http.send(
            call,
            &format!("{}/{page}", self.base_url),
            &[],
            Payload::Query(params),
        )
    }
}

/// Splits `code;rest` and reads the code.
fn split_reply(call: &Call<'_>, reply: &Reply) -> Result<(i64, Option<String>), Error> {
    let text = std::str::from_utf8(&reply.body)
        .map_err(|_| call.bad_reply(reply.status, "not UTF-8 text", &reply.body))?;
    let text = text.trim();
    let (code, rest) = text.split_once(';').unwrap_or((text, ""));
    let code = code.trim().parse::<i64>().map_err(|_| {
        call.bad_reply(
            reply.status,
            "not a `code;idtransaction` reply",
            &reply.body,
        )
    })?;
    let rest = rest.trim();
    Ok((code, (!rest.is_empty()).then(|| rest.to_owned())))
}

fn read_result(
    call: &Call<'_>,
    reply: &Reply,
    client_trans_id: Option<String>,
) -> Result<TopupResult, Error> {
    let (code, id_transaction) = split_reply(call, reply)?;
    if id_transaction
        .as_deref()
        .is_some_and(|id| id.contains(char::is_whitespace))
    {
        return Err(call.bad_reply(
            reply.status,
            "the transaction id is not a single token",
            &reply.body,
        ));
    }
    Ok(TopupResult {
        status: TopupOutcome::from_code(code),
        code,
        message: message_of(code).to_owned(),
        id_transaction,
        client_trans_id,
        raw: Raw::new(&reply.body),
    })
}

/// The document's meaning of a reply code. Where its two tables overlap (-1), the top-up
/// table wins: a questionable transaction must be rechecked.
fn message_of(code: i64) -> &'static str {
    match code {
        1 => "Transaction successful",
        0 => "Unspecified transaction, questionable transaction, no refund: check again",
        -1 => "Error system, questionable transaction, no refund",
        -99 => "Unknown error, questionable transaction, no refund",
        -302 => "Partner does not exist or is suspended, or IP not allowed: refund allowed",
        -304 => "This service does not exist or is paused: refund allowed",
        -308 => "Duplicate client ID",
        -2 => "The number of transactions is over limit",
        -3 => "The amount is no longer sufficient in the account",
        -4 => "User locked",
        -5 => "Error of unknown refund",
        -6 => "Error check sum",
        5 => "Amount not allowed",
        6 => "Phone invalid",
        61 => "Transaction failed",
        _ => {
            "Undefined error code (usually a failed transaction, says the document): recheck before refunding"
        }
    }
}

pub(crate) fn validate_topup(request: &TopupRequest) -> Result<(), Error> {
    let phone = &request.phone;
    if !(phone.starts_with('0')
        && (10..=11).contains(&phone.len())
        && phone.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(Error::invalid(
            "phone",
            "must be 10 or 11 digits starting with 0",
        ));
    }
    if request.amount <= 0 || request.amount % 10_000 != 0 {
        return Err(Error::invalid(
            "amount",
            "must be a positive multiple of 10000",
        ));
    }
    if let Some(id) = &request.client_trans_id {
        fields::identifier("client_trans_id", id)?;
    }
    if let Some(gateway) = &request.gateway
        && !matches!(
            gateway.to_ascii_uppercase().as_str(),
            "VMS" | "VTL" | "VNP" | "VNB" | "GTEL"
        )
    {
        return Err(Error::invalid(
            "gateway",
            "must be VMS, VTL, VNP, VNB or GTEL",
        ));
    }
    Ok(())
}

impl crate::outcome::MoneyOutcome for crate::topup::TopupResult {
    fn outcome(&self) -> crate::outcome::Outcome {
        use crate::topup::TopupOutcome;
        match self.status {
            TopupOutcome::Success => crate::outcome::Outcome::Succeeded,
            TopupOutcome::Failed | TopupOutcome::FailedRefundable => {
                crate::outcome::Outcome::Failed
            }
            TopupOutcome::NotFound => crate::outcome::Outcome::NotFound,
            _ => crate::outcome::Outcome::Unknown,
        }
    }

    fn provider_reference(&self) -> Option<&str> {
        self.id_transaction.as_deref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcome_classes() {
        for (code, outcome) in [
            (1, TopupOutcome::Success),
            (0, TopupOutcome::Unknown),
            (-1, TopupOutcome::Unknown),
            (-99, TopupOutcome::Unknown),
            (-302, TopupOutcome::FailedRefundable),
            (-304, TopupOutcome::FailedRefundable),
            (-308, TopupOutcome::DuplicateClientId),
            (6, TopupOutcome::Failed),
            (-6, TopupOutcome::Failed),
            (12345, TopupOutcome::Unknown),
        ] {
            assert_eq!(TopupOutcome::from_code(code), outcome, "{code}");
        }
    }

    #[test]
    fn validation_names_the_field() {
        let good = TopupRequest {
            phone: "0912345678".into(),
            amount: 50_000,
            client_trans_id: None,
            gateway: Some("vtl".into()),
        };
        validate_topup(&good).unwrap();
        let field = |r: TopupRequest| match validate_topup(&r) {
            Err(Error::InvalidInput { field, .. }) => field,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            field(TopupRequest {
                phone: "912345678".into(),
                ..good.clone()
            }),
            "phone"
        );
        assert_eq!(
            field(TopupRequest {
                phone: "09123x5678".into(),
                ..good.clone()
            }),
            "phone"
        );
        assert_eq!(
            field(TopupRequest {
                amount: 15_000,
                ..good.clone()
            }),
            "amount"
        );
        assert_eq!(
            field(TopupRequest {
                amount: 0,
                ..good.clone()
            }),
            "amount"
        );
        assert_eq!(
            field(TopupRequest {
                gateway: Some("ABC".into()),
                ..good.clone()
            }),
            "gateway"
        );
        assert_eq!(
            field(TopupRequest {
                client_trans_id: Some("a b".into()),
                ..good
            }),
            "client_trans_id"
        );
    }
}
