//! AppotaPay "Mua mã thẻ": buying card codes. JWT auth, HMAC-SHA256 signatures, card codes
//! RSA-encrypted to your key. The protocol and
//! every ruling on its ambiguities: `docs/providers/appotapay.md`.
//!
//! Buying is not idempotent and bought cards are not refundable: after
//! [`Error::OutcomeUnknown`] or a [`PurchaseStatus::Unknown`] result, call
//! [`AppotaPay::transaction`] with the same `partner_ref_id`; never buy again.

mod services;
pub mod sign;

pub(crate) use services::validate_transfer;

pub use services::{
    AccountType, BankAccount, BankAccountRequest, BankTransfer, BankTransferRequest, DataPackage,
    DataPackages, DataPackagesRequest, FeeType, IPN_REPLY_BODY, MobileTopup, MobileTopupRequest,
    TelcoServiceType, TopupApi, TransactionStatus, TransferIpn, TransferSign, unix_seconds,
};

use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use rsa::PrivateKey;
use rsa::pkcs1::DecodeRsaPrivateKey;
use rsa::pkcs8::DecodePrivateKey;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::Error;
use crate::fields;
use crate::http::{self, Call, Http, HttpOptions, Payload, Reply};
use crate::registry;
use crate::secret::{CardCode, Raw, Secret};

/// How card codes are RSA-encrypted to your key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Padding {
    /// OAEP with SHA-1 (Node's `privateDecrypt` default, the one public sample). Default.
    #[default]
    OaepSha1,
    /// PKCS#1 v1.5.
    Pkcs1v15,
}

/// How the purchase should be delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum BuyType {
    /// Codes come back in the reply (up to 100 cards).
    #[default]
    Normal,
    /// AppotaPay texts the code to `customer_phone` (exactly one card).
    Sms,
}

impl BuyType {
    fn as_str(self) -> &'static str {
        match self {
            Self::Normal => "normal",
            Self::Sms => "sms",
        }
    }
}

/// Everything an [`AppotaPay`] client needs. In JSON the HTTP options sit beside these keys.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct AppotaPayConfig {
    /// Default `https://gateway.appotapay.com` (sandbox `https://gateway.dev.appotapay.com`).
    #[serde(default = "default_base_url")]
    pub base_url: String,
    /// Your partner code (the JWT's `iss`).
    pub partner_code: String,
    /// Your API key.
    pub api_key: Secret,
    /// Your secret key: signs the JWT and the requests.
    pub secret_key: Secret,
    /// Your RSA private key, PEM (PKCS#1 or PKCS#8), to decrypt card codes. Without it,
    /// codes stay encrypted and each card says why.
    #[serde(default)]
    pub private_key_pem: Option<Secret>,
    /// JWT lifetime in seconds. Default 300.
    #[serde(default = "default_jwt_lifetime")]
    pub jwt_lifetime_secs: u64,
    /// Card code padding. Default OAEP-SHA1.
    #[serde(default)]
    pub padding: Padding,
    /// Send `Bearer <jwt>` (default, what every integrator does) or the bare token.
    #[serde(default = "default_true")]
    pub bearer: bool,
    /// The top-up API `mobile_topup` calls: `v2` (default, a `product_code`) or `v1` (an
    /// `amount` and the `telco`).
    #[serde(default)]
    pub topup_api: TopupApi,
    /// Send and sign a top-up's absent `telco` as an empty value. Default `false`: an absent
    /// telco is neither sent nor signed.
    #[serde(default)]
    pub sign_absent_as_empty: bool,
    /// Which fields a bank transfer sends and signs: `given` (default, the documented fields
    /// the request carries) or `all` (the twelve, absent ones empty).
    #[serde(default)]
    pub transfer_sign: TransferSign,
    /// Check the signature of the replies AppotaPay signs (top-up, transfer, account check).
    /// Default `true`; a success reply that fails it is never a success.
    #[serde(default = "default_true")]
    pub verify_response_signature: bool,
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
    "https://gateway.appotapay.com".to_owned()
}

fn default_jwt_lifetime() -> u64 {
    300
}

fn default_true() -> bool {
    true
}

