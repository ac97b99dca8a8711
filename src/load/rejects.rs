//! Bad records as a load meets them: counted against `--max-errors`, and written whole
//! to the reject file.

use std::path::PathBuf;

use crate::config::LoadConfig;
use crate::error::{Error, Result};
use crate::parse::BadRecord;

/// Bad records so far, and whether the load may go on (Redshift's MAXERROR).
pub(crate) struct Rejects {
    max_errors: u64,
    /// `--reject-file`: where they are written.
    file: Option<PathBuf>,
    /// Whether the file is added to (a watcher's batches) rather than replaced (a load).
    append: bool,
    pub(crate) records: Vec<BadRecord>,
}

impl Rejects {
    pub(crate) fn new(max_errors: u64, file: Option<PathBuf>) -> Self {
        Rejects {
            max_errors,
            file,
            append: false,
            records: Vec::new(),
        }
    }

    /// The rejects of a load as `config` says: its `--max-errors` and reject file.
    pub(crate) fn of(config: &LoadConfig) -> Self {
        Rejects {
            append: config.append_rejects,
            ..Rejects::new(config.max_errors, config.reject_file.clone())
        }
    }

    /// Ends a reading: writes the bad records whether or not `read` failed (a load that
    /// failed on them leaves them on disk too), then gives `read`'s outcome, or the
    /// write's failure. The one place the reject file is written: every route settles its
    /// rejects before anything it read can be moved in, so a load whose reject file cannot
    /// be written changes nothing.
    pub(crate) fn settle<T>(&self, read: Result<T>) -> Result<T> {
        let written = self.write();
        let value = read?;
        written?;
        Ok(value)
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
    fn write(&self) -> Result<()> {
        let Some(path) = &self.file else {
            return Ok(());
        };
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
        let written = match self.append {
            true => std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .and_then(|mut file| std::io::Write::write_all(&mut file, text.as_bytes())),
            false => std::fs::write(path, text),
        };
        written.map_err(|source| Error::Output {
            path: path.clone(),
            source,
        })?;
        tracing::info!(path = %path.display(), records = self.records.len(), "rejects written");
        Ok(())
    }
}
