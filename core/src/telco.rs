//! Telco names and their aliases.

use crate::error::Error;

/// A card network. Several sites name Vietnamobile differently; they are one telco here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Telco {
    /// Viettel.
    Viettel,
    /// VinaPhone.
    Vinaphone,
    /// MobiFone.
    Mobifone,
    /// Vietnamobile (`VIETNAMOBILE`, `VNMOBI`, `VNMB`).
    Vietnamobile,
    /// Zing (VNG) game card.
    Zing,
    /// Gate (FPT) game card.
    Gate,
    /// Garena game card.
    Garena,
    /// Vcoin (VTC) game card.
    Vcoin,
    /// Appota game card.
    Appota,
}

impl Telco {
    /// The names accepted on the wire, in the order they are listed in errors.
    pub const NAMES: &'static [&'static str] = &[
        "VIETTEL",
        "VINAPHONE",
        "MOBIFONE",
        "VIETNAMOBILE",
        "VNMOBI",
        "VNMB",
        "ZING",
        "GATE",
        "GARENA",
        "VCOIN",
        "APPOTA",
    ];

    /// Recognises an upper-case wire name or alias.
    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "VIETTEL" => Self::Viettel,
            "VINAPHONE" => Self::Vinaphone,
            "MOBIFONE" => Self::Mobifone,
            "VIETNAMOBILE" | "VNMOBI" | "VNMB" => Self::Vietnamobile,
            "ZING" => Self::Zing,
            "GATE" => Self::Gate,
            "GARENA" => Self::Garena,
            "VCOIN" => Self::Vcoin,
            "APPOTA" => Self::Appota,
            _ => return None,
        })
    }

    /// Mobile networks issue cards whose PIN and serial are digits only; game cards may carry
    /// letters.
    #[must_use]
    pub fn is_mobile_network(self) -> bool {
        matches!(
            self,
            Self::Viettel | Self::Vinaphone | Self::Mobifone | Self::Vietnamobile
        )
    }
}

/// Normalises a caller's telco to the upper-case wire name (lower case is the commonest cause of
/// signature mismatches) and checks that it is known.
pub(crate) fn normalize(value: &str) -> Result<(String, Telco), Error> {
    let upper = value.trim().to_ascii_uppercase();
    match Telco::from_name(&upper) {
        Some(telco) => Ok((upper, telco)),
        None if upper.is_empty() => Err(Error::invalid("telco", "is required")),
        None => Err(Error::invalid(
            "telco",
            format!(
                "unknown telco {}; expected one of {}",
                crate::secret::quote(value),
                Telco::NAMES.join(", ")
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases_are_one_telco_and_case_is_normalised() {
        assert_eq!(
            normalize("vnmb").unwrap(),
            ("VNMB".to_owned(), Telco::Vietnamobile)
        );
        assert_eq!(Telco::from_name("VNMOBI"), Telco::from_name("VIETNAMOBILE"));
        assert!(
            normalize("NOKIA")
                .unwrap_err()
                .to_string()
                .contains("unknown telco")
        );
        assert!(normalize(" ").is_err());
    }
}
