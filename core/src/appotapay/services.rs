//! AppotaPay's other services on the same credentials: mobile top-up (and data packages),
//! bank transfers (firm banking), the bank account check, and the transfer IPN. On these
//! services AppotaPay **signs its replies**; a success reply whose signature does not verify is
//! never a success ("outcome unknown" on a money-moving call). The rulings:
//! `docs/providers/appotapay.md`.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::sign::{self, SignedReply};
use super::{AppotaPay, read_object};
use crate::error::Error;
use crate::fields;
use crate::http::{Call, Payload, Reply};
use crate::registry;
use crate::secret::Raw;

/// Which top-up API `mobile_topup` calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum TopupApi {
    /// `/api/v2/service/topup/charging`: a `product_code` (`viettel_10`, a data package's
    /// code); the network is optional. Default.
    #[default]
    V2,
    /// `/api/v1/service/topup/charging`: an `amount` and the `telco`.
    V1,
}

/// Which fields a bank transfer sends and signs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum TransferSign {
    /// The documented fields the request carries (optional ones only when given). Default.
    #[default]
    Given,
    /// All twelve documented fields, the absent ones sent and signed as empty text.
    All,
}

/// A phone line's kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum TelcoServiceType {
    /// Prepaid (trả trước). Default.
    #[default]
    Prepaid,
    /// Postpaid (trả sau).
    Postpaid,
}

impl TelcoServiceType {
    fn as_str(self) -> &'static str {
        match self {
            Self::Prepaid => "prepaid",
            Self::Postpaid => "postpaid",
        }
    }
}

/// What the receiving number is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum AccountType {
    /// A bank account number. Default.
    #[default]
    Account,
    /// A card number.
    Card,
}

impl AccountType {
    fn as_str(self) -> &'static str {
        match self {
            Self::Account => "account",
            Self::Card => "card",
        }
    }
}

/// Who pays the transfer fee.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum FeeType {
    /// You: the receiver gets `amount`.
    Payer,
    /// The receiver: they get `amount` less the fee (`transfer_amount`).
    Receiver,
}

impl FeeType {
    fn as_str(self) -> &'static str {
        match self {
            Self::Payer => "payer",
            Self::Receiver => "receiver",
        }
    }
}

/// A mobile top-up (`mobile_topup`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct MobileTopupRequest {
    /// Your unique id for this top-up (at most 50 characters). Store it first.
    pub partner_ref_id: String,
    /// The phone to top up (`09…`).
    pub phone_number: String,
    /// What to top up with the v2 API (default): `viettel_10`, or a data package's code from
    /// `data_packages`.
    #[serde(default)]
    pub product_code: Option<String>,
    /// How much, VND, with the v1 API (`topup_api: v1`).
    #[serde(default)]
    pub amount: Option<i64>,
    /// The network, lowercase (`viettel`, `vinaphone`, `mobifone`, …): optional with v2
    /// (AppotaPay finds it from the number), required with v1.
    #[serde(default)]
    pub telco: Option<String>,
    /// `prepaid` (default) or `postpaid`.
    #[serde(default)]
    pub telco_service_type: TelcoServiceType,
}

impl MobileTopupRequest {
    /// A prepaid v2 top-up of `product_code` to `phone_number`, under `partner_ref_id`.
    pub fn new(
        partner_ref_id: impl Into<String>,
        phone_number: impl Into<String>,
        product_code: impl Into<String>,
    ) -> Self {
        Self {
            partner_ref_id: partner_ref_id.into(),
            phone_number: phone_number.into(),
            product_code: Some(product_code.into()),
            amount: None,
            telco: None,
            telco_service_type: TelcoServiceType::default(),
        }
    }
}

/// The data packages a phone can buy (`data_packages`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct DataPackagesRequest {
    /// The phone (`09…`).
    pub phone_number: String,
    /// `prepaid` (default) or `postpaid`.
    #[serde(default)]
    pub telco_service_type: TelcoServiceType,
    /// Only packages of this price, VND.
    #[serde(default)]
    pub value: Option<i64>,
}

impl DataPackagesRequest {
    /// The prepaid packages for `phone_number`.
    pub fn new(phone_number: impl Into<String>) -> Self {
        Self {
            phone_number: phone_number.into(),
            telco_service_type: TelcoServiceType::default(),
            value: None,
        }
    }
}

/// A bank transfer (`bank_transfer`, firm banking).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct BankTransferRequest {
    /// Your unique id for this transfer (at most 50 characters). Store it first.
    pub partner_ref_id: String,
    /// The bank, by AppotaPay's code (`TPBANK`, `VCB`, …).
    pub bank_code: String,
    /// The account or card number (3–22 characters).
    pub account_no: String,
    /// `account` (default) or `card`.
    #[serde(default)]
    pub account_type: AccountType,
    /// The holder's name as the bank has it (letters, digits, spaces and `.-,_&`); see
    /// `bank_account_info`.
    pub account_name: String,
    /// VND.
    pub amount: i64,
    /// Who pays the fee: `payer` or `receiver`.
    pub fee_type: FeeType,
    /// The transfer note: at most 100 unaccented letters, digits and spaces.
    pub message: String,
    /// The customer's phone, if you send it.
    #[serde(default)]
    pub customer_phone_number: Option<String>,
    /// A contract number, if you send it.
    #[serde(default)]
    pub contract_number: Option<String>,
    /// `citad` for a Citad transfer (then `bank_id` is required).
    #[serde(default)]
    pub channel: Option<String>,
    /// The Citad branch code, with `channel: citad`.
    #[serde(default)]
    pub bank_id: Option<String>,
}

