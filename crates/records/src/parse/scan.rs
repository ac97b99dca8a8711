//! The fast path for the common record: one flat JSON object whose values are strings,
//! numbers, `true`, `false` or `null`, no key twice and no key with an escape. One pass
//! finds each field's raw text, as serde_json's walk would. Anything else — a nested value,
//! bad syntax, a key twice, the end of the bytes — is left to serde_json
//! ([`super::fields`]), which then decides, so every error a user reads stays the same.

use smallvec::SmallVec;

use super::decoding::skip_json_space;
use super::fields::Fields;
use super::{Record, MAX_FIELDS};

/// The record at `start` and where it ends, if it is of the common kind.
pub(super) fn record<'a, R: Record<'a>>(
    text: &'a str,
    start: usize,
) -> Option<(Fields<'a, R>, usize)> {
    let b = text.as_bytes();
    if b.get(start) != Some(&b'{') {
        return None;
    }
    let mut slots = [None; MAX_FIELDS];
    // Records have a handful of unused keys: kept on the stack to find one given twice.
    let mut others: SmallVec<[&[u8]; 8]> = SmallVec::new();
    let mut i = skip_json_space(b, start + 1);
    if b.get(i) == Some(&b'}') {
        return Some((Fields::from_slots(slots), i + 1));
    }
    loop {
        if b.get(i) != Some(&b'"') {
            return None;
        }
        let key_end = string_end(b, i + 1, false)?;
        let key = &b[i + 1..key_end];
        i = skip_json_space(b, key_end + 1);
        if b.get(i) != Some(&b':') {
            return None;
        }
        let value_start = skip_json_space(b, i + 1);
        let value_end = value_end(b, value_start)?;
        match R::FIELDS.iter().position(|field| field.as_bytes() == key) {
            Some(slot) if slots[slot].is_some() => return None,
            Some(slot) => slots[slot] = Some(&text[value_start..value_end]),
            None if others.contains(&key) => return None,
            None => others.push(key),
        }
        i = skip_json_space(b, value_end);
        match b.get(i) {
            Some(b',') => i = skip_json_space(b, i + 1),
            Some(b'}') => return Some((Fields::from_slots(slots), i + 1)),
            _ => return None,
        }
    }
}

/// Where the value at `i` ends (exclusive): a string, a number or a word.
fn value_end(b: &[u8], i: usize) -> Option<usize> {
    match *b.get(i)? {
        b'"' => string_end(b, i + 1, true).map(|end| end + 1),
        b'-' | b'0'..=b'9' => number_end(b, i),
        b't' => word_end(b, i, b"true"),
        b'f' => word_end(b, i, b"false"),
        b'n' => word_end(b, i, b"null"),
        _ => None,
    }
}

fn word_end(b: &[u8], i: usize, word: &[u8]) -> Option<usize> {
    b[i..].starts_with(word).then_some(i + word.len())
}

/// The index of the quote that closes the string whose text starts at `i`. Escapes are
/// checked as JSON has them (`escapes` false: an escape leaves the string to serde_json);
/// a control character, which JSON refuses raw, leaves it too.
fn string_end(b: &[u8], mut i: usize, escapes: bool) -> Option<usize> {
    loop {
        i = special_from(b, i)?;
        match b[i] {
            b'"' => return Some(i),
            b'\\' if escapes => {
                i = match *b.get(i + 1)? {
                    b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => i + 2,
                    b'u' if b.get(i + 2..i + 6)?.iter().all(u8::is_ascii_hexdigit) => i + 6,
                    _ => return None,
                }
            }
            _ => return None,
        }
    }
}

/// The first byte at or after `i` that ends a run of plain string text (see [`SPECIAL`]).
/// Sixteen bytes are classified at once where the CPU has SSE2 (every x86-64 CPU: it is
/// part of the architecture's baseline, so no run-time check is needed); the last few
/// bytes of the input, and other CPUs, take the byte-at-a-time table.
fn special_from(b: &[u8], mut i: usize) -> Option<usize> {
    #[cfg(target_arch = "x86_64")]
    while i + 16 <= b.len() {
        // SAFETY: `i + 16 <= b.len()`, so the 16 bytes read are within `b`.
        match unsafe { sse2::special_in_16(b.as_ptr().add(i)) } {
            Some(at) => return Some(i + at),
            None => i += 16,
        }
    }
    b.get(i..)?
        .iter()
        .position(|&c| SPECIAL[usize::from(c)])
        .map(|at| i + at)
}

#[cfg(target_arch = "x86_64")]
mod sse2 {
    use std::arch::x86_64::{
        __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_min_epu8, _mm_movemask_epi8, _mm_or_si128,
        _mm_set1_epi8,
    };

