//! The one error type of vngate.
//!
//! A provider's business answer (wrong card, maintenance, pending, rejected) is never an error:
//! it is a result with a typed status. An [`Error`] means the call could not be made, or was
//! made and its outcome cannot be known, or a message could not be trusted.

use std::fmt;

/// Everything that can go wrong in a vngate call. Messages are one line and never contain a
/// key, a signature or a card PIN.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(transform = crate::schema::error_message))]
#[non_exhaustive]
pub enum Error {
    /// The caller's input or configuration breaks a rule. Raised before any network I/O.
    InvalidInput {
        /// The field, named as in the vocabulary (`telco`, `amount`, `partner_key`, …).
        field: String,
        /// The rule that was broken.
        reason: String,
    },
    /// The call failed and changed nothing at the provider: the request was never sent (DNS,
    /// refused connection, TLS handshake, connect timeout), or the operation only reads. Safe
    /// to retry.
    Transport {
        /// What failed.
        reason: String,
    },
    /// A money-moving call may have reached the provider but no usable answer came back. Do
    /// **not** send it again: resolve it with the operation named in `next_step` first.
    OutcomeUnknown {
        /// The operation that was attempted (`charge`, …).
        operation: &'static str,
        /// Which of the caller's fields identifies the attempt (`request_id`, `serial`, …).
        reference_field: &'static str,
        /// The value of that field.
        reference: String,
        /// What happened (timeout, connection reset, bad reply with an excerpt).
        reason: String,
        /// What the caller should do to learn the outcome.
        next_step: &'static str,
    },
    /// The provider answered, but not in a shape that can be read.
    BadReply {
        /// The HTTP status, when the message came as an HTTP reply.
        http_status: Option<u16>,
        /// What is wrong with it.
        reason: String,
        /// A short excerpt of the body, secrets removed.
        excerpt: String,
    },
    /// The provider refused the credentials (login, token); nothing else was sent.
    Auth {
        /// The provider's words.
        reason: String,
    },
    /// A signature on a callback or webhook did not match, or was missing.
    SignatureMismatch {
        /// The signature field (`callback_sign`, `sign`).
        field: &'static str,
    },
    /// A verified callback does not belong to the stored request it was checked against.
    CallbackMismatch {
        /// The field that differs.
        field: &'static str,
        /// The value in the stored request.
        expected: String,
        /// The value in the callback.
        received: String,
    },
}

impl Error {
    pub(crate) fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::InvalidInput {
            field: field.into(),
            reason: reason.into(),
        }
    }

    pub(crate) fn bad_reply(
        http_status: Option<u16>,
        reason: impl Into<String>,
        excerpt: String,
    ) -> Self {
        Self::BadReply {
            http_status,
            reason: reason.into(),
            excerpt,
        }
    }

    /// A short stable name of the error kind, used by the C and Python fronts.
    #[must_use]
    pub fn kind(&self) -> &'static str {
        match self {
            Self::InvalidInput { .. } => "invalid_input",
            Self::Transport { .. } => "transport",
            Self::OutcomeUnknown { .. } => "outcome_unknown",
            Self::BadReply { .. } => "bad_reply",
            Self::Auth { .. } => "auth",
            Self::SignatureMismatch { .. } => "signature_mismatch",
            Self::CallbackMismatch { .. } => "callback_mismatch",
        }
    }
}

/// What an [`Error::OutcomeUnknown`] for an unreadable reply says: its reason, then the
/// reply's excerpt after [`EXCERPT_OPENING`].
pub(crate) fn bad_reply_reason(http_status: u16, reason: &str, excerpt: &str) -> String {
    format!("bad reply (HTTP {http_status}): {reason}{EXCERPT_OPENING}{excerpt}\"")
}

/// Where a reply's excerpt begins in an error's words (see [`Error::without_reply_text`]).
const EXCERPT_OPENING: &str = ": \"";

