//! Decoding of source objects: bytes in, typed records and bad records out, no I/O.
//!
//! An object is a sequence of JSON values separated by JSON white space (SPEC section 1).
//! [`decode_object`] walks it once, keeping each field's raw text — the common flat record
//! by a scanner of its own ([`scan`]), anything else by serde_json — and then coerces the
//! fields a [`Record`] type names.

mod coerce;
mod decoding;
#[cfg(test)]
mod equivalence;
mod event;
mod fields;
mod raw;
mod refusal;
mod scan;
mod song;

use serde::Serialize;

pub use coerce::Raw;
pub use raw::RawJson;
pub use refusal::Refusal;

use decoding::decode_records;
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
    fn coerce(fields: &[Raw<'_>], record: &[u8]) -> Result<Self, Refusal>;

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
    fn refuse<R: Record>(&self, record: &R) -> Option<Refusal> {
        if let Some(limit) = self.text_bytes {
            if let Some((field, text)) = record.texts().find(|(_, text)| text.len() > limit) {
                return Some(Refusal::TooLong {
                    field,
                    bytes: text.len(),
                    limit,
                });
            }
        }
        if self.normal_doubles {
            if let Some((field, value)) = record.doubles().find(|(_, value)| value.is_subnormal()) {
                return Some(Refusal::Subnormal { field, value });
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
