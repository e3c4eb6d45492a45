//! Sealing what must not sit on disk in clear (card PINs a resolving call needs, answers that
//! carry bought codes): AES-256-GCM, a random 96-bit nonce per record, the record's key as
//! associated data so a sealed blob cannot be moved to another record.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine as _;

use crate::JournalError;

/// The journal's key. Debug never shows it.
pub(crate) struct Sealer {
    cipher: Aes256Gcm,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sealer(***)")
    }
}

impl Sealer {
    /// A key from its text: 64 hex digits or the base64 of 32 bytes (surrounding whitespace
    /// ignored): the documented forms only. 32 raw bytes are refused, since a 32-character
    /// password would pass for them.
    pub(crate) fn from_key_material(field: &str, material: &[u8]) -> Result<Self, JournalError> {
        let bad = || {
            JournalError::Config(format!(
                "{field}: the key must be 32 bytes: 64 hex digits, or base64 (e.g. `openssl rand -hex 32`)"
            ))
        };
        let text = std::str::from_utf8(material).map_err(|_| bad())?.trim();
        let key: Vec<u8> = if text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
            (0..32)
                .map(|i| u8::from_str_radix(&text[2 * i..2 * i + 2], 16))
                .collect::<Result<_, _>>()
                .map_err(|_| bad())?
        } else {
            base64::engine::general_purpose::STANDARD
                .decode(text)
                .map_err(|_| bad())?
        };
        if key.len() != 32 {
            return Err(bad());
        }
        let cipher = Aes256Gcm::new_from_slice(&key).map_err(|_| bad())?;
        Ok(Self { cipher })
    }

    /// `nonce || ciphertext+tag`.
    pub(crate) fn seal(&self, associated: &str, plain: &[u8]) -> Result<Vec<u8>, JournalError> {
        let mut nonce = [0u8; 12];
        getrandom::fill(&mut nonce)
            .map_err(|e| JournalError::Store(format!("no random bytes for a nonce: {e}")))?;
        let sealed = self
            .cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: plain,
                    aad: associated.as_bytes(),
                },
            )
            .map_err(|_| JournalError::Store("sealing failed".into()))?;
        let mut out = nonce.to_vec();
        out.extend(sealed);
        Ok(out)
    }

    pub(crate) fn open(&self, associated: &str, sealed: &[u8]) -> Result<Vec<u8>, JournalError> {
        let wrong = || {
            JournalError::Config(
                "a sealed record does not open with this key (another journal key?)".into(),
            )
        };
        if sealed.len() < 12 + 16 {
            return Err(wrong());
        }
        let (nonce, body) = sealed.split_at(12);
        self.cipher
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: body,
                    aad: associated.as_bytes(),
                },
            )
            .map_err(|_| wrong())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_blobs_open_only_with_their_key_and_record() {
        let key = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
        let sealer = Sealer::from_key_material("k", key.as_bytes()).unwrap();
        let blob = sealer
            .seal("chargingws|a|r1", b"PIN 312821445892981")
            .unwrap();
        assert!(!blob.windows(6).any(|w| w == b"312821"), "no plain text");
        assert_eq!(
            sealer.open("chargingws|a|r1", &blob).unwrap(),
            b"PIN 312821445892981"
        );
        assert!(
            sealer.open("chargingws|a|r2", &blob).is_err(),
            "bound to its record"
        );
        let other = Sealer::from_key_material("k", "07".repeat(32).as_bytes()).unwrap();
        assert!(other.open("chargingws|a|r1", &blob).is_err());
        // base64 of 32 bytes works; a short key is refused, naming the field.
        let b64 = base64::engine::general_purpose::STANDARD.encode([9u8; 32]);
        assert!(Sealer::from_key_material("k", b64.as_bytes()).is_ok());
        let err = Sealer::from_key_material("journal.key_env", b"abc").unwrap_err();
        assert!(err.to_string().contains("journal.key_env"), "{err}");
        // Only the documented forms: not 32 raw bytes, which a password could be.
        for undocumented in [&b"correct-horse-battery-staple-32c!"[..32], &[7u8; 32]] {
            assert!(Sealer::from_key_material("k", undocumented).is_err());
        }
        assert_eq!(format!("{sealer:?}"), "Sealer(***)");
    }
}
