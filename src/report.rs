//! The run report: what was read, what was loaded, what was rejected, and where the
//! time went; printed for people and written as JSON with `--report`.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use serde::Serialize;

/// Rows in each table of the loaded star schema.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct TableCounts {
    pub songplays: u64,
    pub users: u64,
    pub songs: u64,
    pub artists: u64,
    pub time: u64,
}

/// What one source tree held.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SourceSummary {
    pub uri: String,
    pub objects: u64,
    pub bytes: u64,
    pub records: u64,
    /// Keys that are not `.json` objects, left unread.
    pub ignored_keys: Vec<String>,
    /// A rebuild's objects as listed, in the order read, for the manifest.
    #[serde(skip)]
    pub listed: Vec<crate::source::Entry>,
    /// The content fingerprints of the local objects read, by their rank in the order read.
    #[serde(skip)]
    pub fingerprints: Vec<(u32, String)>,
    /// Incremental runs: the tree's objects against the manifest.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub manifest: Option<ObjectCounts>,
}

/// An incremental run's objects of one tree: read now, loaded by earlier runs, and changed
/// since they were loaded (a run with any changed object fails, so a report shows 0).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ObjectCounts {
    pub new: u64,
    pub already_loaded: u64,
    pub changed: u64,
}

/// One stage's wall time. Stages overlap where the pipeline overlaps them.
#[derive(Debug, Clone, Serialize)]
pub struct Stage {
    pub name: &'static str,
    pub seconds: f64,
}

/// The report of a successful load.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub mode: &'static str,
    /// The target without secrets: `user@host:port/db`.
    pub target: String,
    pub schema: String,
    pub tables: TableCounts,
    pub songs: SourceSummary,
    pub logs: SourceSummary,
    pub bad_records: u64,
    pub reject_file: Option<PathBuf>,
    pub stages: Vec<Stage>,
    pub seconds: f64,
    /// The loader's peak resident memory (Linux), in MiB.
    pub peak_rss_mib: Option<f64>,
    /// A sharded load's worker or merge: which run, which shard.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shards: Option<Shards>,
}

/// Where a report stands in a sharded load.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Shards {
    pub run_id: String,
    /// The worker's shard; `None` for the merge.
    pub shard: Option<u32>,
    pub count: u32,
}

/// What `--report FILE` holds for every run, loaded or failed: how it ended, which run,
/// which version of the tool, when (UTC, RFC 3339), and the load's report when there is one.
#[derive(Debug, Serialize)]
pub struct RunRecord<'a> {
    /// `loaded` or `failed`.
    pub status: &'static str,
    /// The error of a failed run, as the user read it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub run_id: &'a str,
    pub version: &'static str,
    pub started_at: String,
    pub finished_at: String,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub report: Option<&'a Report>,
}

impl<'a> RunRecord<'a> {
    /// The record of run `run_id`, begun at `started_at` ([`now`]) and ending now.
    pub fn new(
        run_id: &'a str,
        started_at: String,
        outcome: Result<&'a Report, String>,
    ) -> RunRecord<'a> {
        let (status, report, error) = match outcome {
            Ok(report) => ("loaded", Some(report), None),
            Err(error) => ("failed", None, Some(error)),
        };
        RunRecord {
            status,
            error,
            run_id,
            version: env!("CARGO_PKG_VERSION"),
            started_at,
            finished_at: now(),
            report,
        }
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a run record always serializes")
    }
}

/// The time now, UTC, in RFC 3339 to the millisecond.
pub fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

impl Report {
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a report always serializes")
    }
}

/// This process's peak resident set so far, from `/proc/self/status` (`VmHWM`).
pub(crate) fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

pub(crate) fn stage(name: &'static str, took: Duration) -> Stage {
    Stage {
        name,
        seconds: took.as_secs_f64(),
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.headline(f)?;
        let t = &self.tables;
        let worker = matches!(&self.shards, Some(Shards { shard: Some(_), .. }));
        // A worker's rows wait in its shard's tables: the five tables are not its counts.
        if !worker {
            for (table, rows) in [
                ("songplays", t.songplays),
                ("users", t.users),
                ("songs", t.songs),
                ("artists", t.artists),
                ("time", t.time),
            ] {
                writeln!(f, "  {table:<10} {rows:>12} rows")?;
            }
        }
        for (name, source) in [("song data", &self.songs), ("log data", &self.logs)] {
            write_source(f, name, source)?;
        }
        match &self.reject_file {
            Some(path) if self.bad_records > 0 => writeln!(
                f,
                "  skipped {} bad records, written to {}",
                self.bad_records,
                path.display()
            )?,
            _ => writeln!(f, "  bad records: {}", self.bad_records)?,
        }
        if let Some(rss) = self.peak_rss_mib {
            writeln!(f, "  peak memory: {rss:.0} MiB")?;
        }
        let stages: Vec<String> = self
            .stages
            .iter()
            .map(|s| format!("{} {:.2} s", s.name, s.seconds))
            .collect();
        write!(f, "  stages: {}", stages.join(", "))
    }
}

impl Report {
    /// The report's first line: what was loaded (or written, or merged), where, how fast.
    fn headline(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.shards {
            Some(Shards {
                run_id,
                shard: Some(shard),
                count,
            }) => writeln!(
                f,
                "shard {shard} of {count} (numbered from 0) of run {run_id} written to {} \
                 (schema {}) in {:.2} s; once all {count} have finished, a merge of the run \
                 loads them",
                self.target, self.schema, self.seconds
            )?,
            Some(Shards { run_id, count, .. }) => writeln!(
                f,
                "merged the {count} shards of run {run_id} into {} (schema {}) in {:.2} s",
                self.target, self.schema, self.seconds
            )?,
            None => writeln!(
                f,
                "loaded {} ({} mode, schema {}) in {:.2} s",
                self.target, self.mode, self.schema, self.seconds
            )?,
        }
        Ok(())
    }
}

/// What one tree held, as the report's lines say it.
fn write_source(f: &mut fmt::Formatter<'_>, name: &str, source: &SourceSummary) -> fmt::Result {
    writeln!(
        f,
        "  {name}: {} objects, {} records, {} bytes from {}",
        source.objects, source.records, source.bytes, source.uri
    )?;
    if let Some(counts) = &source.manifest {
        writeln!(
            f,
            "    objects: {} new, {} already loaded, {} changed",
            counts.new, counts.already_loaded, counts.changed
        )?;
    }
    if !source.ignored_keys.is_empty() {
        writeln!(
            f,
            "    ignored {} other keys: {}",
            source.ignored_keys.len(),
            source.ignored_keys.join(", ")
        )?;
    }
    Ok(())
}
