//! Decoding of source objects: bytes in, typed records and bad records out, no I/O.
//!
//! An object is a sequence of JSON values separated by JSON white space (SPEC section 1).
//! [`decode_object`] walks it once, keeping each field's raw text — the common flat record
//! by a scanner of its own ([`scan`]), anything else by serde_json — and then coerces the
//! fields a [`Record`] type names.

mod coerce;
mod event;
mod fields;
mod raw;
mod scan;
mod song;

use serde::Serialize;

pub use coerce::Raw;
pub use raw::RawJson;

use fields::Fields;

/// The most fields a [`Record`] type may name.
const MAX_FIELDS: usize = 16;
/// How much of a bad record's text error messages quote.
const SNIPPET_BYTES: usize = 200;
const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// A record type decoded from JSON objects: which keys it reads and how it coerces them.
pub trait Record: Sized + Send {
    /// Keys read from each JSON object, matched exactly; their values reach
    /// [`Record::coerce`] in this order. Other keys are ignored.
    const FIELDS: &'static [&'static str];

    /// Whether the record is checked here (escapes, duplicate keys, being an object)
    /// before [`Record::coerce`]; raw records leave those checks to SQL.
    const CHECKED: bool = true;

    /// Builds the record from the raw text of each field and the bytes of the whole record,
    /// or says why it is bad. When [`Record::CHECKED`], the parser has already found every
    /// key and value to be UTF-8, so the record is too.
    fn coerce(fields: &[Raw<'_>], record: &[u8]) -> Result<Self, String>;

    /// The record's text values, by field name, for a target whose text is bounded.
    fn texts(&self) -> impl Iterator<Item = (&'static str, &str)> {
        std::iter::empty()
    }
}

/// Why a record's text does not fit a target that holds at most `limit` bytes of it.
fn text_too_long<R: Record>(record: &R, limit: Option<usize>) -> Option<String> {
    let limit = limit?;
    let (field, text) = record.texts().find(|(_, text)| text.len() > limit)?;
    Some(format!(
        "{field}: {} bytes of text, more than the target's VARCHAR({limit}) holds",
        text.len()
    ))
}

/// A record that could not be parsed or coerced: where it is, why, and its text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BadRecord {
    pub key: String,
    pub line: u64,
    pub reason: String,
    pub raw: String,
}

impl BadRecord {
    /// The start of the raw text, for one-line messages.
    pub fn snippet(&self) -> String {
        if self.raw.len() <= SNIPPET_BYTES {
            return self.raw.clone();
        }
        let mut end = SNIPPET_BYTES;
        while !self.raw.is_char_boundary(end) {
            end -= 1;
        }
        format!("{}…", &self.raw[..end])
    }
}

/// What one object held.
#[derive(Debug)]
pub struct Decoded<R> {
    /// Good records with the 1-based line each starts on, in object order.
    pub records: Vec<(u32, R)>,
    pub bad: Vec<BadRecord>,
}

/// Decodes every record of one object held whole.
pub fn decode_object<R: Record>(key: &str, bytes: &[u8]) -> Decoded<R> {
    decode_object_within(key, bytes, None)
}

/// Decodes every record of one object held whole, for a target that holds at most
/// `text_limit` bytes in a text value (Redshift's VARCHAR): a record with a longer text is
/// bad.
pub fn decode_object_within<R: Record>(
    key: &str,
    bytes: &[u8],
    text_limit: Option<usize>,
) -> Decoded<R> {
    let mut decoded = Decoded {
        records: Vec::new(),
        bad: Vec::new(),
    };
    let bytes = bytes.strip_prefix(UTF8_BOM).unwrap_or(bytes);
    decode_records(key, bytes, 1, true, text_limit, &mut decoded);
    decoded
}