impl BankTransferRequest {
    /// A transfer of `amount` VND to `account_no` at `bank_code`, fee paid by `fee_type`.
    pub fn new(
        partner_ref_id: impl Into<String>,
        bank_code: impl Into<String>,
        account_no: impl Into<String>,
        account_name: impl Into<String>,
        amount: i64,
        fee_type: FeeType,
        message: impl Into<String>,
    ) -> Self {
        Self {
            partner_ref_id: partner_ref_id.into(),
            bank_code: bank_code.into(),
            account_no: account_no.into(),
            account_type: AccountType::default(),
            account_name: account_name.into(),
            amount,
            fee_type,
            message: message.into(),
            customer_phone_number: None,
            contract_number: None,
            channel: None,
            bank_id: None,
        }
    }
}

/// A bank account check (`bank_account_info`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct BankAccountRequest {
    /// The bank, by AppotaPay's code.
    pub bank_code: String,
    /// The account or card number (4–22 characters).
    pub account_no: String,
    /// `account` (default) or `card`.
    #[serde(default)]
    pub account_type: AccountType,
    /// A reference for the check; vngate makes one when you give none.
    #[serde(default)]
    pub partner_ref_id: Option<String>,
}

impl BankAccountRequest {
    /// A check of the account `account_no` at `bank_code`.
    pub fn new(bank_code: impl Into<String>, account_no: impl Into<String>) -> Self {
        Self {
            bank_code: bank_code.into(),
            account_no: account_no.into(),
            account_type: AccountType::default(),
            partner_ref_id: None,
        }
    }
}

/// What AppotaPay's `errorCode` on a top-up or a bank transfer means for the money.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum TransactionStatus {
    /// 0, with a verified reply signature: done.
    Success,
    /// Pending or not known (34, 35, 40, 91, 99, 500, any code no document lists): call
    /// `topup_transaction` / `transfer_transaction` with the same `partner_ref_id`; never send
    /// it again.
    Unknown,
    /// 31: this `partner_ref_id` was used before; nothing new was done.
    Duplicate,
    /// 36 (from the status calls): no such transaction. Only a few minutes after the request
    /// does this mean it was not executed.
    NotFound,
    /// A documented failure: nothing was charged or sent. Refused credentials (HTTP 401/403,
    /// 11, 13, 14) are [`Error::Auth`] instead.
    Failed,
}

/// Codes that leave the outcome open on every service: processing (34), pending (35),
/// maintenance (40), busy (91), unknown error (99), system error (500).
const OPEN_CODES: [i64; 6] = [34, 35, 40, 91, 99, 500];

/// The documented failures of the top-up API (nothing was charged).
fn topup_failed(code: i64) -> bool {
    matches!(
        code,
        1 | 2 | 12 | 23 | 32 | 33 | 36..=39 | 41 | 51 | 52 | 55 | 56 | 92 | 204 | 2106
    )
}

/// The documented failures of the transfer API (nothing was sent).
fn transfer_failed(code: i64) -> bool {
    matches!(code, 1 | 2 | 12 | 32 | 33 | 42..=44 | 160..=200 | 2004..=2025)
}

impl TransactionStatus {
    /// The answer to a money-moving call. Only a documented failure proves nothing happened:
    /// a code no document lists is `Unknown`.
    fn of_request(code: i64, failed: fn(i64) -> bool) -> Self {
        match code {
            0 => Self::Success,
            31 => Self::Duplicate,
            _ if OPEN_CODES.contains(&code) => Self::Unknown,
            _ if failed(code) => Self::Failed,
            _ => Self::Unknown,
        }
    }

    /// The answer of a status call: its `errorCode` is the transaction's state.
    fn of_status(code: i64) -> Self {
        match code {
            0 => Self::Success,
            33 => Self::Failed,
            36 => Self::NotFound,
            // Pending, busy, and anything else: the call could not tell.
            _ => Self::Unknown,
        }
    }
}

/// A mobile top-up, from `mobile_topup` or `topup_transaction`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct MobileTopup {
    /// What it means for the money.
    pub status: TransactionStatus,
    /// AppotaPay's `errorCode`.
    pub error_code: i64,
    /// AppotaPay's message.
    pub message: String,
    /// Your reference.
    pub partner_ref_id: String,
    /// AppotaPay's transaction id.
    pub appotapay_trans_id: Option<String>,
    /// The phone topped up.
    pub phone_number: Option<String>,
    /// The product (v2 replies).
    pub product_code: Option<String>,
    /// What your account paid, VND.
    pub amount: Option<i64>,
    /// What the phone received, VND.
    pub topup_amount: Option<i64>,
    /// The network, as the telco recorded it (may differ from the request).
    pub telco: Option<String>,
    /// `prepaid` or `postpaid`, as the telco recorded it.
    pub telco_service_type: Option<String>,
    /// When, as sent (RFC 3339, `d-m-Y H:i:s` or unix seconds).
    pub time: Option<String>,
    /// `time` as unix seconds, when it is in one of those forms (`d-m-Y` is Vietnam time).
    pub time_unix: Option<i64>,
    /// Your balance after it.
    pub balance: Option<i64>,
    /// Whether the reply's signature was checked and matched. Replies with a non-zero
    /// `errorCode` are unsigned, and `verify_response_signature: false` checks none.
    pub signature_verified: bool,
    /// The reply body as received.
    pub raw: Raw,
}

