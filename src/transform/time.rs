//! `time`: one row per distinct songplay start time, broken into calendar parts.

use crate::model::{TimeRow, Timestamp};

/// Below this many held times, merging never compacts.
const MIN_COMPACT: usize = 1 << 16;

/// The start times seen so far, kept as a vector that is sorted and deduplicated whenever
/// it has doubled: 8 bytes a time, against a hash set's 9 bytes and its doubling on growth.
#[derive(Debug, Default)]
pub struct TimeFold {
    times: Vec<Timestamp>,
    /// How many of `times` were distinct at the last compaction.
    compacted: usize,
}

impl TimeFold {
    pub fn offer(&mut self, start_time: Timestamp) {
        self.times.push(start_time);
    }

    pub fn merge(&mut self, other: TimeFold) {
        self.times.extend(other.times);
        if self.times.len() >= (2 * self.compacted).max(MIN_COMPACT) {
            self.compact();
        }
    }

    fn compact(&mut self) {
        self.times.sort_unstable();
        self.times.dedup();
        self.compacted = self.times.len();
    }

    /// The distinct start times in order; rows are made from them as they are inserted
    /// ([`TimeRow::at`]), so that only the times are ever held.
    pub fn into_times(mut self) -> Vec<Timestamp> {
        self.compact();
        self.times.shrink_to_fit();
        self.times
    }
}

impl TimeRow {
    /// The `time` row of a start time.
    pub fn at(start_time: Timestamp) -> TimeRow {
        TimeRow {
            start_time,
            parts: start_time.parts(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distinct_times_in_order_across_compactions() {
        let mut fold = TimeFold::default();
        // Three merges of overlapping objects, the second large enough to compact.
        for range in [(0..10), (5..MIN_COMPACT as i64 + 5), (3..8)] {
            let mut object = TimeFold::default();
            for millis in range.rev() {
                object.offer(Timestamp::from_epoch_millis(millis).unwrap());
            }
            fold.merge(object);
        }
        let times = fold.into_times();
        let expected: Vec<Timestamp> = (0..MIN_COMPACT as i64 + 5)
            .map(|millis| Timestamp::from_epoch_millis(millis).unwrap())
            .collect();
        assert_eq!(times, expected);
    }
}
