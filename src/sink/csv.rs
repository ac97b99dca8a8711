//! Finished rows as gzip CSV parts, for Redshift's `COPY … FORMAT AS CSV GZIP NULL AS '\0'`
//! (docs/SCALE.md, docs/REDSHIFT.md rule 17). Text is always quoted, a quote doubled, line
//! breaks kept inside the quotes; NULL is a field holding one NUL byte and nothing else,
//! which no value can be (SPEC refuses `\u0000` in text, and numbers and timestamps never
//! hold one); doubles are shortest round-trip text; timestamps carry their microseconds.

use std::io::Write as _;

use flate2::write::GzEncoder;
use flate2::Compression;

use super::values::Values;
use super::TableRow;
use crate::model::Timestamp;

/// A part's compressed size past which its group of parts is closed, at most: AWS asks for
/// parts of 1 MB to 1 GB after compression.
pub const PART_BYTES: usize = 64 * 1024 * 1024;
/// The compressed bytes one table's open group may hold in all: with many slices, parts
/// close smaller (not below [`MIN_PART_BYTES`]), so memory stays bounded.
const GROUP_BYTES: usize = 512 * 1024 * 1024;
/// The smallest part size a group closes at: AWS's lower bound.
const MIN_PART_BYTES: usize = 1024 * 1024;

/// The part size a group of `slices` parts closes at.
pub fn part_bytes(slices: usize) -> usize {
    (GROUP_BYTES / slices.max(1)).clamp(MIN_PART_BYTES, PART_BYTES)
}

/// The NULL marker: one NUL byte (`NULL AS '\0'`).
const NULL: &[u8] = b"\0";

/// One CSV record being written.
pub struct CsvRow<'a> {
    out: &'a mut Vec<u8>,
    first: bool,
}

impl<'a> CsvRow<'a> {
    /// Writes one row's values as a CSV record ending in LF.
    pub fn write<R: TableRow>(row: &R, out: &'a mut Vec<u8>) {
        let mut record = CsvRow { out, first: true };
        row.write_values(&mut record);
        record.out.push(b'\n');
    }

    fn field(&mut self) -> &mut Vec<u8> {
        if !std::mem::take(&mut self.first) {
            self.out.push(b',');
        }
        self.out
    }

    fn integer(&mut self, value: Option<impl itoa::Integer>) -> &mut Self {
        match value {
            Some(value) => self
                .field()
                .extend_from_slice(itoa::Buffer::new().format(value).as_bytes()),
            None => self.field().extend_from_slice(NULL),
        }
        self
    }
}

impl Values for CsvRow<'_> {
    fn text(&mut self, value: Option<&str>) -> &mut Self {
        let Some(value) = value else {
            self.field().extend_from_slice(NULL);
            return self;
        };
        let out = self.field();
        out.push(b'"');
        let mut rest = value.as_bytes();
        while let Some(at) = memchr::memchr(b'"', rest) {
            out.extend_from_slice(&rest[..=at]);
            out.push(b'"');
            rest = &rest[at + 1..];
        }
        out.extend_from_slice(rest);
        out.push(b'"');
        self
    }

    fn int(&mut self, value: Option<i32>) -> &mut Self {
        self.integer(value)
    }

    fn bigint(&mut self, value: Option<i64>) -> &mut Self {
        self.integer(value)
    }

    fn double(&mut self, value: Option<f64>) -> &mut Self {
        match value {
            Some(value) => self
                .field()
                .extend_from_slice(ryu::Buffer::new().format(value).as_bytes()),
            None => self.field().extend_from_slice(NULL),
        }
        self
    }

    fn timestamp(&mut self, value: Timestamp) -> &mut Self {
        self.field()
            .extend_from_slice(value.sql_text().as_str().as_bytes());
        self
    }
}

/// The gzip CSV parts of one table: rows are dealt in turn over one part per slice, so the
/// parts of a group are the same size within a row; when a part's compressed size reaches
/// the part size ([`part_bytes`]), the group is closed and a new one begins. The part count
/// is thus a multiple of the slices, except that the last group's parts no row reached are
/// left out (a table, or a last group, with fewer rows than slices; an empty table has
/// none).
pub struct CsvParts {
    group: Vec<GzEncoder<Vec<u8>>>,
    next: usize,
    record: Vec<u8>,
    part_bytes: usize,
    rows: u64,
    /// Rows in the open group.
    group_rows: u64,
}

