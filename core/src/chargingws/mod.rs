//! chargingws/v2: card charging ("đổi thẻ cào") over the protocol many card-exchange sites
//! share (thesieure, doithe1s, card2k, trumthe, …). The protocol and
//! every ruling on its ambiguities: `docs/providers/chargingws.md`.
//!
//! ```no_run
//! use vngate::chargingws::{CardRequest, ChargingWs, ChargingWsConfig};
//!
//! let client = ChargingWs::new(ChargingWsConfig::new("https://thesieure.com", "1234567890", "partner-key"))?;
//! let request = CardRequest::new(
//!     "VIETTEL",
//!     "312821445892981",
//!     "10004783347874",
//!     50_000,
//!     vngate::new_request_id(),
//! );
//! let result = client.charge(&request)?; // usually status 99 (pending): wait for the callback
//! println!("{:?} {}", result.status, result.message);
//! # Ok::<(), vngate::Error>(())
//! ```

mod callback;
mod recharge;
mod shop;
pub mod sign;

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

pub use callback::Callback;
pub use recharge::{
    TopupOrder, TopupOrderRequest, TopupOrderStatus, TopupProducts, TopupServiceProduct,
    TopupStatusRequest,
};
pub use shop::{
    BuyCardsRequest, CardOrder, CardProduct, CardProducts, CardValue, OrderStatus,
    RedownloadRequest, ShopBalance, ShopCard, Stock, StockRequest, WalletBalanceRequest,
    WalletService,
};
pub use sign::SignScheme;

pub(crate) use recharge::validate_topup_order;
pub(crate) use shop::validate_buy_cards;

use crate::card::CardStatus;
use crate::error::Error;
use crate::fields;
use crate::http::{self, Call, Http, HttpOptions, Payload, Reply};
use crate::registry;
use crate::secret::{CardCode, Raw, Secret};
use crate::telco::{self, FaceValues, Telco};

/// How requests travel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum Transport {
    /// POST `application/x-www-form-urlencoded` (default: what most working integrations send).
    #[default]
    Form,
    /// POST `application/json`.
    Json,
    /// GET with a query string. Opt-in only: it writes card PINs into every access log on the
    /// way.
    Get,
}

/// How card shop requests are encoded (`/api/cardws` takes "JSON, `URL_ENCODE`, `FORM_PARAMS`").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum ShopTransport {
    /// POST `application/json` (default: what working integrations send).
    #[default]
    Json,
    /// POST `application/x-www-form-urlencoded`.
    Form,
    /// POST with the fields in the query string, as the documentation's examples write them.
    Query,
}

/// Everything a [`ChargingWs`] client needs. In JSON the HTTP options sit beside these keys.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct ChargingWsConfig {
    /// The site, e.g. `https://thesieure.com`.
    pub base_url: String,
    /// The API path on that site. Default `/chargingws/v2`.
    #[serde(default = "default_path")]
    pub path: String,
    /// The partner id the site issued.
    pub partner_id: String,
    /// The partner key the site issued.
    pub partner_key: Secret,
    /// How the site signs requests. Default S1.
    #[serde(default)]
    pub sign_scheme: SignScheme,
    /// How requests travel. Default form.
    #[serde(default)]
    pub transport: Transport,
    /// Face values accepted per telco, replacing the defaults for the telcos named
    /// (`{"VIETTEL": [10000, 20000]}`). Default: 10 000 … 1 000 000 (VCOIN and GATE up to
    /// 10 000 000, GARENA 20 000 … 500 000).
    #[serde(default)]
    pub face_values: BTreeMap<String, Vec<i64>>,
    /// Take the face values from the site's own fee table instead (read once, on the first
    /// charge, and kept): the amounts that site really takes. Default `false`.
    #[serde(default)]
    pub face_values_from_fees: bool,
    /// The card shop's path on the site (`buy_cards`, `redownload`, `wallet_balance`).
    /// Default `/api/cardws`.
    #[serde(default = "default_shop_path")]
    pub shop_path: String,
    /// How card shop requests are encoded: `json` (default), `form` or `query` (a POST with
    /// the fields in the query string). The top-up service takes JSON only.
    #[serde(default)]
    pub shop_transport: ShopTransport,
    /// The partner id the site issued for its card shop, when it differs from `partner_id`.
    #[serde(default)]
    pub shop_partner_id: Option<String>,
    /// The partner key for the card shop, when it differs from `partner_key`.
    #[serde(default)]
    pub shop_partner_key: Option<Secret>,
    /// The site's e-wallet number, sent with `buy_cards` and `wallet_balance` when set.
    #[serde(default)]
    pub wallet_number: Option<String>,
    /// How the site signs `stock` (checkavailable). Default C1 with no request id.
    #[serde(default)]
    pub stock_sign: sign::StockSign,
    /// The top-up service's path (`topup_order`, `topup_status`, `topup_products`). Default
    /// `/api/rechargews`.
    #[serde(default = "default_topup_path")]
    pub topup_path: String,
    /// The partner id the site issued for top-up, when it differs from `partner_id`.
    #[serde(default)]
    pub topup_partner_id: Option<String>,
    /// The partner key for top-up, when it differs from `partner_key`.
    #[serde(default)]
    pub topup_partner_key: Option<Secret>,
    /// Send a top-up's `amount` and `qty` as JSON numbers. Default `false`: as text, as the
    /// documentation's example does (the sign covers neither).
    #[serde(default)]
    pub topup_amount_as_number: bool,
    /// Timeouts, reply limit, proxy.
    #[serde(flatten)]
    pub http: HttpOptions,
    /// Keys this version does not know. A client refuses to build while any are present, so
    /// a misspelt option is an error, not a silent default.
    #[serde(flatten)]
    #[cfg_attr(feature = "schema", schemars(skip))]
    pub unknown: BTreeMap<String, Value>,
}

