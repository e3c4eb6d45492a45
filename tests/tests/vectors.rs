//! The signing vectors (`data/vectors.json`: computed by PHP 8.2, rechecked in Python) run
//! through vngate's public signing functions.

use serde_json::Value;
use vngate::chargingws::sign::{SignInput, SignScheme, callback_sign, request_sign};
use vngate::opencard::sign::{self as oc, SignOrder};
use vngate::opencard::{OpenCard, OpenCardConfig};
use vngate::{appotapay, chargingws, esms, topup};
use vngate_sim::With;

fn vectors() -> Vec<Value> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/data/vectors.json");
    let text = std::fs::read_to_string(path).expect("tests/data/vectors.json");
    let doc: Value = serde_json::from_str(&text).unwrap();
    doc["vectors"].as_array().unwrap().clone()
}

fn s<'a>(v: &'a Value, key: &str) -> &'a str {
    v["inputs"][key]
        .as_str()
        .unwrap_or_else(|| panic!("{}: inputs.{key}", v["id"]))
}

fn order(v: &Value) -> SignOrder {
    if s(v, "order") == "prose" {
        SignOrder::Prose
    } else {
        SignOrder::Ksort
    }
}

/// What vngate computes for a vector's card; `None` only for the PHP formatting vectors
/// (php.rs tests those with the same literals). A negative vector's `expected` is what a
/// common mistake produces: vngate computes the rule on the real card, which must differ.
// One arm per signing rule reads best as one table, however long.
#[allow(clippy::too_many_lines)]
fn compute(v: &Value) -> Option<String> {
    let id = v["id"].as_str().unwrap();
    match v["provider"].as_str().unwrap() {
        "chargingws" if id.contains(".checkavailable.service_value_qty") => {
            let number = |key: &str| s(v, key).parse::<i64>().unwrap();
            chargingws::sign::stock_sign(
                chargingws::sign::StockSign::ServiceValueQty,
                s(v, "partner_key"),
                "",
                s(v, "service_code"),
                number("value"),
                number("qty"),
            )
        }
        "chargingws" if id.contains(".cardws.") || id.contains(".rechargews.") => {
            // The undefined-request-id vector is the JS mistake on getbalance: the rule sends
            // none, so it must differ.
            let request_id = v["inputs"]["request_id"]
                .as_str()
                .filter(|r| *r != "undefined");
            Some(chargingws::sign::service_sign(
                s(v, "partner_key"),
                s(v, "partner_id"),
                s(v, "command"),
                request_id,
            ))
        }
        "chargingws" => {
            // The cast-to-int mistake dropped the serial's leading zero: the real card has it.
            let serial = if id.ends_with(".serial_cast_to_int") {
                format!("0{}", s(v, "serial"))
            } else {
                s(v, "serial").to_owned()
            };
            let input = SignInput {
                command: s(v, "command"),
                partner_id: s(v, "partner_id"),
                request_id: s(v, "request_id"),
                telco: s(v, "telco"),
                code: s(v, "code"),
                serial: &serial,
            };
            Some(if id.contains("callback") {
                callback_sign(s(v, "partner_key"), input.code, input.serial)
            } else if id.contains(".s2") {
                request_sign(SignScheme::S2, s(v, "partner_key"), &input)
            } else {
                request_sign(SignScheme::S1, s(v, "partner_key"), &input)
            })
        }
        "opencard" if id.contains(".request.") => Some(oc::request_sign(
            order(v),
            s(v, "partner_key"),
            s(v, "code"),
            s(v, "partner_id"),
            s(v, "serial"),
            s(v, "telco"),
            s(v, "command"),
        )),
        "opencard" if id.contains(".webhook.") => {
            // Through the whole webhook parser: sign the body as the vector says, verify it.
            let client = OpenCard::new(OpenCardConfig::new("P", s(v, "partner_key")).with(|o| {
                o.webhook_sign_order = order(v);
            }))
            .unwrap();
            let body = s(v, "body");
            let signed = format!(
                "{},\"sign\":\"{}\"}}",
                &body[..body.len() - 1],
                v["expected"].as_str().unwrap()
            );
            client
                .parse_callback(signed.as_bytes())
                .unwrap_or_else(|e| panic!("{id}: the signed webhook does not verify: {e}"));
            Some(v["expected"].as_str().unwrap().to_owned())
        }
        "appotapay" if id.contains(".jwt.") => {
            // Rebuild the token from its claims: the clock is the jti's timestamp.
            let payload: Value = serde_json::from_str(s(v, "payload_json")).unwrap();
            let jti = payload["jti"].as_str().unwrap();
            let now: u64 = jti.rsplit('-').next().unwrap().parse().unwrap();
            let exp = payload["exp"].as_u64().unwrap();
            let (iss, key) = (
                payload["iss"].as_str().unwrap(),
                payload["api_key"].as_str().unwrap(),
            );
            Some(appotapay::sign::jwt(
                iss,
                key,
                s(v, "secret"),
                now,
                exp - now,
            ))
        }
        "appotapay" if v["inputs"]["kind"].is_string() => {
            // A signed reply: the text from the body's own tokens, the kind's field list.
            let kind = match s(v, "kind") {
                "topup" => appotapay::sign::SignedReply::Topup,
                "topup_v1" => appotapay::sign::SignedReply::TopupV1,
                "topup_status" => appotapay::sign::SignedReply::TopupStatus,
                "transfer" => appotapay::sign::SignedReply::Transfer,
                "transfer_status" => appotapay::sign::SignedReply::TransferStatus,
                "transfer_ipn" => appotapay::sign::SignedReply::TransferIpn,
                "account_info" => appotapay::sign::SignedReply::AccountInfo,
                other => panic!("{id}: kind {other}"),
            };
            let fields: Vec<&str> = v["inputs"]["fields"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| f.as_str().unwrap())
                .collect();
            assert_eq!(kind.fields(), fields.as_slice(), "{id}: signed fields");
            assert_eq!(kind.object(), s(v, "nested"), "{id}: signed object");
            // The re-formatted-time mistake verified a reply whose time came as RFC 3339: vngate
            // signs the time as received, so it must differ.
            let received = if id.ends_with(".reformatted_time") {
                s(v, "body").replace("13-09-2024 17:48:06", "2024-09-13T17:48:06+07:00")
            } else {
                s(v, "body").to_owned()
            };
            let body = received.as_bytes();
            let text = appotapay::sign::reply_signing_text(kind, body).unwrap();
            let got = appotapay::sign::reply_signature(s(v, "secret"), kind, body).unwrap();
            if v["negative"] != true {
                assert_eq!(text, v["string"].as_str().unwrap(), "{id}: signed text");
                assert!(appotapay::sign::verify_reply(
                    s(v, "secret"),
                    kind,
                    body,
                    &got
                ));
                assert!(!appotapay::sign::verify_reply(
                    s(v, "secret"),
                    kind,
                    body,
                    &got[1..]
                ));
            }
            Some(got)
        }
        "appotapay" if id.starts_with("appotapay.topup.request") => {
            let params = &v["inputs"]["params"];
            let text = |key: &str| params[key].as_str().unwrap_or_default();
            let product = match params["amount"].as_i64() {
                Some(amount) => appotapay::sign::TopupProduct::Amount(amount),
                None => appotapay::sign::TopupProduct::Code(text("productCode")),
            };
            let telco = params["telco"].as_str().filter(|t| !t.is_empty());
            Some(appotapay::sign::topup_signature(
                s(v, "secret"),
                &appotapay::sign::TopupFields {
                    partner_ref_id: text("partnerRefId"),
                    phone_number: text("phoneNumber"),
                    product,
                    telco,
                    telco_service_type: text("telcoServiceType"),
                },
                id.ends_with(".empty_telco"),
            ))
        }
        "appotapay" if id.starts_with("appotapay.transfer.request") => {
            let params = &v["inputs"]["params"];
            let text = |key: &str| params[key].as_str().unwrap_or_default();
            let optional = |key: &str| params[key].as_str().filter(|t| !t.is_empty());
            let all_twelve = id.ends_with(".all_twelve");
            Some(appotapay::sign::transfer_signature(
                s(v, "secret"),
                &appotapay::sign::TransferFields {
                    bank_code: text("bankCode"),
                    account_no: text("accountNo"),
                    account_type: text("accountType"),
                    account_name: text("accountName"),
                    amount: params["amount"].as_i64().unwrap(),
                    fee_type: text("feeType"),
                    partner_ref_id: text("partnerRefId"),
                    message: text("message"),
                    customer_phone_number: optional("customerPhoneNumber"),
                    contract_number: optional("contractNumber"),
                    channel: optional("channel"),
                    bank_id: optional("bankId"),
                },
                all_twelve,
            ))
        }
        "appotapay" if id.starts_with("appotapay.account_info.request") => {
            let params = &v["inputs"]["params"];
            let text = |key: &str| params[key].as_str().unwrap_or_default();
            Some(appotapay::sign::account_info_signature(
                s(v, "secret"),
                text("accountNo"),
                text("accountType"),
                text("bankCode"),
                text("partnerRefId"),
            ))
        }
        "appotapay" => {
            // Through the per-purchase rule: the signed set follows the purchase type.
            let params = &v["inputs"]["params"];
            let text = |key: &str| params[key].as_str().unwrap_or_default().to_owned();
            let (ref_id, product, phone) = (
                text("partnerRefId"),
                text("productCode"),
                text("customerPhone"),
            );
            Some(appotapay::sign::purchase_signature(
                s(v, "secret"),
                &appotapay::sign::PurchaseFields {
                    partner_ref_id: &ref_id,
                    product_code: &product,
                    quantity: params["quantity"].as_i64().unwrap(),
                    sms_to: (params["type"] == "sms").then_some(phone.as_str()),
                },
            ))
        }
        "esms" if id == "esms.disbursement_data" => {
            let json: Value = serde_json::from_str(s(v, "json")).unwrap();
            Some(esms::sign::disbursement_data(
                json["phone"].as_str().unwrap(),
            ))
        }
        "esms" => {
            // Through the per-operation rules, in both encodings.
            let values = &v["inputs"]["values"];
            let text = |key: &str| {
                let value = &values[key];
                value
                    .as_str()
                    .map_or_else(|| value.to_string(), str::to_owned)
            };
            let number = |key: &str| values[key].as_i64().unwrap();
            let secret = s(v, "secret");
            let (description, data, order_id) = (
                text("description"),
                text("disbursementData"),
                text("orderId"),
            );
            let sign = |encoding| {
                if id.contains(".create.") {
                    esms::sign::disburse_signature(
                        encoding,
                        secret,
                        &esms::sign::PayoutFields {
                            amount: number("amount"),
                            channel: number("channel"),
                            description: &description,
                            disbursement_data: &data,
                            method: number("disbursementMethod"),
                            order_id: &order_id,
                        },
                    )
                } else if id.contains(".verify.") {
                    esms::sign::verify_signature(
                        encoding,
                        secret,
                        &esms::sign::RecipientFields {
                            channel: number("channel"),
                            disbursement_data: &data,
                            method: number("disbursementMethod"),
                        },
                    )
                } else {
                    esms::sign::query_signature(encoding, secret, &order_id)
                }
            };
            assert_eq!(
                Some(sign(esms::SignatureEncoding::Base64).as_str()),
                v["expected_base64"].as_str(),
                "{id} base64"
            );
            Some(sign(esms::SignatureEncoding::Hex))
        }
        "topup" => {
            let digest = if s(v, "digest") == "sha1" {
                topup::Digest::Sha1
            } else {
                topup::Digest::Sha256
            };
            if id.contains(".balance.") {
                // The rule's separator is ":::"; the "::: " vector is the mistake.
                Some(topup::sign::balance_checksum(
                    digest,
                    s(v, "username"),
                    s(v, "privatekey"),
                ))
            } else {
                Some(topup::sign::topup_checksum(
                    digest,
                    s(v, "username"),
                    s(v, "phone"),
                    s(v, "sotien"),
                    s(v, "privatekey"),
                ))
            }
        }
        _ => None,
    }
}

#[test]
fn every_signing_vector() {
    let (mut matched, mut refused, mut php) = (0, 0, 0);
    for v in vectors() {
        let Some(got) = compute(&v) else {
            let id = v["id"].as_str().unwrap_or_default();
            assert!(id.starts_with("php.string."), "{id}: no rule computed it");
            php += 1;
            continue;
        };
        let expected = v["expected"].as_str().unwrap();
        if v["negative"] == true {
            assert_ne!(got, expected, "{}: the rule produces the mistake", v["id"]);
            refused += 1;
        } else {
            assert_eq!(got, expected, "{}", v["id"]);
            matched += 1;
        }
    }
    // 12 + 12 chargingws (charging; card shop and top-up) + 10 OpenCard + 6 + 20 AppotaPay
    // (buying; top-up, transfer, account check, their replies) + 5 eSMS + 6 topup match; the
    // mistakes refused: one charging, one card-shop (an undefined request id), one AppotaPay
    // reply (a re-formatted time), one topup; the 11 php.string.* vectors are php.rs's literals.
    println!("# vectors: {matched} matched, {refused} mistakes refused, {php} PHP literals");
    assert_eq!((matched, refused, php), (71, 4, 11));
}