impl AppotaPayConfig {
    /// A config with the defaults: production URL, OAEP-SHA1, Bearer, 300 s JWTs.
    pub fn new(
        partner_code: impl Into<String>,
        api_key: impl Into<Secret>,
        secret_key: impl Into<Secret>,
    ) -> Self {
        Self {
            base_url: default_base_url(),
            partner_code: partner_code.into(),
            api_key: api_key.into(),
            secret_key: secret_key.into(),
            private_key_pem: None,
            jwt_lifetime_secs: default_jwt_lifetime(),
            padding: Padding::default(),
            bearer: true,
            topup_api: TopupApi::default(),
            sign_absent_as_empty: false,
            transfer_sign: TransferSign::default(),
            verify_response_signature: true,
            http: HttpOptions::default(),
            unknown: BTreeMap::new(),
        }
    }
}

/// A purchase.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct BuyRequest {
    /// Your unique id for this purchase.
    pub partner_ref_id: String,
    /// The product, e.g. `VT10` (see [`AppotaPay::products`]).
    pub product_code: String,
    /// How many cards: 1–100 (`normal`), exactly 1 (`sms`).
    pub quantity: i64,
    /// `normal` (default) or `sms`.
    #[serde(default)]
    pub r#type: BuyType,
    /// The phone that receives the code, for `sms` only.
    #[serde(default)]
    pub customer_phone: Option<String>,
}

impl BuyRequest {
    /// A `normal` purchase of `quantity` cards of `product_code`, under your unique
    /// `partner_ref_id`; set `r#type` and `customer_phone` for an `sms` one.
    pub fn new(
        partner_ref_id: impl Into<String>,
        product_code: impl Into<String>,
        quantity: i64,
    ) -> Self {
        Self {
            partner_ref_id: partner_ref_id.into(),
            product_code: product_code.into(),
            quantity,
            r#type: BuyType::default(),
            customer_phone: None,
        }
    }
}

/// What AppotaPay's `errorCode` means for your money.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum PurchaseStatus {
    /// 0: bought; the cards are in the result.
    Success,
    /// 35 (pending), 40 (maintenance), 500 (system error): the outcome is unknown. Call
    /// `transaction` with the same `partner_ref_id`; do not buy again.
    Unknown,
    /// 31: this `partner_ref_id` was used before; nothing new was bought.
    Duplicate,
    /// 36 (from `transaction`): no such purchase.
    NotFound,
    /// A documented failure (1 request, 2 signature, 12 balance, 24 RSA key, 33 failed, 71/72
    /// no stock, 73 quantity): nothing was bought. Refused credentials (HTTP 401/403, 11, 13,
    /// 14) are [`Error::Auth`] instead, and a code no document lists is `Unknown`.
    Failed,
}

impl PurchaseStatus {
    fn from_code(code: i64) -> Self {
        match code {
            0 => Self::Success,
            31 => Self::Duplicate,
            36 => Self::NotFound,
            1 | 2 | 12 | 24 | 33 | 71 | 72 | 73 => Self::Failed,
            // 35 pending, 40 maintenance, 500 system error, and any code no document lists:
            // nobody can say nothing was bought.
            _ => Self::Unknown,
        }
    }
}

/// AppotaPay's `errorCode`s that mean the credentials were refused: partner unknown (11),
/// partner locked (13), API key unknown (14).
const AUTH_CODES: [i64; 3] = [11, 13, 14];

/// Reads a reply as a JSON object and turns a refusal of the credentials (HTTP 401 or 403, or
/// one of [`AUTH_CODES`]) into [`Error::Auth`] with AppotaPay's code and message: a credentials
/// problem, not a failed purchase. Nothing is bought when AppotaPay refuses the caller.
fn read_object(call: &Call<'_>, reply: &Reply) -> Result<Map<String, Value>, Error> {
    let map = call.json_object(reply)?;
    let code = fields::opt_int(&map, "errorCode").ok().flatten();
    if matches!(reply.status, 401 | 403) || code.is_some_and(|c| AUTH_CODES.contains(&c)) {
        let message = fields::opt_text(&map, "message")
            .ok()
            .flatten()
            .unwrap_or_default();
        let code = code.map_or_else(|| "none".to_owned(), |c| c.to_string());
        return Err(Error::Auth {
            reason: format!(
                "AppotaPay refused the credentials (HTTP {}, errorCode {code}): {}",
                reply.status,
                crate::secret::provider_words(&message, &call.secrets)
            ),
        });
    }
    Ok(map)
}

/// A card code that could not be decrypted. The card was bought: keep its serial and the
/// encrypted code, and decrypt it later with [`AppotaPay::decrypt_code`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct CodeError {
    /// The card's serial.
    pub serial: String,
    /// Why the code could not be read.
    pub reason: String,
}

