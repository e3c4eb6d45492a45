//! chargingws callbacks, POST JSON or GET query, verified in constant time.

use serde::Serialize;
use serde_json::{Map, Value};

use super::CardRequest;
use super::sign::callback_sign;
use crate::callback_json::{self, Refused};
use crate::card::CardStatus;
use crate::error::Error;
use crate::fields::{self, Field, Fields};
use crate::secret::{CardCode, Raw, constant_time_eq, mask_pin, reply_excerpt};
use crate::telco::Telco;

/// A callback whose `callback_sign` matched.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct Callback {
    /// The card's final (or, rarely, pending) status.
    pub status: CardStatus,
    /// The site's message, percent-decoded.
    pub message: String,
    /// Your request id.
    pub request_id: String,
    /// The site's transaction id.
    pub trans_id: Option<String>,
    /// The telco.
    pub telco: Option<String>,
    /// The card PIN (covered by the signature).
    pub code: CardCode,
    /// The card serial (covered by the signature).
    pub serial: String,
    /// The face value you declared.
    pub declared_value: Option<i64>,
    /// The card's real face value (GET callbacks only).
    pub card_value: Option<i64>,
    /// The face value billed.
    pub value: Option<i64>,
    /// The money you receive after fees.
    pub amount: Option<i64>,
    /// The callback as received.
    pub raw: Raw,
}

impl Callback {
    /// Checks that this callback belongs to `stored`, the request you saved when you charged:
    /// `request_id`, `telco` (aliases are equal), `serial` and declared value must agree. The
    /// error names the first field that differs. The signature cannot vouch for these fields,
    /// so do this before trusting a callback.
    pub fn check_against(&self, stored: &CardRequest) -> Result<(), Error> {
        let differs = |field, expected: &str, received: &str| Error::CallbackMismatch {
            field,
            expected: expected.to_owned(),
            received: received.to_owned(),
        };
        if self.request_id != stored.request_id {
            return Err(differs("request_id", &stored.request_id, &self.request_id));
        }
        let received_telco = self.telco.as_deref().unwrap_or("");
        let same_telco = Telco::from_name(&received_telco.to_ascii_uppercase())
            .zip(Telco::from_name(&stored.telco.trim().to_ascii_uppercase()))
            .is_some_and(|(a, b)| a == b);
        if !same_telco {
            return Err(differs("telco", &stored.telco, received_telco));
        }
        if self.serial != stored.serial {
            return Err(differs("serial", &stored.serial, &self.serial));
        }
        // The signature covers code and serial, but a callback for another card signed with
        // the same key verifies too. The error shows both PINs masked.
        if !constant_time_eq(
            self.code.as_str().as_bytes(),
            stored.code.as_str().as_bytes(),
        ) {
            return Err(differs(
                "code",
                &mask_pin(stored.code.as_str()),
                &mask_pin(self.code.as_str()),
            ));
        }
        if self.declared_value != Some(stored.amount) {
            let received = self
                .declared_value
                .map(|v| v.to_string())
                .unwrap_or_default();
            return Err(differs(
                "declared_value",
                &stored.amount.to_string(),
                &received,
            ));
        }
        Ok(())
    }
}