impl Error {
    /// The error with every word taken from a provider's reply left out (the excerpt of an
    /// unreadable reply, the provider's words on refused credentials), for a place that keeps
    /// it in clear, such as a journal's error column. Even masked, a reply is the provider's
    /// text: only sealed storage keeps it.
    #[must_use]
    pub fn without_reply_text(&self) -> Self {
        const NOT_KEPT: &str = "(not kept)";
        let mut error = self.clone();
        match &mut error {
            Self::BadReply { excerpt, .. } => NOT_KEPT.clone_into(excerpt),
            Self::OutcomeUnknown { reason, .. } => {
                // Everything after the first opening quote may be the reply's: cut there.
                if let Some(at) = reason.find(EXCERPT_OPENING) {
                    reason.truncate(at);
                    reason.push_str(EXCERPT_OPENING);
                    reason.push_str(NOT_KEPT);
                    reason.push('"');
                }
            }
            Self::Auth { reason } => NOT_KEPT.clone_into(reason),
            _ => {}
        }
        error
    }

    /// The error as one JSON object, for the C and PHP fronts: `kind`, `message`, and the
    /// variant's fields under their vocabulary names.
    #[must_use]
    pub fn to_json(&self) -> serde_json::Value {
        // `kind` and the variant's fields come from the derived `Serialize` (the same shape the
        // schema describes); `message` is the `Display`.
        // Serialising strings and integers cannot fail; the fallback keeps `kind` regardless.
        let mut value =
            serde_json::to_value(self).unwrap_or_else(|_| serde_json::json!({"kind": self.kind()}));
        if let Some(map) = value.as_object_mut() {
            map.insert("message".to_owned(), self.to_string().into());
        }
        value
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidInput { field, reason } => write!(f, "invalid {field}: {reason}"),
            Self::Transport { reason } => {
                write!(
                    f,
                    "transport error, nothing changed at the provider: {reason}"
                )
            }
            Self::OutcomeUnknown {
                operation,
                reference_field,
                reference,
                reason,
                next_step,
            } => write!(
                f,
                "{operation} outcome unknown for {reference_field}={reference}: {reason}; \
                 do not resend, {next_step}"
            ),
            Self::BadReply {
                http_status,
                reason,
                excerpt,
            } => {
                write!(f, "bad provider reply")?;
                if let Some(status) = http_status {
                    write!(f, " (HTTP {status})")?;
                }
                write!(f, ": {reason}: \"{excerpt}\"")
            }
            Self::Auth { reason } => write!(f, "the provider refused the credentials: {reason}"),
            Self::SignatureMismatch { field } => {
                write!(f, "signature mismatch: {field} is missing or wrong")
            }
            Self::CallbackMismatch {
                field,
                expected,
                received,
            } => write!(
                f,
                "callback does not match the stored request: {field} is {received:?}, expected {expected:?}"
            ),
        }
    }
}

impl std::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_reply_text_keeps_no_word_of_the_reply() {
        let excerpt = r#"{"status":1,"message":"Thẻ đúng: \"ok\""}"#;
        let unknown = Error::OutcomeUnknown {
            operation: "buy_cards",
            reference_field: "request_id",
            reference: "r-1".into(),
            reason: bad_reply_reason(200, "a card has no code", excerpt),
            next_step: "call redownload",
        };
        let bad = Error::bad_reply(Some(200), "a card has no code", excerpt.into());
        let auth = Error::Auth {
            reason: "Sai mật khẩu cho tài khoản shop".into(),
        };
        for error in [unknown, bad, auth] {
            let kept = error.without_reply_text();
            let shown = kept.to_json().to_string();
            assert!(!shown.contains("Thẻ") && !shown.contains("Sai"), "{shown}");
            assert!(shown.contains("(not kept)"), "{shown}");
            assert_eq!(kept.kind(), error.kind());
        }
        let kept = Error::OutcomeUnknown {
            operation: "charge",
            reference_field: "request_id",
            reference: "r-2".into(),
            reason: "timed out".into(),
            next_step: "call check",
        };
        assert_eq!(
            kept.without_reply_text(),
            kept,
            "nothing of a reply: unchanged"
        );
    }
}