impl std::fmt::Display for CodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "card {}: code not decrypted: {}",
            self.serial, self.reason
        )
    }
}

impl std::error::Error for CodeError {}

/// One bought card.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct BoughtCard {
    /// The serial.
    pub serial: String,
    /// The PIN, decrypted; `None` when it could not be (see `code_error`).
    pub code: Option<CardCode>,
    /// Why `code` is `None`.
    pub code_error: Option<CodeError>,
    /// The PIN as AppotaPay sent it (base64 RSA ciphertext).
    #[cfg_attr(feature = "schema", schemars(extend("x-vngate-secret" = true)))]
    pub encrypted_code: String,
    /// The card's vendor.
    pub vendor: Option<String>,
    /// The face value.
    pub value: Option<i64>,
    /// Expiry as `YYYY-MM-DD` (AppotaPay sends d-m-Y or Y-m-d); as sent if neither.
    pub expiry: Option<String>,
}

/// The answer to `buy_cards` or `transaction`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct BuyResult {
    /// What it means.
    pub status: PurchaseStatus,
    /// AppotaPay's `errorCode`.
    pub error_code: i64,
    /// AppotaPay's message.
    pub message: String,
    /// The cards (empty for `sms`, or when nothing was bought).
    pub cards: Vec<BoughtCard>,
    /// AppotaPay's transaction id.
    pub appotapay_trans_id: Option<String>,
    /// The amount charged.
    pub amount: Option<i64>,
    /// When, as sent (d-m-Y H:i:s).
    pub time: Option<String>,
    /// Your balance after the purchase.
    pub balance: Option<i64>,
    /// The reply body as received.
    pub raw: Raw,
}

/// One product.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct Product {
    /// The group, e.g. `APPOTA`, `VIETTEL`.
    pub product_type: String,
    /// The product code to buy.
    pub code: String,
    /// Its name.
    pub name: String,
    /// Its face value.
    pub value: Option<i64>,
}

/// The product list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct Products {
    /// AppotaPay's `errorCode`.
    pub error_code: i64,
    /// AppotaPay's message.
    pub message: String,
    /// Every product, in the order sent.
    pub products: Vec<Product>,
    /// The reply body as received.
    pub raw: Raw,
}

/// The account balance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct Balance {
    /// AppotaPay's `errorCode`.
    pub error_code: i64,
    /// AppotaPay's message.
    pub message: String,
    /// The balance, when `error_code` is 0.
    pub balance: Option<i64>,
    /// The reply body as received.
    pub raw: Raw,
}

/// An AppotaPay client. Immutable, `Send + Sync`.
#[derive(Debug)]
pub struct AppotaPay {
    base_url: String,
    partner_code: String,
    api_key: Secret,
    secret_key: Secret,
    private_key: Option<PrivateKey>,
    jwt_lifetime_secs: u64,
    padding: Padding,
    bearer: bool,
    services: services::ServiceOptions,
    http: Http,
}

/// AppotaPay `decrypt_code`'s input: one bought card's encrypted code.
#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct DecryptCodeRequest {
    /// The card's serial.
    pub serial: String,
    /// The card's `encrypted_code`, as the purchase returned it.
    #[cfg_attr(feature = "schema", schemars(extend("x-vngate-secret" = true)))]
    pub encrypted_code: String,
}

/// AppotaPay `decrypt_code`'s result.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct DecryptedCode {
    /// The card's serial.
    pub serial: String,
    /// The card's PIN.
    pub code: CardCode,
}

impl AppotaPay {
    pub(crate) fn http(&self) -> &Http {
        &self.http
    }

    pub(crate) fn base_url(&self) -> &str {
        &self.base_url
    }

    pub(crate) fn partner_code(&self) -> &str {
        &self.partner_code
    }

