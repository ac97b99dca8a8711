//! Type coercion of raw JSON values into column types, as Redshift COPY does (SPEC section 1).
//!
//! Each function takes the exact source text of one JSON value (`None` for a missing key)
//! and gives the column value, or the reason the record is bad.

use std::borrow::Cow;

use super::Refusal;

/// A JSON value's raw text, as the parser found it.
pub type Raw<'a> = Option<&'a str>;

/// A text column: strings as decoded, numbers as written, booleans as `true`/`false`;
/// borrowed from the source where it has no escape.
pub fn text<'a>(field: &'static str, raw: Raw<'a>) -> Result<Option<Cow<'a, str>>, Refusal> {
    let Some(raw) = raw else { return Ok(None) };
    match raw.as_bytes()[0] {
        b'"' => decode_string(field, raw).map(Some),
        b'n' => Ok(None),
        b't' | b'f' | b'-' | b'0'..=b'9' => Ok(Some(Cow::Borrowed(raw))),
        _ => Err(not_scalar(field, raw)),
    }
}

/// A text column, owned: for records kept past the bytes they came from.
pub fn owned_text(field: &'static str, raw: Raw<'_>) -> Result<Option<String>, Refusal> {
    Ok(text(field, raw)?.map(Cow::into_owned))
}

/// An `integer` column (32 bits).
pub fn int32(field: &'static str, raw: Raw<'_>) -> Result<Option<i32>, Refusal> {
    int64(field, raw)?
        .map(|value| {
            i32::try_from(value).map_err(|_| Refusal::OutOfRange {
                field,
                value: value.to_string(),
                column: "integer",
            })
        })
        .transpose()
}

/// A `bigint` column.
pub fn int64(field: &'static str, raw: Raw<'_>) -> Result<Option<i64>, Refusal> {
    let Some(raw) = raw else { return Ok(None) };
    match raw.as_bytes()[0] {
        b'"' => {
            let decoded = decode_string(field, raw)?;
            let trimmed = trim_json_space(&decoded);
            if trimmed.is_empty() {
                return Ok(None);
            }
            parse_signed_digits(trimmed)
                .map(Some)
                .ok_or_else(|| not_a(field, raw, "an integer"))
        }
        b'n' => Ok(None),
        b'-' | b'0'..=b'9' => {
            integral_number(raw)
                .map(Some)
                .ok_or_else(|| Refusal::NotAnIntegerInRange {
                    field,
                    raw: raw.to_string(),
                })
        }
        _ => Err(wrong_kind(field, raw, "an integer")),
    }
}

/// A `double precision` column.
pub fn double(field: &'static str, raw: Raw<'_>) -> Result<Option<f64>, Refusal> {
    let Some(raw) = raw else { return Ok(None) };
    let number = match raw.as_bytes()[0] {
        b'"' => {
            let decoded = decode_string(field, raw)?;
            let trimmed = trim_json_space(&decoded);
            if trimmed.is_empty() {
                return Ok(None);
            }
            if !is_decimal_text(trimmed) {
                return Err(not_a(field, raw, "a number"));
            }
            finite_double(trimmed)
        }
        b'n' => return Ok(None),
        b'-' | b'0'..=b'9' => finite_double(raw),
        _ => return Err(wrong_kind(field, raw, "a number")),
    };
    number.map(Some).ok_or_else(|| Refusal::OutOfRange {
        field,
        value: raw.to_string(),
        column: "double precision",
    })
}

/// The decoded text of a JSON string literal (quotes included in `raw`), which the parser
/// found to be valid JSON and the record check free of `\u0000` and unpaired surrogates.
fn decode_string<'a>(field: &'static str, raw: &'a str) -> Result<Cow<'a, str>, Refusal> {
    let inner = &raw[1..raw.len() - 1];
    if memchr::memchr(b'\\', inner.as_bytes()).is_none() {
        return Ok(Cow::Borrowed(inner));
    }
    // The record check has refused every escape `unescape` cannot decode, so this error is
    // a guard, not a path any record takes.
    unescape(inner)
        .map(Cow::Owned)
        .ok_or_else(|| Refusal::BadEscape {
            field,
            raw: raw.to_string(),
        })
}

/// JSON's escapes decoded; `None` for anything but a valid escape.
fn unescape(inner: &str) -> Option<String> {
    let mut out = String::with_capacity(inner.len());
    let mut rest = inner;
    while let Some(at) = memchr::memchr(b'\\', rest.as_bytes()) {
        out.push_str(&rest[..at]);
        let escaped = rest.as_bytes().get(at + 1)?;
        rest = &rest[at + 2..];
        out.push(match escaped {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let unit = hex_unit(rest)?;
                rest = &rest[4..];
                match unit {
                    0xD800..=0xDBFF => {
                        let low = rest.strip_prefix("\\u").and_then(hex_unit)?;
                        rest = &rest[6..];
                        let high = u32::from(unit - 0xD800) << 10;
                        char::from_u32(0x10000 + high + u32::from(low.checked_sub(0xDC00)?))?
                    }
                    _ => char::from_u32(u32::from(unit))?,
                }
            }
            _ => return None,
        });
    }
    out.push_str(rest);
    Some(out)
}

