//! Secrets, constant-time comparison and redaction: the three things that keep keys and card
//! PINs out of logs and errors.

use std::fmt;
use std::fmt::Write as _;

use serde::{Deserialize, Deserializer};

/// A credential (partner key, private key, token). Its `Debug` never shows the value and it has
/// no `Display`, so it cannot leak through `{:?}`, error messages or logs by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a credential.
    #[must_use]
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The credential itself, for signing. Named so that every use is easy to find.
    #[must_use]
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Writes the credential itself, for `#[serde(serialize_with)]`: a result that hands one
    /// to its caller (eSMS's tokens). `Secret` has no `Serialize` of its own, so that a
    /// secret is never written by accident.
    pub fn serialize_exposed<S: serde::Serializer>(
        secret: &Self,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&secret.0)
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Self::new(value)
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self(value)
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Self)
    }
}

/// Compares two byte strings in time that depends only on their lengths (`subtle`), so a
/// forger cannot learn a signature byte by byte from response times. Signature lengths are
/// public.
#[must_use]
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    use subtle::ConstantTimeEq;
    bool::from(a.ct_eq(b))
}

/// Masks a card PIN for display: only the last two characters stay, so support staff can tell
/// two cards apart without being able to use either.
#[must_use]
pub fn mask_pin(pin: &str) -> String {
    let tail: String = pin
        .chars()
        .rev()
        .take(2)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    if pin.chars().count() <= 4 {
        "***".to_owned()
    } else {
        format!("***{tail}")
    }
}

/// The most characters of a caller's value that an error quotes.
pub(crate) const QUOTE_CHARS: usize = 100;

/// A caller's value (a URL, an operation name) as an error quotes it: debug-quoted, cut to
/// [`QUOTE_CHARS`] characters, so that a huge or binary input cannot flood a log line.
pub(crate) fn quote(value: &str) -> String {
    let count = value.chars().count();
    if count <= QUOTE_CHARS {
        return format!("{value:?}");
    }
    let head: String = value.chars().take(QUOTE_CHARS).collect();
    format!("{head:?}… ({count} characters)")
}

/// The longest excerpt of a provider reply that an error carries.
pub(crate) const EXCERPT_CHARS: usize = 200;

/// A short excerpt of text vngate itself wrote (a transport error's words, a request field) for
/// an error or a log line: every configured secret and every value under a secret-sounding key
/// is replaced by `***`, control characters are escaped (`\\n`, `\\x00`) and the text is cut to
/// [`EXCERPT_CHARS`] characters. A provider's reply goes through [`reply_excerpt`] instead.
pub(crate) fn excerpt(body: &str, secrets: &[&str]) -> String {
    let mut text = replace_secrets(body, secrets);
    for fresh in fresh_secrets(&text) {
        text = text.replace(&fresh, "***");
    }
    printable(&text)
}

fn replace_secrets(text: &str, secrets: &[&str]) -> String {
    let mut text = text.to_owned();
    for secret in secrets.iter().filter(|s| s.len() >= 4) {
        text = text.replace(secret, "***");
    }
    text
}

