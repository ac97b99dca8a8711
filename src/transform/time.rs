//! `time`: one row per distinct songplay start time, broken into calendar parts.

use std::collections::HashSet;

use crate::model::{TimeRow, Timestamp};

/// The distinct start times seen so far.
#[derive(Debug, Default)]
pub struct TimeFold {
    seen: HashSet<Timestamp>,
}

impl TimeFold {
    pub fn offer(&mut self, start_time: Timestamp) {
        self.seen.insert(start_time);
    }

    pub fn merge(&mut self, other: TimeFold) {
        self.seen.extend(other.seen);
    }

    /// The rows, ordered by start time, made as they are taken: only the distinct times
    /// are held.
    pub fn into_rows(self) -> impl Iterator<Item = TimeRow> + Send {
        let mut times: Vec<Timestamp> = self.seen.into_iter().collect();
        times.sort_unstable();
        times.into_iter().map(|start_time| TimeRow {
            start_time,
            parts: start_time.parts(),
        })
    }
}
