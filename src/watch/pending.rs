//! The objects a watcher has found and not loaded yet, and how they are cut into batches:
//! songs before the logs whose plays need them, a batch closed by count, bytes or delay,
//! whichever comes first; an object that failed on its own waits out its backoff and
//! holds back no other.

use std::collections::BTreeMap;
use std::time::{Duration, Instant, SystemTime};

use crate::source::Entry;

/// Which tree an object is in. Songs sort first: a batch takes them before logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Tree {
    Song,
    Log,
}

impl Tree {
    /// As the manifest and the quarantine name it.
    pub fn name(self) -> &'static str {
        match self {
            Tree::Song => "song",
            Tree::Log => "log",
        }
    }
}

/// When a batch closes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchLimits {
    /// Objects in one batch at most.
    pub objects: usize,
    /// Bytes in one batch at most (a larger object is a batch of its own).
    pub bytes: u64,
    /// How long the first object found waits for others before its batch closes anyway.
    pub delay: Duration,
}

/// The longest an object waits between two tries.
const MAX_BACKOFF: Duration = Duration::from_secs(300);

#[derive(Debug)]
struct Waiting {
    entry: Entry,
    found: Instant,
    /// Failed tries so far, and when the next may start.
    retry: Option<(u32, Instant)>,
}

/// The objects waiting to be loaded, by (tree, key).
#[derive(Debug, Default)]
pub(super) struct Pending {
    objects: BTreeMap<(Tree, String), Waiting>,
}

impl Pending {
    /// An object found new; a version other than the one waiting replaces it (and its
    /// backoff: it is another object now).
    pub(super) fn offer(&mut self, tree: Tree, entry: Entry, now: Instant) {
        let slot = (tree, entry.key.clone());
        match self.objects.get_mut(&slot) {
            Some(waiting) if waiting.entry.version == entry.version => {}
            Some(waiting) => {
                waiting.entry = entry;
                waiting.retry = None;
            }
            None => {
                self.objects.insert(
                    slot,
                    Waiting {
                        entry,
                        found: now,
                        retry: None,
                    },
                );
            }
        }
    }

    pub(super) fn remove(&mut self, tree: Tree, key: &str) {
        self.objects.remove(&(tree, key.to_string()));
    }

    /// Keeps only the objects `still_new` says are still to load (a listing found the
    /// others loaded by another run, quarantined or gone).
    pub(super) fn retain(&mut self, still_new: impl Fn(Tree, &str) -> bool) {
        self.objects.retain(|(tree, key), _| still_new(*tree, key));
    }

    pub(super) fn contains(&self, tree: Tree, key: &str) -> bool {
        self.objects.contains_key(&(tree, key.to_string()))
    }

    pub(super) fn len(&self) -> usize {
        self.objects.len()
    }

    /// The next batch if one is due now: the waiting objects not in backoff, songs first,
    /// up to the limits. It is due when it is full, when `closing` (a listing found all
    /// there is), or when its oldest object has waited the delay.
    pub(super) fn due(
        &self,
        limits: &BatchLimits,
        now: Instant,
        closing: bool,
    ) -> Option<Vec<(Tree, Entry)>> {
        let mut batch = Vec::new();
        let (mut bytes, mut oldest) = (0u64, None::<Instant>);
        let mut full = false;
        for ((tree, _), waiting) in &self.objects {
            if waiting.retry.is_some_and(|(_, next)| next > now) {
                continue;
            }
            if batch.len() == limits.objects
                || (!batch.is_empty() && bytes + waiting.entry.size > limits.bytes)
            {
                full = true;
                break;
            }
            bytes += waiting.entry.size;
            oldest = Some(oldest.map_or(waiting.found, |o: Instant| o.min(waiting.found)));
            batch.push((*tree, waiting.entry.clone()));
        }
        let waited = oldest.is_some_and(|found| now >= found + limits.delay);
        let due = full || bytes >= limits.bytes || batch.len() == limits.objects;
        (!batch.is_empty() && (due || closing || waited)).then_some(batch)
    }