/// The four hex digits at the start of `text`.
fn hex_unit(text: &str) -> Option<u16> {
    u16::from_str_radix(text.get(..4)?, 16).ok()
}

fn not_scalar(field: &'static str, raw: &str) -> Refusal {
    let kind = if raw.starts_with('{') {
        "an object"
    } else {
        "an array"
    };
    Refusal::NotScalar { field, kind }
}

fn not_a(field: &'static str, raw: &str, expected: &'static str) -> Refusal {
    Refusal::NotA {
        field,
        raw: raw.to_string(),
        expected,
    }
}

fn wrong_kind(field: &'static str, raw: &str, expected: &'static str) -> Refusal {
    match raw.as_bytes()[0] {
        b'{' | b'[' => not_scalar(field, raw),
        _ => not_a(field, raw, expected),
    }
}

/// JSON white space only: space, tab, LF, CR.
fn trim_json_space(s: &str) -> &str {
    s.trim_matches(|c| matches!(c, ' ' | '\t' | '\n' | '\r'))
}

/// `[+-]?[0-9]+`, within 64 bits.
fn parse_signed_digits(s: &str) -> Option<i64> {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// The value of a JSON number literal when it is an integer within 64 bits
/// (`39`, `39.0`, `3.9e1`), computed exactly on its decimal digits.
fn integral_number(raw: &str) -> Option<i64> {
    // Nearly every integer is written as one: up to 18 digits always fit in 64 bits.
    let digits = raw.strip_prefix('-').unwrap_or(raw);
    if (1..=18).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) {
        return raw.parse().ok();
    }
    let (negative, unsigned) = match raw.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, raw),
    };
    let (mantissa, exponent) = match unsigned.find(['e', 'E']) {
        Some(at) => (&unsigned[..at], unsigned[at + 1..].parse::<i64>().ok()?),
        None => (unsigned, 0),
    };
    let (int_digits, frac_digits) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits: Vec<u8> = int_digits.bytes().chain(frac_digits.bytes()).collect();
    let scale = exponent.checked_sub(frac_digits.len() as i64)?;
    let significant = match digits.iter().position(|&d| d != b'0') {
        Some(first) => &digits[first..],
        None => return Some(0),
    };
    let kept = if scale >= 0 {
        significant
    } else {
        let dropped = usize::try_from(-scale).ok()?;
        if dropped > significant.len() {
            return None;
        }
        let (kept, fraction) = significant.split_at(significant.len() - dropped);
        if fraction.iter().any(|&d| d != b'0') {
            return None;
        }
        kept
    };
    let mut value: i128 = 0;
    for &d in kept {
        value = value * 10 + i128::from(d - b'0');
        if value > i128::from(u64::MAX) {
            return None;
        }
    }
    for _ in 0..scale.max(0) {
        value *= 10;
        if value > i128::from(u64::MAX) {
            return None;
        }
    }
    i64::try_from(if negative { -value } else { value }).ok()
}

/// `[+-]?(digits[.digits?] | .digits)([eE][+-]?digits)?`: no `nan`, `inf`, `_` or non-ASCII digits.
fn is_decimal_text(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = usize::from(matches!(b.first(), Some(b'+' | b'-')));
    let int_start = i;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    let mut digits = i - int_start;
    if i < b.len() && b[i] == b'.' {
        i += 1;
        let frac_start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        digits += i - frac_start;
    }
    if digits == 0 {
        return false;
    }
    if i < b.len() && matches!(b[i], b'e' | b'E') {
        i += 1;
        if i < b.len() && matches!(b[i], b'+' | b'-') {
            i += 1;
        }
        let exp_start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == exp_start {
            return false;
        }
    }
    i == b.len()
}

/// The nearest double, refused (as PostgreSQL's `float8in` does) when the value
/// overflows to infinity or a non-zero value underflows to zero.
fn finite_double(text: &str) -> Option<f64> {
    let value: f64 = text.parse().ok()?;
    if value.is_infinite() {
        return None;
    }
    if value == 0.0 && mantissa_has_nonzero_digit(text) {
        return None;
    }
    Some(value)
}

fn mantissa_has_nonzero_digit(text: &str) -> bool {
    text.bytes()
        .take_while(|b| !matches!(b, b'e' | b'E'))
        .any(|b| matches!(b, b'1'..=b'9'))
}

#[cfg(test)]
mod tests;