pub(super) fn parse(partner_key: &str, data: &[u8]) -> Result<Callback, Error> {
    // Before verification the PIN is unknown and cannot be redacted: show no content at all.
    let bad = |reason: &str| Error::bad_reply(None, reason, format!("<{} bytes>", data.len()));
    let text = std::str::from_utf8(data).map_err(|_| bad("the callback is not UTF-8"))?;
    let trimmed = text.trim();
    let mut map = if trimmed.starts_with(['{', '[']) {
        match callback_json::fields_str(trimmed) {
            Ok(map) => map,
            Err(Refused::Ambiguous(reason)) => return Err(bad(&reason)),
            Err(Refused::NotAnObject) => return Err(bad("the callback is not a JSON object")),
        }
    } else {
        crate::flat_json::Object::Map(query_to_map(trimmed).map_err(|reason| bad(&reason))?)
    };

    let code = fields::opt_text(&map, "code")
        .map_err(|r| bad(&r))?
        .unwrap_or_default();
    let serial = fields::opt_text(&map, "serial")
        .map_err(|r| bad(&r))?
        .unwrap_or_default();
    let given = match map.field("callback_sign") {
        Field::Text(sign) if !sign.is_empty() => sign,
        _ => {
            return Err(Error::SignatureMismatch {
                field: "callback_sign",
            });
        }
    };
    if code.is_empty() || serial.is_empty() {
        return Err(bad("the callback has no code or serial to verify"));
    }
    // Lowercase hex, compared without regard to case (some sites send capitals), on the stack.
    let expected = callback_sign(partner_key, &code, &serial);
    let mut lowered = [0_u8; 32];
    let same = given.len() == lowered.len() && {
        lowered.copy_from_slice(given.as_bytes());
        lowered.make_ascii_lowercase();
        constant_time_eq(expected.as_bytes(), &lowered)
    };
    if !same {
        return Err(Error::SignatureMismatch {
            field: "callback_sign",
        });
    }

    // Only a verified callback is read further; its PIN stays out of any error excerpt.
    let bad = |reason: String| {
        Error::bad_reply(
            None,
            reason,
            reply_excerpt(text.as_bytes(), &[partner_key, &code, &expected]),
        )
    };
    // The map is dropped after this: its strings are taken, not copied.
    let mut read = || -> Result<_, fields::FieldError> {
        Ok((
            CardStatus::from_code(fields::int(&map, "status")?),
            fields::take_opt_text(&mut map, "message")?.unwrap_or_default(),
            fields::take_opt_text(&mut map, "request_id")?.ok_or("field request_id is missing")?,
            fields::take_opt_text(&mut map, "trans_id")?,
            fields::take_opt_text(&mut map, "telco")?,
            [
                fields::opt_int(&map, "declared_value")?,
                fields::opt_int(&map, "card_value")?,
                fields::opt_int(&map, "value")?,
                fields::opt_int(&map, "amount")?,
            ],
        ))
    };
    let (status, message, request_id, trans_id, telco, values) = read().map_err(bad)?;
    let [declared_value, card_value, value, amount] = values;
    Ok(Callback {
        status,
        message,
        request_id,
        trans_id,
        telco,
        code: CardCode::from(code),
        serial,
        declared_value,
        card_value,
        value,
        amount,
        raw: Raw::text(text),
    })
}

/// Decodes a query string (`a=1&b=Th%C3%A0nh+c%C3%B4ng`), with or without the URL before `?`.
/// A key given twice is refused: the library and the web framework might read different copies.
fn query_to_map(text: &str) -> Result<Map<String, Value>, String> {
    let query = text.split_once('?').map_or(text, |(_, q)| q);
    let query = query.split_once('#').map_or(query, |(q, _)| q);
    let mut map = Map::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let key = decode_component(key)?;
        if let Some(reason) = callback_json::ambiguous_key(&key) {
            return Err(reason);
        }
        let value = decode_component(value)?;
        if map.insert(key.clone(), Value::String(value)).is_some() {
            return Err(format!("the callback repeats the field {key}"));
        }
    }
    Ok(map)
}

fn decode_component(raw: &str) -> Result<String, String> {
    let spaced = raw.replace('+', " ");
    percent_encoding::percent_decode_str(&spaced)
        .decode_utf8()
        .map(std::borrow::Cow::into_owned)
        .map_err(|_| "the callback is not UTF-8 after percent-decoding".to_owned())
}

impl crate::outcome::MoneyOutcome for crate::chargingws::Callback {
    fn outcome(&self) -> crate::outcome::Outcome {
        crate::outcome::of_card(self.status)
    }

    fn reference(&self) -> Option<&str> {
        Some(&self.request_id)
    }

    fn amount(&self) -> Option<i64> {
        self.amount
    }

