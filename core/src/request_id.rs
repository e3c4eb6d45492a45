//! Request ids: what every money-moving call is known by, so they must never collide.

use std::time::{SystemTime, UNIX_EPOCH};

/// A fresh request id: a `UUIDv7` (RFC 9562) written as 32 lowercase hex digits without dashes:
/// 48 bits of Unix milliseconds, so ids sort by time, then 74 random bits from the operating
/// system, so two ids made in the same millisecond by any number of processes collide with
/// odds of one in 2^74. Every provider takes it (`[0-9a-f]`, 32 characters: within eSMS's 50
/// and vngate's 64). Store it with the order before you send the request.
#[must_use]
pub fn new_request_id() -> String {
    let millis = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    let mut random = [0u8; 10];
    if getrandom::fill(&mut random).is_err() {
        fallback_random(&mut random);
    }
    let mut bytes = [0u8; 16];
    // The low 48 bits of the millisecond count, big-endian.
    bytes[..6].copy_from_slice(&millis.to_be_bytes()[10..]);
    bytes[6..].copy_from_slice(&random);
    bytes[6] = 0x70 | (bytes[6] & 0x0f); // version 7
    bytes[8] = 0x80 | (bytes[8] & 0x3f); // variant 10
    crate::digest::hex(&bytes)
}

/// Where the OS has no random source to offer (it essentially never happens): the process's
/// randomly seeded hasher over a counter, the process id and the clock. Unique in practice,
/// not unpredictable.
fn fallback_random(out: &mut [u8; 10]) {
    use std::hash::{BuildHasher, Hasher};
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    for (i, chunk) in out.chunks_mut(8).enumerate() {
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        hasher.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
        hasher.write_u32(std::process::id());
        hasher.write_usize(i);
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        hasher.write_u128(now.as_nanos());
        let bits = hasher.finish().to_be_bytes();
        chunk.copy_from_slice(&bits[..chunk.len()]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_uuidv7_hex_unique_and_ordered_by_time() {
        let ids: Vec<String> = (0..10_000).map(|_| new_request_id()).collect();
        let unique: std::collections::HashSet<&String> = ids.iter().collect();
        assert_eq!(unique.len(), ids.len());
        for id in &ids {
            assert_eq!(id.len(), 32, "{id}");
            assert!(
                id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')),
                "{id}"
            );
            assert_eq!(&id[12..13], "7", "version 7: {id}");
            assert!(
                matches!(&id[16..17], "8" | "9" | "a" | "b"),
                "variant: {id}"
            );
        }
        // The first 12 digits are the time: later ids never sort before earlier ones.
        assert!(ids.windows(2).all(|w| w[0][..12] <= w[1][..12]));
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_millis();
        let stamped = u128::from_str_radix(&ids[0][..12], 16).unwrap();
        assert!(now.abs_diff(stamped) < 60_000);
        let mut fallback = [0u8; 10];
        fallback_random(&mut fallback);
        assert_ne!(fallback, [0u8; 10]);
    }
}
