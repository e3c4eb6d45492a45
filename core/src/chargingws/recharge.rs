//! The top-up service of a chargingws site (`/api/rechargews`): phone top-up orders, their
//! status, the product list. Every command signs C1 ([`super::sign::service_sign`]); requests
//! go as POST JSON; `status` is a word here (`"success"`, `"payment_fail"`, …). The rulings:
//! `docs/providers/chargingws.md`.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::ChargingWs;
use super::shop::CardValue;
use crate::error::Error;
use crate::fields;
use crate::http::{Call, Reply};
use crate::registry;
use crate::secret::Raw;

/// A phone top-up order (`command=topup`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct TopupOrderRequest {
    /// The product's `service_code`, from `topup_products` (e.g. `vinatt`).
    pub service_code: String,
    /// The amount, VND.
    pub amount: i64,
    /// The phone to top up (`09…`).
    pub phone: String,
    /// Your unique id for this order; see [`crate::new_request_id`]. Store it first.
    pub request_id: String,
}

impl TopupOrderRequest {
    /// A top-up of `amount` VND to `phone` with `service_code`, under `request_id`.
    pub fn new(
        service_code: impl Into<String>,
        amount: i64,
        phone: impl Into<String>,
        request_id: impl Into<String>,
    ) -> Self {
        Self {
            service_code: service_code.into(),
            amount,
            phone: phone.into(),
            request_id: request_id.into(),
        }
    }
}

/// A top-up order's status (`command=getstatus`): the resolving call of `topup_order`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct TopupStatusRequest {
    /// The order's `request_id`.
    pub request_id: String,
    /// The site's `order_code`, when you have it (after a lost reply you do not: it is sent
    /// empty, and the site may not find the order; that answer is `unresolved`).
    #[serde(default)]
    pub order_code: Option<String>,
}

impl TopupStatusRequest {
    /// The order `request_id`.
    pub fn new(request_id: impl Into<String>) -> Self {
        Self {
            request_id: request_id.into(),
            order_code: None,
        }
    }
}

/// What an answer about a top-up order means for the money.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum TopupOrderStatus {
    /// The order exists and is not finished: ask `topup_status` later. Never top up again.
    Pending,
    /// Topped up.
    Completed,
    /// The site cancelled the order (it refunds its wallet): the phone was not topped up.
    Canceled,
    /// Refused with no order made (`payment_fail`: the wallet is short, or another refusal
    /// without an `order_code`): nothing was charged.
    Failed,
    /// `topup_status` could not tell (the site did not find the order, or named its state with
    /// a word no source documents, kept in `order_status`): check the site's order history.
    /// Never read as failed, never as pending forever.
    Unresolved,
}

/// A site's answer about a top-up order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct TopupOrder {
    /// What it means for the money.
    pub status: TopupOrderStatus,
    /// The site's own `status` word.
    pub site_status: String,
    /// The order's own status word (`data.status`: `completed`, `canceled`, `pending`, or a
    /// word no source documents, which is `unresolved`), as sent.
    pub order_status: Option<String>,
    /// The site's message, as sent.
    pub message: String,
    /// The site's reference for the order.
    pub order_code: Option<String>,
    /// The order's `request_id`, echoed.
    pub request_id: Option<String>,
    /// What the wallet paid, VND.
    pub pay_amount: Option<i64>,
    /// The amount topped up, VND.
    pub amount: Option<i64>,
    /// The reply body as received.
    pub raw: Raw,
}

/// One product of the top-up service.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct TopupServiceProduct {
    /// The code `topup_order` takes.
    pub service_code: String,
    /// Its amounts and discounts.
    pub values: Vec<CardValue>,
}

/// The top-up service's products (`command=productlist`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct TopupProducts {
    /// Every product, in the order sent.
    pub products: Vec<TopupServiceProduct>,
    /// The reply body as received.
    pub raw: Raw,
}

impl ChargingWs {
    /// Orders a phone top-up (`/api/rechargews`, `command=topup`). Money-moving: never
    /// retried; after a timeout the error is [`Error::OutcomeUnknown`] with your
    /// `request_id`; call [`ChargingWs::topup_status`] then, never top up again.
    pub fn topup_order(&self, request: &TopupOrderRequest) -> Result<TopupOrder, Error> {
        validate_topup_order(request)?;
        let mut body = self
            .recharge
            .service
            .body("topup", Some(&request.request_id));
        body.insert("service_code".into(), request.service_code.clone().into());
        // The documentation's example sends both as text; the sign does not cover them.
        let (amount, qty) = if self.recharge.amount_as_number {
            (Value::from(request.amount), Value::from(1))
        } else {
            (Value::from(request.amount.to_string()), Value::from("1"))
        };
        body.insert("amount".into(), amount);
        body.insert("qty".into(), qty);
        body.insert("account_info".into(), json!({"phone": request.phone}));
        let call = Call::new(
            &registry::CHARGINGWS_TOPUP_ORDER,
            &request.request_id,
            self.recharge.service.secrets(),
        );
        let reply = self.recharge.service.send(&self.http, &call, body)?;
        parse_order(&call, &reply, &request.request_id, false)
    }

