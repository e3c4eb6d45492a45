//! Hashes and MACs as providers print them: lowercase hex (or base64) of the concatenated
//! parts.

use base64::Engine as _;
use hmac::{KeyInit, Mac};
use md5::{Digest, Md5, digest::Output};
use sha1::Sha1;
use sha2::Sha256;

/// Lowercase hex of `md5(parts[0] + parts[1] + …)`.
pub(crate) fn md5_hex(parts: &[&str]) -> String {
    hex(&digest::<Md5>(parts))
}

/// Lowercase hex of `sha256(parts…)`.
pub(crate) fn sha256_hex(parts: &[&str]) -> String {
    hex(&digest::<Sha256>(parts))
}

/// Lowercase hex of `sha1(parts…)`.
pub(crate) fn sha1_hex(parts: &[&str]) -> String {
    hex(&digest::<Sha1>(parts))
}

fn digest<D: Digest>(parts: &[&str]) -> Output<D> {
    let mut hasher = D::new();
    for part in parts {
        hasher.update(part.as_bytes());
    }
    hasher.finalize()
}

/// HMAC-SHA256 of `message` under `key`.
pub(crate) fn hmac_sha256(key: &[u8], message: &[u8]) -> Vec<u8> {
    let mut mac = hmac::Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(message);
    mac.finalize().into_bytes().to_vec()
}

/// Standard base64 with padding.
pub(crate) fn base64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// URL-safe base64 without padding, as JWT uses.
pub(crate) fn base64url(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Lowercase hex, two digits a byte: signatures here, and the gateway's and the journal's
/// random ids, keys and SQL literals.
#[must_use]
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_answers() {
        // RFC 1321, FIPS 180 ("abc"), RFC 4231 test case 2.
        assert_eq!(md5_hex(&[]), "d41d8cd98f00b204e9800998ecf8427e");
        assert_eq!(md5_hex(&["a", "bc"]), "900150983cd24fb0d6963f7d28e17f72");
        assert_eq!(
            sha1_hex(&["abc"]),
            "a9993e364706816aba3e25717850c26c9cd0d89d"
        );
        assert_eq!(
            sha256_hex(&["ab", "c"]),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(
            hex(&hmac_sha256(b"Jefe", b"what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        assert_eq!(base64(b"\xfb\xff"), "+/8=");
        assert_eq!(base64url(b"\xfb\xff"), "-_8");
    }
}
