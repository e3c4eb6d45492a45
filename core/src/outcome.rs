//! What an answer means for the money, in one vocabulary across providers: the journal, the
//! reconciler and "credit once" read it, so that no caller has to learn eight status enums to
//! know whether a payment is settled. Each result type says it once, in its
//! `MoneyOutcome` impl beside it.

use serde::{Deserialize, Serialize};

use crate::card::CardStatus;

/// Where a money-moving call stands, by the provider's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Outcome {
    /// Final: the money moved (a card accepted, codes delivered, a payout or top-up done).
    Succeeded,
    /// Final: nothing moved, by the provider's documented word.
    Failed,
    /// Accepted and not finished: the provider will settle it (callback or status call).
    Pending,
    /// Nobody can say yet: ask the resolving call. Never read as failed.
    Unknown,
    /// The status call does not know the reference. Only some minutes after the request does
    /// this mean the request was never executed.
    NotFound,
}

impl Outcome {
    /// Whether nothing more can change.
    #[must_use]
    pub fn is_final(self) -> bool {
        matches!(self, Self::Succeeded | Self::Failed)
    }

    /// The name used in JSON, logs and the journal.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
            Self::Pending => "pending",
            Self::Unknown => "unknown",
            Self::NotFound => "not_found",
        }
    }
}

/// A result that says where a money-moving call stands.
pub trait MoneyOutcome {
    /// What it means for the money.
    fn outcome(&self) -> Outcome;

    /// The caller's reference, as the answer carries it (a callback names its request so).
    fn reference(&self) -> Option<&str> {
        None
    }

    /// The provider's own id for the transaction, one the caller did not choose (OpenCard's
    /// `request_id`, topup's `id_transaction`): a later callback may name only that.
    fn provider_reference(&self) -> Option<&str> {
        None
    }

    /// The money this answer says moved, as the provider counts it: for a card, what the
    /// partner receives for it (after the site's fee, and the penalty of a wrong face value);
    /// for a purchase, a top-up or a payout, what it cost. `None` where the answer does not
    /// say. Only a final, authoritative answer's amount is worth crediting.
    fn amount(&self) -> Option<i64> {
        None
    }

    /// Whether the outcome is only a hint: it comes from a callback (which anyone can post)
    /// whose signature does not cover the status or the amounts, so only the resolving call
    /// may settle the money (chargingws' `callback_sign` covers `code` and `serial` alone).
    fn outcome_is_hint(&self) -> bool {
        false
    }
}

/// chargingws and OpenCard card statuses.
pub(crate) fn of_card(status: CardStatus) -> Outcome {
    match status {
        // 2: the card was good for another value; money moved (at a penalty).
        CardStatus::Success | CardStatus::WrongValue => Outcome::Succeeded,
        CardStatus::CardError | CardStatus::Maintenance | CardStatus::Rejected => Outcome::Failed,
        CardStatus::Pending => Outcome::Pending,
        // 102 REQUEST_ID_EXISTED and codes no document lists: ask `check`.
        CardStatus::Other(_) => Outcome::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn card_codes() {
        assert_eq!(of_card(CardStatus::from_code(1)), Outcome::Succeeded);
        assert_eq!(of_card(CardStatus::from_code(2)), Outcome::Succeeded);
        assert_eq!(of_card(CardStatus::from_code(3)), Outcome::Failed);
        assert_eq!(of_card(CardStatus::from_code(99)), Outcome::Pending);
        assert_eq!(of_card(CardStatus::from_code(102)), Outcome::Unknown);
        assert!(Outcome::Failed.is_final() && !Outcome::NotFound.is_final());
    }
}
