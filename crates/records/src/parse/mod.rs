//! Decoding of source objects: bytes in, typed records and bad records out, no I/O.
//!
//! An object is a sequence of JSON values separated by JSON white space (SPEC section 1).
//! [`decode_object`] walks it once, keeping each field's raw text — the common flat record
//! by a scanner of its own ([`scan`]), anything else by serde_json — and then coerces the
//! fields a [`Record`] type names.

mod coerce;
#[cfg(test)]
mod equivalence;
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

    /// The record's double values, by field name, for a target whose doubles are bounded.
    fn doubles(&self) -> impl Iterator<Item = (&'static str, f64)> {
        std::iter::empty()
    }
}

/// What a target holds of the values JSON can give: a record with a value beyond it is bad,
/// found while decoding rather than by a failed INSERT or COPY of a whole batch.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Bounds {
    /// The most bytes a text value may have (Redshift's VARCHAR counts bytes).
    pub text_bytes: Option<usize>,
    /// Whether a double must be zero or normal: Redshift's DOUBLE PRECISION spans about
    /// 1E-307 to 1E+308 (AWS, "Numeric types"), so a subnormal does not fit.
    pub normal_doubles: bool,
}

impl Bounds {
    /// Why a record does not fit, if it does not.
    fn refuse<R: Record>(&self, record: &R) -> Option<String> {
        if let Some(limit) = self.text_bytes {
            if let Some((field, text)) = record.texts().find(|(_, text)| text.len() > limit) {
                return Some(format!(
                    "{field}: {} bytes of text, more than the target's VARCHAR({limit}) holds",
                    text.len()
                ));
            }
        }
        if self.normal_doubles {
            if let Some((field, value)) = record.doubles().find(|(_, value)| value.is_subnormal()) {
                return Some(format!(
                    "{field}: {value:e} is below the smallest normal double, which Redshift's \
                     DOUBLE PRECISION does not hold"
                ));
            }
        }
        None
    }
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

// Not derived: a derived Default would ask `R: Default`, which records need not be.
impl<R> Default for Decoded<R> {
    fn default() -> Self {
        Decoded {
            records: Vec::new(),
            bad: Vec::new(),
        }
    }
}

/// Decodes every record of one object held whole.
pub fn decode_object<R: Record>(key: &str, bytes: &[u8]) -> Decoded<R> {
    decode_object_within(key, bytes, Bounds::default())
}

/// Decodes every record of one object held whole, for a target that holds values within
/// `bounds`: a record with a value beyond them is bad.
pub fn decode_object_within<R: Record>(key: &str, bytes: &[u8], bounds: Bounds) -> Decoded<R> {
    let mut decoded = Decoded::default();
    let bytes = bytes.strip_prefix(UTF8_BOM).unwrap_or(bytes);
    let reading = Reading {
        bounds,
        ..Reading::default()
    };
    decode_records(key, bytes, 1, true, reading, &mut decoded);
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
    reading: Reading,
    decoded: Decoded<R>,
}

/// How records are read, beyond their bytes.
#[derive(Debug, Clone, Copy)]
struct Reading {
    /// What the target holds.
    bounds: Bounds,
    /// Whether the common flat record is read by [`scan`] rather than serde_json.
    fast_path: bool,
}

impl Default for Reading {
    /// Unbounded, with the fast path.
    fn default() -> Self {
        Reading {
            bounds: Bounds::default(),
            fast_path: true,
        }
    }
}

impl<R: Record> ObjectDecoder<R> {
    pub fn new(key: &str) -> Self {
        ObjectDecoder {
            key: key.to_string(),
            pending: Vec::new(),
            first_line: 1,
            started: false,
            reading: Reading::default(),
            decoded: Decoded::default(),
        }
    }

    /// Makes a record bad whose values are beyond what the target holds.
    pub fn within(mut self, bounds: Bounds) -> Self {
        self.reading.bounds = bounds;
        self
    }

    /// Reads every record with serde_json alone, without the fast path: the reference the
    /// fast path is held to by the equivalence tests and the fuzz target.
    pub fn serde_only(mut self) -> Self {
        self.reading.fast_path = false;
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
        std::mem::take(&mut self.decoded)
    }

    /// Decodes what is left: the object has ended.
    pub fn finish(mut self) -> Decoded<R> {
        self.decode(true);
        self.decoded
    }

    /// Decodes a whole object fed in chunks of `chunk` bytes, as a stream would feed it,
    /// taking the records after each: what [`decode_object`] gives, which the equivalence
    /// tests and the fuzz target hold it to.
    pub fn decode_in_chunks(mut self, bytes: &[u8], chunk: usize) -> Decoded<R> {
        let mut decoded = Decoded::default();
        let mut gather = |taken: Decoded<R>| {
            decoded.records.extend(taken.records);
            decoded.bad.extend(taken.bad);
        };
        for piece in bytes.chunks(chunk.max(1)) {
            self.feed(piece);
            gather(self.take());
        }
        gather(self.finish());
        decoded
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
            self.reading,
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
    /// fast path may read them); gives where the undecoded rest begins.
    fn decode<R: Record, J: serde_json::de::Read<'a>>(
        &self,
        text: Option<&'a str>,
        out: &mut Decoded<R>,
        reader_at: impl Fn(usize) -> serde_json::Deserializer<J>,
    ) -> usize {
        let bytes = self.bytes;
        let mut lines = LineCounter::default();
        let mut line_of = |pos: usize| self.first_line - 1 + lines.line_at(bytes, pos);
        let fast_path = text.filter(|_| R::CHECKED && self.reading.fast_path);
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
                    let reason = format!("invalid JSON: {reason}");
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
    fn parse<R: Record, J: serde_json::de::Read<'a>>(
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
