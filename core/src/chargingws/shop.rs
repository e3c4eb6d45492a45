//! The card shop of a chargingws site (`/api/cardws`): buying card codes, downloading a
//! bought order again, the shop wallet's balance. Every command signs C1
//! ([`super::sign::service_sign`]); requests go as POST JSON. The rulings, with their sources:
//! `docs/providers/chargingws.md`.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::ChargingWs;
use crate::error::Error;
use crate::fields;
use crate::http::{Call, Payload, Reply};
use crate::registry;
use crate::secret::{CardCode, Raw};

/// Card codes to buy (`command=buycard`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct BuyCardsRequest {
    /// The product's `service_code`, as the site's product list gives it (`VIETTEL`, …).
    pub service_code: String,
    /// The face value of each card, VND.
    pub value: i64,
    /// How many cards (1–100).
    pub qty: i64,
    /// Your unique id for this order; see [`crate::new_request_id`]. Store it first.
    pub request_id: String,
}

impl BuyCardsRequest {
    /// `qty` cards of `service_code` at `value`, under your unique `request_id`.
    pub fn new(
        service_code: impl Into<String>,
        value: i64,
        qty: i64,
        request_id: impl Into<String>,
    ) -> Self {
        Self {
            service_code: service_code.into(),
            value,
            qty,
            request_id: request_id.into(),
        }
    }
}

/// An order to download again (`command=redownload`): the resolving call of
/// [`ChargingWs::buy_cards`]. It creates no new transaction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct RedownloadRequest {
    /// The order's `request_id`.
    pub request_id: String,
    /// The site's `order_code`, when you have it (sent as well).
    #[serde(default)]
    pub order_code: Option<String>,
}

impl RedownloadRequest {
    /// The order `request_id`.
    pub fn new(request_id: impl Into<String>) -> Self {
        Self {
            request_id: request_id.into(),
            order_code: None,
        }
    }
}

/// What an answer about a card order means for the money.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum OrderStatus {
    /// Paid, and the cards are in `cards`.
    Delivered,
    /// Paid, the cards not delivered yet (status 2, or 1 with no cards): call `redownload`
    /// in a few minutes. Never buy again.
    PaidPending,
    /// A documented failure: nothing was charged.
    Failed,
    /// This `request_id` was used before (109): nothing new was bought. If you did not expect
    /// it, `redownload` that order.
    Duplicate,
    /// 120 "exception", or a code the site's documents do not list: the outcome is unknown.
    /// Call `redownload` with the same `request_id`; never buy again.
    Unknown,
    /// `redownload` could not tell (the site answered neither cards nor pending): check the
    /// site's order history. Never read as "failed".
    Unresolved,
}

/// A bought card.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct ShopCard {
    /// The product's name, as the site gives it.
    pub name: Option<String>,
    /// The serial.
    pub serial: String,
    /// The PIN (the site sends it in clear: a secret from here on).
    pub code: CardCode,
    /// When the card expires, as sent.
    pub expired: Option<String>,
}

/// A site's answer about a card order (`buy_cards`, `redownload`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct CardOrder {
    /// What it means for the money.
    pub status: OrderStatus,
    /// The site's own status code.
    pub site_status: i64,
    /// The site's message, as sent.
    pub message: String,
    /// The cards (empty unless `delivered`).
    pub cards: Vec<ShopCard>,
    /// The order's `request_id`, echoed.
    pub request_id: Option<String>,
    /// The site's reference for the order.
    pub order_code: Option<String>,
    /// When, as sent.
    pub time: Option<String>,
    /// The reply body as received.
    pub raw: Raw,
}

/// Which of the site's services a wallet balance is asked of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum WalletService {
    /// The card shop (`/api/cardws`, the `shop_*` settings). Default.
    #[default]
    Shop,
    /// The top-up service (`/api/rechargews`, the `topup_*` settings).
    Topup,
}

/// A wallet balance request (`command=getbalance`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct WalletBalanceRequest {
    /// The service whose wallet: `shop` (default) or `topup`.
    #[serde(default)]
    pub service: WalletService,
}

impl WalletBalanceRequest {
    /// The balance of `service`'s wallet.
    #[must_use]
    pub fn new(service: WalletService) -> Self {
        Self { service }
    }
}