    /// Builds a client; checks the config and parses the private key.
    pub fn new(config: AppotaPayConfig) -> Result<Self, Error> {
        fields::no_unknown(&config.unknown)?;
        let base_url = http::base_url(
            "base_url",
            &config.base_url,
            http::Scheme::https(&config.http),
        )?;
        fields::required("partner_code", &config.partner_code, 64)?;
        fields::required("api_key", config.api_key.expose(), 256)?;
        fields::required("secret_key", config.secret_key.expose(), 256)?;
        if config.jwt_lifetime_secs == 0 {
            return Err(Error::invalid(
                "jwt_lifetime_secs",
                "must be greater than 0",
            ));
        }
        let private_key = config
            .private_key_pem
            .as_ref()
            .map(|pem| parse_private_key(pem.expose()))
            .transpose()?;
        Ok(Self {
            base_url,
            partner_code: config.partner_code,
            api_key: config.api_key,
            secret_key: config.secret_key,
            private_key,
            jwt_lifetime_secs: config.jwt_lifetime_secs,
            padding: config.padding,
            bearer: config.bearer,
            services: services::ServiceOptions {
                topup_api: config.topup_api,
                sign_absent_as_empty: config.sign_absent_as_empty,
                transfer_sign: config.transfer_sign,
                verify_response_signature: config.verify_response_signature,
            },
            http: Http::new(&config.http)?,
        })
    }

    /// Buys cards (`POST /api/v1/service/shopcard/buy`). Never retried.
    pub fn buy_cards(&self, request: &BuyRequest) -> Result<BuyResult, Error> {
        let phone = validate_buy(request)?;
        let kind = request.r#type.as_str();
        let signature = sign::purchase_signature(
            self.secret_key.expose(),
            &sign::PurchaseFields {
                partner_ref_id: &request.partner_ref_id,
                product_code: &request.product_code,
                quantity: request.quantity,
                sms_to: phone,
            },
        );
        let mut body = Map::new();
        body.insert(
            "partnerRefId".into(),
            Value::from(request.partner_ref_id.as_str()),
        );
        body.insert(
            "productCode".into(),
            Value::from(request.product_code.as_str()),
        );
        body.insert("quantity".into(), Value::from(request.quantity));
        body.insert("type".into(), Value::from(kind));
        if let Some(phone) = phone {
            body.insert("customerPhone".into(), Value::from(phone));
        }
        body.insert("signature".into(), Value::from(signature));
        let call = Call::new(
            &registry::APPOTAPAY_BUY_CARDS,
            &request.partner_ref_id,
            vec![self.secret_key.expose(), self.api_key.expose()],
        );
        let token = self.auth_header();
        let url = format!("{}/api/v1/service/shopcard/buy", self.base_url);
        let reply = self.http.send(
            &call,
            &url,
            &[("X-APPOTAPAY-AUTH", &token)],
            Payload::Json(Value::Object(body).to_string()),
        )?;
        self.read_purchase(&call, &reply, &request.partner_ref_id)
    }

    /// A purchase's status, with its codes re-delivered
    /// (`GET /api/v1/service/shopcard/transaction/{partner_ref_id}`).
    pub fn transaction(&self, partner_ref_id: &str) -> Result<BuyResult, Error> {
        fields::identifier("partner_ref_id", partner_ref_id)?;
        let call = self.read_only(&registry::APPOTAPAY_TRANSACTION);
        let url = format!(
            "{}/api/v1/service/shopcard/transaction/{partner_ref_id}",
            self.base_url
        );
        let reply = self.get(&call, &url)?;
        self.read_purchase(&call, &reply, partner_ref_id)
    }

    /// The products you can buy (`GET /api/v1/service/shopcard/products`).
    pub fn products(&self) -> Result<Products, Error> {
        let call = self.read_only(&registry::APPOTAPAY_PRODUCTS);
        let reply = self.get(
            &call,
            &format!("{}/api/v1/service/shopcard/products", self.base_url),
        )?;
        let map = read_object(&call, &reply)?;
        call.read(&reply, || -> Result<Products, fields::FieldError> {
            let mut products = Vec::new();
            for group in fields::list(&map, "data") {
                let group = group
                    .as_object()
                    .ok_or("a product group is not an object")?;
                let product_type = fields::opt_text(group, "productType")?.unwrap_or_default();
                for item in fields::list(group, "productCodes") {
                    let item = item.as_object().ok_or("a product is not an object")?;
                    products.push(Product {
                        product_type: product_type.clone(),
                        code: fields::opt_text(item, "code")?.ok_or("a product has no code")?,
                        name: fields::opt_text(item, "name")?.unwrap_or_default(),
                        value: fields::opt_int(item, "value")?,
                    });
                }
            }
            // The document's own example has `data` and no `errorCode`: that is a success.
            let error_code = match fields::opt_int(&map, "errorCode")? {
                Some(code) => code,
                None if map.get("data").is_some_and(Value::is_array) => 0,
                None => return Err("field errorCode is missing".to_owned()),
            };
            Ok(Products {
                error_code,
                message: fields::opt_text(&map, "message")?.unwrap_or_default(),
                products,
                raw: Raw::new(&reply.body),
            })
        })
    }

