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

use std::marker::PhantomData;

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

/// A record type decoded from JSON objects, whose values may borrow the bytes (of lifetime
/// `'a`) they were decoded from: which keys it reads and how it coerces them.
pub trait Record<'a>: Sized + Send {
    /// Keys read from each JSON object, matched exactly; their values reach
    /// [`Record::coerce`] in this order. Other keys are ignored.
    const FIELDS: &'static [&'static str];

    /// Whether the record is checked here (escapes, duplicate keys, being an object)
    /// before [`Record::coerce`]; raw records leave those checks to SQL.
    const CHECKED: bool = true;

    /// Builds the record from the raw text of each field and the bytes of the whole record,
    /// or says why it is bad. When [`Record::CHECKED`], the parser has already found every
    /// key and value to be UTF-8, so the record is too.
    fn coerce(fields: &[Raw<'a>], record: &'a [u8]) -> Result<Self, Refusal>;

    /// The record's text values, by field name, for a target whose text is bounded.
    fn texts(&self) -> impl Iterator<Item = (&'static str, &str)> {
        std::iter::empty()
    }

    /// The record's double values, by field name, for a target whose doubles are bounded.
    fn doubles(&self) -> impl Iterator<Item = (&'static str, f64)> {
        std::iter::empty()
    }
}

