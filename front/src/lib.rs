//! The front door: the one client every front holds (the C ABI, PHP through it, Python, the
//! `vngate` command), with the journal as an option it carries. A config with a `journal`
//! object gets money-moving calls written ahead to the journal, resolved and settled there; one
//! without calls the provider directly. Every front calls through here, so that they all
//! journal, settle and reconcile the same way.

pub mod model;

use vngate::Error;
use vngate::api::Client;
use vngate_journal::JournaledClient;

/// The client a front (C, PHP, Python, the command) holds: journaled when its config has a
/// `journal` object, plain otherwise. Every front calls through it, so that they journal the
/// same way.
#[derive(Debug)]
pub enum Front {
    /// No journal.
    Plain(Client),
    /// Money-moving calls through a journal.
    Journaled(JournaledClient),
}

impl Front {
    /// From a provider's JSON config, with or without a `journal` object.
    pub fn new(provider: &str, config_json: &str) -> Result<Self, Error> {
        match JournaledClient::from_config(provider, config_json)? {
            Some(journaled) => Ok(Self::Journaled(journaled)),
            None => Ok(Self::Plain(Client::new(provider, config_json)?)),
        }
    }

    /// The client underneath.
    #[must_use]
    pub fn client(&self) -> &Client {
        match self {
            Self::Plain(client) => client,
            Self::Journaled(journaled) => journaled.client(),
        }
    }

    /// [`Client::call`], journaled when there is a journal.
    pub fn call(&self, operation: &str, request_json: &str) -> Result<String, Error> {
        match self {
            Self::Plain(client) => client.call(operation, request_json),
            Self::Journaled(journaled) => journaled.call(operation, request_json),
        }
    }

    /// [`Client::parse_callback_expected`], recorded when there is a journal.
    pub fn parse_callback(&self, data: &[u8], expected: Option<&str>) -> Result<String, Error> {
        match self {
            Self::Plain(client) => client.parse_callback_expected(data, expected),
            Self::Journaled(journaled) => journaled.parse_callback(data, expected),
        }
    }

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
        let settlement = self.journaled()?.settle(reference)?;
        Ok(json(&settlement))
    }

    /// [`JournaledClient::reconcile`], its report as JSON.
    pub fn reconcile(&self) -> Result<String, Error> {
        let report = self.journaled()?.reconcile(&mut |_, _| {})?;
        Ok(json(&report))
    }
}

/// Our own results as JSON: plain data, which serialises.
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