    /// When the next batch falls due by delay or backoff, if anything waits.
    pub(super) fn next_due(&self, limits: &BatchLimits) -> Option<Instant> {
        self.objects
            .values()
            .map(|waiting| match waiting.retry {
                Some((_, next)) => next,
                None => waiting.found + limits.delay,
            })
            .min()
    }

    /// An object that failed on its own: it waits twice as long as last time (1 s first,
    /// five minutes at most) before it is tried again. Gives the wait.
    pub(super) fn failed(&mut self, tree: Tree, key: &str, now: Instant) -> Duration {
        let Some(waiting) = self.objects.get_mut(&(tree, key.to_string())) else {
            return Duration::ZERO;
        };
        let failures = waiting.retry.map_or(0, |(n, _)| n) + 1;
        let wait = Duration::from_secs(1u64 << failures.min(16).saturating_sub(1)).min(MAX_BACKOFF);
        waiting.retry = Some((failures, now + wait));
        wait
    }

    /// Now minus the last-modified time of the oldest object waiting (zero when none does,
    /// or none says when it was modified).
    pub(super) fn lag(&self, now: SystemTime) -> Duration {
        self.objects
            .values()
            .filter_map(|waiting| waiting.entry.modified)
            .min()
            .and_then(|oldest| now.duration_since(oldest).ok())
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(key: &str, size: u64) -> Entry {
        Entry {
            key: key.into(),
            size,
            version: "v1".into(),
            modified: None,
        }
    }

    const LIMITS: BatchLimits = BatchLimits {
        objects: 2,
        bytes: 100,
        delay: Duration::from_secs(5),
    };

    fn keys(batch: &[(Tree, Entry)]) -> Vec<String> {
        batch.iter().map(|(_, e)| e.key.clone()).collect()
    }

    #[test]
    fn songs_go_first_and_a_batch_closes_by_count_bytes_or_delay() {
        let now = Instant::now();
        let mut pending = Pending::default();
        pending.offer(Tree::Log, entry("a-log.json", 10), now);
        assert!(pending.due(&LIMITS, now, false).is_none(), "waits for more");
        let later = now + Duration::from_secs(5);
        assert_eq!(
            keys(&pending.due(&LIMITS, later, false).unwrap()),
            ["a-log.json"]
        );
        assert_eq!(
            keys(&pending.due(&LIMITS, now, true).unwrap()),
            ["a-log.json"]
        );
        pending.offer(Tree::Song, entry("z-song.json", 10), now);
        pending.offer(Tree::Song, entry("y-song.json", 10), now);
        assert_eq!(
            keys(&pending.due(&LIMITS, now, false).unwrap()),
            ["y-song.json", "z-song.json"],
            "full by count, songs first"
        );
        let mut big = Pending::default();
        big.offer(Tree::Log, entry("big.json", 500), now);
        big.offer(Tree::Log, entry("small.json", 1), now);
        assert_eq!(keys(&big.due(&LIMITS, now, false).unwrap()), ["big.json"]);
    }

    #[test]
    fn a_failed_object_waits_out_its_backoff_and_holds_back_no_other() {
        let now = Instant::now();
        let mut pending = Pending::default();
        pending.offer(Tree::Log, entry("bad.json", 1), now);
        pending.offer(Tree::Log, entry("good.json", 1), now);
        assert_eq!(
            pending.failed(Tree::Log, "bad.json", now),
            Duration::from_secs(1)
        );
        assert_eq!(
            keys(&pending.due(&LIMITS, now, true).unwrap()),
            ["good.json"]
        );
        assert_eq!(
            pending.failed(Tree::Log, "bad.json", now),
            Duration::from_secs(2)
        );
        let after = now + Duration::from_secs(2);
        assert_eq!(
            keys(&pending.due(&LIMITS, after, true).unwrap()),
            ["bad.json", "good.json"]
        );
        for _ in 0..20 {
            pending.failed(Tree::Log, "bad.json", now);
        }
        assert_eq!(pending.failed(Tree::Log, "bad.json", now), MAX_BACKOFF);
    }
}