/// One data package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct DataPackage {
    /// The code `mobile_topup` takes.
    pub product_code: String,
    /// Its price, VND.
    pub amount: Option<i64>,
    /// AppotaPay's kind (`topup_data`).
    pub r#type: Option<String>,
    /// The network (`mobifone_data`).
    pub telco: Option<String>,
    /// What it gives.
    pub description: Option<String>,
}

/// The data packages of a phone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct DataPackages {
    /// AppotaPay's `errorCode` (91: busy, ask again later).
    pub error_code: i64,
    /// AppotaPay's message.
    pub message: String,
    /// The packages, in the order sent.
    pub packages: Vec<DataPackage>,
    /// The reply body as received.
    pub raw: Raw,
}

/// A bank transfer, from `bank_transfer` or `transfer_transaction`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct BankTransfer {
    /// What it means for the money.
    pub status: TransactionStatus,
    /// AppotaPay's `errorCode`.
    pub error_code: i64,
    /// AppotaPay's message.
    pub message: String,
    /// Your reference.
    pub partner_ref_id: String,
    /// AppotaPay's transaction id.
    pub appotapay_trans_id: Option<String>,
    /// What your account paid, VND.
    pub amount: Option<i64>,
    /// What the receiver gets, VND (less than `amount` when the receiver pays the fee).
    pub transfer_amount: Option<i64>,
    /// The receiving account (status replies).
    pub account_no: Option<String>,
    /// The receiving account's holder (status replies).
    pub account_name: Option<String>,
    /// When, as sent (RFC 3339, `d-m-Y H:i:s` or unix seconds).
    pub time: Option<String>,
    /// `time` as unix seconds, when it is in one of those forms.
    pub time_unix: Option<i64>,
    /// Your balance after it.
    pub balance: Option<i64>,
    /// Whether the reply's signature was checked and matched.
    pub signature_verified: bool,
    /// The reply body as received.
    pub raw: Raw,
}

/// A bank account, from `bank_account_info`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct BankAccount {
    /// AppotaPay's `errorCode`: 0 when the account was found.
    pub error_code: i64,
    /// AppotaPay's message.
    pub message: String,
    /// The reference the check was made under.
    pub partner_ref_id: String,
    /// The account number, as sent (its digits, even when sent as a JSON number).
    pub account_no: Option<String>,
    /// The holder's name.
    pub account_name: Option<String>,
    /// The bank.
    pub bank_code: Option<String>,
    /// `account` or `card`.
    pub account_type: Option<String>,
    /// Whether the reply's signature was checked and matched.
    pub signature_verified: bool,
    /// The reply body as received.
    pub raw: Raw,
}

/// A transfer IPN: AppotaPay's word on a transfer that was pending (35). Verified; confirm it
/// with `transfer_transaction` before you credit or refund.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct TransferIpn {
    /// `success` (errorCode 0, transferStatus `success`), `failed` (transferStatus `error`),
    /// else `unknown`.
    pub status: TransactionStatus,
    /// AppotaPay's `errorCode`.
    pub error_code: i64,
    /// AppotaPay's message.
    pub message: String,
    /// Your reference.
    pub partner_ref_id: String,
    /// AppotaPay's transaction id.
    pub appotapay_trans_id: String,
    /// What your account paid, VND.
    pub amount: Option<i64>,
    /// What the receiver gets, VND.
    pub transfer_amount: Option<i64>,
    /// AppotaPay's word: `success` or `error`.
    pub transfer_status: String,
    /// When, as sent.
    pub time: Option<String>,
    /// `time` as unix seconds, when readable.
    pub time_unix: Option<i64>,
    /// The body to answer AppotaPay with (HTTP 200) once you have recorded the IPN;
    /// unanswered IPNs are sent again up to 3 times, 5 minutes apart.
    pub reply_body: String,
    /// The body as received.
    pub raw: Raw,
}

/// What AppotaPay expects in answer to an IPN.
pub const IPN_REPLY_BODY: &str = r#"{"status":"ok"}"#;

/// The options of these services, from the config.
#[derive(Debug, Clone, Copy)]
pub(super) struct ServiceOptions {
    pub topup_api: TopupApi,
    pub sign_absent_as_empty: bool,
    pub transfer_sign: TransferSign,
    pub verify_response_signature: bool,
}

/// A reply's top-level fields, its status and whether its signature was checked.
struct Signed {
    map: Map<String, Value>,
    error_code: i64,
    verified: bool,
}

impl Signed {
    /// The object that holds the signed fields (`transaction`, `accountInfo`); empty if absent.
    fn object(&self, name: &str) -> &Map<String, Value> {
        static EMPTY: std::sync::OnceLock<Map<String, Value>> = std::sync::OnceLock::new();
        self.map
            .get(name)
            .and_then(Value::as_object)
            .unwrap_or_else(|| EMPTY.get_or_init(Map::new))
    }

    fn balance(&self) -> Result<Option<i64>, fields::FieldError> {
        self.map
            .get("account")
            .and_then(Value::as_object)
            .map(|a| fields::opt_int(a, "balance"))
            .transpose()
            .map(Option::flatten)
    }
}

impl AppotaPay {
    /// Checks a top-up as [`AppotaPay::mobile_topup`] does first, with no I/O.
    pub(crate) fn validate_mobile_topup(&self, request: &MobileTopupRequest) -> Result<(), Error> {
        validate_topup(request, self.services.topup_api).map(drop)
    }