    /// A top-up order's status (`command=getstatus`).
    pub fn topup_status(&self, request: &TopupStatusRequest) -> Result<TopupOrder, Error> {
        fields::identifier("request_id", &request.request_id)?;
        if let Some(order_code) = &request.order_code {
            fields::required("order_code", order_code, 64)?;
        }
        let mut body = self
            .recharge
            .service
            .body("getstatus", Some(&request.request_id));
        body.insert(
            "order_code".into(),
            request.order_code.clone().unwrap_or_default().into(),
        );
        let call = Call::read_only(
            &registry::CHARGINGWS_TOPUP_STATUS,
            self.recharge.service.secrets(),
        );
        let reply = self.recharge.service.send(&self.http, &call, body)?;
        parse_order(&call, &reply, &request.request_id, true)
    }

    /// The top-up service's products (`command=productlist`).
    pub fn topup_products(&self) -> Result<TopupProducts, Error> {
        let body = self.recharge.service.body("productlist", None);
        let call = Call::read_only(
            &registry::CHARGINGWS_TOPUP_PRODUCTS,
            self.recharge.service.secrets(),
        );
        let reply = self.recharge.service.send(&self.http, &call, body)?;
        let map = call.json_object(&reply)?;
        call.read(&reply, || {
            let status = fields::opt_text(&map, "status")?.unwrap_or_default();
            if status != "success" {
                return Err(format!("status {status:?}"));
            }
            let mut products = Vec::new();
            for row in fields::list(&map, "data") {
                let row = row
                    .as_object()
                    .ok_or_else(|| "a product is not an object".to_owned())?;
                let values = super::shop::face_values(row, "items")?;
                products.push(TopupServiceProduct {
                    service_code: fields::opt_text(row, "service_code")?
                        .ok_or_else(|| "a product has no service_code".to_owned())?,
                    values,
                });
            }
            Ok(TopupProducts {
                products,
                raw: Raw::new(&reply.body),
            })
        })
    }
}

/// Reads an answer about a top-up order. `resolving`: the answer to `topup_status`.
fn parse_order(
    call: &Call<'_>,
    reply: &Reply,
    request_id: &str,
    resolving: bool,
) -> Result<TopupOrder, Error> {
    let map = call.json_object(reply)?;
    call.read(reply, || {
        let site_status = fields::opt_text(&map, "status")?
            .ok_or_else(|| "field status is missing".to_owned())?;
        let empty = Map::new();
        let data = map.get("data").and_then(Value::as_object).unwrap_or(&empty);
        let echoed = fields::opt_text(data, "request_id")?;
        if let Some(echoed) = echoed.as_ref().filter(|e| *e != request_id) {
            return Err(format!(
                "the reply is for request_id {echoed:?}, not {request_id:?}"
            ));
        }
        let order_code = fields::opt_text(data, "order_code")?.filter(|c| !c.is_empty());
        let order_status = fields::opt_text(data, "status")?;
        let status = match (site_status.as_str(), order_status.as_deref()) {
            // The order's reply: accepted, and pending until topup_status says how it ended,
            // whatever word it carries (the ruling; an order is never final at once).
            ("success", _) if !resolving => TopupOrderStatus::Pending,
            ("success", Some("completed")) => TopupOrderStatus::Completed,
            ("success", Some("canceled" | "cancelled")) => TopupOrderStatus::Canceled,
            ("success", None | Some("" | "pending" | "processing" | "waiting")) => {
                TopupOrderStatus::Pending
            }
            // A word no source documents (`failed`, which one client refunds on): never a
            // guess, and never pending forever.
            ("success", Some(_)) => TopupOrderStatus::Unresolved,
            _ if resolving => TopupOrderStatus::Unresolved,
            ("payment_fail", _) => TopupOrderStatus::Failed,
            // An order exists whatever the word: pending until its status says otherwise.
            _ if order_code.is_some() => TopupOrderStatus::Pending,
            _ => TopupOrderStatus::Failed,
        };
        Ok(TopupOrder {
            status,
            site_status,
            order_status,
            message: fields::opt_text(&map, "message")?.unwrap_or_default(),
            order_code,
            request_id: echoed,
            pay_amount: fields::opt_int(data, "pay_amount")?,
            amount: fields::opt_int(data, "amount")?,
            raw: Raw::new(&reply.body),
        })
    })
}

/// Checks a top-up order before anything is sent.
pub(crate) fn validate_topup_order(request: &TopupOrderRequest) -> Result<(), Error> {
    fields::required("service_code", &request.service_code, 64)?;
    fields::positive("amount", request.amount)?;
    fields::vn_mobile("phone", &request.phone)?;
    fields::identifier("request_id", &request.request_id)
}

impl crate::outcome::MoneyOutcome for crate::chargingws::TopupOrder {
    fn outcome(&self) -> crate::outcome::Outcome {
        use crate::chargingws::TopupOrderStatus;
        match self.status {
            TopupOrderStatus::Completed => crate::outcome::Outcome::Succeeded,
            TopupOrderStatus::Canceled | TopupOrderStatus::Failed => {
                crate::outcome::Outcome::Failed
            }
            TopupOrderStatus::Pending => crate::outcome::Outcome::Pending,
            _ => crate::outcome::Outcome::Unknown,
        }
    }

    fn reference(&self) -> Option<&str> {
        self.request_id.as_deref()
    }

    /// What the wallet paid (`amount` is the top-up's face value).
    #[allow(clippy::misnamed_getters)]
    fn amount(&self) -> Option<i64> {
        self.pay_amount
    }
}
