//! What a watcher (or a batch load with `--metrics-file`) tells Prometheus: objects and
//! records loaded per tree, the tables' rows, batches, failures, the quarantine, lag and
//! batch durations, in the Prometheus text format (version 0.0.4), which both a scrape of
//! `/metrics` and node_exporter's textfile collector read. Written here rather than with
//! `prometheus-client`, which writes OpenMetrics: its `# EOF` line and `_total` family
//! names are not what the textfile collector's parser takes.

mod serve;

pub use serve::serve;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime};

use crate::error::{Error, Result};
use crate::report::Report;

/// The longest a batch or a listing may run and the watcher still count as alive.
const LONGEST_BUSY: Duration = Duration::from_secs(30 * 60);

/// The batch-duration histogram's upper bounds, in seconds.
const DURATION_BUCKETS: [f64; 11] = [
    0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0,
];

/// The counters and gauges of one process.
#[derive(Default)]
pub struct Metrics {
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    objects: BTreeMap<&'static str, u64>,
    records: BTreeMap<&'static str, u64>,
    table_rows: Option<crate::report::TableCounts>,
    batches: BTreeMap<&'static str, u64>,
    object_failures: u64,
    bad_records: u64,
    quarantined: u64,
    pending: u64,
    lag_seconds: f64,
    last_success: Option<SystemTime>,
    /// Counts per bucket (the last one is +Inf), and the sum of every duration.
    durations: [u64; DURATION_BUCKETS.len() + 1],
    duration_sum: f64,
    /// When the watcher's loop last ran (`/healthz`).
    beat: Option<Instant>,
    /// Since when a batch or a listing has been running, if one is.
    busy_since: Option<Instant>,
    /// A watcher waiting for another to stop (a standby): alive, loading nothing.
    standby: bool,
}

/// What `/healthz` says of a watcher.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Health {
    /// Its loop ran lately, or a batch or listing is under way, or it stands by.
    Alive(String),
    /// Its loop has not run for this long, or it has not started.
    Stale(String),
}

impl Metrics {
    fn with<T>(&self, change: impl FnOnce(&mut State) -> T) -> T {
        change(&mut self.state.lock().expect("never poisoned"))
    }

    /// A batch (or a load) that committed, as its report tells it.
    pub fn loaded(&self, report: &Report) {
        self.with(|state| {
            *state.objects.entry("song").or_default() += report.songs.objects;
            *state.objects.entry("log").or_default() += report.logs.objects;
            *state.records.entry("song").or_default() += report.songs.records;
            *state.records.entry("log").or_default() += report.logs.records;
            state.table_rows = Some(report.tables);
            state.bad_records += report.bad_records;
            state.last_success = Some(SystemTime::now());
            *state.batches.entry("loaded").or_default() += 1;
            state.observe(report.seconds);
            state.beat = Some(Instant::now());
        });
    }

    /// A batch (or a load) that failed after `seconds`.
    pub fn failed(&self, seconds: f64) {
        self.with(|state| {
            *state.batches.entry("failed").or_default() += 1;
            state.observe(seconds);
            state.beat = Some(Instant::now());
        });
    }

    /// An object that failed to load on its own, to be tried again later.
    pub fn object_failed(&self) {
        self.with(|state| state.object_failures += 1);
    }

    /// What waits: objects found and not loaded (nor quarantined), the oldest of them last
    /// modified `lag` ago, and the quarantine's size.
    pub fn waiting(&self, pending: u64, lag: Duration, quarantined: u64) {
        self.with(|state| {
            state.beat = Some(Instant::now());
            state.pending = pending;
            state.lag_seconds = lag.as_secs_f64();
            state.quarantined = quarantined;
        });
    }

    /// A batch or a listing begins (`true`) or ends: its time counts as alive, up to
    /// [`LONGEST_BUSY`].
    pub fn busy(&self, busy: bool) {
        self.with(|state| {
            state.busy_since = busy.then(Instant::now);
            state.beat = Some(Instant::now());
        });
    }