/// Decodes one object fed in chunks as they arrive, holding back only a record that may
/// continue in the next chunk. Never fails as a whole: a record that cannot be parsed is
/// reported and reading resumes at the next line (SPEC section 4).
pub struct ObjectDecoder<R> {
    key: String,
    /// Bytes not yet decoded.
    pending: Vec<u8>,
    /// The line `pending` starts on.
    first_line: u64,
    /// Whether a leading BOM has been looked for.
    started: bool,
    /// The most bytes a text value may have, where the target bounds it.
    text_limit: Option<usize>,
    decoded: Decoded<R>,
}

impl<R: Record> ObjectDecoder<R> {
    pub fn new(key: &str) -> Self {
        ObjectDecoder {
            key: key.to_string(),
            pending: Vec::new(),
            first_line: 1,
            started: false,
            text_limit: None,
            decoded: Decoded {
                records: Vec::new(),
                bad: Vec::new(),
            },
        }
    }

    /// Makes a record bad whose text values are longer than `limit` bytes.
    pub fn with_text_limit(mut self, limit: Option<usize>) -> Self {
        self.text_limit = limit;
        self
    }

    /// Decodes the records a chunk completes. The chunk is decoded where it lies; only the
    /// record left unfinished at its end is copied and held.
    pub fn feed(&mut self, mut chunk: &[u8]) {
        if !self.pending.is_empty() && self.started {
            // The held record usually ends on the chunk's first line (JSON lines): finish
            // it alone, so that the rest of the chunk need not be copied after it.
            let first_line = memchr::memchr(b'\n', chunk).map_or(chunk.len(), |at| at + 1);
            self.pending.extend_from_slice(&chunk[..first_line]);
            chunk = &chunk[first_line..];
            self.decode(false);
            if chunk.is_empty() {
                return;
            }
        }
        if self.pending.is_empty() && (self.started || chunk.len() >= UTF8_BOM.len()) {
            if !self.started {
                self.started = true;
                chunk = chunk.strip_prefix(UTF8_BOM).unwrap_or(chunk);
            }
            let consumed = self.decode_from(chunk, false);
            self.pending.extend_from_slice(&chunk[consumed..]);
        } else {
            self.pending.extend_from_slice(chunk);
            self.decode(false);
        }
    }

    /// Takes the records (good and bad) decoded so far.
    pub fn take(&mut self) -> Decoded<R> {
        Decoded {
            records: std::mem::take(&mut self.decoded.records),
            bad: std::mem::take(&mut self.decoded.bad),
        }
    }

    /// Decodes what is left: the object has ended.
    pub fn finish(mut self) -> Decoded<R> {
        self.decode(true);
        self.decoded
    }

    fn decode(&mut self, last: bool) {
        if !self.started {
            if !last && self.pending.len() < UTF8_BOM.len() && UTF8_BOM.starts_with(&self.pending) {
                return;
            }
            if self.pending.starts_with(UTF8_BOM) {
                self.pending.drain(..UTF8_BOM.len());
            }
            self.started = true;
        }
        let pending = std::mem::take(&mut self.pending);
        let consumed = self.decode_from(&pending, last);
        self.pending = pending;
        self.pending.drain(..consumed);
    }

    /// Decodes `bytes`, which start where the last decoding stopped; gives the bytes
    /// consumed.
    fn decode_from(&mut self, bytes: &[u8], last: bool) -> usize {
        let consumed = decode_records(
            &self.key,
            bytes,
            self.first_line,
            last,
            self.text_limit,
            &mut self.decoded,
        );
        self.first_line += memchr::memchr_iter(b'\n', &bytes[..consumed]).count() as u64;
        consumed
    }
}