fn default_path() -> String {
    "/chargingws/v2".to_owned()
}

fn default_shop_path() -> String {
    "/api/cardws".to_owned()
}

fn default_topup_path() -> String {
    "/api/rechargews".to_owned()
}

impl ChargingWsConfig {
    /// A config with the defaults: S1 signatures, form transport, 30 s / 10 s timeouts.
    pub fn new(
        base_url: impl Into<String>,
        partner_id: impl Into<String>,
        partner_key: impl Into<Secret>,
    ) -> Self {
        Self {
            base_url: base_url.into(),
            path: default_path(),
            partner_id: partner_id.into(),
            partner_key: partner_key.into(),
            sign_scheme: SignScheme::default(),
            transport: Transport::default(),
            face_values: BTreeMap::new(),
            face_values_from_fees: false,
            shop_path: default_shop_path(),
            shop_transport: ShopTransport::default(),
            shop_partner_id: None,
            shop_partner_key: None,
            wallet_number: None,
            stock_sign: sign::StockSign::default(),
            topup_path: default_topup_path(),
            topup_partner_id: None,
            topup_partner_key: None,
            topup_amount_as_number: false,
            http: HttpOptions::default(),
            unknown: BTreeMap::new(),
        }
    }
}

/// A card to charge, or to check. `check` takes the same fields, since S1 signs the card.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct CardRequest {
    /// The network: `VIETTEL`, `VINAPHONE`, `MOBIFONE`, `VIETNAMOBILE` (or `VNMOBI`, `VNMB`),
    /// `ZING`, `GATE`, `GARENA`, `VCOIN`, `APPOTA`. Sent upper-case.
    pub telco: String,
    /// The card PIN, as printed (leading zeros matter).
    pub code: CardCode,
    /// The card serial, as printed.
    pub serial: String,
    /// The declared face value in VND.
    pub amount: i64,
    /// Your unique id for this card; see [`crate::new_request_id`].
    pub request_id: String,
}

impl CardRequest {
    /// A card: its telco, PIN, serial, declared face value and your unique `request_id`.
    pub fn new(
        telco: impl Into<String>,
        code: impl Into<CardCode>,
        serial: impl Into<String>,
        amount: i64,
        request_id: impl Into<String>,
    ) -> Self {
        Self {
            telco: telco.into(),
            code: code.into(),
            serial: serial.into(),
            amount,
            request_id: request_id.into(),
        }
    }
}

