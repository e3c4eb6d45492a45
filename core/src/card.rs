//! What the two card-charging providers share: the status of a submitted card.

use serde::{Serialize, Serializer};

/// The status of a card, as chargingws and OpenCard number it. Unknown codes are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CardStatus {
    /// 1: the card was good and its value matched the declared one.
    Success,
    /// 2: the card was good but worth a different value; a penalty applies.
    WrongValue,
    /// 3: the card is wrong, used or invalid.
    CardError,
    /// 4: the provider is in maintenance; the card was not taken.
    Maintenance,
    /// 99: accepted, waiting; the result comes by callback (or `check`).
    Pending,
    /// 100: refused, with the reason in `message`.
    Rejected,
    /// Any other code (101 `CARD_NOT_EXISTED`, 102 `REQUEST_ID_EXISTED`, …), kept as sent.
    Other(i64),
}

impl CardStatus {
    /// The statuses with a name, in code order (the schema and the fronts' constants list them).
    pub const KNOWN: [Self; 6] = [
        Self::Success,
        Self::WrongValue,
        Self::CardError,
        Self::Maintenance,
        Self::Pending,
        Self::Rejected,
    ];

    /// The status for a provider's numeric code.
    #[must_use]
    pub fn from_code(code: i64) -> Self {
        Self::KNOWN
            .into_iter()
            .find(|known| known.code() == code)
            .unwrap_or(Self::Other(code))
    }

    /// The provider's numeric code.
    #[must_use]
    pub fn code(self) -> i64 {
        match self {
            Self::Success => 1,
            Self::WrongValue => 2,
            Self::CardError => 3,
            Self::Maintenance => 4,
            Self::Pending => 99,
            Self::Rejected => 100,
            Self::Other(code) => code,
        }
    }

    /// True while the card is still being processed.
    #[must_use]
    pub fn is_pending(self) -> bool {
        self == Self::Pending
    }
}

impl Serialize for CardStatus {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_i64(self.code())
    }
}

#[cfg(feature = "schema")]
impl schemars::JsonSchema for CardStatus {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "CardStatus".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        crate::schema::named_codes(
            "A card's status (chargingws, OpenCard).",
            &CardStatus::KNOWN,
            CardStatus::code,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_unknown_codes_are_kept() {
        for code in [1, 2, 3, 4, 99, 100, 101, 102, -1, 0] {
            assert_eq!(CardStatus::from_code(code).code(), code);
        }
        assert_eq!(CardStatus::from_code(102), CardStatus::Other(102));
    }
}