    fn outcome_is_hint(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "partner_key_example";
    // The protocol document's callback card, signed with a public integrator's example key
    // (vector chargingws.research.callback).
    const SIGN: &str = "3d0180dc59bc96342b39ea41006a1d40";

    fn post_body(sign: &str) -> String {
        format!(
            r#"{{"status":1,"message":"Th\u00e0nh c\u00f4ng","request_id":"989876","declared_value":50000,"value":50000,"amount":25000,"code":"314688440422676","serial":"10003395125761","telco":"VIETTEL","trans_id":54180,"callback_sign":"{sign}"}}"#
        )
    }

    fn stored() -> CardRequest {
        CardRequest {
            telco: "VIETTEL".into(),
            code: "314688440422676".into(),
            serial: "10003395125761".into(),
            amount: 50000,
            request_id: "989876".into(),
        }
    }

    #[test]
    fn post_json_callback_is_verified_and_read() {
        let cb = parse(KEY, post_body(SIGN).as_bytes()).unwrap();
        assert_eq!(cb.status, CardStatus::Success);
        assert_eq!(cb.message, "Thành công");
        assert_eq!(cb.trans_id.as_deref(), Some("54180"));
        assert_eq!(
            (cb.declared_value, cb.value, cb.amount, cb.card_value),
            (Some(50000), Some(50000), Some(25000), None)
        );
        cb.check_against(&stored()).unwrap();
    }

    #[test]
    fn get_callback_is_percent_decoded_with_plus_as_space() {
        let query = format!(
            "/charge/callback?status=1&message=Th%C3%A0nh+c%C3%B4ng&request_id=989876&declared_value=50000&card_value=50000&value=50000&amount=25000&code=314688440422676&serial=10003395125761&telco=VIETTEL&trans_id=343424&callback_sign={SIGN}"
        );
        let cb = parse(KEY, query.as_bytes()).unwrap();
        assert_eq!(cb.message, "Thành công");
        assert_eq!(cb.card_value, Some(50000));
        cb.check_against(&stored()).unwrap();
        // The protocol document's own GET example sends the message unencoded.
        let raw = query.replace("Th%C3%A0nh+c%C3%B4ng", "Thành công");
        assert_eq!(parse(KEY, raw.as_bytes()).unwrap().message, "Thành công");
    }

    #[test]
    fn tampering_the_card_or_the_sign_is_rejected() {
        for tampered in [
            post_body(SIGN).replace("314688440422676", "314688440422677"),
            post_body(SIGN).replace("10003395125761", "10003395125762"),
            post_body(&SIGN.replace('3', "4")),
        ] {
            assert_eq!(
                parse(KEY, tampered.as_bytes()),
                Err(Error::SignatureMismatch {
                    field: "callback_sign"
                })
            );
        }
        let unsigned = post_body(SIGN).replace(&format!(r#","callback_sign":"{SIGN}""#), "");
        assert_eq!(
            parse(KEY, unsigned.as_bytes()),
            Err(Error::SignatureMismatch {
                field: "callback_sign"
            })
        );
        assert!(matches!(
            parse("another-key", post_body(SIGN).as_bytes()),
            Err(Error::SignatureMismatch { .. })
        ));
    }

    #[test]
    fn fields_the_sign_does_not_cover_are_caught_by_check_against() {
        let cases: [(&str, &str, &str); 4] = [
            (
                "request_id",
                r#""request_id":"989876""#,
                r#""request_id":"989877""#,
            ),
            ("telco", r#""telco":"VIETTEL""#, r#""telco":"MOBIFONE""#),
            (
                "declared_value",
                r#""declared_value":50000"#,
                r#""declared_value":500000"#,
            ),
            ("declared_value", r#""declared_value":50000,"#, ""),
        ];
        for (field, from, to) in cases {
            let cb = parse(KEY, post_body(SIGN).replace(from, to).as_bytes()).unwrap();
            match cb.check_against(&stored()) {
                Err(Error::CallbackMismatch { field: f, .. }) => assert_eq!(f, field),
                other => panic!("{field}: {other:?}"),
            }
        }
        let other_serial = CardRequest {
            serial: "10003395125769".into(),
            ..stored()
        };
        let cb = parse(KEY, post_body(SIGN).as_bytes()).unwrap();
        assert!(matches!(
            cb.check_against(&other_serial),
            Err(Error::CallbackMismatch {
                field: "serial",
                ..
            })
        ));
        // Another card's PIN: refused, and the error shows both PINs masked only.
        let other_code = CardRequest {
            code: "314688440422699".into(),
            ..stored()
        };
        match cb.check_against(&other_code) {
            Err(Error::CallbackMismatch {
                field: "code",
                expected,
                received,
            }) => {
                assert_eq!((expected.as_str(), received.as_str()), ("***99", "***76"));
            }
            other => panic!("code: {other:?}"),
        }
        // Aliases of one telco match.
        let vnmb = CardRequest {
            telco: "vnmb".into(),
            ..stored()
        };
        let cb = parse(
            KEY,
            post_body(SIGN)
                .replace("VIETTEL", "VIETNAMOBILE")
                .as_bytes(),
        )
        .unwrap();
        cb.check_against(&vnmb).unwrap();
    }

    #[test]
    fn malformed_callbacks_are_bad_replies_without_secrets() {
        for data in [
            &b"\xff\xfe"[..],
            b"{not json",
            b"[1,2]",
            b"status=1&status=3&callback_sign=x&code=1&serial=2",
        ] {
            assert!(
                matches!(parse(KEY, data), Err(Error::BadReply { .. })),
                "{data:?}"
            );
        }
        let no_status = post_body(SIGN).replace(r#""status":1,"#, "");
        let err = parse(KEY, no_status.as_bytes()).unwrap_err();
        assert!(matches!(err, Error::BadReply { .. }));
        assert!(!err.to_string().contains("314688440422676"), "{err}");
        assert!(!err.to_string().contains(SIGN), "{err}");
    }

    #[test]
    fn status_as_a_string_is_read() {
        let cb = parse(
            KEY,
            post_body(SIGN)
                .replace(r#""status":1"#, r#""status":"3""#)
                .as_bytes(),
        )
        .unwrap();
        assert_eq!(cb.status, CardStatus::CardError);
    }
}