    /// The offset of the first quote, backslash or control character (below 0x20) among
    /// the 16 bytes at `at`.
    ///
    /// # Safety
    /// The 16 bytes from `at` must be readable.
    #[inline]
    pub(super) unsafe fn special_in_16(at: *const u8) -> Option<usize> {
        // SAFETY: SSE2 is part of x86-64's baseline; the caller vouches for the 16 bytes,
        // which an unaligned load may read at any address.
        unsafe {
            let bytes = _mm_loadu_si128(at.cast::<__m128i>());
            let quote = _mm_cmpeq_epi8(bytes, _mm_set1_epi8(b'"' as i8));
            let backslash = _mm_cmpeq_epi8(bytes, _mm_set1_epi8(b'\\' as i8));
            // c <= 0x1F exactly when min(c, 0x1F) == c, as unsigned bytes.
            let control = _mm_cmpeq_epi8(_mm_min_epu8(bytes, _mm_set1_epi8(0x1F)), bytes);
            let mask = _mm_movemask_epi8(_mm_or_si128(_mm_or_si128(quote, backslash), control));
            (mask != 0).then(|| mask.trailing_zeros() as usize)
        }
    }
}

/// The bytes that end a run of plain string text: the quote, the backslash, and the
/// control characters JSON refuses raw.
static SPECIAL: [bool; 256] = {
    let mut special = [false; 256];
    let mut c = 0;
    while c < 0x20 {
        special[c] = true;
        c += 1;
    }
    special[b'"' as usize] = true;
    special[b'\\' as usize] = true;
    special
};

/// The end of a number by JSON's grammar: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
fn number_end(b: &[u8], mut i: usize) -> Option<usize> {
    let digits = |b: &[u8], i: usize| i + b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
    if b[i] == b'-' {
        i += 1;
    }
    match b.get(i)? {
        b'0' => i += 1,
        b'1'..=b'9' => i = digits(b, i),
        _ => return None,
    }
    if b.get(i) == Some(&b'.') {
        let end = digits(b, i + 1);
        if end == i + 1 {
            return None;
        }
        i = end;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let end = digits(b, i);
        if end == i {
            return None;
        }
        i = end;
    }
    Some(i)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::EventRecord;

    fn fields(text: &str) -> Option<(Vec<Option<&str>>, usize)> {
        record::<EventRecord>(text, 0).map(|(fields, end)| (fields.slots()[..14].to_vec(), end))
    }

    #[test]
    fn flat_objects_give_each_field_its_raw_text() {
        let text = r#"{ "ts" : 1542241826796 ,"song":"a \"b\" \u00e9\/","x":[1],"userId":"","length":-1.5e+3} tail"#;
        // A nested value of a key no field reads still leaves the record to serde_json.
        assert_eq!(fields(text), None);
        let text = r#"{ "ts" : 1542241826796 ,"song":"a \"b\" \u00e9\/","x":null,"userId":"","length":-1.5e+3} tail"#;
        let (slots, end) = fields(text).unwrap();
        assert_eq!(&text[end..], " tail");
        assert_eq!(slots[11], Some("1542241826796"));
        assert_eq!(slots[10], Some(r#""a \"b\" \u00e9\/""#));
        assert_eq!(slots[13], Some(r#""""#));
        assert_eq!(slots[5], Some("-1.5e+3"));
        assert_eq!(slots[0], None);
        assert_eq!(fields("{}").map(|(_, end)| end), Some(2));
    }

    /// The vector classification finds what the byte table finds, at every offset of a
    /// run longer than one vector.
    #[test]
    fn sixteen_bytes_at_once_find_what_one_at_a_time_finds() {
        for special in [b'"', b'\\', 0x00, 0x1F, b'\n'] {
            for at in 0..40 {
                let mut text = vec![b'a'; 40];
                text[20..].fill(0xC3);
                text[at] = special;
                for start in 0..=at {
                    assert_eq!(special_from(&text, start), Some(at), "{special} at {at}");
                }
            }
        }
        // Bytes 0x20 and up, UTF-8 lead and continuation bytes among them, are plain text.
        let plain: Vec<u8> = (0x20..=0xFF).filter(|&c| c != b'"' && c != b'\\').collect();
        assert_eq!(special_from(&plain, 0), None);
    }

    #[test]
    fn anything_unusual_is_left_to_serde_json() {
        for text in [
            r#"{"ts":1,"ts":2}"#,  // a field twice
            r#"{"a":1,"a":2}"#,    // an unused key twice
            r#"{"t\u0073":1}"#,    // a key with an escape
            "{\"song\":\"a\tb\"}", // a raw control character
            r#"{"song":"\x"}"#,    // an escape JSON lacks
            r#"{"ts":01}"#,        // a leading zero
            r#"{"ts":1.}"#,        // a point with no digits
            r#"{"ts":1e}"#,        // an exponent with no digits
            r#"{"ts":tru}"#,       // half a word
            r#"{"ts":1,}"#,        // a trailing comma
            r#"{"ts":1"#,          // the end of the bytes
            r#"[1]"#,              // not an object
            r#"{"ts":{"a":1}}"#,   // a nested object
        ] {
            assert_eq!(fields(text), None, "{text}");
        }
    }
}
