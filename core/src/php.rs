//! PHP's `(string)` cast of a `json_decode`d value. OpenCard signs its webhook with
//! `(string)$data['amount']` and friends, so a JSON number must print exactly as PHP prints it.

use serde_json::Value;
use serde_json::value::RawValue;

/// PHP's `precision` ini setting, whose default (14) `(string)` of a float uses.
const PHP_PRECISION: i32 = 14;

/// `(string)` of what PHP's `json_decode` makes of this JSON literal. The literal text is
/// needed, not a parsed number: PHP keeps `-0` and `10` as integers but `-0.0` and `1e1` as
/// floats, and prints them differently.
pub(crate) fn php_string(literal: &RawValue) -> Result<String, &'static str> {
    let text = literal.get().trim();
    match serde_json::from_str::<Value>(text).map_err(|_| "not JSON")? {
        Value::String(s) => Ok(s),
        Value::Null | Value::Bool(false) => Ok(String::new()),
        Value::Bool(true) => Ok("1".to_owned()),
        // json_decode keeps integer literals that fit a PHP int (i64); others become floats.
        Value::Number(n) => match text.parse::<i64>() {
            Ok(i) if !text.contains(['.', 'e', 'E']) => Ok(i.to_string()),
            _ => n.as_f64().map(php_float).ok_or("number out of range"),
        },
        Value::Array(_) | Value::Object(_) => Err("not a scalar"),
    }
}

/// PHP's `zend_gcvt(value, 14, '.', 'E')`: 14 significant digits, trailing zeros dropped,
/// exponent form when the exponent is below -4 or at least 15.
fn php_float(f: f64) -> String {
    if f.is_nan() {
        return "NAN".to_owned();
    }
    if f.is_infinite() {
        return if f > 0.0 { "INF" } else { "-INF" }.to_owned();
    }
    let sign = if f.is_sign_negative() { "-" } else { "" };
    if f == 0.0 {
        return format!("{sign}0");
    }
    // Rust's exact formatting rounds correctly, like zend_dtoa mode 2.
    let scientific = format!("{:.*e}", PHP_PRECISION.unsigned_abs() as usize - 1, f.abs());
    let (mantissa, exponent) = scientific
        .split_once('e')
        .expect("{:e} always has an exponent");
    let exponent: i32 = exponent.parse().expect("{:e} exponent is an integer");
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let digits = digits.trim_end_matches('0');
    let digits = if digits.is_empty() { "0" } else { digits };
    // Where the decimal point falls after the digits' first character, as zend_dtoa counts.
    let decpt = exponent + 1;
    let body = if !(-3..=PHP_PRECISION).contains(&decpt) {
        let (first, rest) = digits.split_at(1);
        let rest = if rest.is_empty() { "0" } else { rest };
        let e = decpt - 1;
        let e_sign = if e < 0 { '-' } else { '+' };
        format!("{first}.{rest}E{e_sign}{}", e.abs())
    } else if decpt <= 0 {
        format!("0.{}{digits}", "0".repeat(decpt.unsigned_abs() as usize))
    } else {
        let decpt = decpt.unsigned_abs() as usize;
        if digits.len() <= decpt {
            format!("{digits}{}", "0".repeat(decpt - digits.len()))
        } else {
            format!("{}.{}", &digits[..decpt], &digits[decpt..])
        }
    };
    format!("{sign}{body}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn php(json: &str) -> String {
        php_string(&RawValue::from_string(json.to_owned()).unwrap()).unwrap()
    }

    // The php.string.* vectors of tests/data/vectors.json (PHP 8.2), then ours, computed
    // with `php -r 'echo var_export((string)json_decode($argv[1]), true);' -- LITERAL` on PHP 8.2.
    #[test]
    fn matches_php_string_cast() {
        for (json, expected) in [
            ("8600.0", "8600"),
            ("1e4", "10000"),
            ("0", "0"),
            ("0.1", "0.1"),
            ("0.30000000000000004", "0.3"),
            ("1e15", "1.0E+15"),
            ("-0.0", "-0"),
            ("1.5e-7", "1.5E-7"),
            ("123456789012345678", "123456789012345678"),
            ("true", "1"),
            ("99.99", "99.99"),
            ("false", ""),
            ("null", ""),
            ("\"0123\"", "0123"),
            ("0.0001", "0.0001"),
            ("0.00001", "1.0E-5"),
            ("100000000000000", "100000000000000"),
            ("1234567.891", "1234567.891"),
            ("-2.5", "-2.5"),
            ("1e100", "1.0E+100"),
            ("18446744073709551615", "1.844674407371E+19"),
            ("123456789012345.6", "1.2345678901235E+14"),
            ("-0", "0"),
        ] {
            assert_eq!(php(json), expected, "(string) json_decode({json})");
        }
    }

    #[test]
    fn arrays_are_refused() {
        assert!(php_string(&RawValue::from_string("[1]".to_owned()).unwrap()).is_err());
    }
}