/// A record type for every lifetime of the bytes it borrows, named by its owned form (the
/// one that borrows nothing): what a streaming [`ObjectDecoder`] decodes, since the records
/// of each chunk borrow that chunk and live only while it is handed on.
pub trait RecordFamily: Sized + Send + 'static {
    /// The record borrowing bytes of lifetime `'a`.
    type Of<'a>: Record<'a>;

    /// The record with its borrowed text copied: for records kept past their chunk.
    fn into_owned(record: Self::Of<'_>) -> Self;
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
    fn refuse<'a, R: Record<'a>>(&self, record: &R) -> Option<Refusal> {
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

impl<'a, R: Record<'a>> Decoded<R> {
    /// The records with their borrowed text copied, to keep past the bytes they came from.
    pub fn into_owned<F: RecordFamily<Of<'a> = R>>(self) -> Decoded<F> {
        Decoded {
            records: self
                .records
                .into_iter()
                .map(|(line, record)| (line, F::into_owned(record)))
                .collect(),
            bad: self.bad,
        }
    }
}

/// Decodes every record of one object held whole.
pub fn decode_object<'a, R: Record<'a>>(key: &str, bytes: &'a [u8]) -> Decoded<R> {
    decode_object_within(key, bytes, Bounds::default())
}

/// Decodes every record of one object held whole, for a target that holds values within
/// `bounds`: a record with a value beyond them is bad.
pub fn decode_object_within<'a, R: Record<'a>>(
    key: &str,
    bytes: &'a [u8],
    bounds: Bounds,
) -> Decoded<R> {
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
/// reported and reading resumes at the next line (SPEC section 4). The records a chunk
/// completes borrow it, and are handed on before the next chunk comes.
pub struct ObjectDecoder<F> {
    key: String,
    /// Bytes not yet decoded: the start of a record that goes on in the next chunk.
    pending: Vec<u8>,
    /// The line `pending` starts on.
    first_line: u64,
    /// Whether a leading BOM has been looked for.
    started: bool,
    reading: Reading,
    family: PhantomData<F>,
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

impl<F: RecordFamily> ObjectDecoder<F> {
    pub fn new(key: &str) -> Self {
        ObjectDecoder {
            key: key.to_string(),
            pending: Vec::new(),
            first_line: 1,
            started: false,
            reading: Reading::default(),
            family: PhantomData,
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

    /// Decodes the records `chunk` completes (all that are left when it is the `last`) and
    /// hands them to `apply`, borrowing the chunk; gives what `apply` made of them. The
    /// chunk is decoded where it lies; only a record left unfinished at its end is copied
    /// and held.
    pub fn feed<T>(
        &mut self,
        chunk: &[u8],
        last: bool,
        apply: impl for<'c> FnOnce(Decoded<F::Of<'c>>) -> T,
    ) -> T {
        let Some(chunk) = self.past_bom(chunk, last) else {
            return apply(Decoded::default());
        };
        let mut held = std::mem::take(&mut self.pending);
        // A held record usually ends on the chunk's first line (JSON lines): it is
        // finished with that line alone, so that the rest of the chunk is decoded in place.
        let mut rest = chunk;
        if !held.is_empty() {
            let line_end = memchr::memchr(b'\n', rest).map_or(rest.len(), |at| at + 1);
            held.extend_from_slice(&rest[..line_end]);
            rest = &rest[line_end..];
        }
        let mut joined = Vec::new();
        let mut decoded = Decoded::default();
        let mut line = self.first_line;
        let consumed = self.decode_into(&held, line, last && rest.is_empty(), &mut decoded);
        line += count_lines(&held[..consumed]);
        let unfinished = &held[consumed..];
        let (tail, tail_consumed) = if unfinished.is_empty() {
            (rest, self.decode_into(rest, line, last, &mut decoded))
        } else {
            // The held record goes on past that line (a record over several lines): it is
            // decoded again with the rest of the chunk after it.
            joined.extend_from_slice(unfinished);
            joined.extend_from_slice(rest);
            (
                &joined[..],
                self.decode_into(&joined, line, last, &mut decoded),
            )
        };
        line += count_lines(&tail[..tail_consumed]);
        let made = apply(decoded);
        self.pending = tail[tail_consumed..].to_vec();
        self.first_line = line;
        made
    }

    /// The chunk past a leading BOM, once enough of the object has come to tell whether it
    /// starts with one; `None` while it has not (the bytes are held).
    fn past_bom<'c>(&mut self, chunk: &'c [u8], last: bool) -> Option<&'c [u8]> {
        if self.started {
            return Some(chunk);
        }
        if self.pending.is_empty() && chunk.len() >= UTF8_BOM.len() {
            self.started = true;
            return Some(chunk.strip_prefix(UTF8_BOM).unwrap_or(chunk));
        }
        // The object's first bytes came in pieces shorter than a BOM.
        self.pending.extend_from_slice(chunk);
        if !last && self.pending.len() < UTF8_BOM.len() && UTF8_BOM.starts_with(&self.pending) {
            return None;
        }
        self.started = true;
        if self.pending.starts_with(UTF8_BOM) {
            self.pending.drain(..UTF8_BOM.len());
        }
        Some(&[])
    }

    /// Decodes the records of `bytes`, which start on `line`, into `out`; gives the bytes
    /// consumed.
    fn decode_into<'c>(
        &self,
        bytes: &'c [u8],
        line: u64,
        last: bool,
        out: &mut Decoded<F::Of<'c>>,
    ) -> usize {
        if bytes.is_empty() {
            return 0;
        }
        decode_records(&self.key, bytes, line, last, self.reading, out)
    }

    /// Decodes a whole object fed in chunks of `chunk` bytes, as a stream would feed it,
    /// keeping each chunk's records: what [`decode_object`] gives, which the equivalence
    /// tests and the fuzz target hold it to.
    pub fn decode_in_chunks(mut self, bytes: &[u8], chunk: usize) -> Decoded<F> {
        let mut decoded = Decoded::default();
        let mut pieces = bytes.chunks(chunk.max(1)).peekable();
        loop {
            let piece = pieces.next().unwrap_or(&[]);
            let last = pieces.peek().is_none();
            let taken = self.feed(piece, last, |taken| taken.into_owned::<F>());
            decoded.records.extend(taken.records);
            decoded.bad.extend(taken.bad);
            if last {
                return decoded;
            }
        }
    }
}

/// The line feeds in `bytes`.
fn count_lines(bytes: &[u8]) -> u64 {
    memchr::memchr_iter(b'\n', bytes).count() as u64
}
