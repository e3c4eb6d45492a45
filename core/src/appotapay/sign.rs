//! AppotaPay's JWT and request signature (see `docs/providers/appotapay.md`), as pure functions.

use crate::digest::{base64url, hex, hmac_sha256};

/// The JWT header, byte for byte as AppotaPay's own samples (and the verified vector) emit it.
const JWT_HEADER: &str = r#"{"typ":"JWT","alg":"HS256","cty":"appotapay-api;v=1"}"#;

/// The `X-APPOTAPAY-AUTH` token: HS256 under the secret key, claims `iss`, `api_key`, `jti`
/// (`api_key-now`), `exp` (`now + lifetime`), in that order.
#[must_use]
pub fn jwt(
    partner_code: &str,
    api_key: &str,
    secret_key: &str,
    now: u64,
    lifetime_secs: u64,
) -> String {
    let text = |s: &str| serde_json::Value::from(s).to_string();
    let payload = format!(
        r#"{{"iss":{},"api_key":{},"jti":{},"exp":{}}}"#,
        text(partner_code),
        text(api_key),
        text(&format!("{api_key}-{now}")),
        now + lifetime_secs
    );
    let signing_input = format!(
        "{}.{}",
        base64url(JWT_HEADER.as_bytes()),
        base64url(payload.as_bytes())
    );
    let signature = base64url(&hmac_sha256(
        secret_key.as_bytes(),
        signing_input.as_bytes(),
    ));
    format!("{signing_input}.{signature}")
}

/// The request `signature`: lowercase hex HMAC-SHA256 under the secret key of the fields
/// sorted by name and joined as `name=value&…`, values raw (not URL-encoded).
#[must_use]
pub fn signature(secret_key: &str, fields: &[(&str, &str)]) -> String {
    let mut sorted = fields.to_vec();
    sorted.sort_by_key(|(name, _)| *name);
    let text: Vec<String> = sorted
        .iter()
        .map(|(name, value)| format!("{name}={value}"))
        .collect();
    hex(&hmac_sha256(
        secret_key.as_bytes(),
        text.join("&").as_bytes(),
    ))
}

/// A purchase as `buy` signs it.
#[derive(Debug, Clone, Copy)]
pub struct PurchaseFields<'a> {
    /// The caller's reference.
    pub partner_ref_id: &'a str,
    /// The product.
    pub product_code: &'a str,
    /// How many cards.
    pub quantity: i64,
    /// For an `sms` purchase, the phone the card goes to; `None` for `normal`.
    pub sms_to: Option<&'a str>,
}

/// `buy`'s signature. A `normal` purchase signs `partnerRefId`, `productCode` and
/// `quantity`, whether or not `type` is sent; an `sms` purchase also signs `customerPhone`
/// and `type=sms`.
#[must_use]
pub fn purchase_signature(secret_key: &str, purchase: &PurchaseFields<'_>) -> String {
    let quantity = purchase.quantity.to_string();
    let mut fields: Vec<(&str, &str)> = vec![
        ("partnerRefId", purchase.partner_ref_id),
        ("productCode", purchase.product_code),
        ("quantity", &quantity),
    ];
    if let Some(phone) = purchase.sms_to {
        fields.extend([("customerPhone", phone), ("type", "sms")]);
    }
    signature(secret_key, &fields)
}

/// What a mobile top-up buys: a product (the v2 API) or an amount (the v1 API, an option).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TopupProduct<'a> {
    /// v2: `productCode`, e.g. `viettel_10`, or a data package's code.
    Code(&'a str),
    /// v1: `amount` in VND.
    Amount(i64),
}

/// A mobile top-up as its request signs it.
#[derive(Debug, Clone, Copy)]
pub struct TopupFields<'a> {
    /// The caller's reference.
    pub partner_ref_id: &'a str,
    /// The phone topped up.
    pub phone_number: &'a str,
    /// The product (v2) or the amount (v1).
    pub product: TopupProduct<'a>,
    /// The network; optional in v2 (AppotaPay finds it from the number).
    pub telco: Option<&'a str>,
    /// `prepaid` or `postpaid`.
    pub telco_service_type: &'a str,
}

/// A mobile top-up's signature: exactly the documented fields the body carries
/// (`partnerRefId`, `phoneNumber`, `productCode` or `amount`, `telco` when given,
/// `telcoServiceType`). With `absent_as_empty` (an option) a missing `telco` is sent and
/// signed as an empty value.
#[must_use]
pub fn topup_signature(secret_key: &str, topup: &TopupFields<'_>, absent_as_empty: bool) -> String {
    let amount;
    let mut fields: Vec<(&str, &str)> = vec![
        ("partnerRefId", topup.partner_ref_id),
        ("phoneNumber", topup.phone_number),
        ("telcoServiceType", topup.telco_service_type),
    ];
    match topup.product {
        TopupProduct::Code(code) => fields.push(("productCode", code)),
        TopupProduct::Amount(value) => {
            amount = value.to_string();
            fields.push(("amount", &amount));
        }
    }
    match (topup.telco, absent_as_empty) {
        (Some(telco), _) => fields.push(("telco", telco)),
        (None, true) => fields.push(("telco", "")),
        (None, false) => {}
    }
    signature(secret_key, &fields)
}