    /// Your account balance (`GET /api/v1/service/accounts/balance`).
    pub fn balance(&self) -> Result<Balance, Error> {
        let call = self.read_only(&registry::APPOTAPAY_BALANCE);
        let reply = self.get(
            &call,
            &format!("{}/api/v1/service/accounts/balance", self.base_url),
        )?;
        let map = read_object(&call, &reply)?;
        call.read(&reply, || -> Result<Balance, fields::FieldError> {
            let account = map.get("account").and_then(Value::as_object);
            Ok(Balance {
                error_code: fields::int(&map, "errorCode")?,
                message: fields::opt_text(&map, "message")?.unwrap_or_default(),
                balance: account
                    .map(|a| fields::opt_int(a, "balance"))
                    .transpose()?
                    .flatten(),
                raw: Raw::new(&reply.body),
            })
        })
    }

    /// The `decrypt_code` operation: one card's code decrypted with the configured key, its
    /// errors naming the field.
    pub fn decrypt(&self, request: &DecryptCodeRequest) -> Result<DecryptedCode, Error> {
        fields::required("serial", &request.serial, 64)?;
        if !self.has_private_key() {
            return Err(Error::invalid(
                "private_key_pem",
                "is not configured: decrypt_code needs the partner's RSA private key",
            ));
        }
        let code = self
            .decrypt_code(&request.serial, &request.encrypted_code)
            .map_err(|e| Error::invalid("encrypted_code", e.reason))?;
        Ok(DecryptedCode {
            serial: request.serial.clone(),
            code,
        })
    }

    /// Whether a private key is configured, so that card codes can be decrypted.
    #[must_use]
    pub fn has_private_key(&self) -> bool {
        self.private_key.is_some()
    }

    /// Decrypts one card code (base64 RSA ciphertext) with the configured key and padding.
    pub fn decrypt_code(&self, serial: &str, encrypted_code: &str) -> Result<CardCode, CodeError> {
        let fail = |reason: &str| CodeError {
            serial: serial.to_owned(),
            reason: reason.to_owned(),
        };
        let key = self
            .private_key
            .as_ref()
            .ok_or_else(|| fail("no private_key_pem is configured"))?;
        let compact: String = encrypted_code
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        let ciphertext = base64::engine::general_purpose::STANDARD
            .decode(compact)
            .map_err(|_| fail("the code is not base64"))?;
        let plain = match self.padding {
            Padding::OaepSha1 => key.oaep_decrypt::<sha1::Sha1>(&ciphertext),
            Padding::Pkcs1v15 => key.pkcs1v15_decrypt(&ciphertext),
        }
        .map_err(|_| fail("RSA decryption failed (wrong key or padding?)"))?;
        // PKCS#1 v1.5 decryption (rsa's, with implicit rejection against timing attacks) never
        // fails on a wrong padding: it returns random-looking bytes of a random length. A card
        // code is 6 to 40 letters, digits or dashes; anything else is refused, so a wrong key
        // or padding keeps the card's encrypted code instead of inventing a PIN (random bytes
        // pass this with a chance of about one in a million).
        let looks_like_a_code = (6..=40).contains(&plain.len())
            && plain
                .iter()
                .all(|b| b.is_ascii_alphanumeric() || *b == b'-');
        if !looks_like_a_code {
            return Err(fail(
                "the decrypted code is not a card code (wrong key or padding?)",
            ));
        }
        String::from_utf8(plain)
            .map(CardCode::from)
            .map_err(|_| fail("the decrypted code is not UTF-8"))
    }

    fn auth_header(&self) -> String {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let token = sign::jwt(
            &self.partner_code,
            self.api_key.expose(),
            self.secret_key.expose(),
            now,
            self.jwt_lifetime_secs,
        );
        if self.bearer {
            format!("Bearer {token}")
        } else {
            token
        }
    }