/// A site's answer to `charge` or `check`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct CardResult {
    /// The card's status; unknown codes are kept.
    pub status: CardStatus,
    /// The site's message, as sent.
    pub message: String,
    /// Your request id, echoed.
    pub request_id: Option<String>,
    /// The site's transaction id.
    pub trans_id: Option<String>,
    /// The telco, echoed.
    pub telco: Option<String>,
    /// The card PIN, echoed.
    pub code: Option<CardCode>,
    /// The card serial, echoed.
    pub serial: Option<String>,
    /// The face value you declared.
    pub declared_value: Option<i64>,
    /// The face value billed; `None` while pending.
    pub value: Option<i64>,
    /// The money you receive after fees (not the face value).
    pub amount: Option<i64>,
    /// The reply body as received.
    pub raw: Raw,
}

/// One row of the fee table.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct Fee {
    /// The telco, as the site names it in its fee table (may be an alias such as `VNMOBI`).
    pub telco: String,
    /// The face value.
    pub value: i64,
    /// The fee in percent for a card of the right value.
    pub fees: f64,
    /// The extra penalty in percent for a card of the wrong value.
    pub penalty: Option<f64>,
}

/// The fee table.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct Fees {
    /// Every usable row, in the order the site sent them.
    pub fees: Vec<Fee>,
    /// Rows left out, each with why (a row whose `fees` is null: the site does not take that
    /// card now). One unusable row does not cost the whole table.
    pub skipped: Vec<String>,
    /// The reply body as received.
    pub raw: Raw,
}

/// A chargingws/v2 client. Immutable, `Send + Sync`; share one per site.
#[derive(Debug)]
pub struct ChargingWs {
    endpoint: String,
    partner_id: String,
    partner_key: Secret,
    sign_scheme: SignScheme,
    transport: Transport,
    face_values: Arc<FaceValues>,
    /// With `face_values_from_fees`: the site's table once read (`None` before).
    face_values_from_fees: Option<Mutex<Option<Arc<FaceValues>>>>,
    shop: Shop,
    recharge: Recharge,
    http: Http,
}

/// The top-up service.
#[derive(Debug)]
struct Recharge {
    service: Service,
    amount_as_number: bool,
}

/// A service of the site beside charging (the card shop, the top-up service): where, as
/// whom, and how encoded. Every command there is a POST signed C1.
#[derive(Debug)]
struct Service {
    endpoint: String,
    partner_id: String,
    partner_key: Secret,
    transport: ShopTransport,
}

impl Service {
    /// The fields every command carries, signed.
    fn body(&self, command: &str, request_id: Option<&str>) -> Map<String, Value> {
        let sign = sign::service_sign(
            self.partner_key.expose(),
            &self.partner_id,
            command,
            request_id,
        );
        let mut body = Map::new();
        body.insert("partner_id".into(), self.partner_id.clone().into());
        body.insert("command".into(), command.into());
        if let Some(request_id) = request_id {
            body.insert("request_id".into(), request_id.into());
        }
        body.insert("sign".into(), sign.into());
        body
    }

    fn send(&self, http: &Http, call: &Call<'_>, body: Map<String, Value>) -> Result<Reply, Error> {
        if self.transport == ShopTransport::Json {
            return http.send(
                call,
                &self.endpoint,
                &[],
                Payload::Json(Value::Object(body).to_string()),
            );
        }
        // Form or query: every value as its text (the card shop's bodies are flat).
        let texts: Vec<Cow<'_, str>> = body
            .values()
            .map(|value| match value {
                Value::String(text) => Cow::Borrowed(text.as_str()),
                other => Cow::Owned(other.to_string()),
            })
            .collect();
        let params: Vec<(&str, &str)> = body
            .keys()
            .map(String::as_str)
            .zip(texts.iter().map(|text| &**text))
            .collect();
        let payload = match self.transport {
            ShopTransport::Form => Payload::Form(&params),
            _ => Payload::PostQuery(&params),
        };
        http.send(call, &self.endpoint, &[], payload)
    }

    fn secrets(&self) -> Vec<&str> {
        vec![self.partner_key.expose()]
    }
}

/// The card shop.
#[derive(Debug)]
struct Shop {
    service: Service,
    wallet_number: Option<String>,
    stock_sign: sign::StockSign,
}

impl ChargingWs {
    pub(crate) fn http(&self) -> &Http {
        &self.http
    }

    pub(crate) fn endpoint_url(&self) -> &str {
        &self.endpoint
    }