    /// Tops up a phone (`POST /api/v2/service/topup/charging`; v1 with `topup_api: v1`).
    /// Money-moving, never retried: after [`Error::OutcomeUnknown`] or an `unknown` status,
    /// call [`AppotaPay::topup_transaction`] with the same `partner_ref_id`.
    pub fn mobile_topup(&self, request: &MobileTopupRequest) -> Result<MobileTopup, Error> {
        let options = self.services;
        let product = validate_topup(request, options.topup_api)?;
        let telco = match (request.telco.as_deref(), options.sign_absent_as_empty) {
            (Some(telco), _) => Some(telco),
            (None, true) => Some(""),
            (None, false) => None,
        };
        let signature = sign::topup_signature(
            self.secret_key.expose(),
            &sign::TopupFields {
                partner_ref_id: &request.partner_ref_id,
                phone_number: &request.phone_number,
                product,
                telco,
                telco_service_type: request.telco_service_type.as_str(),
            },
            false, // an absent telco is already `Some("")` with the option
        );
        let mut body = Map::new();
        body.insert("partnerRefId".into(), request.partner_ref_id.clone().into());
        if let Some(telco) = telco {
            body.insert("telco".into(), telco.into());
        }
        body.insert(
            "telcoServiceType".into(),
            request.telco_service_type.as_str().into(),
        );
        match product {
            sign::TopupProduct::Code(code) => body.insert("productCode".into(), code.into()),
            sign::TopupProduct::Amount(amount) => body.insert("amount".into(), amount.into()),
        };
        body.insert("phoneNumber".into(), request.phone_number.clone().into());
        body.insert("signature".into(), signature.into());
        let (version, kind) = match options.topup_api {
            TopupApi::V2 => ("v2", SignedReply::Topup),
            TopupApi::V1 => ("v1", SignedReply::TopupV1),
        };
        let call = self.money_call(&registry::APPOTAPAY_MOBILE_TOPUP, &request.partner_ref_id);
        let url = format!("{}/api/{version}/service/topup/charging", self.base_url);
        let reply = self.post(&call, &url, body)?;
        let signed = self.read_signed(&call, &reply, kind)?;
        let status = TransactionStatus::of_request(signed.error_code, topup_failed);
        read_topup(&call, &reply, &signed, status, &request.partner_ref_id)
    }

    /// A top-up's state (`GET /api/v1/service/topup/transaction/{partner_ref_id}`, for v1 and
    /// v2 top-ups alike): the resolving call of [`AppotaPay::mobile_topup`].
    pub fn topup_transaction(&self, partner_ref_id: &str) -> Result<MobileTopup, Error> {
        fields::identifier("partner_ref_id", partner_ref_id)?;
        let call = self.read_only(&registry::APPOTAPAY_TOPUP_TRANSACTION);
        let url = format!(
            "{}/api/v1/service/topup/transaction/{partner_ref_id}",
            self.base_url
        );
        let reply = self.get_with(&call, &url, &[])?;
        let signed = self.read_signed(&call, &reply, SignedReply::TopupStatus)?;
        let status = TransactionStatus::of_status(signed.error_code);
        read_topup(&call, &reply, &signed, status, partner_ref_id)
    }

    /// The data packages a phone can buy
    /// (`GET /api/v1/service/topup/{phone}/products?telco_service_type=…`); buy one with
    /// [`AppotaPay::mobile_topup`] and its `product_code`.
    pub fn data_packages(&self, request: &DataPackagesRequest) -> Result<DataPackages, Error> {
        fields::vn_mobile("phone_number", &request.phone_number)?;
        if let Some(value) = request.value {
            fields::positive("value", value)?;
        }
        let call = self.read_only(&registry::APPOTAPAY_DATA_PACKAGES);
        let url = format!(
            "{}/api/v1/service/topup/{}/products",
            self.base_url, request.phone_number
        );
        let value = request.value.map(|value| value.to_string());
        let mut query = vec![("telco_service_type", request.telco_service_type.as_str())];
        if let Some(value) = &value {
            query.push(("value", value));
        }
        let reply = self.get_with(&call, &url, &query)?;
        let map = read_object(&call, &reply)?;
        call.read(&reply, || {
            let mut packages = Vec::new();
            for item in fields::list(&map, "data") {
                let item = item.as_object().ok_or("a package is not an object")?;
                packages.push(DataPackage {
                    product_code: fields::opt_text(item, "productCode")?
                        .ok_or("a package has no productCode")?,
                    amount: fields::opt_int(item, "amount")?,
                    r#type: fields::opt_text(item, "type")?,
                    telco: fields::opt_text(item, "telco")?,
                    description: fields::opt_text(item, "description")?,
                });
            }
            Ok(DataPackages {
                error_code: fields::int(&map, "errorCode")?,
                message: fields::opt_text(&map, "message")?.unwrap_or_default(),
                packages,
                raw: Raw::new(&reply.body),
            })
        })
    }