    /// A read-only call, with the keys that must not show in its errors.
    fn read_only(&self, op: &'static registry::Operation) -> Call<'_> {
        Call::read_only(op, vec![self.secret_key.expose(), self.api_key.expose()])
    }

    fn get(&self, call: &Call<'_>, url: &str) -> Result<Reply, Error> {
        self.get_with(call, url, &[])
    }

    fn get_with(&self, call: &Call<'_>, url: &str, query: &[(&str, &str)]) -> Result<Reply, Error> {
        let token = self.auth_header();
        self.http.send(
            call,
            url,
            &[("X-APPOTAPAY-AUTH", &token)],
            Payload::Query(query),
        )
    }

    /// Reads a purchase. The documented replies do not echo `partnerRefId`; where one does, a
    /// reply for another reference is refused (for `buy_cards`: outcome unknown).
    fn read_purchase(
        &self,
        call: &Call<'_>,
        reply: &Reply,
        partner_ref_id: &str,
    ) -> Result<BuyResult, Error> {
        let map = read_object(call, reply)?;
        call.read(reply, || -> Result<BuyResult, fields::FieldError> {
            let error_code = fields::int(&map, "errorCode")?;
            let mut cards = Vec::new();
            for card in fields::list(&map, "cards") {
                let card = card.as_object().ok_or("a card is not an object")?;
                let serial = fields::opt_text(card, "serial")?.ok_or("a card has no serial")?;
                let encrypted_code = fields::opt_text(card, "code")?.unwrap_or_default();
                let (code, code_error) = match self.decrypt_code(&serial, &encrypted_code) {
                    Ok(code) => (Some(code), None),
                    Err(e) => (None, Some(e)),
                };
                cards.push(BoughtCard {
                    serial,
                    code,
                    code_error,
                    encrypted_code,
                    vendor: fields::opt_text(card, "vendor")?,
                    value: fields::opt_int(card, "value")?,
                    expiry: fields::opt_text(card, "expiry")?.map(|e| iso_date(&e)),
                });
            }
            // The document puts amount and time at the top level, its examples in `transaction`.
            let transaction = map
                .get("transaction")
                .and_then(Value::as_object)
                .unwrap_or(&map);
            for echoed in [&map, transaction] {
                if let Some(echoed) = fields::opt_text(echoed, "partnerRefId")?
                    && echoed != partner_ref_id
                {
                    return Err(format!(
                        "the reply is for partnerRefId {echoed:?}, not {partner_ref_id:?}"
                    ));
                }
            }
            let account = map.get("account").and_then(Value::as_object);
            Ok(BuyResult {
                status: PurchaseStatus::from_code(error_code),
                error_code,
                message: fields::opt_text(&map, "message")?.unwrap_or_default(),
                cards,
                appotapay_trans_id: fields::opt_text(transaction, "appotapayTransId")?,
                amount: fields::opt_int(transaction, "amount")?,
                time: fields::opt_text(transaction, "time")?,
                balance: account
                    .map(|a| fields::opt_int(a, "balance"))
                    .transpose()?
                    .flatten(),
                raw: Raw::new(&reply.body),
            })
        })
    }
}

fn parse_private_key(pem: &str) -> Result<PrivateKey, Error> {
    PrivateKey::from_pkcs8_pem(pem)
        .or_else(|_| PrivateKey::from_pkcs1_pem(pem))
        .map_err(|_| {
            Error::invalid(
                "private_key_pem",
                "not an RSA private key in PEM (PKCS#8 or PKCS#1)",
            )
        })
}

/// A product or bank code: 1 to `max` letters, digits and '_'; `hint` ends the refusal.
fn word(field: &'static str, value: &str, max: usize, hint: &str) -> Result<(), Error> {
    fields::required(field, value, max)?;
    if !value
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'_')
    {
        return Err(Error::invalid(
            field,
            format!("may contain only letters, digits and '_'{hint}"),
        ));
    }
    Ok(())
}

/// Checks a purchase; returns the phone for `sms`.
pub(crate) fn validate_buy(request: &BuyRequest) -> Result<Option<&str>, Error> {
    fields::identifier("partner_ref_id", &request.partner_ref_id)?;
    word("product_code", &request.product_code, 32, "")?;
    match (request.r#type, request.customer_phone.as_deref()) {
        (BuyType::Normal, None) => {
            if !(1..=100).contains(&request.quantity) {
                return Err(Error::invalid(
                    "quantity",
                    "must be 1 to 100 for type normal",
                ));
            }
            Ok(None)
        }
        (BuyType::Normal, Some(_)) => Err(Error::invalid("customer_phone", "is only for type sms")),
        (BuyType::Sms, None) => Err(Error::invalid("customer_phone", "is required for type sms")),
        (BuyType::Sms, Some(phone)) => {
            if request.quantity != 1 {
                return Err(Error::invalid("quantity", "must be 1 for type sms"));
            }
            fields::vn_mobile("customer_phone", phone)?;
            Ok(Some(phone))
        }
    }
}

