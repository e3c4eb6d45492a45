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

/// A short, secret-free excerpt of a provider reply for an error message: every occurrence of
/// a secret (key, card PIN, signature) and of a value under a secret-sounding key is replaced
/// by `***`, control characters are escaped (`\\n`, `\\x00`) and the text is cut to
/// [`EXCERPT_CHARS`] characters.
pub(crate) fn excerpt(body: &str, secrets: &[&str]) -> String {
    let mut text = body.to_owned();
    for secret in secrets.iter().filter(|s| s.len() >= 4) {
        text = text.replace(secret, "***");
    }
    // Secrets the provider hands out in this very reply (a fresh access or API token, a card
    // code) are not known in advance: mask every string under a secret-sounding key.
    for fresh in fresh_secrets(&text) {
        text = text.replace(&fresh, "***");
    }
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

/// [`excerpt`] of raw bytes: bytes that are not UTF-8 show as `\\xNN`, never as replacement
/// characters, so a reader sees what the provider sent.
pub(crate) fn excerpt_bytes(body: &[u8], secrets: &[&str]) -> String {
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
    excerpt(&text, secrets)
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
        // The value runs to the next unescaped quote, or to the end of a cut reply.
        let mut end = value.len();
        let mut escaped = false;
        for (i, c) in value.char_indices() {
            match c {
                '\\' if !escaped => escaped = true,
                '"' if !escaped => {
                    end = i;
                    break;
                }
                _ => escaped = false,
            }
        }
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
        assert_eq!(excerpt_bytes(b"ok\xff\xfe{", &[]), "ok\\xff\\xfe{");
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