    /// Sends money to a bank account or card (`POST /api/v1/service/transfer/make`).
    /// Money-moving, never retried: after [`Error::OutcomeUnknown`] or an `unknown` status,
    /// call [`AppotaPay::transfer_transaction`] (or wait for the IPN); never transfer again.
    pub fn bank_transfer(&self, request: &BankTransferRequest) -> Result<BankTransfer, Error> {
        validate_transfer(request)?;
        let all = self.services.transfer_sign == TransferSign::All;
        let signature = sign::transfer_signature(
            self.secret_key.expose(),
            &sign::TransferFields {
                bank_code: &request.bank_code,
                account_no: &request.account_no,
                account_type: request.account_type.as_str(),
                account_name: &request.account_name,
                amount: request.amount,
                fee_type: request.fee_type.as_str(),
                partner_ref_id: &request.partner_ref_id,
                message: &request.message,
                customer_phone_number: request.customer_phone_number.as_deref(),
                contract_number: request.contract_number.as_deref(),
                channel: request.channel.as_deref(),
                bank_id: request.bank_id.as_deref(),
            },
            all,
        );
        let mut body = Map::new();
        for (name, value) in [
            ("bankCode", request.bank_code.as_str()),
            ("accountNo", &request.account_no),
            ("accountType", request.account_type.as_str()),
            ("accountName", &request.account_name),
        ] {
            body.insert(name.into(), value.into());
        }
        body.insert("amount".into(), request.amount.into());
        body.insert("feeType".into(), request.fee_type.as_str().into());
        body.insert("partnerRefId".into(), request.partner_ref_id.clone().into());
        body.insert("message".into(), request.message.clone().into());
        for (name, value) in [
            ("customerPhoneNumber", &request.customer_phone_number),
            ("contractNumber", &request.contract_number),
            ("channel", &request.channel),
            ("bankId", &request.bank_id),
        ] {
            match (value, all) {
                (Some(value), _) => body.insert(name.into(), value.clone().into()),
                (None, true) => body.insert(name.into(), "".into()),
                (None, false) => None,
            };
        }
        body.insert("signature".into(), signature.into());
        let call = self.money_call(&registry::APPOTAPAY_BANK_TRANSFER, &request.partner_ref_id);
        let url = format!("{}/api/v1/service/transfer/make", self.base_url);
        let reply = self.post(&call, &url, body)?;
        let signed = self.read_signed(&call, &reply, SignedReply::Transfer)?;
        let status = TransactionStatus::of_request(signed.error_code, transfer_failed);
        read_transfer(&call, &reply, &signed, status, &request.partner_ref_id)
    }

    /// A bank transfer's state (`GET /api/v1/service/transfer/transaction/{partner_ref_id}`):
    /// the resolving call of [`AppotaPay::bank_transfer`].
    pub fn transfer_transaction(&self, partner_ref_id: &str) -> Result<BankTransfer, Error> {
        fields::identifier("partner_ref_id", partner_ref_id)?;
        let call = self.read_only(&registry::APPOTAPAY_TRANSFER_TRANSACTION);
        let url = format!(
            "{}/api/v1/service/transfer/transaction/{partner_ref_id}",
            self.base_url
        );
        let reply = self.get_with(&call, &url, &[])?;
        let signed = self.read_signed(&call, &reply, SignedReply::TransferStatus)?;
        let status = TransactionStatus::of_status(signed.error_code);
        read_transfer(&call, &reply, &signed, status, partner_ref_id)
    }

    /// Who holds a bank account (`POST /api/v1/service/transfer/bank/account/info`): check
    /// `account_name` before a transfer.
    pub fn bank_account_info(&self, request: &BankAccountRequest) -> Result<BankAccount, Error> {
        bank_code("bank_code", &request.bank_code)?;
        account_no("account_no", &request.account_no, 4)?;
        let partner_ref_id = match &request.partner_ref_id {
            Some(id) => {
                reference("partner_ref_id", id)?;
                id.clone()
            }
            None => crate::new_request_id(),
        };
        let signature = sign::account_info_signature(
            self.secret_key.expose(),
            &request.account_no,
            request.account_type.as_str(),
            &request.bank_code,
            &partner_ref_id,
        );
        let mut body = Map::new();
        body.insert("bankCode".into(), request.bank_code.clone().into());
        body.insert("accountNo".into(), request.account_no.clone().into());
        body.insert("accountType".into(), request.account_type.as_str().into());
        body.insert("partnerRefId".into(), partner_ref_id.clone().into());
        body.insert("signature".into(), signature.into());
        let call = self.read_only(&registry::APPOTAPAY_BANK_ACCOUNT_INFO);
        let url = format!(
            "{}/api/v1/service/transfer/bank/account/info",
            self.base_url
        );
        let reply = self.post(&call, &url, body)?;
        let signed = self.read_signed(&call, &reply, SignedReply::AccountInfo)?;
        call.read(&reply, || {
            let info = signed.object("accountInfo");
            Ok(BankAccount {
                error_code: signed.error_code,
                message: fields::opt_text(&signed.map, "message")?.unwrap_or_default(),
                partner_ref_id,
                account_no: fields::opt_text(info, "accountNo")?,
                account_name: fields::opt_text(info, "accountName")?,
                bank_code: fields::opt_text(info, "bankCode")?,
                account_type: fields::opt_text(info, "accountType")?,
                signature_verified: signed.verified,
                raw: Raw::new(&reply.body),
            })
        })
    }

