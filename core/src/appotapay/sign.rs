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
