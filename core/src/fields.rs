//! Field rules shared by the providers (checked before any I/O) and lenient readers for reply
//! fields that providers send sometimes as numbers, sometimes as strings.

use serde_json::{Map, Value};

use crate::error::Error;

/// The longest text accepted in a free-form identifier field.
const MAX_ID_LEN: usize = 64;

/// A required text field: present, not blank, at most `max` characters, no control characters.
pub(crate) fn required(field: &'static str, value: &str, max: usize) -> Result<(), Error> {
    if value.trim().is_empty() {
        return Err(Error::invalid(field, "is required"));
    }
    if value.chars().count() > max {
        return Err(Error::invalid(
            field,
            format!("is longer than {max} characters"),
        ));
    }
    if value.chars().any(char::is_control) {
        return Err(Error::invalid(field, "contains a control character"));
    }
    Ok(())
}

/// A caller-chosen identifier: 1–64 of `A-Z a-z 0-9 _ - .`, so it survives every provider's
/// form encoding and signature unchanged.
pub(crate) fn identifier(field: &'static str, value: &str) -> Result<(), Error> {
    required(field, value, MAX_ID_LEN)?;
    if !value
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
    {
        return Err(Error::invalid(
            field,
            "may contain only letters, digits, '_', '-' and '.'",
        ));
    }
    Ok(())
}

/// Card PIN or serial: non-empty, no spaces; digits only when `digits` is set.
pub(crate) fn card_part(field: &'static str, value: &str, digits: bool) -> Result<(), Error> {
    required(field, value, MAX_ID_LEN)?;
    if digits {
        if !value.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Error::invalid(field, "must contain digits only"));
        }
    } else if !value.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(Error::invalid(
            field,
            "must contain letters and digits only",
        ));
    }
    Ok(())
}

/// A positive amount of VND.
pub(crate) fn positive(field: &'static str, value: i64) -> Result<(), Error> {
    if value <= 0 {
        return Err(Error::invalid(field, "must be a positive amount"));
    }
    Ok(())
}

/// Refuses config keys that no field took. A key is named only when it looks like a field
/// name (`partner_kye`): anything else may be a secret pasted in the wrong place, and is
/// described, never quoted.
pub(crate) fn no_unknown(unknown: &std::collections::BTreeMap<String, Value>) -> Result<(), Error> {
    let Some(key) = unknown.keys().next() else {
        return Ok(());
    };
    let named = key.len() <= 40
        && key.starts_with(|c: char| c.is_ascii_alphabetic())
        && key
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        && key.bytes().filter(u8::is_ascii_digit).count() < 4;
    if named {
        Err(Error::invalid(
            key.clone(),
            "is not a config field of this provider",
        ))
    } else {
        Err(Error::invalid(
            "config",
            format!(
                "a key of {} characters is not a config field of this provider (not quoted: \
                 it is not a field name, and may be a secret in the wrong place)",
                key.chars().count()
            ),
        ))
    }
}

/// A Vietnamese mobile number as providers take it: ten digits, `03`, `05`, `07`, `08` or `09`
/// first (`0912345678`).
pub(crate) fn vn_mobile(field: &'static str, value: &str) -> Result<(), Error> {
    let ok = value.len() == 10
        && value.bytes().all(|b| b.is_ascii_digit())
        && matches!(&value[..2], "03" | "05" | "07" | "08" | "09");
    if ok {
        Ok(())
    } else {
        Err(Error::invalid(
            field,
            "must be a Vietnamese mobile number: 10 digits starting 03, 05, 07, 08 or 09",
        ))
    }
}

/// The reasons a reply field cannot be read.
pub(crate) type FieldError = String;

/// A list field; absent, `null` or not a list reads as empty.
pub(crate) fn list<'a>(map: &'a Map<String, Value>, key: &str) -> &'a [Value] {
    map.get(key)
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

