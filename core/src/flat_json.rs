//! A flat JSON object read in place. Providers' replies and callbacks are almost always one
//! object of strings, integers, `true`, `false` and `null`: such a body is read here without a
//! map, its keys and strings borrowed from the body (a string with escapes is decoded), its
//! numbers kept as their literal text, the fields told apart by a fingerprint. Anything else
//! (a nested value, a fraction, a number of more than 18 digits, a repeated key, malformed
//! JSON) is left to `serde_json`: whatever this reader takes, it reads as `serde_json` does
//! (a test compares the two on generated bodies), so that a body means one thing whichever
//! reader read it.

use std::borrow::Cow;

use serde_json::{Map, Value};

use crate::fields::{Field, Fields};

/// A JSON object read in place ([`Flat`]) or by `serde_json`, for the readers of
/// [`crate::fields`].
pub(crate) enum Object<'a> {
    Flat(Flat<'a>),
    Map(Map<String, Value>),
}

impl Fields for Object<'_> {
    fn field(&self, key: &str) -> Field<'_> {
        match self {
            Object::Flat(flat) => flat.field(key),
            Object::Map(map) => map.field(key),
        }
    }

    fn take_text(&mut self, key: &str) -> Option<String> {
        match self {
            Object::Flat(flat) => flat.take_text(key),
            Object::Map(map) => map.take_text(key),
        }
    }
}

/// A flat JSON object read in place: its keys borrowed from the body, its strings too unless
/// they hold escapes, its numbers kept as their literal text. No map is built and nothing is
/// allocated for a body without escapes but the list of fields.
pub(crate) struct Flat<'a> {
    fields: Vec<Entry<'a>>,
}

struct Entry<'a> {
    /// [`fingerprint`] of the key: keys are told apart by it first, by their text only when
    /// it is the same.
    fingerprint: u64,
    key: &'a str,
    value: Plain<'a>,
}

/// A key's length and its first four and last three bytes, as one word (built in a register:
/// bytes stored to memory and read back as a word would stall the load).
fn fingerprint(key: &str) -> u64 {
    let bytes = key.as_bytes();
    let mut word = u64::from(bytes.len().to_le_bytes()[0]) << 56;
    for (shift, byte) in (0..4).zip(bytes) {
        word |= u64::from(*byte) << (8 * shift);
    }
    for (shift, byte) in (4..7).zip(bytes.iter().rev()) {
        word |= u64::from(*byte) << (8 * shift);
    }
    word
}

enum Plain<'a> {
    Null,
    Bool,
    Text(Cow<'a, str>),
    /// `-?[1-9][0-9]{0,17}` or `0`: every reader takes it as the same `i64`.
    Integer(&'a str),
}

/// More fields than a reply or callback has: a longer object goes to `serde_json`, so that the
/// repeated-key check here stays a short quadratic scan.
const FLAT_MAX_FIELDS: usize = 32;

impl<'a> Flat<'a> {
    /// `None` when the body is anything but a flat object of plain values without a repeated
    /// key: a nested value, a fraction or an exponent, a long or negative-zero number, an
    /// escape in a key, a lone surrogate, a control character, malformed JSON.
    pub(crate) fn read(text: &'a str) -> Option<Self> {
        let mut at = Cursor { text, i: 0 };
        at.skip_space();
        at.eat(b'{')?;
        let mut fields: Vec<Entry<'a>> = Vec::with_capacity(16);
        at.skip_space();
        if at.peek() == Some(b'}') {
            at.i += 1;
        } else {
            loop {
                at.skip_space();
                at.eat(b'"')?;
                // A key with an escape (no provider sends one) goes to `serde_json`.
                let Cow::Borrowed(key) = at.string()? else {
                    return None;
                };
                at.skip_space();
                at.eat(b':')?;
                at.skip_space();
                let value = at.plain()?;
                if fields.len() == FLAT_MAX_FIELDS {
                    return None;
                }
                let fingerprint = fingerprint(key);
                if fields.iter().any(|e| e.is(fingerprint, key)) {
                    return None;
                }
                fields.push(Entry {
                    fingerprint,
                    key,
                    value,
                });
                at.skip_space();
                match at.peek()? {
                    b',' => at.i += 1,
                    b'}' => {
                        at.i += 1;
                        break;
                    }
                    _ => return None,
                }
            }
        }
        at.skip_space();
        (at.i == text.len()).then_some(Self { fields })
    }

    /// The keys, in the body's order.
    pub(crate) fn keys(&self) -> impl Iterator<Item = &'a str> + '_ {
        self.fields.iter().map(|entry| entry.key)
    }
}

impl Entry<'_> {
    /// Whether this is the field `key`, whose [`fingerprint`] is given: the fingerprints are
    /// compared first, the text only when they are the same.
    fn is(&self, fingerprint: u64, key: &str) -> bool {
        self.fingerprint == fingerprint && self.key == key
    }
}