/// `29-09-2023` or `2023-09-29` → `2023-09-29`; anything else as sent.
fn iso_date(text: &str) -> String {
    let parts: Vec<&str> = text.trim().split('-').collect();
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    match parts.as_slice() {
        [d, m, y] if digits(d, 2) && digits(m, 2) && digits(y, 4) => format!("{y}-{m}-{d}"),
        [y, m, d] if digits(y, 4) && digits(m, 2) && digits(d, 2) => format!("{y}-{m}-{d}"),
        _ => text.to_owned(),
    }
}

impl crate::outcome::MoneyOutcome for crate::appotapay::BuyResult {
    fn outcome(&self) -> crate::outcome::Outcome {
        use crate::appotapay::PurchaseStatus;
        match self.status {
            PurchaseStatus::Success => crate::outcome::Outcome::Succeeded,
            PurchaseStatus::Failed => crate::outcome::Outcome::Failed,
            PurchaseStatus::NotFound => crate::outcome::Outcome::NotFound,
            _ => crate::outcome::Outcome::Unknown,
        }
    }

    fn amount(&self) -> Option<i64> {
        self.amount
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PKCS8: &str = include_str!("../../../tests/data/appotapay-partner-key.pem");
    const PKCS1: &str = include_str!("../../../tests/data/appotapay-partner-key-pkcs1.pem");

    fn client(pem: &str, padding: Padding) -> AppotaPay {
        AppotaPay::new(AppotaPayConfig {
            private_key_pem: Some(pem.into()),
            padding,
            ..AppotaPayConfig::new("TEST", "api-key", "secret")
        })
        .unwrap()
    }

    // Ciphertexts made with OpenSSL, an independent tool:
    // printf 0123456789012 | openssl pkeyutl -encrypt -inkey appotapay-partner-key.pem
    //   -pkeyopt rsa_padding_mode:oaep -pkeyopt rsa_oaep_md:sha1 | base64 -w0   (and rsa_padding_mode:pkcs1)
    const OAEP_SHA1: &str = "kTyEfSmeIboJBI9ryboCkZJ0tLOfZxM52WpLIx3kYJ2zY+CfOzZosNR9jMytmacowsOOQkuWOgXKnp0+HQbkhD1NVI0WD8FozPgM/Za9AinkOfY3RjD+CquiBor6TAIhGwa5xej9ayI14xReFZZ9PV9vo4forUMzJMerfPpqJOX+oZYSymhNRk8i4U/7HXXGq1jV4TCzWmqwYGzZZYuBZh98U2KSPRD6QiNWO7f0a8nME5MvOAEElGDxRMxdF8DHkml6X6JHm2d4/MeeWj9RYV3mMRCNk1sgGO+a387tgPgDoUh7fUvwc7DUqz8x03AWcIvj3kI9K5lJStCoMtsHhQ==";
    const PKCS1V15: &str = "ZW2bBZ84TVdfzm+HXvo16cqiKw1W8G+scpB5lBHO5z8/x0o9Ef+aaJAeaGsUa52NzHCsb6udYIHb4gGymZq6BAk5dZoyxEBwYE+zNAoJzegjuYVyIMs0EuePkIn0Wpc7OnA4/ZK/YcFlQBe9z5EU19Bh3mD/95GJDubF9XYTsf2s7Gpt9dWja4Q6hkDFKL7RM+1pZzE8dXL09WHkm+Wqj3uS7XWyM/30OpUlk9hAyPnoMnVKpw5o5UhtcqvvHCMk7eC/3Oi/BfkutN5Cd8NU81gGv2J3MuqmGdRuCZnvBhOF/dbtPRybYF9RYnYdIsBYjTRsmgfvYNrfc4PWibfXYg==";

    #[test]
    fn decrypts_openssl_ciphertexts_with_both_key_formats_and_paddings() {
        for pem in [PKCS8, PKCS1] {
            assert_eq!(
                client(pem, Padding::OaepSha1)
                    .decrypt_code("S1", OAEP_SHA1)
                    .unwrap()
                    .as_str(),
                "0123456789012"
            );
            assert_eq!(
                client(pem, Padding::Pkcs1v15)
                    .decrypt_code("S1", PKCS1V15)
                    .unwrap()
                    .as_str(),
                "0123456789012"
            );
        }
        // The wrong padding fails, naming the serial, never guessing.
        let err = client(PKCS8, Padding::OaepSha1)
            .decrypt_code("SER-9", PKCS1V15)
            .unwrap_err();
        assert_eq!(err.serial, "SER-9");
        assert!(
            client(PKCS8, Padding::OaepSha1)
                .decrypt_code("S", "b10294bae53e89919b3efd62a763bf3")
                .is_err()
        );
        assert!(
            client(PKCS8, Padding::OaepSha1)
                .decrypt_code("S", "not base64!")
                .is_err()
        );
    }

    #[test]
    fn the_wrong_padding_never_invents_a_code() {
        // rsa's PKCS#1 v1.5 decryption answers a wrong padding with random bytes, not an
        // error: OAEP ciphertexts read as PKCS#1 v1.5 must still all be refused.
        let oaep = client(PKCS8, Padding::OaepSha1);
        let wrong = client(PKCS8, Padding::Pkcs1v15);
        let public = oaep.private_key.as_ref().unwrap().to_public_key();
        let (mut utf8, tries) = (0, 100);
        for _ in 0..tries {
            let ciphertext = public.oaep_encrypt::<sha1::Sha1>(b"0123456789012").unwrap();
            let encoded = base64::engine::general_purpose::STANDARD.encode(&ciphertext);
            assert_eq!(
                oaep.decrypt_code("S", &encoded).unwrap().as_str(),
                "0123456789012"
            );
            let plain = wrong
                .private_key
                .as_ref()
                .unwrap()
                .pkcs1v15_decrypt(&ciphertext)
                .unwrap();
            utf8 += usize::from(std::str::from_utf8(&plain).is_ok());
            assert!(wrong.decrypt_code("S", &encoded).is_err());
        }
        // What a UTF-8 check alone let through (a garbage PIN handed out as the card's).
        println!("wrong padding: {utf8} of {tries} decryptions were valid UTF-8; 0 accepted");
    }

    #[test]
    fn a_bad_key_is_refused_at_build() {
        let err = AppotaPay::new(AppotaPayConfig {
            private_key_pem: Some(
                "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----".into(),
            ),
            ..AppotaPayConfig::new("TEST", "k", "s")
        })
        .unwrap_err();
        assert!(matches!(err, Error::InvalidInput { ref field, .. } if field == "private_key_pem"));
        assert!(!err.to_string().contains("AAAA"));
    }

    #[test]
    fn expiry_in_both_orders() {
        assert_eq!(iso_date("29-09-2023"), "2023-09-29");
        assert_eq!(iso_date("2023-09-29"), "2023-09-29");
        assert_eq!(iso_date("Sep 2023"), "Sep 2023");
    }

    #[test]
    fn purchase_validation_names_the_field() {
        let good = BuyRequest {
            partner_ref_id: "R1".into(),
            product_code: "VT10".into(),
            quantity: 2,
            ..BuyRequest::default()
        };
        assert_eq!(validate_buy(&good).unwrap(), None);
        let field = |r: BuyRequest| match validate_buy(&r) {
            Err(Error::InvalidInput { field, .. }) => field,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            field(BuyRequest {
                quantity: 0,
                ..good.clone()
            }),
            "quantity"
        );
        assert_eq!(
            field(BuyRequest {
                quantity: 101,
                ..good.clone()
            }),
            "quantity"
        );
        assert_eq!(
            field(BuyRequest {
                product_code: "VT 10".into(),
                ..good.clone()
            }),
            "product_code"
        );
        assert_eq!(
            field(BuyRequest {
                partner_ref_id: String::new(),
                ..good.clone()
            }),
            "partner_ref_id"
        );
        assert_eq!(
            field(BuyRequest {
                r#type: BuyType::Sms,
                quantity: 1,
                ..good.clone()
            }),
            "customer_phone"
        );
        assert_eq!(
            field(BuyRequest {
                customer_phone: Some("0912345678".into()),
                ..good.clone()
            }),
            "customer_phone"
        );
        let sms = BuyRequest {
            r#type: BuyType::Sms,
            quantity: 1,
            customer_phone: Some("0912345678".into()),
            ..good
        };
        assert_eq!(validate_buy(&sms).unwrap(), Some("0912345678"));
        assert_eq!(
            field(BuyRequest {
                quantity: 2,
                ..sms.clone()
            }),
            "quantity"
        );
        assert_eq!(
            field(BuyRequest {
                customer_phone: Some("912345678".into()),
                ..sms
            }),
            "customer_phone"
        );
    }
}