    /// Verifies a transfer IPN (the raw POST body): its `signature` over the seven documented
    /// fields, in constant time. A repeated key, a missing or wrong signature are refused.
    pub fn parse_transfer_ipn(&self, body: &[u8]) -> Result<TransferIpn, Error> {
        let bad = |reason: String| {
            Error::bad_reply(
                None,
                reason,
                crate::secret::reply_excerpt(body, &[self.secret_key.expose()]),
            )
        };
        let map = crate::callback_json::object(body).map_err(|refused| match refused {
            crate::callback_json::Refused::NotAnObject => {
                bad("the IPN is not a JSON object".to_owned())
            }
            crate::callback_json::Refused::Ambiguous(reason) => bad(reason),
        })?;
        let signature = fields::opt_text(&map, "signature")
            .ok()
            .flatten()
            .ok_or(Error::SignatureMismatch { field: "signature" })?;
        if !sign::verify_reply(
            self.secret_key.expose(),
            SignedReply::TransferIpn,
            body,
            &signature,
        ) {
            return Err(Error::SignatureMismatch { field: "signature" });
        }
        let read = || -> Result<TransferIpn, fields::FieldError> {
            let transaction = map
                .get("transaction")
                .and_then(Value::as_object)
                .ok_or("field transaction is missing")?;
            let error_code = fields::int(&map, "errorCode")?;
            let transfer_status =
                fields::opt_text(transaction, "transferStatus")?.unwrap_or_default();
            let status = match (error_code, transfer_status.as_str()) {
                (0, "success") => TransactionStatus::Success,
                (_, "error") => TransactionStatus::Failed,
                _ => TransactionStatus::Unknown,
            };
            let time = fields::opt_text(transaction, "time")?;
            Ok(TransferIpn {
                status,
                error_code,
                message: fields::opt_text(&map, "message")?.unwrap_or_default(),
                partner_ref_id: fields::opt_text(transaction, "partnerRefId")?
                    .ok_or("field partnerRefId is missing")?,
                appotapay_trans_id: fields::opt_text(transaction, "appotapayTransId")?
                    .ok_or("field appotapayTransId is missing")?,
                amount: fields::opt_int(transaction, "amount")?,
                transfer_amount: fields::opt_int(transaction, "transferAmount")?,
                transfer_status,
                time_unix: time.as_deref().and_then(unix_seconds),
                time,
                reply_body: IPN_REPLY_BODY.to_owned(),
                raw: Raw::new(body),
            })
        };
        read().map_err(bad)
    }

    /// A money-moving call of `op` under the caller's reference.
    fn money_call(&self, op: &'static registry::Operation, reference: &str) -> Call<'_> {
        Call::new(
            op,
            reference,
            vec![self.secret_key.expose(), self.api_key.expose()],
        )
    }

    fn post(&self, call: &Call<'_>, url: &str, body: Map<String, Value>) -> Result<Reply, Error> {
        let token = self.auth_header();
        self.http.send(
            call,
            url,
            &[("X-APPOTAPAY-AUTH", &token)],
            Payload::Json(Value::Object(body).to_string()),
        )
    }

    /// Reads a reply AppotaPay signs. An `errorCode` 0 reply must carry the right `signature`
    /// over `kind`'s fields (each as received) and no repeated key; otherwise it is a bad
    /// reply (for a money-moving call: outcome unknown), never a success.
    fn read_signed(
        &self,
        call: &Call<'_>,
        reply: &Reply,
        kind: SignedReply,
    ) -> Result<Signed, Error> {
        let map = read_object(call, reply)?;
        let error_code = call.read(reply, || fields::int(&map, "errorCode"))?;
        let check = error_code == 0 && self.services.verify_response_signature;
        if check {
            call.read(reply, || {
                if let Err(crate::callback_json::Refused::Ambiguous(reason)) =
                    crate::callback_json::object(&reply.body)
                {
                    return Err(format!("a signed reply is ambiguous: {reason}"));
                }
                let signature = fields::opt_text(&map, "signature")?
                    .ok_or("the reply's signature is missing (BadResponseSignature)")?;
                if sign::verify_reply(self.secret_key.expose(), kind, &reply.body, &signature) {
                    Ok(())
                } else {
                    Err("the reply's signature does not verify (BadResponseSignature)".to_owned())
                }
            })?;
        }
        Ok(Signed {
            map,
            error_code,
            verified: check,
        })
    }
}

fn read_topup(
    call: &Call<'_>,
    reply: &Reply,
    signed: &Signed,
    status: TransactionStatus,
    partner_ref_id: &str,
) -> Result<MobileTopup, Error> {
    call.read(reply, || {
        let t = signed.object("transaction");
        echoed(t, partner_ref_id)?;
        let time = fields::opt_text(t, "time")?;
        Ok(MobileTopup {
            status,
            error_code: signed.error_code,
            message: fields::opt_text(&signed.map, "message")?.unwrap_or_default(),
            partner_ref_id: partner_ref_id.to_owned(),
            appotapay_trans_id: fields::opt_text(t, "appotapayTransId")?,
            phone_number: fields::opt_text(t, "phoneNumber")?,
            product_code: fields::opt_text(t, "productCode")?,
            amount: fields::opt_int(t, "amount")?,
            topup_amount: fields::opt_int(t, "topupAmount")?,
            telco: fields::opt_text(t, "telco")?,
            telco_service_type: fields::opt_text(t, "telcoServiceType")?,
            time_unix: time.as_deref().and_then(unix_seconds),
            time,
            balance: signed.balance()?,
            signature_verified: signed.verified,
            raw: Raw::new(&reply.body),
        })
    })
}

fn read_transfer(
    call: &Call<'_>,
    reply: &Reply,
    signed: &Signed,
    status: TransactionStatus,
    partner_ref_id: &str,
) -> Result<BankTransfer, Error> {
    call.read(reply, || {
        let t = signed.object("transaction");
        echoed(t, partner_ref_id)?;
        let time = fields::opt_text(t, "time")?;
        Ok(BankTransfer {
            status,
            error_code: signed.error_code,
            message: fields::opt_text(&signed.map, "message")?.unwrap_or_default(),
            partner_ref_id: partner_ref_id.to_owned(),
            appotapay_trans_id: fields::opt_text(t, "appotapayTransId")?,
            amount: fields::opt_int(t, "amount")?,
            transfer_amount: fields::opt_int(t, "transferAmount")?,
            account_no: fields::opt_text(t, "accountNo")?,
            account_name: fields::opt_text(t, "accountName")?,
            time_unix: time.as_deref().and_then(unix_seconds),
            time,
            balance: signed.balance()?,
            signature_verified: signed.verified,
            raw: Raw::new(&reply.body),
        })
    })
}

/// The documented replies do not echo `partnerRefId`; where one does, a reply for another
/// reference is refused.
fn echoed(transaction: &Map<String, Value>, partner_ref_id: &str) -> Result<(), String> {
    match fields::opt_text(transaction, "partnerRefId")? {
        Some(echoed) if echoed != partner_ref_id => Err(format!(
            "the reply is for partnerRefId {echoed:?}, not {partner_ref_id:?}"
        )),
        _ => Ok(()),
    }
}

/// A reference AppotaPay takes: an identifier of at most 50 characters.
fn reference(field: &'static str, value: &str) -> Result<(), Error> {
    fields::identifier(field, value)?;
    if value.len() > 50 {
        return Err(Error::invalid(field, "is longer than 50 characters"));
    }
    Ok(())
}

fn bank_code(field: &'static str, value: &str) -> Result<(), Error> {
    super::word(field, value, 20, " (AppotaPay's bank code, e.g. TPBANK)")
}

fn account_no(field: &'static str, value: &str, min: usize) -> Result<(), Error> {
    fields::required(field, value, 22)?;
    if value.len() < min || !value.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(Error::invalid(
            field,
            format!("must be {min} to 22 letters or digits"),
        ));
    }
    Ok(())
}