    /// The watcher waits for another one's lock (`true`), or took it.
    pub fn standby(&self, standby: bool) {
        self.with(|state| {
            state.standby = standby;
            state.beat = Some(Instant::now());
        });
    }

    /// Whether the watcher is alive: its loop ran within `stale_after`, a batch or listing
    /// has run for less than [`LONGEST_BUSY`], or it stands by.
    pub fn health(&self, stale_after: Duration) -> Health {
        self.with(|state| {
            if state.standby {
                return Health::Alive("standby: another watcher holds the schema".into());
            }
            if let Some(since) = state.busy_since.map(|t| t.elapsed()) {
                if since < LONGEST_BUSY {
                    let seconds = since.as_secs();
                    return Health::Alive(format!("ok: a batch or listing has run {seconds} s"));
                }
                let seconds = since.as_secs();
                return Health::Stale(format!("a batch or listing has run {seconds} s"));
            }
            match state.beat.map(|beat| beat.elapsed()) {
                Some(since) if since <= stale_after => Health::Alive("ok".into()),
                Some(since) => Health::Stale(format!(
                    "the watcher's loop last ran {} s ago",
                    since.as_secs()
                )),
                None => Health::Stale("the watcher has not started yet".into()),
            }
        })
    }

    /// The text format, every metric with its HELP and TYPE.
    pub fn render(&self) -> String {
        self.with(|state| state.render())
    }

    /// Writes the metrics to `path` for node_exporter's textfile collector: into a
    /// temporary file beside it, then renamed over it, so the collector never reads half.
    pub fn write_file(&self, path: &Path) -> Result<()> {
        let output = |source| Error::Output {
            path: path.to_path_buf(),
            source,
        };
        let name = path.file_name().map_or_else(
            || "metrics".into(),
            |name| name.to_string_lossy().into_owned(),
        );
        let temporary = path.with_file_name(format!(".{name}.{}", std::process::id()));
        std::fs::write(&temporary, self.render()).map_err(output)?;
        std::fs::rename(&temporary, path).map_err(output)
    }
}

impl State {
    fn observe(&mut self, seconds: f64) {
        let bucket = DURATION_BUCKETS
            .iter()
            .position(|bound| seconds <= *bound)
            .unwrap_or(DURATION_BUCKETS.len());
        self.durations[bucket] += 1;
        self.duration_sum += seconds;
    }

    fn render(&self) -> String {
        let mut out = String::new();
        self.render_loaded(&mut out);
        self.render_waiting(&mut out);
        self.render_durations(&mut out);
        out
    }

    /// What was loaded: objects, records, the tables' rows, batches, failures.
    fn render_loaded(&self, out: &mut String) {
        family(
            out,
            (
                "objects_loaded_total",
                "counter",
                "Objects loaded, by tree.",
            ),
            by("tree", &self.objects, &["song", "log"]),
        );
        family(
            out,
            (
                "records_loaded_total",
                "counter",
                "Good records read from loaded objects, by tree.",
            ),
            by("tree", &self.records, &["song", "log"]),
        );
        if let Some(t) = &self.table_rows {
            let rows = [
                ("songplays", t.songplays),
                ("users", t.users),
                ("songs", t.songs),
                ("artists", t.artists),
                ("time", t.time),
            ];
            let help = "Rows in each star table after the last batch that loaded.";
            let samples = rows
                .iter()
                .map(|(table, n)| (format!("{{table=\"{table}\"}}"), n.to_string()))
                .collect();
            family(out, ("table_rows", "gauge", help), samples);
        }
        let help = "Batches (or loads) that ended, by status.";
        let batches = by("status", &self.batches, &["loaded", "failed"]);
        family(out, ("batches_total", "counter", help), batches);
        family(
            out,
            (
                "object_failures_total",
                "counter",
                "Objects whose read or load failed on their own, each then tried again later.",
            ),
            one(self.object_failures),
        );
        family(
            out,
            (
                "bad_records_total",
                "counter",
                "Bad records skipped under --max-errors (written to the reject file).",
            ),
            one(self.bad_records),
        );
    }