/// A wallet's balance (`command=getbalance`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct ShopBalance {
    /// The balance in VND, when the site gave one (`balance`, `data.balance` or `amount`).
    pub balance: Option<i64>,
    /// The currency, when the site names it (`currency_code`, `data.currency`).
    pub currency: Option<String>,
    /// The site's own status, as sent (a number on the card shop, a word on the top-up
    /// service; `None` when the reply has none): a refused signature (116) or an account
    /// without the service (108) is told apart from a balance of 0 here and in `message`.
    pub site_status: Option<String>,
    /// The site's message (108: the account has no card shop).
    pub message: String,
    /// The reply body as received.
    pub raw: Raw,
}

/// A stock check (`command=checkavailable`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct StockRequest {
    /// The product's `service_code`.
    pub service_code: String,
    /// The face value, VND.
    pub value: i64,
    /// How many cards.
    pub qty: i64,
}

impl StockRequest {
    /// Whether `qty` cards of `service_code` at `value` are in stock.
    pub fn new(service_code: impl Into<String>, value: i64, qty: i64) -> Self {
        Self {
            service_code: service_code.into(),
            value,
            qty,
        }
    }
}

/// The shop's answer to a stock check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct Stock {
    /// In stock: the reply's `stock_available` when present, else status 1.
    pub in_stock: bool,
    /// The site's own status, as sent (`None` when the reply has none): "not in stock" with
    /// 118 is out of stock, with 116 a refused signature, with 108 no card shop.
    pub site_status: Option<String>,
    /// The site's message, as sent.
    pub message: String,
    /// The reply body as received.
    pub raw: Raw,
}

/// One face value of a product on sale.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct CardValue {
    /// The face value, VND.
    pub value: i64,
    /// The discount in percent, when given.
    pub discount: Option<f64>,
}

/// A product on sale in the card shop.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct CardProduct {
    /// Its name.
    pub name: String,
    /// The code `buy_cards` takes.
    pub service_code: String,
    /// Its face values.
    pub values: Vec<CardValue>,
}

/// The card shop's products (`GET …/products`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct CardProducts {
    /// Every product, in the order sent.
    pub products: Vec<CardProduct>,
    /// The reply body as received.
    pub raw: Raw,
}

/// A product's list of `{value, discount}` under `key`.
pub(super) fn face_values(
    row: &Map<String, Value>,
    key: &str,
) -> Result<Vec<CardValue>, fields::FieldError> {
    fields::list(row, key)
        .iter()
        .map(|item| {
            let item = item
                .as_object()
                .ok_or_else(|| "a face value is not an object".to_owned())?;
            Ok(CardValue {
                value: fields::int(item, "value")?,
                discount: fields::opt_float(item, "discount")?,
            })
        })
        .collect()
}

/// The codes the card shop's documents list as failures (nothing charged); 109 is a
/// duplicate and 120 an exception, whose outcome is unknown.
fn documented_failure(code: i64) -> bool {
    matches!(code, 100..=108 | 110..=119 | 121..=126)
}

impl ChargingWs {
    /// Buys card codes (`/api/cardws`, `command=buycard`). Money-moving: never retried; after
    /// a timeout the error is [`Error::OutcomeUnknown`] with your `request_id`; call
    /// [`ChargingWs::redownload`] then, and never buy again with that money in doubt.
    pub fn buy_cards(&self, request: &BuyCardsRequest) -> Result<CardOrder, Error> {
        validate_buy_cards(request)?;
        let mut body = self.shop.service.body("buycard", Some(&request.request_id));
        body.insert("service_code".into(), request.service_code.clone().into());
        body.insert("value".into(), request.value.into());
        body.insert("qty".into(), request.qty.into());
        if let Some(wallet) = &self.shop.wallet_number {
            body.insert("wallet_number".into(), wallet.clone().into());
        }
        let call = Call::new(
            &registry::CHARGINGWS_BUY_CARDS,
            &request.request_id,
            self.shop.service.secrets(),
        );
        let reply = self.shop.service.send(&self.http, &call, body)?;
        parse_order(&call, &reply, &request.request_id, false)
    }

    /// Downloads a bought order again (`command=redownload`, no new transaction): the cards
    /// if delivered, `paid_pending` if not yet, `unresolved` if the site cannot tell.
    pub fn redownload(&self, request: &RedownloadRequest) -> Result<CardOrder, Error> {
        fields::identifier("request_id", &request.request_id)?;
        if let Some(order_code) = &request.order_code {
            fields::required("order_code", order_code, 64)?;
        }
        let mut body = self
            .shop
            .service
            .body("redownload", Some(&request.request_id));
        if let Some(order_code) = &request.order_code {
            body.insert("order_code".into(), order_code.clone().into());
        }
        let call = Call::read_only(
            &registry::CHARGINGWS_REDOWNLOAD,
            self.shop.service.secrets(),
        );
        let reply = self.shop.service.send(&self.http, &call, body)?;
        parse_order(&call, &reply, &request.request_id, true)
    }