/// Control characters escaped, cut to [`EXCERPT_CHARS`] characters.
fn printable(text: &str) -> String {
    let mut out = String::new();
    for (n, c) in text.chars().enumerate() {
        if n == EXCERPT_CHARS {
            out.push('…');
            break;
        }
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_ascii_control() => {
                let _ = write!(out, "\\x{:02x}", u32::from(c));
            }
            c if c.is_control() => {
                let _ = write!(out, "\\u{{{:04x}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out
}

/// The fields of a reply whose values an excerpt or a log line shows as they are: statuses,
/// references, amounts, telcos, serials, times (and the free text of [`FREE_TEXT_FIELDS`]).
/// Compared lowercase with `_`/`-` removed. Anything else (a card code under any name, a token,
/// a signature, a field no provider documents) shows only its shape: `<text, 15 chars>`,
/// `<number, 15 digits>`.
const PLAIN_FIELDS: &[&str] = &[
    "status",
    "success",
    "state",
    "errorcode",
    "resultcode",
    "responsecode",
    "returncode",
    "requestid",
    "transid",
    "transactionid",
    "partnerrefid",
    "partnertransid",
    "orderid",
    "ordercode",
    "amount",
    "value",
    "declaredvalue",
    "realvalue",
    "receivevalue",
    "price",
    "fee",
    "discount",
    "balance",
    "currency",
    "currencycode",
    "telco",
    "type",
    "network",
    "servicecode",
    "name",
    "serial",
    "qty",
    "quantity",
    "count",
    "total",
    "time",
    "timestamp",
    "createdat",
    "updatedat",
    "expired",
    "stockavailable",
    "channel",
];

/// Whether a field's value is shown in excerpts ([`PLAIN_FIELDS`], [`FREE_TEXT_FIELDS`]).
fn shown_field(key: &str) -> bool {
    PLAIN_FIELDS.contains(&key) || FREE_TEXT_FIELDS.contains(&key)
}

const FREE_TEXT_FIELDS: &[&str] = &[
    "message",
    "msg",
    "description",
    "desc",
    "error",
    "errormessage",
    "errormsg",
    "detail",
    "reason",
];

fn normalized(key: &str) -> String {
    key.chars()
        .filter(char::is_ascii_alphanumeric)
        .collect::<String>()
        .to_ascii_lowercase()
}

/// A short excerpt of a provider's reply (or callback) for an error or a log line, that shows
/// what went wrong and nothing that could be a secret. A JSON body (whole, cut or malformed)
/// keeps its structure and keys; only the fields [`shown_field`] names show their values, every
/// other value its shape. Any other body (an HTML error page, a text reply) shows its words,
/// with every word that could be a code or a token masked. Configured secrets are replaced by
/// `***` everywhere, control characters escaped and the result cut to [`EXCERPT_CHARS`]
/// characters; bytes that are not UTF-8 show as `\\xNN`.
pub(crate) fn reply_excerpt(body: &[u8], secrets: &[&str]) -> String {
    let mut text = String::with_capacity(body.len().min(4 * EXCERPT_CHARS));
    for chunk in body.utf8_chunks() {
        text.push_str(chunk.valid());
        for byte in chunk.invalid() {
            let _ = write!(text, "\\x{byte:02x}");
        }
        if text.len() > 8 * EXCERPT_CHARS + 1024 {
            break; // the excerpt keeps 200 characters; the rest of a huge body is not read
        }
    }
    let trimmed = text.trim_start();
    let shown = if trimmed.starts_with('{') || trimmed.starts_with('[') {
        json_shape(trimmed, secrets)
    } else {
        let mut text = replace_secrets(&text, secrets);
        for fresh in fresh_secrets(&text) {
            text = text.replace(&fresh, "***");
        }
        mask_code_like_words(&text)
    };
    printable(&shown)
}

/// A provider's own words quoted in an error (a refusal's message): cut, escaped, configured
/// secrets replaced and every word that could be a code masked.
pub(crate) fn provider_words(text: &str, secrets: &[&str]) -> String {
    mask_code_like_words(&excerpt(text, secrets))
}

/// A word (letters, digits, `+/=_`) of eight characters or more with a digit in it could be a
/// card code, a serial or a token: shown as `<15 chars>`. Shorter words, and words without
/// a digit, are what people write ("Thẻ không hợp lệ", "HTTP 502", "100000").
fn mask_code_like_words(text: &str) -> String {
    let is_word = |c: char| c.is_alphanumeric() || matches!(c, '+' | '/' | '=' | '_');
    let mut out = String::with_capacity(text.len());
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        let count = word.chars().count();
        if count >= 8 && word.chars().any(|c| c.is_ascii_digit()) {
            let _ = write!(out, "<{count} chars>");
        } else {
            out.push_str(word);
        }
        word.clear();
    };
    for c in text.chars() {
        if is_word(c) {
            word.push(c);
        } else {
            flush(&mut word, &mut out);
            out.push(c);
        }
    }
    flush(&mut word, &mut out);
    out
}

/// Where [`json_shape`] is: inside an object (after a key, or waiting for one) or a list.
enum Frame {
    Object { key: Option<String> },
    List { shown: Option<String> },
}

/// A JSON text (possibly cut or malformed) rewritten token by token: structure and keys kept,
/// values shown only under the fields [`shown_field`] names (a list takes its key's rule). Stops once the
/// excerpt is long enough.
fn json_shape(text: &str, secrets: &[&str]) -> String {
    let mut out = String::new();
    let mut stack: Vec<Frame> = Vec::new();
    let mut chars = text.char_indices().peekable();
    // The key whose rule the next value follows, if any.
    let current = |stack: &[Frame]| -> Option<String> {
        match stack.last() {
            Some(Frame::Object { key }) => key.clone(),
            Some(Frame::List { shown }) => shown.clone(),
            None => None,
        }
    };
    while let Some((start, c)) = chars.next() {
        if out.chars().count() > EXCERPT_CHARS {
            break;
        }
        match c {
            c if c.is_whitespace() => {}
            '{' => {
                stack.push(Frame::Object { key: None });
                out.push(c);
            }
            '[' => {
                stack.push(Frame::List {
                    shown: current(&stack),
                });
                out.push(c);
            }
            '}' | ']' => {
                stack.pop();
                out.push(c);
            }
            ':' => out.push(c),
            ',' => {
                if let Some(Frame::Object { key }) = stack.last_mut() {
                    *key = None;
                }
                out.push(c);
            }
            '"' => {
                let raw = &text[start + 1..start + 1 + string_end(&text[start + 1..])];
                // Past the string and its closing quote.
                let after = start + 1 + raw.len();
                while chars.next_if(|&(i, _)| i <= after).is_some() {}
                if let Some(Frame::Object { key: key @ None }) = stack.last_mut() {
                    // A key: shown, unless it could itself be a code.
                    *key = Some(normalized(raw));
                    let _ = write!(out, "\"{}\"", mask_code_like_words(raw));
                } else {
                    let _ = write!(
                        out,
                        "{}",
                        shown_text(current(&stack).as_deref(), raw, secrets)
                    );
                }
            }
            _ => {
                // A number, `true`, `false`, `null`, or whatever a malformed reply holds.
                let mut end = text.len();
                while let Some(&(i, c)) = chars.peek() {
                    if c.is_whitespace() || matches!(c, ',' | ':' | '{' | '}' | '[' | ']' | '"') {
                        end = i;
                        break;
                    }
                    chars.next();
                }
                let literal = &text[start..end];
                let shown = current(&stack).is_some_and(|key| shown_field(&key));
                if matches!(literal, "true" | "false" | "null") || shown {
                    out.push_str(&mask_code_like_words(&replace_secrets(literal, secrets)));
                } else if literal
                    .bytes()
                    .all(|b| b.is_ascii_digit() || b"+-.eE".contains(&b))
                {
                    let digits = literal.bytes().filter(u8::is_ascii_digit).count();
                    let _ = write!(out, "<number, {digits} digits>");
                } else {
                    out.push_str(&mask_code_like_words(&replace_secrets(literal, secrets)));
                }
            }
        }
    }
    out
}

/// A string value as an excerpt shows it: under a shown field, its text (free text with
/// code-like words masked); anywhere else, its shape.
fn shown_text(key: Option<&str>, raw: &str, secrets: &[&str]) -> String {
    match key {
        Some(key) if FREE_TEXT_FIELDS.contains(&key) => {
            format!(
                "\"{}\"",
                mask_code_like_words(&replace_secrets(raw, secrets))
            )
        }
        Some(key) if shown_field(key) => {
            format!("\"{}\"", replace_secrets(raw, secrets))
        }
        _ => format!("<text, {} chars>", raw.chars().count()),
    }
}

/// Whether a JSON key names a secret: a token, key, secret, password or card code, in any
/// case and with or without `_`/`-` (`accessToken`, `api_token`, `secretKey`, `code`, `pin`).
pub(crate) fn is_secret_key(key: &str) -> bool {
    let key: String = key
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect::<String>()
        .to_ascii_lowercase();
    key == "code"
        || key == "pin"
        || [
            "token",
            "secret",
            "password",
            "passwd",
            "privatekey",
            "apikey",
            "partnerkey",
        ]
        .iter()
        .any(|word| key.contains(word))
}

/// Where a JSON string's text (after its opening quote) ends: at the next unescaped quote, or
/// at the end of a cut reply.
fn string_end(text: &str) -> usize {
    let mut escaped = false;
    for (i, c) in text.char_indices() {
        match c {
            '\\' if !escaped => escaped = true,
            '"' if !escaped => return i,
            _ => escaped = false,
        }
    }
    text.len()
}

/// The string values that follow a secret-sounding key (`"token": "…"`) in JSON-like text,
/// found textually so that a cut or malformed reply is covered too.
fn fresh_secrets(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find('"') {
        let after_open = &rest[open + 1..];
        let Some(close) = after_open.find('"') else {
            break;
        };
        let key = &after_open[..close];
        let after_key = after_open[close + 1..].trim_start();
        rest = &after_open[close + 1..];
        let Some(after_colon) = after_key.strip_prefix(':') else {
            continue;
        };
        let Some(value) = after_colon.trim_start().strip_prefix('"') else {
            continue;
        };
        let end = string_end(value);
        if end >= 4 && is_secret_key(key) {
            found.push(value[..end].to_owned());
        }
        // Past the value and its closing quote, so the next quote opens a key.
        rest = value.get(end + 1..).unwrap_or("");
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_handed_out_in_the_reply_itself_are_masked() {
        // A token in a reply of the wrong shape, as eSMS's login can send it.
        let body = r#"{"success":"true","data":{"accessToken":"eyJ-fresh-access-token","userId":25},"api_token":"fresh-api-token-123","message":"ok"}"#;
        let shown = excerpt(body, &[]);
        assert!(!shown.contains("eyJ-fresh-access-token"), "{shown}");
        assert!(!shown.contains("fresh-api-token-123"), "{shown}");
        assert!(shown.contains(r#""message":"ok""#), "{shown}");
        assert!(shown.contains(r#""userId":25"#), "{shown}");
        // A cut reply still loses its token.
        let cut = excerpt(r#"{"data":{"token":"abcdefgh12345"#, &[]);
        assert!(!cut.contains("abcdefgh12345"), "{cut}");
        // A card code echoed by a callback or reply.
        let card = excerpt(r#"{"code":"312821445892981","status":"1"}"#, &[]);
        assert!(!card.contains("312821445892981"), "{card}");
    }

    #[test]
    fn secret_debug_hides_the_value() {
        let s = Secret::new("hunter2-partner-key");
        assert_eq!(format!("{s:?}"), "Secret(***)");
        assert_eq!(s.expose(), "hunter2-partner-key");
    }

    #[test]
    fn constant_time_eq_compares_exactly() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
        assert!(constant_time_eq(b"", b""));
    }

    #[test]
    fn pins_are_masked() {
        assert_eq!(mask_pin("312821445892981"), "***81");
        assert_eq!(mask_pin("1234"), "***");
    }

    #[test]
    fn excerpt_redacts_secrets_and_truncates() {
        let body = format!("{{\"code\":\"312821445892981\"}}{}", "x".repeat(500));
        let e = excerpt(&body, &["312821445892981"]);
        assert!(e.starts_with("{\"code\":\"***\"}"));
        assert!(!e.contains("312821445892981"));
        assert_eq!(e.chars().count(), EXCERPT_CHARS + 1);
        assert_eq!(excerpt("a\r\nb", &[]), "a\\r\\nb");
        assert_eq!(excerpt("a\u{0}b\u{1b}", &[]), "a\\x00b\\x1b");
        assert_eq!(reply_excerpt(b"ok\xff\xfe", &[]), "ok\\xff\\xfe");
    }

    /// Codes bought from a card shop, under every name and shape public sites use: none
    /// shows; the harmless fields do.
    #[test]
    fn a_reply_excerpt_shows_only_harmless_fields() {
        let code = "312821445892981";
        let replies = [
            format!(
                r#"{{"status":1,"message":"ok","data":{{"cards":[{{"serial":"10004783347874","card_code":"{code}"}}]}}}}"#
            ),
            format!(
                r#"{{"status":1,"data":{{"cards":[{{"pincode":"{code}"}},{{"mathe":"{code}"}}]}}}}"#
            ),
            format!(r#"{{"status":1,"data":{{"cards":[{{"pin":{code}}},{{"code":{code}}}]}}}}"#),
            format!(r#"{{"status":1,"data":{{"cards":"[{{\"code\":\"{code}\"}}]"}}}}"#),
            format!(r#"{{"status":1,"cards":[{{"code":"{code}""#),
            format!(r#"{{"{code}":{{"status":1}}}}"#),
            format!(r#"{{"status":1,"message":"Thẻ {code} đã được mua"}}"#),
            format!("status=1&code={code}&message=ok"),
            format!("<html><body>card {code}</body></html>"),
            format!(r#"[{{"code":"{code}"}}, "{code}", {code}]"#),
        ];
        for body in &replies {
            let shown = reply_excerpt(body.as_bytes(), &[]);
            assert!(!shown.contains(code), "{body} -> {shown}");
            assert!(!shown.contains("12821445"), "{body} -> {shown}");
        }
        let shown = reply_excerpt(replies[0].as_bytes(), &[]);
        assert_eq!(
            shown,
            r#"{"status":1,"message":"ok","data":{"cards":[{"serial":"10004783347874","card_code":<text, 15 chars>}]}}"#
        );
        assert_eq!(
            reply_excerpt(replies[2].as_bytes(), &[]),
            r#"{"status":1,"data":{"cards":[{"pin":<number, 15 digits>},{"code":<number, 15 digits>}]}}"#
        );
        assert_eq!(
            reply_excerpt(replies[6].as_bytes(), &[]),
            r#"{"status":1,"message":"Thẻ <15 chars> đã được mua"}"#
        );
        // Words and short numbers of an error page stay readable.
        assert_eq!(
            reply_excerpt(b"<html><title>502 Bad Gateway</title></html>", &[]),
            "<html><title>502 Bad Gateway</title></html>"
        );
        // A configured secret is replaced even in a shown field.
        assert_eq!(
            reply_excerpt(
                br#"{"message":"bad key partner-key-1"}"#,
                &["partner-key-1"]
            ),
            r#"{"message":"bad key ***"}"#
        );
    }
}

/// A card PIN (the vocabulary's `code`). Serialises as the plain string, but its `Debug` shows
/// only the last two characters, so a logged request or result does not give the card away.
#[derive(Clone, PartialEq, Eq, Default, serde::Serialize, Deserialize)]
#[serde(transparent)]
pub struct CardCode(String);

impl CardCode {
    /// The PIN itself.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for CardCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CardCode({})", mask_pin(&self.0))
    }
}

impl From<&str> for CardCode {
    fn from(value: &str) -> Self {
        Self(value.to_owned())
    }
}

impl From<String> for CardCode {
    fn from(value: String) -> Self {
        Self(value)
    }
}

/// A provider's reply body exactly as received. It may echo card PINs, so its `Debug` shows
/// only its length; read it with [`Raw::as_str`] or serialise it.
#[derive(Clone, PartialEq, Eq, Default, serde::Serialize)]
#[serde(transparent)]
pub struct Raw(String);

impl Raw {
    pub(crate) fn new(body: &[u8]) -> Self {
        // The common case first: a UTF-8 check is faster than a lossy conversion's scan.
        match std::str::from_utf8(body) {
            Ok(text) => Self::text(text),
            Err(_) => Self(String::from_utf8_lossy(body).into_owned()),
        }
    }

    /// A body already checked to be UTF-8 (no second scan).
    pub(crate) fn text(body: &str) -> Self {
        Self(body.to_owned())
    }

    /// The body as text (invalid UTF-8 replaced).
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Raw {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Raw(<{} bytes>)", self.0.len())
    }
}
