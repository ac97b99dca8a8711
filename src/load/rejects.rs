//! Bad records as a load meets them: counted against `--max-errors`, and written whole
//! to the reject file.

use std::path::Path;

use crate::error::{Error, Result};
use crate::parse::BadRecord;

/// Bad records so far, and whether the load may go on (Redshift's MAXERROR).
pub(crate) struct Rejects {
    max_errors: u64,
    pub(crate) records: Vec<BadRecord>,
}

impl Rejects {
    pub(crate) fn new(max_errors: u64) -> Self {
        Rejects {
            max_errors,
            records: Vec::new(),
        }
    }

    /// Counts more bad records; fails the load once they are more than `--max-errors`.
    pub(crate) fn add(&mut self, bad: Vec<BadRecord>) -> Result<()> {
        for record in &bad {
            tracing::debug!(key = %record.key, line = record.line, reason = %record.reason, "bad record");
        }
        self.records.extend(bad);
        if self.records.len() as u64 > self.max_errors {
            // Objects are read concurrently: name the first bad record in (key, line) order.
            let first = self
                .records
                .iter()
                .min_by(|a, b| (&a.key, a.line).cmp(&(&b.key, b.line)));
            return Err(Error::BadInput {
                first: Box::new(first.expect("at least one bad record").clone()),
                count: self.records.len() as u64,
                max_errors: self.max_errors,
            });
        }
        Ok(())
    }

    /// Writes the bad records, in (key, line) order, as JSON lines; nothing when there
    /// are none or no file was asked for.
    pub(crate) fn write(&self, path: Option<&Path>) -> Result<()> {
        let Some(path) = path else { return Ok(()) };
        if self.records.is_empty() {
            return Ok(());
        }
        let mut sorted: Vec<&BadRecord> = self.records.iter().collect();
        sorted.sort_by(|a, b| (&a.key, a.line).cmp(&(&b.key, b.line)));
        let mut text = String::new();
        for record in sorted {
            text.push_str(&serde_json::to_string(record).expect("a bad record always serializes"));
            text.push('\n');
        }
        std::fs::write(path, text).map_err(|source| Error::Output {
            path: path.to_path_buf(),
            source,
        })?;
        tracing::info!(path = %path.display(), records = self.records.len(), "rejects written");
        Ok(())
    }
}
