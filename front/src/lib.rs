//! The front door: the one client every front holds (the C ABI, PHP through it, Python, the
//! `vngate` command), with the journal as an option it carries. A config with a `journal`
//! object gets money-moving calls written ahead to the journal, resolved and settled there; one
//! without calls the provider directly. Every front calls through here, so that they all
//! journal, settle and reconcile the same way.

//!
//! The journal is the `journal` feature (on in every shipped front). Built without it, a config
//! with a `journal` object is refused, naming the field: a client never silently runs
//! unjournaled when its config asks for a journal.

pub mod model;

use vngate::Error;
use vngate::api::Client;
#[cfg(feature = "journal")]
use vngate_journal::JournaledClient;

/// The client a front (C, PHP, Python, the command) holds: journaled when its config has a
/// `journal` object, plain otherwise. Every front calls through it, so that they journal the
/// same way.
#[derive(Debug)]
pub enum Front {
    /// No journal.
    Plain(Client),
    /// Money-moving calls through a journal.
    #[cfg(feature = "journal")]
    Journaled(JournaledClient),
}

impl Front {
    /// From a provider's JSON config, with or without a `journal` object.
    pub fn new(provider: &str, config_json: &str) -> Result<Self, Error> {
        #[cfg(feature = "journal")]
        if let Some(journaled) = JournaledClient::from_config(provider, config_json)? {
            return Ok(Self::Journaled(journaled));
        }
        #[cfg(not(feature = "journal"))]
        if matches!(
            serde_json::from_str::<serde_json::Value>(config_json),
            Ok(serde_json::Value::Object(config)) if config.contains_key("journal")
        ) {
            return Err(no_journal());
        }
        Ok(Self::Plain(Client::new(provider, config_json)?))
    }

    /// The client underneath.
    #[must_use]
    pub fn client(&self) -> &Client {
        match self {
            Self::Plain(client) => client,
            #[cfg(feature = "journal")]
            Self::Journaled(journaled) => journaled.client(),
        }
    }

    /// [`Client::call`], journaled when there is a journal.
    pub fn call(&self, operation: &str, request_json: &str) -> Result<String, Error> {
        match self {
            Self::Plain(client) => client.call(operation, request_json),
            #[cfg(feature = "journal")]
            Self::Journaled(journaled) => journaled.call(operation, request_json),
        }
    }

    /// [`Client::parse_callback_expected`], recorded when there is a journal.
    pub fn parse_callback(&self, data: &[u8], expected: Option<&str>) -> Result<String, Error> {
        match self {
            Self::Plain(client) => client.parse_callback_expected(data, expected),
            #[cfg(feature = "journal")]
            Self::Journaled(journaled) => journaled.parse_callback(data, expected),
        }
    }

    #[cfg(feature = "journal")]
    fn journaled(&self) -> Result<&JournaledClient, Error> {
        match self {
            Self::Journaled(journaled) => Ok(journaled),
            Self::Plain(_) => Err(Error::InvalidInput {
                field: "journal".into(),
                reason: "this client has no journal: add a journal object (path, key_env or \
                         key_file) to its config"
                    .into(),
            }),
        }
    }

    /// [`JournaledClient::settle`], as JSON.
    pub fn settle(&self, reference: &str) -> Result<String, Error> {
        #[cfg(feature = "journal")]
        return Ok(json(&self.journaled()?.settle(reference)?));
        #[cfg(not(feature = "journal"))]
        {
            let _ = reference;
            Err(no_journal())
        }
    }

    /// [`JournaledClient::reconcile`], its report as JSON.
    pub fn reconcile(&self) -> Result<String, Error> {
        #[cfg(feature = "journal")]
        return Ok(json(&self.journaled()?.reconcile(&mut |_, _| {})?));
        #[cfg(not(feature = "journal"))]
        Err(no_journal())
    }
}

/// What a build without the journal answers a journal's config or call.
#[cfg(not(feature = "journal"))]
fn no_journal() -> Error {
    Error::InvalidInput {
        field: "journal".into(),
        reason: "this build of vngate has no journal (built without the `journal` feature): \
                 use a build with it, or remove the journal object"
            .into(),
    }
}

/// Our own results as JSON: plain data, which serialises.
#[cfg(feature = "journal")]
fn json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|e| format!("{{\"error\":{:?}}}", e.to_string()))
}

/// Unix milliseconds as UTC, `2026-12-06T10:40:17.123Z` (the civil-from-days algorithm: no
/// time crate for one format).
#[must_use]
pub fn utc(millis: i64) -> String {
    let (days, rest) = (millis.div_euclid(86_400_000), millis.rem_euclid(86_400_000));
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        rest / 3_600_000,
        rest / 60_000 % 60,
        rest / 1_000 % 60,
        rest % 1_000
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn utc_formats_known_instants() {
        assert_eq!(super::utc(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(super::utc(1_765_017_617_123), "2025-12-06T10:40:17.123Z");
        assert_eq!(super::utc(951_782_400_000), "2000-02-29T00:00:00.000Z");
    }
}

#[cfg(test)]
mod journal_feature {
    use super::Front;

    /// Built without the journal, a config that asks for one is refused, naming it; one that
    /// does not works as ever.
    #[cfg(not(feature = "journal"))]
    #[test]
    fn a_journal_config_is_refused_without_the_journal() {
        let plain = r#"{"base_url": "http://127.0.0.1:9", "partner_id": "1", "partner_key": "k"}"#;
        assert!(matches!(
            Front::new("chargingws", plain),
            Ok(Front::Plain(_))
        ));
        let journaled = r#"{"base_url": "http://127.0.0.1:9", "partner_id": "1", "partner_key": "k",
                            "journal": {"path": "/tmp/x.db", "key_env": "K"}}"#;
        let error = Front::new("chargingws", journaled).unwrap_err();
        assert_eq!(error.kind(), "invalid_input");
        assert!(error.to_string().contains("journal"), "{error}");
        let front = Front::new("chargingws", plain).unwrap();
        assert!(
            front
                .settle("r-1")
                .unwrap_err()
                .to_string()
                .contains("no journal")
        );
        assert!(
            front
                .reconcile()
                .unwrap_err()
                .to_string()
                .contains("no journal")
        );
    }

    /// With it, the same config is journaled.
    #[cfg(feature = "journal")]
    #[test]
    fn a_journal_config_is_journaled_with_the_journal() {
        let dir = std::env::temp_dir().join(format!("vngate-front-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let key = dir.join("key");
        std::fs::write(&key, "22".repeat(32)).unwrap();
        let config = serde_json::json!({"base_url": "http://127.0.0.1:9", "partner_id": "1",
            "partner_key": "k", "journal": {"path": dir.join("j.db"), "key_file": key}});
        let front = Front::new("chargingws", &config.to_string()).unwrap();
        assert!(matches!(front, Front::Journaled(_)));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