/// Decodes the records of `bytes`, which starts on line `first_line`, into `out`; gives the
/// bytes consumed. Unless `last`, a record that may go on past the end is left unconsumed.
fn decode_records<R: Record>(
    key: &str,
    bytes: &[u8],
    first_line: u64,
    last: bool,
    text_limit: Option<usize>,
    out: &mut Decoded<R>,
) -> usize {
    // serde_json checks UTF-8 value by value when reading bytes; text checked once as a
    // whole (nearly always) is read without that second pass. Positions where reading
    // starts follow an LF or a whole value, so they are on character boundaries.
    match std::str::from_utf8(bytes) {
        Ok(text) => decode_with(
            key,
            bytes,
            Some(text),
            first_line,
            last,
            text_limit,
            out,
            |pos| serde_json::Deserializer::from_str(&text[pos..]),
        ),
        Err(_) => decode_with(key, bytes, None, first_line, last, text_limit, out, |pos| {
            serde_json::Deserializer::from_slice(&bytes[pos..])
        }),
    }
}

/// Decodes the records of `bytes` (`text`, when it is UTF-8 as a whole: then the fast path
/// may read them); gives where the undecoded rest begins.
#[allow(clippy::too_many_arguments)]
fn decode_with<'a, R: Record, J: serde_json::de::Read<'a>>(
    key: &str,
    bytes: &'a [u8],
    text: Option<&'a str>,
    first_line: u64,
    last: bool,
    text_limit: Option<usize>,
    out: &mut Decoded<R>,
    reader_at: impl Fn(usize) -> serde_json::Deserializer<J>,
) -> usize {
    let mut lines = LineCounter::default();
    let mut line_of = |pos: usize| first_line - 1 + lines.line_at(bytes, pos);
    let fast_path = text.filter(|_| R::CHECKED);
    let mut pos = 0;
    while pos < bytes.len() {
        let start = skip_json_space(bytes, pos);
        if start == bytes.len() {
            break;
        }
        let line = line_of(start);
        let found = match fast_path.and_then(|text| scan::record::<R>(text, start)) {
            Some(found) => found,
            None => {
                let mut stream = reader_at(start).into_iter::<Fields<'a, R>>();
                match stream.next() {
                    None => break,
                    Some(Ok(fields)) => (fields, start + stream.byte_offset()),
                    Some(Err(err)) => {
                        if !last && err.is_eof() {
                            return start;
                        }
                        // The bad record runs from its start to the end of the line where
                        // parsing failed; reading resumes on the next line.
                        let error_line = line + err.line() as u64 - 1;
                        let end = end_of_line(bytes, start, error_line.saturating_sub(line));
                        if !last && end == bytes.len() {
                            return start;
                        }
                        let reason = format!("invalid JSON: {}", describe_json_error(&err));
                        out.bad
                            .push(bad_record(key, line, reason, &bytes[start..end]));
                        pos = (end + 1).min(bytes.len());
                        continue;
                    }
                }
            }
        };
        let (fields, end) = found;
        if !last && end == bytes.len() {
            // A number or word may go on in the next chunk.
            return start;
        }
        let text = &bytes[start..end];
        let record =
            fields
                .into_record(text)
                .and_then(|record| match text_too_long(&record, text_limit) {
                    Some(reason) => Err(reason),
                    None => Ok(record),
                });
        match record {
            Ok(record) => out.records.push((line as u32, record)),
            Err(reason) => out.bad.push(bad_record(key, line, reason, text)),
        }
        pos = end;
    }
    bytes.len()
}

fn bad_record(key: &str, line: u64, reason: String, text: &[u8]) -> BadRecord {
    let text = trim_trailing_space(text);
    BadRecord {
        key: key.to_string(),
        line,
        reason,
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

fn skip_json_space(bytes: &[u8], mut pos: usize) -> usize {
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

/// The index of the LF that ends the line `lines_down` lines below the one `start` is
/// on, or the object's end.
fn end_of_line(bytes: &[u8], start: usize, lines_down: u64) -> usize {
    let mut newlines = memchr::memchr_iter(b'\n', &bytes[start..]).map(|i| start + i);
    let mut skipped = 0;
    loop {
        match newlines.next() {
            Some(at) if skipped == lines_down => return at,
            Some(_) => skipped += 1,
            None => return bytes.len(),
        }
    }
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