    pub(crate) fn partner_id(&self) -> &str {
        &self.partner_id
    }

    /// Builds a client; checks the config.
    pub fn new(config: ChargingWsConfig) -> Result<Self, Error> {
        fields::no_unknown(&config.unknown)?;
        let base = http::base_url(
            "base_url",
            &config.base_url,
            http::Scheme::https(&config.http),
        )?;
        if !config.path.starts_with('/') {
            return Err(Error::invalid("path", "must start with '/'"));
        }
        fields::required("partner_id", &config.partner_id, 64)?;
        fields::required("partner_key", config.partner_key.expose(), 256)?;
        if !config.shop_path.starts_with('/') {
            return Err(Error::invalid("shop_path", "must start with '/'"));
        }
        if let Some(id) = &config.shop_partner_id {
            fields::required("shop_partner_id", id, 64)?;
        }
        if let Some(key) = &config.shop_partner_key {
            fields::required("shop_partner_key", key.expose(), 256)?;
        }
        if !config.topup_path.starts_with('/') {
            return Err(Error::invalid("topup_path", "must start with '/'"));
        }
        if let Some(id) = &config.topup_partner_id {
            fields::required("topup_partner_id", id, 64)?;
        }
        if let Some(key) = &config.topup_partner_key {
            fields::required("topup_partner_key", key.expose(), 256)?;
        }
        let recharge = Recharge {
            service: Service {
                endpoint: format!("{base}{}", config.topup_path.trim_end_matches('/')),
                partner_id: config
                    .topup_partner_id
                    .unwrap_or_else(|| config.partner_id.clone()),
                partner_key: config
                    .topup_partner_key
                    .unwrap_or_else(|| config.partner_key.clone()),
                // The documentation: the top-up service takes POST JSON only.
                transport: ShopTransport::Json,
            },
            amount_as_number: config.topup_amount_as_number,
        };
        let shop = Shop {
            service: Service {
                endpoint: format!("{base}{}", config.shop_path.trim_end_matches('/')),
                partner_id: config
                    .shop_partner_id
                    .unwrap_or_else(|| config.partner_id.clone()),
                partner_key: config
                    .shop_partner_key
                    .unwrap_or_else(|| config.partner_key.clone()),
                transport: config.shop_transport,
            },
            wallet_number: config.wallet_number,
            stock_sign: config.stock_sign,
        };
        Ok(Self {
            endpoint: format!("{base}{}", config.path.trim_end_matches('/')),
            partner_id: config.partner_id,
            partner_key: config.partner_key,
            sign_scheme: config.sign_scheme,
            transport: config.transport,
            face_values: Arc::new(FaceValues::new(&config.face_values)?),
            face_values_from_fees: config.face_values_from_fees.then(|| Mutex::new(None)),
            shop,
            recharge,
            http: Http::new(&config.http)?,
        })
    }

    /// Submits a card (`command=charging`). Never retried: after a timeout the error is
    /// [`Error::OutcomeUnknown`] with your `request_id`; call [`ChargingWs::check`] then.
    pub fn charge(&self, request: &CardRequest) -> Result<CardResult, Error> {
        // Every field first: reading the site's fee table is I/O, and bad input gets none.
        let (name, telco) = validate(request)?;
        self.accepted_face_values()?
            .check(&name, telco, request.amount)?;
        self.card_command(&registry::CHARGINGWS_CHARGE, "charging", &name, request)
    }

    /// The face values `charge` accepts: the configured ones, or the site's fee table.
    fn accepted_face_values(&self) -> Result<Arc<FaceValues>, Error> {
        let Some(cache) = &self.face_values_from_fees else {
            return Ok(Arc::clone(&self.face_values));
        };
        if let Some(values) = cache
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
        {
            return Ok(Arc::clone(values));
        }
        // Read outside the lock: a slow site must not hold every other charge behind it. Two
        // first charges may both read it; both get the same table.
        let table = self.fees()?;
        let values = Arc::new(FaceValues::from_table(table.fees.iter().filter_map(
            |row| Telco::from_name(&row.telco.trim().to_ascii_uppercase()).map(|t| (t, row.value)),
        )));
        *cache.lock().unwrap_or_else(PoisonError::into_inner) = Some(Arc::clone(&values));
        Ok(values)
    }