impl Fields for Flat<'_> {
    fn field(&self, key: &str) -> Field<'_> {
        let fingerprint = fingerprint(key);
        match self
            .fields
            .iter()
            .find(|e| e.is(fingerprint, key))
            .map(|e| &e.value)
        {
            None => Field::Absent,
            Some(Plain::Null) => Field::Null,
            Some(Plain::Bool) => Field::Other,
            Some(Plain::Text(s)) => Field::Text(s),
            Some(Plain::Integer(s)) => Field::Literal(s),
        }
    }

    fn take_text(&mut self, key: &str) -> Option<String> {
        let fingerprint = fingerprint(key);
        match self.fields.iter_mut().find(|e| e.is(fingerprint, key)) {
            Some(Entry {
                value: Plain::Text(s),
                ..
            }) => Some(std::mem::take(s).into_owned()),
            _ => None,
        }
    }
}

struct Cursor<'a> {
    text: &'a str,
    i: usize,
}

impl<'a> Cursor<'a> {
    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.i).copied()
    }

    fn eat(&mut self, byte: u8) -> Option<()> {
        (self.peek()? == byte).then(|| self.i += 1)
    }

    /// JSON's whitespace, as `serde_json` skips it.
    fn skip_space(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.i += 1;
        }
    }

    fn plain(&mut self) -> Option<Plain<'a>> {
        let bytes = self.text.as_bytes();
        match self.peek()? {
            b'"' => {
                self.i += 1;
                self.string().map(Plain::Text)
            }
            b'-' | b'0'..=b'9' => {
                let start = self.i;
                let negative = self.peek() == Some(b'-');
                self.i += usize::from(negative);
                let digits = self.i;
                while matches!(self.peek(), Some(b'0'..=b'9')) {
                    self.i += 1;
                }
                let count = self.i - digits;
                let leading_zero = bytes.get(digits) == Some(&b'0');
                // `0` alone, or no leading zero; `-0` (a float to serde_json) is left to it.
                let canonical = count == 1 && leading_zero && !negative
                    || (1..=18).contains(&count) && !leading_zero;
                // A fraction or an exponent makes it another number: left to `serde_json`.
                let ends = matches!(
                    self.peek(),
                    Some(b' ' | b'\t' | b'\n' | b'\r' | b',' | b'}')
                );
                (canonical && ends).then(|| Plain::Integer(&self.text[start..self.i]))
            }
            _ => {
                let rest = &bytes[self.i..];
                let (value, len) = if rest.starts_with(b"null") {
                    (Plain::Null, 4)
                } else if rest.starts_with(b"true") {
                    (Plain::Bool, 4)
                } else if rest.starts_with(b"false") {
                    (Plain::Bool, 5)
                } else {
                    return None; // a list, an object or not JSON
                };
                self.i += len;
                Some(value)
            }
        }
    }

    /// The rest of a string whose opening quote was read: borrowed when it holds no escape.
    fn string(&mut self) -> Option<Cow<'a, str>> {
        let bytes = self.text.as_bytes();
        let start = self.i;
        self.i = special(bytes, self.i);
        match *bytes.get(self.i)? {
            b'"' => {
                self.i += 1;
                return Some(Cow::Borrowed(&self.text[start..self.i - 1]));
            }
            b'\\' => {}
            _ => return None, // a control character, refused by JSON: `serde_json` says so
        }
        let mut owned = String::with_capacity(self.i - start + 16);
        owned.push_str(&self.text[start..self.i]);
        loop {
            let run = self.i;
            self.i = special(bytes, self.i);
            owned.push_str(self.text.get(run..self.i)?);
            match *bytes.get(self.i)? {
                b'"' => {
                    self.i += 1;
                    return Some(Cow::Owned(owned));
                }
                b'\\' => {
                    let letter = *bytes.get(self.i + 1)?;
                    self.i += 2;
                    owned.push(match letter {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => {
                            let unit = self.hex4()?;
                            let code = match unit {
                                0xd800..=0xdbff => {
                                    self.eat(b'\\')?;
                                    self.eat(b'u')?;
                                    let low = self.hex4()?;
                                    if !(0xdc00..=0xdfff).contains(&low) {
                                        return None;
                                    }
                                    0x10000 + ((unit - 0xd800) << 10) + (low - 0xdc00)
                                }
                                _ => unit,
                            };
                            char::from_u32(code)? // a lone low surrogate is no char
                        }
                        _ => return None,
                    });
                }
                _ => return None,
            }
        }
    }

    /// The four hex digits of a `\u` escape, at the cursor.
    fn hex4(&mut self) -> Option<u32> {
        let digits = self.text.get(self.i..self.i + 4)?;
        // Checked first: `from_str_radix` would take a leading `+`.
        if !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        self.i += 4;
        u32::from_str_radix(digits, 16).ok()
    }
}

