//! `time`: one row per distinct songplay start time, broken into calendar parts.

use foldhash::HashSet;

use crate::model::Timestamp;

/// The distinct start times seen so far, so that each one's `time` row can be sent as soon
/// as its first play is seen rather than after the last event.
#[derive(Debug, Default)]
pub struct TimeSet {
    seen: HashSet<Timestamp>,
}

impl TimeSet {
    /// Keeps the times of `times` not seen before, in their order, and notes them seen.
    pub fn first_seen(&mut self, mut times: Vec<Timestamp>) -> Vec<Timestamp> {
        times.retain(|&time| self.seen.insert(time));
        times
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(millis: i64) -> Timestamp {
        Timestamp::from_epoch_millis(millis).unwrap()
    }

    #[test]
    fn each_time_is_first_seen_once_in_its_objects_order() {
        let mut set = TimeSet::default();
        assert_eq!(
            set.first_seen(vec![at(5), at(1), at(3)]),
            [at(5), at(1), at(3)]
        );
        assert_eq!(
            set.first_seen(vec![at(3), at(7), at(1), at(9)]),
            [at(7), at(9)]
        );
        assert_eq!(set.first_seen(vec![at(9), at(5)]), []);
        let all = vec![at(1), at(3), at(5), at(7), at(9)];
        assert_eq!(set.first_seen(all), []);
    }
}