    /// Asks for a card's current status (`command=check`, same fields and signature rules).
    pub fn check(&self, request: &CardRequest) -> Result<CardResult, Error> {
        let (name, _) = validate(request)?;
        self.card_command(&registry::CHARGINGWS_CHECK, "check", &name, request)
    }

    /// The fee table (`GET …/getfee?partner_id=`), in either shape sites use.
    pub fn fees(&self) -> Result<Fees, Error> {
        let call = Call::read_only(&registry::CHARGINGWS_FEES, vec![self.partner_key.expose()]);
        let query = [("partner_id", self.partner_id.as_str())];
        let url = format!("{}/getfee", self.endpoint);
        let reply = self.http.send(&call, &url, &[], Payload::Query(&query))?;
        let body = fields::exact_numbers(&reply.body);
        let table = serde_json::from_slice::<FeeTable>(&body).map_err(|_| {
            let reason = match serde_json::from_slice::<Value>(&body) {
                Ok(_) => "the fee table is neither a list nor an object",
                Err(_) => "not JSON",
            };
            call.bad_reply(reply.status, reason, &reply.body)
        })?;
        let (fees, skipped) = parse_fees(&table)
            .map_err(|reason| call.bad_reply(reply.status, &reason, &reply.body))?;
        Ok(Fees {
            fees,
            skipped,
            raw: Raw::new(&reply.body),
        })
    }

    /// Verifies and reads a callback: a POST JSON body, or a GET query string (with or without
    /// the leading `?` or the whole URL). The signature only covers the card (code, serial),
    /// not the status or amounts: match it to your stored request with
    /// [`Callback::check_against`], and confirm with [`ChargingWs::check`] before crediting.
    pub fn parse_callback(&self, data: &[u8]) -> Result<Callback, Error> {
        callback::parse(self.partner_key.expose(), data)
    }

    fn card_command(
        &self,
        op: &'static registry::Operation,
        command: &'static str,
        telco: &str,
        request: &CardRequest,
    ) -> Result<CardResult, Error> {
        let sign = sign::request_sign(
            self.sign_scheme,
            self.partner_key.expose(),
            &sign::SignInput {
                command,
                partner_id: &self.partner_id,
                request_id: &request.request_id,
                telco,
                code: request.code.as_str(),
                serial: &request.serial,
            },
        );
        let call = Call::new(
            op,
            &request.request_id,
            vec![self.partner_key.expose(), request.code.as_str(), &sign],
        );
        let amount = request.amount.to_string();
        let params: [(&str, &str); 8] = [
            ("telco", telco),
            ("code", request.code.as_str()),
            ("serial", &request.serial),
            ("amount", &amount),
            ("request_id", &request.request_id),
            ("partner_id", &self.partner_id),
            ("sign", &sign),
            ("command", command),
        ];
        let payload = match self.transport {
            Transport::Form => Payload::Form(&params),
            Transport::Get => Payload::Query(&params),
            Transport::Json => Payload::Json(json_body(&params)),
        };
        let reply = self.http.send(&call, &self.endpoint, &[], payload)?;
        parse_card_result(&call, &reply, &request.request_id)
    }
}

/// Checks a card request before anything is sent; returns the upper-case telco.
pub(crate) fn validate(request: &CardRequest) -> Result<(String, Telco), Error> {
    let (name, telco) = telco::normalize(&request.telco)?;
    let digits = telco.is_mobile_network();
    fields::card_part("code", request.code.as_str(), digits)?;
    fields::card_part("serial", &request.serial, digits)?;
    fields::positive("amount", request.amount)?;
    fields::identifier("request_id", &request.request_id)?;
    Ok((name, telco))
}

/// The JSON body: the same fields as the form, with `amount` as a number.
fn json_body(params: &[(&str, &str)]) -> String {
    let mut map = Map::new();
    for (key, value) in params {
        let value = match (*key, value.parse::<i64>()) {
            ("amount", Ok(n)) => Value::from(n),
            _ => Value::from(*value),
        };
        map.insert((*key).to_owned(), value);
    }
    Value::Object(map).to_string()
}