    /// A wallet's balance (`command=getbalance`): the card shop's (default) or the top-up
    /// service's, each with its own path and partner.
    pub fn wallet_balance(&self, request: &WalletBalanceRequest) -> Result<ShopBalance, Error> {
        let service = match request.service {
            WalletService::Shop => &self.shop.service,
            WalletService::Topup => &self.recharge.service,
        };
        let mut body = service.body("getbalance", None);
        if let (WalletService::Shop, Some(wallet)) = (request.service, &self.shop.wallet_number) {
            body.insert("wallet_number".into(), wallet.clone().into());
        }
        let call = Call::read_only(&registry::CHARGINGWS_WALLET_BALANCE, service.secrets());
        let reply = service.send(&self.http, &call, body)?;
        let map = call.json_object(&reply)?;
        call.read(&reply, || {
            // `status` is a number on the card shop, a word on the top-up service, and absent
            // in the `{balance, currency_code}` shape two public clients read; a reply with
            // neither a status nor a balance is not a wallet's.
            let site_status = fields::opt_text(&map, "status")?;
            let nested = map.get("data").and_then(Value::as_object);
            let balance = match fields::opt_int(&map, "balance")? {
                Some(balance) => Some(balance),
                None => match nested {
                    Some(data) => fields::opt_int(data, "balance")?,
                    None => fields::opt_int(&map, "amount")?,
                },
            };
            if site_status.is_none() && balance.is_none() {
                return Err("neither a status nor a balance".to_owned());
            }
            let currency = match fields::opt_text(&map, "currency_code")? {
                Some(currency) => Some(currency),
                None => match nested {
                    Some(data) => fields::opt_text(data, "currency")?,
                    None => fields::opt_text(&map, "currency")?,
                },
            };
            Ok(ShopBalance {
                balance,
                currency,
                site_status,
                message: fields::opt_text(&map, "message")?.unwrap_or_default(),
                raw: Raw::new(&reply.body),
            })
        })
    }

    /// Whether cards are in stock (`command=checkavailable`), signed as `stock_sign` says.
    pub fn stock(&self, request: &StockRequest) -> Result<Stock, Error> {
        fields::required("service_code", &request.service_code, 64)?;
        fields::positive("value", request.value)?;
        fields::positive("qty", request.qty)?;
        let mut body = Map::new();
        body.insert(
            "partner_id".into(),
            self.shop.service.partner_id.clone().into(),
        );
        body.insert("command".into(), "checkavailable".into());
        body.insert("service_code".into(), request.service_code.clone().into());
        body.insert("value".into(), request.value.into());
        body.insert("qty".into(), request.qty.into());
        if let Some(sign) = super::sign::stock_sign(
            self.shop.stock_sign,
            self.shop.service.partner_key.expose(),
            &self.shop.service.partner_id,
            &request.service_code,
            request.value,
            request.qty,
        ) {
            body.insert("sign".into(), sign.into());
        }
        let call = Call::read_only(&registry::CHARGINGWS_STOCK, self.shop.service.secrets());
        let reply = self.shop.service.send(&self.http, &call, body)?;
        let map = call.json_object(&reply)?;
        call.read(&reply, || {
            let in_stock = match map.get("stock_available") {
                Some(Value::Bool(available)) => *available,
                Some(_) => return Err("field stock_available is not true or false".to_owned()),
                None => fields::int(&map, "status")? == 1,
            };
            Ok(Stock {
                in_stock,
                site_status: fields::opt_text(&map, "status")?,
                message: fields::opt_text(&map, "message")?.unwrap_or_default(),
                raw: Raw::new(&reply.body),
            })
        })
    }

    /// The card shop's products (`GET …/products?partner_id=`, unsigned).
    pub fn card_products(&self) -> Result<CardProducts, Error> {
        let call = Call::read_only(
            &registry::CHARGINGWS_CARD_PRODUCTS,
            self.shop.service.secrets(),
        );
        let query = [("partner_id", self.shop.service.partner_id.as_str())];
        let url = format!("{}/products", self.shop.service.endpoint);
        let reply = self.http.send(&call, &url, &[], Payload::Query(&query))?;
        let value = call.json_value(&reply)?;
        call.read(&reply, || {
            let rows = value
                .as_array()
                .ok_or_else(|| "the product list is not a list".to_owned())?;
            let mut products = Vec::with_capacity(rows.len());
            for row in rows {
                let row = row
                    .as_object()
                    .ok_or_else(|| "a product is not an object".to_owned())?;
                let values = face_values(row, "cardvalue")?;
                products.push(CardProduct {
                    name: fields::opt_text(row, "name")?.unwrap_or_default(),
                    service_code: fields::opt_text(row, "service_code")?
                        .ok_or_else(|| "a product has no service_code".to_owned())?,
                    values,
                });
            }
            Ok(CardProducts {
                products,
                raw: Raw::new(&reply.body),
            })
        })
    }
}