/// The index of the first byte from `from` on that ends a run of a JSON string's plain
/// characters (`"`, `\\` or a control character), or the length. Eight bytes at a time: a
/// word's bytes below 0x20 or equal to either character are flagged by the carry tricks of
/// "Bit Twiddling Hacks" (no byte of a UTF-8 sequence is flagged: they are all 0x80 or more),
/// and the lowest flag is always a true one.
fn special(bytes: &[u8], from: usize) -> usize {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);
    let below = |word: u64, n: u8| word.wrapping_sub(ONES * u64::from(n)) & !word & HIGHS;
    let mut i = from;
    while let Some(chunk) = bytes.get(i..i + 8) {
        let word = u64::from_le_bytes(chunk.try_into().unwrap_or_default());
        let flags = below(word, 0x20)
            | below(word ^ (ONES * u64::from(b'"')), 1)
            | below(word ^ (ONES * u64::from(b'\\')), 1);
        if flags != 0 {
            return i + (flags.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    i + bytes
        .get(i..)
        .unwrap_or_default()
        .iter()
        .position(|b| matches!(b, b'"' | b'\\' | 0..=0x1f))
        .unwrap_or(bytes.len() - i)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The word-at-a-time scan finds what a byte-at-a-time one finds, at every offset, among
    /// bytes on either side of each flagged value (UTF-8 bytes included).
    #[test]
    fn the_word_scan_finds_the_first_special_byte() {
        let fillers = [
            b'a',
            0x21,
            0x1f + 1,
            0x5b,
            0x5d,
            0x7f,
            0x80,
            0xc3,
            0xff,
            b'"' + 1,
        ];
        for len in 0..20 {
            for filler in fillers {
                let mut bytes = vec![filler; len];
                assert_eq!(special(&bytes, 0), len);
                for at in 0..len {
                    for mark in [b'"', b'\\', 0x00, 0x1f, b'\n'] {
                        bytes[at] = mark;
                        for from in 0..=at {
                            assert_eq!(special(&bytes, from), at, "{bytes:?} from {from}");
                        }
                        bytes[at] = filler;
                    }
                }
            }
        }
    }

    /// A JSON object of random keys and values, some of them broken, with noise one time in
    /// four; `next(n)` draws from `0..n`.
    fn generated_body(next: &mut impl FnMut(usize) -> usize) -> String {
        const KEYS: &[&str] = &[
            "status",
            "message",
            "code",
            "serial",
            "request_id",
            "amount",
            "a",
            "\\u0061",
            "\\u00e0",
            "à",
            "x.y",
            "k[]",
            "",
            "\\\"q",
            "b\\/c",
        ];
        const VALUES: &[&str] = &[
            "\"\"",
            "\"plain\"",
            "\"Thành công\"",
            "\"Th\\u00e0nh\"",
            "\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"",
            "\"\\uD83D\\uDE00\"",
            "\"\\ud83d\"",
            "\"\\uDE00x\"",
            "\"\\uD83Dx\"",
            "\"\\u00G0\"",
            "\"\\u+0a1\"",
            "\"\u{1}\"",
            "\"\\x\"",
            "\"\\u0000\"",
            "\"tab\there\"",
            "0",
            "-0",
            "01",
            "123",
            "-5",
            "123456789012345678",
            "1234567890123456789",
            "99999999999999999999",
            "-123456789012345678",
            "1.5",
            "1e5",
            "35000.0",
            "-",
            "1.",
            "true",
            "false",
            "null",
            "nul",
            "tru",
            "[1]",
            "{\"a\":1}",
            "{}",
            "[]",
            "\"a\"\"b\"",
        ];
        const SPACE: &[&str] = &["", " ", "\n\t", "\r ", "\u{a0}"];
        const NOISE: &[u8] = b"{}[]\",:\\ 0a-.e";
        let mut body = String::from(SPACE[next(SPACE.len())]);
        body.push('{');
        for pair in 0..next(7) {
            if pair > 0 {
                body.push(',');
            }
            body.push_str(SPACE[next(SPACE.len())]);
            body.push('"');
            body.push_str(KEYS[next(KEYS.len())]);
            body.push('"');
            body.push_str(SPACE[next(SPACE.len())]);
            body.push(':');
            body.push_str(SPACE[next(SPACE.len())]);
            body.push_str(VALUES[next(VALUES.len())]);
            body.push_str(SPACE[next(SPACE.len())]);
        }
        body.push('}');
        body.push_str(SPACE[next(SPACE.len())]);
        // One time in four, a byte of noise inserted or one character cut.
        match next(8) {
            0 => {
                let at = next(body.len() + 1);
                if body.is_char_boundary(at) {
                    body.insert(at, char::from(NOISE[next(NOISE.len())]));
                }
            }
            1 => {
                let at = next(body.len());
                if body.is_char_boundary(at) {
                    body.remove(at);
                }
            }
            _ => {}
        }
        body
    }

    /// The in-place reader against `serde_json` on generated bodies, broken ones included:
    /// whatever it takes, `serde_json` takes too and reads the same way.
    #[test]
    fn the_in_place_reader_reads_as_serde_json_does() {
        let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            usize::try_from(seed % n as u64).unwrap()
        };
        let (mut taken, mut left) = (0, 0);
        for _ in 0..60_000 {
            let body = generated_body(&mut next);
            let full = serde_json::from_str::<Value>(&body);
            let Some(flat) = Flat::read(&body) else {
                left += 1;
                continue;
            };
            taken += 1;
            let Ok(Value::Object(map)) = full else {
                panic!("{body:?}: taken in place, refused: {full:?}");
            };
            assert_eq!(map.len(), flat.fields.len(), "{body:?}");
            for (key, value) in &map {
                let same = match (flat.field(key), map.field(key)) {
                    (Field::Null, Field::Null) | (Field::Other, Field::Other) => true,
                    (Field::Text(a), Field::Text(b)) => a == b,
                    (Field::Literal(a), Field::Number(n)) => {
                        a == n.to_string() && n.as_i64() == a.parse().ok()
                    }
                    _ => false,
                };
                assert!(same, "{body:?}: {key:?} is {value:?} to serde_json");
            }
        }
        // The generator reaches both readers.
        assert!(taken > 5_000 && left > 5_000, "{taken} taken, {left} left");
    }
}