/// Checks a top-up; returns what it buys, by the API in use.
fn validate_topup(
    request: &MobileTopupRequest,
    api: TopupApi,
) -> Result<sign::TopupProduct<'_>, Error> {
    reference("partner_ref_id", &request.partner_ref_id)?;
    fields::vn_mobile("phone_number", &request.phone_number)?;
    if let Some(telco) = &request.telco {
        fields::required("telco", telco, 32)?;
        if !telco
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        {
            return Err(Error::invalid(
                "telco",
                "must be AppotaPay's lowercase network name (viettel, vinaphone, mobifone, …)",
            ));
        }
    }
    match api {
        TopupApi::V2 => {
            if request.amount.is_some() {
                return Err(Error::invalid(
                    "amount",
                    "is for topup_api v1; the v2 API takes a product_code",
                ));
            }
            let code = request
                .product_code
                .as_deref()
                .ok_or_else(|| Error::invalid("product_code", "is required"))?;
            super::word("product_code", code, 50, "")?;
            Ok(sign::TopupProduct::Code(code))
        }
        TopupApi::V1 => {
            if request.product_code.is_some() {
                return Err(Error::invalid(
                    "product_code",
                    "is for topup_api v2; the v1 API takes an amount",
                ));
            }
            let amount = request
                .amount
                .ok_or_else(|| Error::invalid("amount", "is required"))?;
            fields::positive("amount", amount)?;
            if request.telco.is_none() {
                return Err(Error::invalid("telco", "is required by topup_api v1"));
            }
            Ok(sign::TopupProduct::Amount(amount))
        }
    }
}

pub(crate) fn validate_transfer(request: &BankTransferRequest) -> Result<(), Error> {
    reference("partner_ref_id", &request.partner_ref_id)?;
    bank_code("bank_code", &request.bank_code)?;
    account_no("account_no", &request.account_no, 3)?;
    fields::required("account_name", &request.account_name, 100)?;
    if !request
        .account_name
        .chars()
        .all(|c| c.is_alphanumeric() || c == ' ' || ".-,_&".contains(c))
    {
        return Err(Error::invalid(
            "account_name",
            "may contain only letters, digits, spaces and . - , _ &",
        ));
    }
    fields::positive("amount", request.amount)?;
    fields::required("message", &request.message, 100)?;
    if !request
        .message
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b' ')
    {
        return Err(Error::invalid(
            "message",
            "may contain only unaccented letters, digits and spaces",
        ));
    }
    if let Some(phone) = &request.customer_phone_number {
        fields::vn_mobile("customer_phone_number", phone)?;
    }
    if let Some(contract) = &request.contract_number {
        fields::identifier("contract_number", contract)?;
    }
    match (request.channel.as_deref(), request.bank_id.as_deref()) {
        (None, None) => Ok(()),
        (Some("citad"), Some(bank_id)) => fields::identifier("bank_id", bank_id),
        (Some("citad"), None) => Err(Error::invalid(
            "bank_id",
            "is required for a Citad transfer",
        )),
        (Some(_), _) => Err(Error::invalid("channel", "must be citad when given")),
        (None, Some(_)) => Err(Error::invalid(
            "bank_id",
            "is only for a Citad transfer (channel: citad)",
        )),
    }
}

