//! eSMS disbursement signatures (see `docs/providers/esms.md`): HMAC-SHA256 under the secret key of the field
//! values joined by `_` in the documented order.

use serde::Deserialize;

use crate::digest::{base64, hex, hmac_sha256};

/// How the signature bytes are printed (undocumented by eSMS).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum SignatureEncoding {
    /// Lowercase hex (default: the convention of MoMo and AppotaPay).
    #[default]
    Hex,
    /// Standard base64.
    Base64,
}

/// `HMAC-SHA256(secret_key, values.join("_"))`, printed as configured.
#[must_use]
pub fn signature(encoding: SignatureEncoding, secret_key: &str, values: &[&str]) -> String {
    let mac = hmac_sha256(secret_key.as_bytes(), values.join("_").as_bytes());
    match encoding {
        SignatureEncoding::Hex => hex(&mac),
        SignatureEncoding::Base64 => base64(&mac),
    }
}

/// A payout as `create` signs it.
#[derive(Debug, Clone, Copy)]
pub struct PayoutFields<'a> {
    /// Whole VND.
    pub amount: i64,
    /// eSMS's channel number (1 MoMo, 2 ZaloPay).
    pub channel: i64,
    /// The description, as sent.
    pub description: &'a str,
    /// [`disbursement_data`] of the phone.
    pub disbursement_data: &'a str,
    /// The disbursement method (1: to a wallet).
    pub method: i64,
    /// The caller's order id.
    pub order_id: &'a str,
}

/// `create`'s signature: `amount_channel_description_disbursementData_disbursementMethod_orderId`.
#[must_use]
pub fn disburse_signature(
    encoding: SignatureEncoding,
    secret_key: &str,
    payout: &PayoutFields<'_>,
) -> String {
    signature(
        encoding,
        secret_key,
        &[
            &payout.amount.to_string(),
            &payout.channel.to_string(),
            payout.description,
            payout.disbursement_data,
            &payout.method.to_string(),
            payout.order_id,
        ],
    )
}

/// A recipient as `verify` signs it.
#[derive(Debug, Clone, Copy)]
pub struct RecipientFields<'a> {
    /// eSMS's channel number.
    pub channel: i64,
    /// [`disbursement_data`] of the phone.
    pub disbursement_data: &'a str,
    /// The disbursement method.
    pub method: i64,
}

/// `verify`'s signature: `channel_disbursementData_disbursementMethod`.
#[must_use]
pub fn verify_signature(
    encoding: SignatureEncoding,
    secret_key: &str,
    recipient: &RecipientFields<'_>,
) -> String {
    signature(
        encoding,
        secret_key,
        &[
            &recipient.channel.to_string(),
            recipient.disbursement_data,
            &recipient.method.to_string(),
        ],
    )
}

/// `query-trx`'s signature: the order id alone.
#[must_use]
pub fn query_signature(encoding: SignatureEncoding, secret_key: &str, order_id: &str) -> String {
    signature(encoding, secret_key, &[order_id])
}

/// `disbursementData` for a wallet payout: base64 of the exact JSON bytes `{"phone":"…"}`.
#[must_use]
pub fn disbursement_data(phone: &str) -> String {
    base64(serde_json::json!({ "phone": phone }).to_string().as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "SECRET_KEY_EXAMPLE";

    // The documented formula (docs/providers/esms.md) and vectors.json esms.*.
    #[test]
    fn documented_formula_vectors() {
        let data = disbursement_data("0335690164");
        assert_eq!(data, "eyJwaG9uZSI6IjAzMzU2OTAxNjQifQ==");
        let create = ["10000", "1", "chi ho test", &data, "1", "ORDER-0001"];
        assert_eq!(
            signature(SignatureEncoding::Hex, KEY, &create),
            "29bc89a01f0ecc92e2813990387c9134c14a78423860797bae737b3b764ce497"
        );
        assert_eq!(
            signature(SignatureEncoding::Base64, KEY, &create),
            "KbyJoB8OzJLigTmQOHyRNMFKeEI4YHl7rnN7O3ZM5Jc="
        );
        assert_eq!(
            signature(SignatureEncoding::Hex, KEY, &["1", &data, "1"]),
            "59ccbc901d384499f2361b2769d4da81afbfe9f0035df618b521236973fa6f61"
        );
        assert_eq!(
            signature(SignatureEncoding::Hex, KEY, &["ORDER-0001"]),
            "dfdd865a39e30c2b0c7054bdc122c162b421b378b5dfe00add033e2fac10affb"
        );
    }

    // Ours, with Python: hmac.new(b"vngate-esms", "50000_2_Trả thưởng_tháng 11_<data>_1_mã-77".encode(), sha256)
    // where <data> = base64(b'{"phone":"0912345678"}').
    #[test]
    fn independent_vector_with_unicode_and_underscores() {
        let data = disbursement_data("0912345678");
        let values = ["50000", "2", "Trả thưởng_tháng 11", &data, "1", "mã-77"];
        assert_eq!(
            signature(SignatureEncoding::Hex, "vngate-esms", &values),
            "2b4b13ffe279d4bb9a1578d56aa13b0e4f625a2093332d1591365cf1c4010737"
        );
    }
}
