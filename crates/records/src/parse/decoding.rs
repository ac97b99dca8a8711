//! One piece of an object decoded: its values split at JSON white space, each parsed by
//! the scanner or serde_json, coerced, and counted by line; and the bad records' text.

use super::*;

/// Decodes the records of `bytes`, which starts on line `first_line`, into `out`; gives the
/// bytes consumed. Unless `last`, a record that may go on past the end is left unconsumed.
pub(super) fn decode_records<'a, R: Record<'a>>(
    key: &str,
    bytes: &'a [u8],
    first_line: u64,
    last: bool,
    reading: Reading,
    out: &mut Decoded<R>,
) -> usize {
    // serde_json checks UTF-8 value by value when reading bytes; text checked once as a
    // whole (nearly always) is read without that second pass. Positions where reading
    // starts follow an LF or a whole value, so they are on character boundaries.
    let decoding = Decoding {
        key,
        bytes,
        first_line,
        last,
        reading,
    };
    match std::str::from_utf8(bytes) {
        Ok(text) => decoding.decode(Some(text), out, |pos| {
            serde_json::Deserializer::from_str(&text[pos..])
        }),
        Err(_) => decoding.decode(None, out, |pos| {
            serde_json::Deserializer::from_slice(&bytes[pos..])
        }),
    }
}

/// One call's bytes of an object, where they start, and how they are read.
struct Decoding<'k, 'a> {
    key: &'k str,
    bytes: &'a [u8],
    /// The line `bytes` starts on.
    first_line: u64,
    /// Whether the object ends with `bytes`.
    last: bool,
    reading: Reading,
}

/// About the bytes of the shortest event of the log tree's usual shape: the list of a
/// chunk's records is sized by it (more records than that grow it, as any list grows).
const RECORD_BYTES_AT_LEAST: usize = 256;

/// What reading one record at a position found.
// Lives on the stack for one record; boxing the fields would allocate for every record.
#[allow(clippy::large_enum_variant)]
enum Step<'a, R> {
    /// A whole value and where it ends.
    Value(Fields<'a, R>, usize),
    /// Not JSON: why, and the byte where parsing failed.
    Broken(String, usize),
    /// The record may go on past the end of the bytes.
    Unfinished,
    /// Nothing is left: serde_json found only white space (the caller skips it first, so
    /// this is a guard).
    End,
}

impl<'a> Decoding<'_, 'a> {
    /// Decodes the records of the bytes (`text`, when they are UTF-8 as a whole: then the
    /// fast path may read them); gives where the undecoded rest begins. Kept whole, a little
    /// over 60 lines: it is the decoder's hot loop, whose states (a record, an unfinished
    /// one, a broken one) read best side by side.
    fn decode<R: Record<'a>, J: serde_json::de::Read<'a>>(
        &self,
        text: Option<&'a str>,
        out: &mut Decoded<R>,
        reader_at: impl Fn(usize) -> serde_json::Deserializer<J>,
    ) -> usize {
        let bytes = self.bytes;
        let mut lines = LineCounter::default();
        let mut line_of = |pos: usize| self.first_line - 1 + lines.line_at(bytes, pos);
        let fast_path = text.filter(|_| R::CHECKED && self.reading.fast_path);
        // A log line is a few hundred bytes: room for the records of the bytes at once,
        // rather than growing (and copying) the list as they come.
        out.records.reserve(bytes.len() / RECORD_BYTES_AT_LEAST);
        let mut pos = 0;
        while pos < bytes.len() {
            let start = skip_json_space(bytes, pos);
            if start == bytes.len() {
                break;
            }
            let step = match fast_path.and_then(|text| scan::record::<R>(text, start)) {
                Some((fields, end)) => Step::Value(fields, end),
                None => self.parse(start, &reader_at),
            };
            let (fields, end) = match step {
                Step::Value(fields, end) => (fields, end),
                Step::Unfinished => return start,
                Step::End => break,
                Step::Broken(reason, failed_at) => {
                    // The bad record ends with the line where parsing failed (an LF that
                    // breaks a string ends it); reading resumes on the next line.
                    let end = memchr::memchr(b'\n', &bytes[failed_at..])
                        .map_or(bytes.len(), |at| failed_at + at);
                    if !self.last && end == bytes.len() {
                        return start;
                    }
                    let reason = Refusal::InvalidJson(reason);
                    out.bad.push(bad_record(
                        self.key,
                        line_of(start),
                        reason,
                        &bytes[start..end],
                    ));
                    pos = (end + 1).min(bytes.len());
                    continue;
                }
            };
            if !self.last && end == bytes.len() {
                // A number or word may go on in the next chunk.
                return start;
            }
            let text = &bytes[start..end];
            let record = fields.into_record(text).and_then(|record| {
                match self.reading.bounds.refuse(&record) {
                    Some(reason) => Err(reason),
                    None => Ok(record),
                }
            });
            let line = line_of(start);
            match record {
                Ok(record) => out.records.push((line as u32, record)),
                Err(reason) => out.bad.push(bad_record(self.key, line, reason, text)),
            }
            pos = end;
        }
        bytes.len()
    }

    /// Reads the value at `start` with serde_json. serde_json lets a raw control character
    /// through in a key (it reads keys as bytes here); JSON does not, so parsing fails there
    /// as it does in a value.
    fn parse<R: Record<'a>, J: serde_json::de::Read<'a>>(
        &self,
        start: usize,
        reader_at: impl Fn(usize) -> serde_json::Deserializer<J>,
    ) -> Step<'a, R> {
        let bytes = self.bytes;
        let mut stream = reader_at(start).into_iter::<Fields<'a, R>>();
        match stream.next() {
            None => Step::End,
            Some(Ok(fields)) => {
                let end = start + stream.byte_offset();
                match control_in_string(bytes, start, end) {
                    Some(at) => Step::Broken(CONTROL_IN_STRING.into(), at),
                    None => Step::Value(fields, end),
                }
            }
            Some(Err(err)) => {
                let failed_at = failure_offset(bytes, start, &err);
                if let Some(at) = control_in_string(bytes, start, failed_at + 1) {
                    // Decided without waiting for the rest: the line it is on has ended.
                    if self.last || memchr::memchr(b'\n', &bytes[at..]).is_some() {
                        return Step::Broken(CONTROL_IN_STRING.into(), at);
                    }
                }
                if err.is_eof() && !self.last {
                    Step::Unfinished
                } else {
                    Step::Broken(describe_json_error(&err), failed_at)
                }
            }
        }
    }
}