impl CsvParts {
    /// Parts for `slices` slices, closing at `part_bytes` compressed.
    pub fn new(slices: usize, part_bytes: usize) -> CsvParts {
        CsvParts {
            group: Self::group(slices.max(1)),
            next: 0,
            record: Vec::new(),
            part_bytes,
            rows: 0,
            group_rows: 0,
        }
    }

    fn group(slices: usize) -> Vec<GzEncoder<Vec<u8>>> {
        (0..slices)
            .map(|_| GzEncoder::new(Vec::new(), Compression::fast()))
            .collect()
    }

    /// Adds a row; gives the group's finished parts when this row closed it.
    pub fn push<R: TableRow>(&mut self, row: &R) -> std::io::Result<Vec<Vec<u8>>> {
        self.record.clear();
        CsvRow::write(row, &mut self.record);
        let slices = self.group.len();
        let part = &mut self.group[self.next];
        part.write_all(&self.record)?;
        let full = part.get_ref().len() >= self.part_bytes;
        self.rows += 1;
        self.group_rows += 1;
        self.next = (self.next + 1) % slices;
        if self.next == 0 && full {
            let group = std::mem::replace(&mut self.group, Self::group(slices));
            self.group_rows = 0;
            return Self::close(group, slices);
        }
        Ok(Vec::new())
    }

    /// The last group's parts that hold rows, and the rows written in all.
    pub fn finish(self) -> std::io::Result<(Vec<Vec<u8>>, u64)> {
        let reached = self.group_rows.min(self.group.len() as u64) as usize;
        Ok((Self::close(self.group, reached)?, self.rows))
    }

    /// The first `reached` parts of a group, compressed.
    fn close(group: Vec<GzEncoder<Vec<u8>>>, reached: usize) -> std::io::Result<Vec<Vec<u8>>> {
        group
            .into_iter()
            .take(reached)
            .map(GzEncoder::finish)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::UserRow;

    fn csv(row: &UserRow) -> String {
        let mut out = Vec::new();
        CsvRow::write(row, &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn text_is_quoted_and_null_is_a_lone_nul() {
        let row = UserRow {
            user_id: -3,
            first_name: Some("say \"hi\"\r\n,\\N".into()),
            last_name: Some(String::new()),
            gender: None,
            level: Some("\"".into()),
        };
        assert_eq!(
            csv(&row),
            "-3,\"say \"\"hi\"\"\r\n,\\N\",\"\",\0,\"\"\"\"\n"
        );
    }

    #[test]
    fn parts_are_a_multiple_of_the_slices_unless_rows_are_fewer() {
        let row = |user_id| UserRow {
            user_id,
            first_name: None,
            last_name: None,
            gender: None,
            level: None,
        };
        let mut parts = CsvParts::new(4, PART_BYTES);
        for id in 0..10 {
            assert!(parts.push(&row(id)).unwrap().is_empty());
        }
        let (finished, rows) = parts.finish().unwrap();
        assert_eq!((finished.len(), rows), (4, 10));
        let mut few = CsvParts::new(4, PART_BYTES);
        few.push(&row(1)).unwrap();
        assert_eq!(few.finish().unwrap().0.len(), 1);
        assert_eq!(CsvParts::new(4, PART_BYTES).finish().unwrap(), (vec![], 0));
    }

    /// With a part size of one byte, every fourth row closes a group of four parts; the
    /// last group holds only the parts its rows reached.
    #[test]
    fn groups_close_at_the_part_size_and_lose_no_row() {
        let row = |user_id| UserRow {
            user_id,
            first_name: Some(format!("name {user_id}")),
            last_name: None,
            gender: None,
            level: None,
        };
        let mut parts = CsvParts::new(4, 1);
        let mut closed = Vec::new();
        for id in 0..10 {
            closed.push(parts.push(&row(id)).unwrap().len());
        }
        assert_eq!(closed, [0, 0, 0, 4, 0, 0, 0, 4, 0, 0]);
        let (last, rows) = parts.finish().unwrap();
        assert_eq!((last.len(), rows), (2, 10));
        assert_eq!(part_bytes(1), PART_BYTES);
        assert_eq!(part_bytes(32), 16 * 1024 * 1024);
        assert_eq!(part_bytes(4096), 1024 * 1024);
    }
}