/// A bank transfer (firm banking) as its request signs it. The optional fields are `None`
/// when the caller does not give them.
#[derive(Debug, Clone, Copy)]
pub struct TransferFields<'a> {
    /// The bank, by AppotaPay's code (`TPBANK`, `VCB`, …).
    pub bank_code: &'a str,
    /// The account or card number.
    pub account_no: &'a str,
    /// `account` or `card`.
    pub account_type: &'a str,
    /// The holder's name, as the bank has it.
    pub account_name: &'a str,
    /// VND.
    pub amount: i64,
    /// `payer` or `receiver`.
    pub fee_type: &'a str,
    /// The caller's reference.
    pub partner_ref_id: &'a str,
    /// The transfer note.
    pub message: &'a str,
    /// The customer's phone, if given.
    pub customer_phone_number: Option<&'a str>,
    /// A contract number, if given.
    pub contract_number: Option<&'a str>,
    /// `citad` for a Citad transfer.
    pub channel: Option<&'a str>,
    /// The Citad branch code, with `channel: citad`.
    pub bank_id: Option<&'a str>,
}

/// A bank transfer's signature: the documented fields the body carries, sorted; with
/// `all_twelve` (an option) the twelve documented fields, absent ones as empty values.
#[must_use]
pub fn transfer_signature(
    secret_key: &str,
    transfer: &TransferFields<'_>,
    all_twelve: bool,
) -> String {
    let amount = transfer.amount.to_string();
    let mut fields: Vec<(&str, &str)> = vec![
        ("accountName", transfer.account_name),
        ("accountNo", transfer.account_no),
        ("accountType", transfer.account_type),
        ("amount", &amount),
        ("bankCode", transfer.bank_code),
        ("feeType", transfer.fee_type),
        ("message", transfer.message),
        ("partnerRefId", transfer.partner_ref_id),
    ];
    for (name, value) in [
        ("customerPhoneNumber", transfer.customer_phone_number),
        ("contractNumber", transfer.contract_number),
        ("channel", transfer.channel),
        ("bankId", transfer.bank_id),
    ] {
        match (value, all_twelve) {
            (Some(value), _) => fields.push((name, value)),
            (None, true) => fields.push((name, "")),
            (None, false) => {}
        }
    }
    signature(secret_key, &fields)
}

/// A bank account check's signature (`accountNo`, `accountType`, `bankCode`, `partnerRefId`).
#[must_use]
pub fn account_info_signature(
    secret_key: &str,
    account_no: &str,
    account_type: &str,
    bank_code: &str,
    partner_ref_id: &str,
) -> String {
    signature(
        secret_key,
        &[
            ("accountNo", account_no),
            ("accountType", account_type),
            ("bankCode", bank_code),
            ("partnerRefId", partner_ref_id),
        ],
    )
}

/// A reply AppotaPay signs, and the fields its `signature` covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SignedReply {
    /// A v2 mobile top-up.
    Topup,
    /// A v1 mobile top-up (no `productCode`).
    TopupV1,
    /// A top-up transaction's status.
    TopupStatus,
    /// A bank transfer.
    Transfer,
    /// A bank transfer's status.
    TransferStatus,
    /// The IPN of a pending bank transfer.
    TransferIpn,
    /// A bank account check.
    AccountInfo,
}

impl SignedReply {
    /// The signed fields, sorted by name: `errorCode` from the top level, the others from
    /// [`SignedReply::object`].
    #[must_use]
    pub fn fields(self) -> &'static [&'static str] {
        match self {
            Self::Topup => &[
                "amount",
                "appotapayTransId",
                "errorCode",
                "phoneNumber",
                "productCode",
                "time",
                "topupAmount",
            ],
            Self::TopupV1 | Self::TopupStatus => &[
                "amount",
                "appotapayTransId",
                "errorCode",
                "phoneNumber",
                "time",
                "topupAmount",
            ],
            Self::Transfer | Self::TransferStatus => &[
                "amount",
                "appotapayTransId",
                "errorCode",
                "time",
                "transferAmount",
            ],
            Self::TransferIpn => &[
                "amount",
                "appotapayTransId",
                "errorCode",
                "partnerRefId",
                "time",
                "transferAmount",
                "transferStatus",
            ],
            Self::AccountInfo => &["accountName", "accountNo", "errorCode"],
        }
    }

    /// The reply's object that holds the signed fields.
    #[must_use]
    pub fn object(self) -> &'static str {
        if self == Self::AccountInfo {
            "accountInfo"
        } else {
            "transaction"
        }
    }
}

