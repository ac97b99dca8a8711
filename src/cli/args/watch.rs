//! `watch`'s flags, and the durations they take.

use std::path::PathBuf;

use clap::Args;

use super::FromToArgs;

#[derive(Args, Clone)]
pub(crate) struct WatchArgs {
    #[command(flatten)]
    pub from_to: FromToArgs,
    /// The SQS queue that S3 event notifications (s3:ObjectCreated:*) of both trees are
    /// sent to [default: find objects by listing every --interval].
    #[arg(long, value_name = "URL")]
    pub queue_url: Option<String>,
    /// Without --queue-url: how often both trees are listed (e.g. 10s, 1m).
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = duration)]
    pub interval: std::time::Duration,
    /// How often both trees are listed whole besides, to find what a lost notification
    /// missed (also at start).
    #[arg(long, value_name = "DURATION", default_value = "1h", value_parser = duration)]
    pub reconcile_interval: std::time::Duration,
    /// Objects in one batch at most.
    #[arg(long, value_name = "N", default_value_t = 500)]
    pub max_batch_objects: usize,
    /// Megabytes (MiB) of objects in one batch at most.
    #[arg(long, value_name = "MIB", default_value_t = 256)]
    pub max_batch_mib: u64,
    /// How long the first object found waits for others before its batch closes anyway.
    #[arg(long, value_name = "DURATION", default_value = "1s", value_parser = duration)]
    pub max_batch_delay: std::time::Duration,
    /// Bad records one batch may skip (written to the reject file); an object whose bad
    /// records alone are more is quarantined.
    #[arg(long, default_value_t = 0)]
    pub max_errors: u64,
    /// Where skipped bad records are added, as JSON lines [default with --max-errors > 0:
    /// sparkify-load-rejects.jsonl].
    #[arg(long, value_name = "PATH")]
    pub reject_file: Option<PathBuf>,
    /// Empty the quarantine first, so that every object in it is tried again.
    #[arg(long)]
    pub retry_quarantined: bool,
    /// Serve Prometheus metrics at http://HOST:PORT/metrics and a liveness probe at
    /// /healthz.
    #[arg(long, value_name = "HOST:PORT")]
    pub metrics_addr: Option<std::net::SocketAddr>,
    /// Song objects fetched at once; log objects, a quarter of this.
    #[arg(long, default_value_t = 32)]
    pub concurrency: usize,
    /// A TOML file of user checks added to the quality gate each batch runs.
    #[arg(long, value_name = "FILE", conflicts_with = "no_checks")]
    pub checks: Option<PathBuf>,
    /// Commit each batch without the quality gate.
    #[arg(long)]
    pub no_checks: bool,
    /// Start even when a tree holds no object yet (refused by default: a wrong path).
    #[arg(long)]
    pub allow_empty: bool,
}

/// A duration as `500ms`, `10s`, `2m`, `1h` (or a number of seconds).
fn duration(text: &str) -> Result<std::time::Duration, String> {
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: f64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a duration such as 500ms, 10s, 2m or 1h"))?;
    let seconds = match unit {
        "ms" => number / 1000.0,
        "" | "s" => number,
        "m" => number * 60.0,
        "h" => number * 3600.0,
        _ => return Err(format!("{text:?}: the unit is one of ms, s, m, h")),
    };
    Ok(std::time::Duration::from_secs_f64(seconds))
}

#[cfg(test)]
mod tests {
    use super::duration;
    use std::time::Duration;

    #[test]
    fn durations_take_a_unit_or_seconds() {
        assert_eq!(duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(duration("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(duration("10"), Ok(Duration::from_secs(10)));
        assert_eq!(duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(duration("1h"), Ok(Duration::from_secs(3600)));
        assert!(duration("1d").unwrap_err().contains("one of ms, s, m, h"));
        assert!(duration("soon").unwrap_err().contains("not a duration"));
    }
}