fn parse_card_result(
    call: &Call<'_>,
    reply: &Reply,
    request_id: &str,
) -> Result<CardResult, Error> {
    let map = call.json_fields(reply)?;
    call.read(reply, || -> Result<CardResult, fields::FieldError> {
        let result = CardResult {
            status: CardStatus::from_code(fields::int(&map, "status")?),
            message: fields::opt_text(&map, "message")?.unwrap_or_default(),
            request_id: fields::opt_text(&map, "request_id")?,
            trans_id: fields::opt_text(&map, "trans_id")?,
            telco: fields::opt_text(&map, "telco")?,
            code: fields::opt_text(&map, "code")?.map(CardCode::from),
            serial: fields::opt_text(&map, "serial")?,
            declared_value: fields::opt_int(&map, "declared_value")?,
            value: fields::opt_int(&map, "value")?,
            amount: fields::opt_int(&map, "amount")?,
            raw: Raw::new(&reply.body),
        };
        if let Some(echoed) = result
            .request_id
            .as_ref()
            .filter(|echoed| *echoed != request_id)
        {
            return Err(format!(
                "the reply is for request_id {echoed:?}, not {request_id:?}"
            ));
        }
        Ok(result)
    })
}

/// Reads a fee table: a flat array of rows, or an object of arrays keyed by telco.
/// Reads a fee table: a flat array of rows, or an object of arrays keyed by telco (where a row
/// may leave out its telco: the key says it). Returns the rows and the rows skipped.
/// A fee table as the site sent it: a list of rows, or lists of rows keyed by telco, in the
/// site's order (a JSON object read into a map came back sorted by telco).
#[derive(Debug)]
enum FeeTable {
    List(Vec<Value>),
    Keyed(Vec<(String, Value)>),
}

impl<'de> serde::Deserialize<'de> for FeeTable {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Table;
        impl<'de> serde::de::Visitor<'de> for Table {
            type Value = FeeTable;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a list of fee rows, or lists keyed by telco")
            }

            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<FeeTable, A::Error> {
                let mut rows = Vec::new();
                while let Some(row) = seq.next_element::<Value>()? {
                    rows.push(row);
                }
                Ok(FeeTable::List(rows))
            }

            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<FeeTable, A::Error> {
                let mut keyed = Vec::new();
                while let Some(entry) = map.next_entry::<String, Value>()? {
                    keyed.push(entry);
                }
                Ok(FeeTable::Keyed(keyed))
            }
        }
        deserializer.deserialize_any(Table)
    }
}

fn parse_fees(table: &FeeTable) -> Result<(Vec<Fee>, Vec<String>), String> {
    let rows: Vec<(Option<&str>, &Value)> = match table {
        FeeTable::List(rows) => rows.iter().map(|row| (None, row)).collect(),
        FeeTable::Keyed(by_telco) => {
            let mut rows = Vec::new();
            for (telco, list) in by_telco {
                let list = list
                    .as_array()
                    .ok_or_else(|| format!("fees for {telco:?} are not a list"))?;
                rows.extend(list.iter().map(|row| (Some(telco.as_str()), row)));
            }
            rows
        }
    };
    let (mut fees, mut skipped) = (Vec::new(), Vec::new());
    for (key, row) in rows {
        let row = row.as_object().ok_or("a fee row is not an object")?;
        let telco = match (fields::opt_text(row, "telco")?, key) {
            (Some(telco), _) => telco,
            (None, Some(key)) => key.to_owned(),
            (None, None) => return Err("a fee row has no telco".to_owned()),
        };
        let value = fields::int(row, "value")?;
        let Some(fee) = fields::opt_float(row, "fees")? else {
            skipped.push(format!("{telco} {value}: fees is null or missing"));
            continue;
        };
        fees.push(Fee {
            telco,
            value,
            fees: fee,
            penalty: fields::opt_float(row, "penalty")?,
        });
    }
    Ok((fees, skipped))
}

impl crate::outcome::MoneyOutcome for crate::chargingws::CardResult {
    fn outcome(&self) -> crate::outcome::Outcome {
        crate::outcome::of_card(self.status)
    }

    fn reference(&self) -> Option<&str> {
        self.request_id.as_deref()
    }