/// serde_json's words for a raw control character in a string.
const CONTROL_IN_STRING: &str = "control character (\\u0000-\\u001F) found while parsing a string";

/// The byte where serde_json stopped, from its line and column counted from `start`: the
/// column counts the failing byte itself, so column 0 is the LF that ended the line before.
fn failure_offset(bytes: &[u8], start: usize, err: &serde_json::Error) -> usize {
    let line_start = match err.line() {
        0 | 1 => start,
        line => memchr::memchr_iter(b'\n', &bytes[start..])
            .nth(line - 2)
            .map_or(bytes.len(), |at| start + at + 1),
    };
    (line_start + err.column())
        .saturating_sub(1)
        .clamp(start, bytes.len().saturating_sub(1))
}

/// The first raw control character inside a string of `bytes[start..end]`, which serde_json
/// has read up to `end` (so its quotes pair as JSON's do).
fn control_in_string(bytes: &[u8], start: usize, end: usize) -> Option<usize> {
    let text = &bytes[start..end.min(bytes.len())];
    // Nearly every record is one line with no control character at all.
    if !text.iter().any(|&c| c < 0x20) {
        return None;
    }
    let mut in_string = false;
    let mut i = 0;
    while i < text.len() {
        match text[i] {
            b'"' => in_string = !in_string,
            b'\\' if in_string => i += 1,
            c if c < 0x20 && in_string => return Some(start + i),
            _ => {}
        }
        i += 1;
    }
    None
}

fn bad_record(key: &str, line: u64, reason: Refusal, text: &[u8]) -> BadRecord {
    let text = trim_trailing_space(text);
    BadRecord {
        key: key.to_string(),
        line,
        reason: reason.to_string(),
        raw: String::from_utf8_lossy(text).into_owned(),
    }
}

/// serde_json's message without its own " at line L column C" suffix, which counts
/// from where the parser started rather than from the start of the object.
fn describe_json_error(err: &serde_json::Error) -> String {
    let message = err.to_string();
    match message.rfind(" at line ") {
        Some(at) => message[..at].to_string(),
        None => message,
    }
}

fn is_json_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

pub(super) fn skip_json_space(bytes: &[u8], mut pos: usize) -> usize {
    while pos < bytes.len() && is_json_space(bytes[pos]) {
        pos += 1;
    }
    pos
}

fn trim_trailing_space(mut text: &[u8]) -> &[u8] {
    while let [rest @ .., last] = text {
        if !is_json_space(*last) {
            break;
        }
        text = rest;
    }
    text
}

/// Line numbers of byte positions, counting LFs from 1; positions are asked in
/// increasing order, so each byte is counted once.
#[derive(Default)]
struct LineCounter {
    counted_to: usize,
    newlines: u64,
}

impl LineCounter {
    fn line_at(&mut self, bytes: &[u8], pos: usize) -> u64 {
        if pos >= self.counted_to {
            self.newlines +=
                memchr::memchr_iter(b'\n', &bytes[self.counted_to..pos]).count() as u64;
        } else {
            self.newlines -=
                memchr::memchr_iter(b'\n', &bytes[pos..self.counted_to]).count() as u64;
        }
        self.counted_to = pos;
        self.newlines + 1
    }
}