/// The text a reply's `signature` covers, from the reply's bytes: each value **as received**
/// (a JSON string's content, a number's own digits: no re-formatting of a time or of a long
/// account number), `name=value` sorted and joined by `&`. `None` when the reply is not a JSON
/// object or lacks a signed field.
#[must_use]
pub fn reply_signing_text(kind: SignedReply, body: &[u8]) -> Option<String> {
    use serde_json::value::RawValue;
    type Raw = std::collections::BTreeMap<String, Box<RawValue>>;
    let top: Raw = serde_json::from_slice(body).ok()?;
    let nested: Raw = serde_json::from_str(top.get(kind.object())?.get()).ok()?;
    let as_received = |raw: &RawValue| -> Option<String> {
        let token = raw.get();
        if token.starts_with('"') {
            serde_json::from_str::<String>(token).ok()
        } else if token.bytes().all(|b| b.is_ascii_digit() || b == b'-') {
            Some(token.to_owned())
        } else {
            None // an object, a list, a float, true/false/null: not a signed value
        }
    };
    let mut parts = Vec::with_capacity(kind.fields().len());
    for name in kind.fields() {
        let raw = if *name == "errorCode" {
            top.get(*name)
        } else {
            nested.get(*name)
        }?;
        parts.push(format!("{name}={}", as_received(raw)?));
    }
    Some(parts.join("&"))
}

/// Whether a reply's `signature` is the one `secret_key` gives it, compared in constant time.
#[must_use]
pub fn verify_reply(secret_key: &str, kind: SignedReply, body: &[u8], signature: &str) -> bool {
    reply_signing_text(kind, body).is_some_and(|text| {
        let expected = hex(&hmac_sha256(secret_key.as_bytes(), text.as_bytes()));
        crate::secret::constant_time_eq(
            expected.as_bytes(),
            signature.to_ascii_lowercase().as_bytes(),
        )
    })
}

/// A reply's expected `signature` (for a simulator, or to log what was expected).
#[must_use]
pub fn reply_signature(secret_key: &str, kind: SignedReply, body: &[u8]) -> Option<String> {
    reply_signing_text(kind, body)
        .map(|text| hex(&hmac_sha256(secret_key.as_bytes(), text.as_bytes())))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "MhJ6HD2WMfsuoz7K1Sp0a5qTzkBJkcR6";

    // A token from a public production connector (docs/providers/appotapay.md), verified with the public
    // sandbox secret. Reproduced byte for byte with the clock at 1623369599 and no lifetime.
    #[test]
    fn reproduces_the_verified_jwt() {
        assert_eq!(
            jwt(
                "TEST",
                "cR6fsuoz7K1SpMhJ6HD2WMqTzkBJk0a5",
                SECRET,
                1_623_369_599,
                0
            ),
            "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiIsImN0eSI6ImFwcG90YXBheS1hcGk7dj0xIn0.eyJpc3MiOiJURVNUIiwiYXBpX2tleSI6ImNSNmZzdW96N0sxU3BNaEo2SEQyV01xVHprQkprMGE1IiwianRpIjoiY1I2ZnN1b3o3SzFTcE1oSjZIRDJXTXFUemtCSmswYTUtMTYyMzM2OTU5OSIsImV4cCI6MTYyMzM2OTU5OX0.cfwp8q6tb7x4nfyY67Y6OzzQQmQup8BUhDgPVpQvN5g"
        );
    }

    // AppotaPay's documented example (hex), and vectors.json appotapay.signature.*.
    #[test]
    fn signature_vectors() {
        assert_eq!(
            signature(
                SECRET,
                &[
                    ("quantity", "10"),
                    ("partnerRefId", "AB123"),
                    ("productCode", "AC100")
                ]
            ),
            "112ba6bd5577239faefeef4e897de37587de328bd6716df12e7107b3be615f8a"
        );
        assert_eq!(
            signature(
                SECRET,
                &[
                    ("partnerRefId", "AB123"),
                    ("productCode", "VT10"),
                    ("quantity", "1"),
                    ("type", "sms"),
                    ("customerPhone", "0912345678")
                ]
            ),
            "a93a07d854bbce532e738229bbc0ba7bd713d216ae5e87682b10954d361ce301"
        );
    }

    // Ours, with Python: hmac.new(b"vngate-secret", b"partnerRefId=R 1&productCode=VT10&quantity=2", sha256).hexdigest()
    // (a space stays a space: values are raw).
    #[test]
    fn independent_vector_with_a_raw_space() {
        assert_eq!(
            signature(
                "vngate-secret",
                &[
                    ("productCode", "VT10"),
                    ("quantity", "2"),
                    ("partnerRefId", "R 1")
                ]
            ),
            "0bd2c6758e79eb2f61246e243a5d0890a7aafe8a6b1093b1d671d7885a2191f2"
        );
    }
}