    fn amount(&self) -> Option<i64> {
        self.amount
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn table(value: &Value) -> FeeTable {
        serde_json::from_value(value.clone()).unwrap()
    }

    #[test]
    fn both_fee_shapes_are_read() {
        let flat = json!([{"telco":"VNMOBI","value":10000,"fees":17,"penalty":50},{"telco":"VIETTEL","value":10000,"fees":12.5,"penalty":50}]);
        let (fees, _) = parse_fees(&table(&flat)).unwrap();
        assert_eq!(fees.len(), 2);
        assert!((fees[1].fees - 12.5).abs() < f64::EPSILON);
        let keyed = json!({"VIETTEL":[{"telco":"VIETTEL","value":10000,"fees":30,"penalty":20}],"VINAPHONE":[]});
        let (fees, _) = parse_fees(&table(&keyed)).unwrap();
        assert_eq!(
            fees,
            vec![Fee {
                telco: "VIETTEL".into(),
                value: 10000,
                fees: 30.0,
                penalty: Some(20.0)
            }]
        );
        assert!(parse_fees(&table(&json!({"VIETTEL": 5}))).is_err());
        assert!(serde_json::from_value::<FeeTable>(json!("x")).is_err());
        assert!(parse_fees(&table(&json!([{"value": 1, "fees": 1}]))).is_err());
    }

    /// Shapes sites really send: rows keyed by telco without their own `telco`, and a row
    /// whose `fees` is null (the site does not take that card now).
    #[test]
    fn fee_rows_take_the_telco_from_the_key_and_null_fees_are_skipped() {
        let keyed = json!({"VIETTEL":[{"value":10000,"fees":20},{"value":20000,"fees":null}],"ZING":[{"value":10000,"fees":15.5,"penalty":50}]});
        let (fees, skipped) = parse_fees(&table(&keyed)).unwrap();
        assert_eq!(
            fees.iter()
                .map(|f| (f.telco.as_str(), f.value))
                .collect::<Vec<_>>(),
            [("VIETTEL", 10000), ("ZING", 10000)]
        );
        assert_eq!(skipped, ["VIETTEL 20000: fees is null or missing"]);
    }

    /// Keyed by telco: in the site's order, not sorted (a map sorted them: ZING after VIETTEL).
    #[test]
    fn keyed_fee_tables_keep_the_sites_order() {
        let text = r#"{"ZING":[{"value":10000,"fees":15}],"VIETTEL":[{"value":10000,"fees":20}],"MOBIFONE":[{"value":10000,"fees":18}]}"#;
        let (fees, _) = parse_fees(&serde_json::from_str(text).unwrap()).unwrap();
        assert_eq!(
            fees.iter().map(|f| f.telco.as_str()).collect::<Vec<_>>(),
            ["ZING", "VIETTEL", "MOBIFONE"]
        );
    }

    #[test]
    fn json_body_sends_amount_as_a_number_and_keeps_leading_zeros() {
        let body = json_body(&[("amount", "50000"), ("serial", "0898")]);
        assert_eq!(body, r#"{"amount":50000,"serial":"0898"}"#);
    }

    #[test]
    fn validation_names_the_field() {
        let good = CardRequest {
            telco: "viettel".into(),
            code: "312821445892981".into(),
            serial: "10004783347874".into(),
            amount: 50_000,
            request_id: "r1".into(),
        };
        assert_eq!(validate(&good).unwrap().0, "VIETTEL");
        let field = |r: CardRequest| match validate(&r) {
            Err(Error::InvalidInput { field, .. }) => field,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            field(CardRequest {
                telco: "NOKIA".into(),
                ..good.clone()
            }),
            "telco"
        );
        assert_eq!(
            field(CardRequest {
                code: "31282A".into(),
                ..good.clone()
            }),
            "code"
        );
        assert_eq!(
            field(CardRequest {
                serial: String::new(),
                ..good.clone()
            }),
            "serial"
        );
        assert_eq!(
            field(CardRequest {
                amount: 0,
                ..good.clone()
            }),
            "amount"
        );
        assert_eq!(
            field(CardRequest {
                request_id: "a&b".into(),
                ..good.clone()
            }),
            "request_id"
        );
        // Game cards may carry letters.
        assert!(
            validate(&CardRequest {
                telco: "ZING".into(),
                code: "AB12CD34E".into(),
                serial: "ZZ0000000001".into(),
                ..good
            })
            .is_ok()
        );
    }
}
