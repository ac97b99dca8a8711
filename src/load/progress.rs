//! Progress bars on standard error, and the one way log lines get past them: a line
//! written through [`suspend`] clears the bars, prints, and redraws them, so it never
//! tears one.

use std::sync::Mutex;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

/// The bars being drawn now, if any.
static ACTIVE: Mutex<Option<MultiProgress>> = Mutex::new(None);

/// Runs `write` (a log line) with the bars cleared, then redraws them.
pub fn suspend<R>(write: impl FnOnce() -> R) -> R {
    let active = ACTIVE.lock().map(|bars| bars.clone()).unwrap_or(None);
    match active {
        Some(bars) => bars.suspend(write),
        None => write(),
    }
}

/// Progress bars on standard error when asked for, nothing otherwise.
pub(crate) struct Progress {
    bars: Option<MultiProgress>,
}

impl Progress {
    pub(crate) fn new(enabled: bool) -> Self {
        let bars = enabled.then(|| MultiProgress::with_draw_target(ProgressDrawTarget::stderr()));
        if let (Some(bars), Ok(mut active)) = (&bars, ACTIVE.lock()) {
            *active = Some(bars.clone());
        }
        Progress { bars }
    }

    /// A bar of objects whose length grows as keys are listed, with the tree's records
    /// and bytes per second ([`throughput`]) and the time left at the rate so far.
    pub(crate) fn bar(&self, name: &str) -> ProgressBar {
        let Some(bars) = &self.bars else {
            return ProgressBar::hidden();
        };
        let style = ProgressStyle::with_template(
            "{prefix:>7} [{bar:30}] {pos}/{len} objects  {msg}  {elapsed} (eta {eta})",
        )
        .expect("a valid template")
        .progress_chars("=> ");
        bars.add(
            ProgressBar::new(0)
                .with_style(style)
                .with_prefix(name.to_string()),
        )
    }
}

/// `1234 records/s, 5.6 MiB/s`: a tree's read rate so far.
pub(crate) fn throughput(records: u64, bytes: u64, elapsed: std::time::Duration) -> String {
    let seconds = elapsed.as_secs_f64().max(1e-3);
    format!(
        "{:.0} records/s, {}/s",
        records as f64 / seconds,
        indicatif::BinaryBytes((bytes as f64 / seconds) as u64)
    )
}

impl Drop for Progress {
    fn drop(&mut self) {
        if self.bars.is_some() {
            if let Ok(mut active) = ACTIVE.lock() {
                *active = None;
            }
        }
    }
}