/// A reply's `time` as unix seconds: RFC 3339 (`2024-09-13T17:48:06+07:00`), `d-m-Y H:i:s` in
/// Vietnam time (`14-11-2024 09:38:43`), or unix seconds (`1608778440`). `None` otherwise.
#[must_use]
pub fn unix_seconds(time: &str) -> Option<i64> {
    let time = time.trim();
    if !time.is_empty() && time.len() <= 12 && time.bytes().all(|b| b.is_ascii_digit()) {
        return time.parse().ok();
    }
    let number = |s: &str| -> Option<i64> {
        (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    let clock = |hms: &str| -> Option<i64> {
        let mut parts = hms.split(':');
        let (h, m, s) = (
            number(parts.next()?)?,
            number(parts.next()?)?,
            number(parts.next()?)?,
        );
        (parts.next().is_none() && h < 24 && m < 60 && s < 61).then_some(h * 3600 + m * 60 + s)
    };
    // d-m-Y H:i:s, Vietnam time (+07:00).
    if let Some((date, hms)) = time.split_once(' ') {
        let mut parts = date.split('-');
        let (d, m, y) = (
            number(parts.next()?)?,
            number(parts.next()?)?,
            number(parts.next()?)?,
        );
        if parts.next().is_some() {
            return None;
        }
        return Some(days_from_civil(y, m, d)? * 86_400 + clock(hms)? - 7 * 3600);
    }
    // RFC 3339: YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM).
    let (date, rest) = time.split_once(['T', 't'])?;
    let mut parts = date.split('-');
    let (y, m, d) = (
        number(parts.next()?)?,
        number(parts.next()?)?,
        number(parts.next()?)?,
    );
    if parts.next().is_some() {
        return None;
    }
    let (hms, offset) = if let Some(hms) = rest.strip_suffix(['Z', 'z']) {
        (hms, 0)
    } else {
        let at = rest.rfind(['+', '-'])?;
        let (hms, zone) = rest.split_at(at);
        let sign = if zone.starts_with('-') { -1 } else { 1 };
        let (oh, om) = zone[1..].split_once(':')?;
        let (oh, om) = (number(oh)?, number(om)?);
        if oh > 23 || om > 59 {
            return None;
        }
        (hms, sign * (oh * 3600 + om * 60))
    };
    let hms = hms.split('.').next()?;
    Some(days_from_civil(y, m, d)? * 86_400 + clock(hms)? - offset)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> Option<i64> {
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) || !(1970..=9999).contains(&y) {
        return None;
    }
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some(era * 146_097 + doe - 719_468)
}

/// What an AppotaPay transaction state means for the money.
fn of_transaction(status: crate::appotapay::TransactionStatus) -> crate::outcome::Outcome {
    use crate::appotapay::TransactionStatus;
    match status {
        TransactionStatus::Success => crate::outcome::Outcome::Succeeded,
        TransactionStatus::Failed => crate::outcome::Outcome::Failed,
        TransactionStatus::NotFound => crate::outcome::Outcome::NotFound,
        _ => crate::outcome::Outcome::Unknown,
    }
}

impl crate::outcome::MoneyOutcome for crate::appotapay::MobileTopup {
    fn outcome(&self) -> crate::outcome::Outcome {
        of_transaction(self.status)
    }

    fn amount(&self) -> Option<i64> {
        self.amount
    }
}

impl crate::outcome::MoneyOutcome for crate::appotapay::BankTransfer {
    fn outcome(&self) -> crate::outcome::Outcome {
        of_transaction(self.status)
    }

    fn amount(&self) -> Option<i64> {
        self.amount
    }
}

impl crate::outcome::MoneyOutcome for crate::appotapay::TransferIpn {
    fn outcome(&self) -> crate::outcome::Outcome {
        of_transaction(self.status)
    }

    fn reference(&self) -> Option<&str> {
        Some(&self.partner_ref_id)
    }

    /// Signed, with the status and the reference.
    fn amount(&self) -> Option<i64> {
        self.amount
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_three_documented_time_forms() {
        // date -d '2024-09-13T17:48:06+07:00' +%s
        assert_eq!(
            unix_seconds("2024-09-13T17:48:06+07:00"),
            Some(1_726_224_486)
        );
        assert_eq!(unix_seconds("2024-09-13T10:48:06Z"), Some(1_726_224_486));
        assert_eq!(
            unix_seconds("2024-09-13T10:48:06.250Z"),
            Some(1_726_224_486)
        );
        // date -d '2024-11-14 09:38:43 +07:00' +%s
        assert_eq!(unix_seconds("14-11-2024 09:38:43"), Some(1_731_551_923));
        assert_eq!(unix_seconds("1608778440"), Some(1_608_778_440));
        for unreadable in [
            "",
            "yesterday",
            "2024-13-01T00:00:00Z",
            "14/11/2024 09:38:43",
        ] {
            assert_eq!(unix_seconds(unreadable), None, "{unreadable}");
        }
    }

    #[test]
    fn money_classes_keep_unlisted_codes_open() {
        let of = |code| TransactionStatus::of_request(code, topup_failed);
        assert_eq!(of(0), TransactionStatus::Success);
        assert_eq!(of(31), TransactionStatus::Duplicate);
        for open in OPEN_CODES {
            assert_eq!(of(open), TransactionStatus::Unknown);
        }
        assert_eq!(of(33), TransactionStatus::Failed);
        assert_eq!(of(2106), TransactionStatus::Failed);
        assert_eq!(of(77), TransactionStatus::Unknown);
        let transfer = |code| TransactionStatus::of_request(code, transfer_failed);
        assert_eq!(transfer(170), TransactionStatus::Failed);
        assert_eq!(transfer(2010), TransactionStatus::Failed);
        assert_eq!(transfer(23), TransactionStatus::Unknown);
        assert_eq!(
            TransactionStatus::of_status(36),
            TransactionStatus::NotFound
        );
        assert_eq!(TransactionStatus::of_status(1), TransactionStatus::Unknown);
    }
}
