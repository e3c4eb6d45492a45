//! Telco names and their aliases, and the face values their cards come in.

use std::collections::{BTreeMap, HashMap};

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

/// The face values card-exchange sites list for phone and most game cards, in VND.
const STANDARD_VALUES: &[i64] = &[
    10_000, 20_000, 30_000, 50_000, 100_000, 200_000, 300_000, 500_000, 1_000_000,
];
/// VCOIN and GATE cards also come in 2, 5 and 10 million.
const LARGE_VALUES: &[i64] = &[
    10_000, 20_000, 30_000, 50_000, 100_000, 200_000, 300_000, 500_000, 1_000_000, 2_000_000,
    5_000_000, 10_000_000,
];
/// GARENA cards run from 20 000 to 500 000.
const GARENA_VALUES: &[i64] = &[20_000, 30_000, 50_000, 100_000, 200_000, 300_000, 500_000];

impl Telco {
    /// The face values this telco's cards come in, by default (whole VND).
    #[must_use]
    pub fn face_values(self) -> &'static [i64] {
        match self {
            Self::Vcoin | Self::Gate => LARGE_VALUES,
            Self::Garena => GARENA_VALUES,
            _ => STANDARD_VALUES,
        }
    }
}

/// The face values a client accepts: the defaults, replaced for each telco the caller names
/// (config `face_values`, e.g. `{"VIETTEL": [10000, 20000]}`).
#[derive(Debug, Clone, Default)]
pub(crate) struct FaceValues {
    overrides: HashMap<Telco, Vec<i64>>,
}

impl FaceValues {
    /// Checks the config's lists: known telcos, positive whole amounts.
    pub(crate) fn new(config: &BTreeMap<String, Vec<i64>>) -> Result<Self, Error> {
        let mut overrides = HashMap::new();
        for (name, values) in config {
            let (_, telco) = normalize(name).map_err(|_| {
                Error::invalid(
                    "face_values",
                    format!("unknown telco {}", crate::secret::quote(name)),
                )
            })?;
            if values.is_empty() || values.iter().any(|v| *v <= 0) {
                return Err(Error::invalid(
                    "face_values",
                    format!("{name}: give one or more positive amounts"),
                ));
            }
            overrides.insert(telco, values.clone());
        }
        Ok(Self { overrides })
    }

    /// The accepted values for a telco, from a table such as a site's fee table.
    pub(crate) fn from_table(rows: impl IntoIterator<Item = (Telco, i64)>) -> Self {
        let mut overrides: HashMap<Telco, Vec<i64>> = HashMap::new();
        for (telco, value) in rows {
            let values = overrides.entry(telco).or_default();
            if !values.contains(&value) {
                values.push(value);
            }
        }
        for values in overrides.values_mut() {
            values.sort_unstable();
        }
        Self { overrides }
    }

    fn values(&self, telco: Telco) -> &[i64] {
        self.overrides
            .get(&telco)
            .map_or(telco.face_values(), Vec::as_slice)
    }

    /// Refuses, before anything is sent, an amount that is not a face value of the telco:
    /// the site would only answer "invalid amount" (or, worse, take the card at a penalty).
    pub(crate) fn check(&self, name: &str, telco: Telco, amount: i64) -> Result<(), Error> {
        let values = self.values(telco);
        if values.contains(&amount) {
            return Ok(());
        }
        let listed: Vec<String> = values.iter().map(ToString::to_string).collect();
        Err(Error::invalid(
            "amount",
            format!(
                "{amount} is not a face value of {name} ({}); set face_values to change the set",
                listed.join(", ")
            ),
        ))
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

    #[test]
    fn face_values_default_per_telco_and_can_be_replaced() {
        let defaults = FaceValues::default();
        assert!(defaults.check("VIETTEL", Telco::Viettel, 50_000).is_ok());
        assert!(defaults.check("VCOIN", Telco::Vcoin, 10_000_000).is_ok());
        for (telco, amount) in [
            (Telco::Viettel, 55_000),
            (Telco::Viettel, 2_000_000),
            (Telco::Garena, 10_000),
            (Telco::Garena, 1_000_000),
        ] {
            match defaults.check("X", telco, amount) {
                Err(Error::InvalidInput { field, .. }) => assert_eq!(field, "amount"),
                other => panic!("{other:?}"),
            }
        }
        let custom =
            FaceValues::new(&BTreeMap::from([("viettel".to_owned(), vec![15_000])])).unwrap();
        assert!(custom.check("VIETTEL", Telco::Viettel, 15_000).is_ok());
        assert!(custom.check("VIETTEL", Telco::Viettel, 10_000).is_err());
        assert!(custom.check("ZING", Telco::Zing, 10_000).is_ok());
        for bad in [("NOKIA", vec![1]), ("ZING", vec![]), ("ZING", vec![-5])] {
            assert!(FaceValues::new(&BTreeMap::from([(bad.0.to_owned(), bad.1)])).is_err());
        }
    }
}