/// Reads a card order. `resolving`: the answer to `redownload`, where anything but cards or
/// "pending" is `unresolved`, never a failure.
fn parse_order(
    call: &Call<'_>,
    reply: &Reply,
    request_id: &str,
    resolving: bool,
) -> Result<CardOrder, Error> {
    let map = call.json_object(reply)?;
    call.read(reply, || {
        let site_status = fields::int(&map, "status")?;
        let data = map.get("data").and_then(Value::as_object);
        let empty = Map::new();
        let data_or_empty = data.unwrap_or(&empty);
        // Some sites send the list encoded twice, as a JSON string: the same list.
        let decoded: Vec<Value>;
        let listed = match data_or_empty.get("cards") {
            None | Some(Value::Null) => &[][..],
            Some(Value::Array(list)) => list.as_slice(),
            Some(Value::String(text)) => {
                decoded = serde_json::from_str(text)
                    .map_err(|_| "field cards is text that is not a JSON list".to_owned())?;
                &decoded
            }
            Some(_) => return Err("field cards is not a list".to_owned()),
        };
        let mut cards = Vec::new();
        for card in listed {
            let card = card
                .as_object()
                .ok_or_else(|| "a card is not an object".to_owned())?;
            cards.push(ShopCard {
                name: fields::opt_text(card, "name")?,
                serial: fields::opt_text(card, "serial")?
                    .ok_or_else(|| "a card has no serial".to_owned())?,
                code: CardCode::from(
                    fields::opt_text(card, "code")?
                        .ok_or_else(|| "a card has no code".to_owned())?,
                ),
                expired: fields::opt_text(card, "expired")?,
            });
        }
        let echoed = fields::opt_text(data_or_empty, "request_id")?;
        if let Some(echoed) = echoed.as_ref().filter(|e| *e != request_id) {
            return Err(format!(
                "the reply is for request_id {echoed:?}, not {request_id:?}"
            ));
        }
        let status = match site_status {
            1 if !cards.is_empty() => OrderStatus::Delivered,
            1 | 2 => OrderStatus::PaidPending,
            _ if resolving => OrderStatus::Unresolved,
            109 => OrderStatus::Duplicate,
            code if documented_failure(code) => OrderStatus::Failed,
            _ => OrderStatus::Unknown,
        };
        if status != OrderStatus::Delivered {
            cards.clear();
        }
        Ok(CardOrder {
            status,
            site_status,
            message: fields::opt_text(&map, "message")?.unwrap_or_default(),
            cards,
            request_id: echoed,
            order_code: fields::opt_text(data_or_empty, "order_code")?,
            time: fields::opt_text(data_or_empty, "time")?,
            raw: Raw::new(&reply.body),
        })
    })
}

/// Checks an order before anything is sent.
pub(crate) fn validate_buy_cards(request: &BuyCardsRequest) -> Result<(), Error> {
    fields::required("service_code", &request.service_code, 64)?;
    fields::positive("value", request.value)?;
    if !(1..=100).contains(&request.qty) {
        return Err(Error::invalid("qty", "must be 1 to 100"));
    }
    fields::identifier("request_id", &request.request_id)
}

impl crate::outcome::MoneyOutcome for crate::chargingws::CardOrder {
    fn outcome(&self) -> crate::outcome::Outcome {
        use crate::chargingws::OrderStatus;
        match self.status {
            OrderStatus::Delivered => crate::outcome::Outcome::Succeeded,
            OrderStatus::Failed => crate::outcome::Outcome::Failed,
            OrderStatus::PaidPending => crate::outcome::Outcome::Pending,
            // Duplicate, Unknown, Unresolved: the shop's order history decides.
            _ => crate::outcome::Outcome::Unknown,
        }
    }

    fn reference(&self) -> Option<&str> {
        self.request_id.as_deref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documented_failures_are_failures_and_the_rest_stays_unknown() {
        for code in [100, 102, 107, 116, 118, 126] {
            assert!(documented_failure(code), "{code}");
        }
        for code in [109, 120, 127, 130, 0, 3, 99] {
            assert!(!documented_failure(code), "{code}");
        }
    }
}