/// One field of a reply or callback, as whichever reader read it holds it.
pub(crate) enum Field<'a> {
    Absent,
    Null,
    Text(&'a str),
    /// A number as its literal text; the in-place reader holds only integers of at
    /// most 18 digits this way, which every reader below takes as `serde_json` would.
    Literal(&'a str),
    Number(&'a serde_json::Number),
    /// `true`, `false`, a list or an object.
    Other,
}

/// What the lenient readers below read from: a `serde_json` object, or a reply or callback
/// read in place ([`crate::flat_json::Flat`]).
pub(crate) trait Fields {
    fn field(&self, key: &str) -> Field<'_>;
    /// The text of a string field, moved out when the reader owns it (a map read once and
    /// dropped, such as a callback's); `None` for anything else.
    fn take_text(&mut self, key: &str) -> Option<String>;
}

impl Fields for Map<String, Value> {
    fn field(&self, key: &str) -> Field<'_> {
        match self.get(key) {
            None => Field::Absent,
            Some(Value::Null) => Field::Null,
            Some(Value::String(s)) => Field::Text(s),
            Some(Value::Number(n)) => Field::Number(n),
            Some(_) => Field::Other,
        }
    }

    fn take_text(&mut self, key: &str) -> Option<String> {
        match self.get_mut(key) {
            Some(Value::String(s)) => Some(std::mem::take(s)),
            _ => None,
        }
    }
}

/// A field that may be a string or a number; `null` and absent are `None`.
pub(crate) fn opt_text<F: Fields + ?Sized>(
    map: &F,
    key: &str,
) -> Result<Option<String>, FieldError> {
    match map.field(key) {
        Field::Absent | Field::Null => Ok(None),
        Field::Text(s) | Field::Literal(s) => Ok(Some(s.to_owned())),
        Field::Number(n) => Ok(Some(n.to_string())),
        Field::Other => Err(format!("field {key} is neither text nor a number")),
    }
}

/// [`opt_text`], taking the string out of the map instead of copying it (for a map read once
/// and dropped, such as a callback's).
pub(crate) fn take_opt_text<F: Fields + ?Sized>(
    map: &mut F,
    key: &str,
) -> Result<Option<String>, FieldError> {
    match map.take_text(key) {
        Some(text) => Ok(Some(text)),
        None => opt_text(map, key),
    }
}

/// A whole-number field that may be sent as a number (`50000`, `50000.0`) or a string
/// (`"50000"`); `null`, `""` and absent are `None`. A fractional value is an error: money is
/// never rounded by guess.
pub(crate) fn opt_int<F: Fields + ?Sized>(map: &F, key: &str) -> Result<Option<i64>, FieldError> {
    let bad = || format!("field {key} is not a whole number");
    match map.field(key) {
        Field::Absent | Field::Null => Ok(None),
        Field::Literal(s) => s.parse::<i64>().map(Some).map_err(|_| bad()),
        Field::Number(n) => number_to_int(n).map(Some).ok_or_else(bad),
        Field::Text(s) if s.trim().is_empty() => Ok(None),
        Field::Text(s) => s.trim().parse::<i64>().map(Some).map_err(|_| bad()),
        Field::Other => Err(bad()),
    }
}

/// Like [`opt_int`], but the field must be there.
pub(crate) fn int<F: Fields + ?Sized>(map: &F, key: &str) -> Result<i64, FieldError> {
    opt_int(map, key)?.ok_or_else(|| format!("field {key} is missing"))
}

/// A number that may carry a fraction (fee percentages).
pub(crate) fn opt_float<F: Fields + ?Sized>(map: &F, key: &str) -> Result<Option<f64>, FieldError> {
    let bad = || format!("field {key} is not a number");
    match map.field(key) {
        Field::Absent | Field::Null => Ok(None),
        Field::Number(n) => n.as_f64().map(Some).ok_or_else(bad),
        Field::Text(s) => s.trim().parse::<f64>().map(Some).map_err(|_| bad()),
        Field::Literal(s) => s.parse::<f64>().map(Some).map_err(|_| bad()),
        Field::Other => Err(bad()),
    }
}

fn number_to_int(n: &serde_json::Number) -> Option<i64> {
    if let Some(i) = n.as_i64() {
        return Some(i);
    }
    let f = n.as_f64()?;
    // Exact whole numbers only, and only inside the range where f64 is exact.
    #[allow(clippy::cast_possible_truncation)]
    (f.fract() == 0.0 && f.abs() < 9.0e15).then_some(f as i64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: &Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn ints_are_read_from_numbers_and_strings() {
        let m = obj(
            &json!({"a": 50000, "b": "99", "c": 35000.0, "d": null, "e": "", "f": 1.5, "g": "x", "h": true}),
        );
        assert_eq!(opt_int(&m, "a"), Ok(Some(50000)));
        assert_eq!(opt_int(&m, "b"), Ok(Some(99)));
        assert_eq!(opt_int(&m, "c"), Ok(Some(35000)));
        assert_eq!(opt_int(&m, "d"), Ok(None));
        assert_eq!(opt_int(&m, "e"), Ok(None));
        assert_eq!(opt_int(&m, "missing"), Ok(None));
        assert!(opt_int(&m, "f").is_err());
        assert!(opt_int(&m, "g").is_err());
        assert!(opt_int(&m, "h").is_err());
        assert!(int(&m, "missing").is_err());
    }

    #[test]
    fn text_is_read_from_strings_and_numbers() {
        let m = obj(&json!({"a": "x", "b": 54180, "c": [1]}));
        assert_eq!(opt_text(&m, "a"), Ok(Some("x".into())));
        assert_eq!(opt_text(&m, "b"), Ok(Some("54180".into())));
        assert!(opt_text(&m, "c").is_err());
    }

    #[test]
    fn identifiers_and_card_parts() {
        assert!(identifier("request_id", "ACC-S1_0001.x").is_ok());
        assert!(identifier("request_id", "").is_err());
        assert!(identifier("request_id", "a b").is_err());
        assert!(identifier("request_id", &"9".repeat(65)).is_err());
        assert!(card_part("code", "0123", true).is_ok());
        assert!(card_part("code", "12a", true).is_err());
        assert!(card_part("code", "AbC123", false).is_ok());
        assert!(card_part("code", "AbC 123", false).is_err());
        assert!(card_part("code", "12\u{0}3", true).is_err());
        assert!(positive("amount", 0).is_err());
        assert!(positive("amount", -10).is_err());
    }
}

/// A provider's JSON text with every number literal that a 64-bit integer or float would not
/// hold exactly (an integer beyond `i64`/`u64`, a decimal of more than 15 significant digits)
/// turned into a string of the same characters, so that an account number, a transaction id or
/// a serial sent as a 22-digit JSON number comes out as its digits, not as
/// `1.2345678901234568e+21`. Signatures are checked on the body as received, never on this.
/// Borrowed unchanged when there is nothing to turn (almost every reply).
pub(crate) fn exact_numbers(body: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    let mut out: Option<Vec<u8>> = None;
    let mut copied = 0;
    let mut i = 0;
    while i < body.len() {
        match body[i] {
            b'"' => {
                // Past the string, escapes and all, a quote or backslash at a time (memchr
                // looks 16 or 32 bytes at a time: a reply is mostly strings).
                i += 1;
                loop {
                    let rest = body.get(i..).unwrap_or_default();
                    match memchr::memchr2(b'"', b'\\', rest) {
                        Some(at) if rest[at] == b'\\' => i += at + 2,
                        Some(at) => {
                            i += at + 1;
                            break;
                        }
                        None => {
                            i = body.len();
                            break;
                        }
                    }
                }
            }
            b'-' | b'0'..=b'9' => {
                let start = i;
                i += 1;
                while i < body.len()
                    && matches!(body[i], b'0'..=b'9' | b'.' | b'e' | b'E' | b'+' | b'-')
                {
                    i += 1;
                }
                let literal = &body[start..i];
                if !held_exactly(literal) {
                    let out = out.get_or_insert_with(|| Vec::with_capacity(body.len() + 8));
                    out.extend_from_slice(&body[copied..start]);
                    out.push(b'"');
                    out.extend_from_slice(literal);
                    out.push(b'"');
                    copied = i;
                }
            }
            _ => i += 1,
        }
    }
    match out {
        None => std::borrow::Cow::Borrowed(body),
        Some(mut out) => {
            out.extend_from_slice(&body[copied.min(body.len())..]);
            std::borrow::Cow::Owned(out)
        }
    }
}

/// Whether `serde_json` reads `literal` back to the same number: an integer that fits `i64` or
/// `u64`, or a decimal of at most 15 significant digits (what a double always keeps).
fn held_exactly(literal: &[u8]) -> bool {
    // Most literals are short integers: up to 18 digits always fit an i64.
    let digits = literal.strip_prefix(b"-").unwrap_or(literal);
    if !digits.is_empty() && digits.len() <= 18 && digits.iter().all(u8::is_ascii_digit) {
        return true;
    }
    let Ok(text) = std::str::from_utf8(literal) else {
        return true; // not a number: serde_json refuses it as it is
    };
    if !text.contains(['.', 'e', 'E']) {
        return text.parse::<i64>().is_ok()
            || text.parse::<u64>().is_ok()
            || text.parse::<f64>().is_err();
    }
    let mantissa = text.split(['e', 'E']).next().unwrap_or_default();
    let significant = mantissa
        .bytes()
        .filter(u8::is_ascii_digit)
        .skip_while(|&b| b == b'0')
        .count();
    significant <= 15
}

#[cfg(test)]
mod exact_number_tests {
    use super::exact_numbers;

    #[test]
    fn numbers_beyond_a_double_become_their_digits() {
        let body = br#"{"accountNo":1234567890123456789012,"amount":50000,"rate":0.5,"id":-9223372036854775809,"big":18446744073709551615,"s":"1234567890123456789012 \" 99999999999999999999","f":0.12345678901234567}"#;
        let turned = exact_numbers(body);
        let value: serde_json::Value = serde_json::from_slice(&turned).unwrap();
        assert_eq!(value["accountNo"], "1234567890123456789012");
        assert_eq!(value["id"], "-9223372036854775809");
        assert_eq!(value["amount"], 50000);
        assert_eq!(value["rate"], 0.5);
        assert_eq!(value["big"], 18_446_744_073_709_551_615_u64);
        assert_eq!(value["s"], "1234567890123456789012 \" 99999999999999999999");
        assert_eq!(value["f"], "0.12345678901234567");
        let plain = br#"{"status":1,"amount":10000}"#;
        assert!(matches!(
            exact_numbers(plain),
            std::borrow::Cow::Borrowed(_)
        ));
        // Escapes at every place a string can hold them, numbers after them still found;
        // 18 digits stay numbers, 20 do not.
        let escaped = br#"{"a\\":"\\","b":"x\"1234567890123456789012\\","n":-123456789012345678,"m":12345678901234567890123}"#;
        let value: serde_json::Value = serde_json::from_slice(&exact_numbers(escaped)).unwrap();
        assert_eq!(value["a\\"], "\\");
        assert_eq!(value["b"], "x\"1234567890123456789012\\");
        assert_eq!(value["n"], -123_456_789_012_345_678_i64);
        assert_eq!(value["m"], "12345678901234567890123");
        // A string cut short (a broken body) ends the scan without reading past the end.
        for cut in [&br#"{"a":"x\"#[..], br#"{"a":"x"#, br#"{"a":"\"#] {
            assert_eq!(&*exact_numbers(cut), cut);
        }
    }
}