    /// What waits: the quarantine, the objects not loaded yet, the lag, the last success.
    fn render_waiting(&self, out: &mut String) {
        family(
            out,
            (
                "quarantined_objects",
                "gauge",
                "Objects in the quarantine table, not loaded until they change or are cleared.",
            ),
            one(self.quarantined),
        );
        family(
            out,
            (
                "pending_objects",
                "gauge",
                "Objects found and not loaded yet (the quarantined left out).",
            ),
            one(self.pending),
        );
        family(
            out,
            (
                "lag_seconds",
                "gauge",
                "Now minus the last-modified time of the oldest object not loaded yet (0 when none waits).",
            ),
            one(self.lag_seconds),
        );
        let last = self
            .last_success
            .and_then(|t| t.duration_since(SystemTime::UNIX_EPOCH).ok())
            .map_or(0.0, |since| since.as_secs_f64());
        family(
            out,
            (
                "last_success_timestamp_seconds",
                "gauge",
                "When the last batch (or load) committed, in seconds since the epoch (0: none yet).",
            ),
            one(last),
        );
    }

    /// The batch durations' histogram: cumulative buckets, their sum and count.
    fn render_durations(&self, out: &mut String) {
        let mut cumulative = 0;
        let mut samples = Vec::new();
        for (i, count) in self.durations.iter().enumerate() {
            cumulative += count;
            let bound = DURATION_BUCKETS
                .get(i)
                .map_or("+Inf".to_string(), |b| b.to_string());
            samples.push((format!("_bucket{{le=\"{bound}\"}}"), cumulative.to_string()));
        }
        samples.push(("_sum".to_string(), self.duration_sum.to_string()));
        samples.push(("_count".to_string(), cumulative.to_string()));
        let help = "How long each batch (or load) took, loaded or failed.";
        family(out, ("batch_duration_seconds", "histogram", help), samples);
    }
}

/// One metric family: its HELP and TYPE lines, then its samples (labels or suffix, value).
fn family(
    out: &mut String,
    (name, kind, help): (&str, &str, &str),
    samples: Vec<(String, String)>,
) {
    let _ = writeln!(out, "# HELP sparkify_load_{name} {help}");
    let _ = writeln!(out, "# TYPE sparkify_load_{name} {kind}");
    for (labels, value) in samples {
        let _ = writeln!(out, "sparkify_load_{name}{labels} {value}");
    }
}

/// A sample per key, labelled `label`, 0 for a key not counted yet.
fn by(label: &str, values: &BTreeMap<&'static str, u64>, keys: &[&str]) -> Vec<(String, String)> {
    keys.iter()
        .map(|key| {
            let value = values.get(key).copied().unwrap_or(0);
            (format!("{{{label}=\"{key}\"}}"), value.to_string())
        })
        .collect()
}

/// The one sample of a family without labels.
fn one(value: impl ToString) -> Vec<(String, String)> {
    vec![(String::new(), value.to_string())]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_histogram_counts_each_duration_in_its_bucket_and_above() {
        let metrics = Metrics::default();
        metrics.failed(0.3);
        metrics.failed(7.0);
        metrics.failed(1000.0);
        let text = metrics.render();
        for line in [
            "sparkify_load_batch_duration_seconds_bucket{le=\"0.25\"} 0",
            "sparkify_load_batch_duration_seconds_bucket{le=\"0.5\"} 1",
            "sparkify_load_batch_duration_seconds_bucket{le=\"10\"} 2",
            "sparkify_load_batch_duration_seconds_bucket{le=\"300\"} 2",
            "sparkify_load_batch_duration_seconds_bucket{le=\"+Inf\"} 3",
            "sparkify_load_batch_duration_seconds_sum 1007.3",
            "sparkify_load_batch_duration_seconds_count 3",
            "sparkify_load_batches_total{status=\"failed\"} 3",
            "sparkify_load_batches_total{status=\"loaded\"} 0",
            "# TYPE sparkify_load_batch_duration_seconds histogram",
        ] {
            assert!(text.lines().any(|l| l == line), "{line} in\n{text}");
        }
    }
}
