//! One watcher batch: the due objects merged in as one incremental run, and what a
//! failure means: a batch that fails on an object (bad input, a source, a quality check) is
//! split so that each object is tried alone; an object that fails alone is quarantined (bad
//! beyond `--max-errors`) or waits out its backoff (it could not be read, or failed a
//! check); a failure of the target pauses the watcher.

use std::time::{Duration, Instant};

use super::pending::Tree;
use super::Watcher;
use crate::error::{sentence_chain, Error, ManifestError, Result};
use crate::report::Report;
use crate::source::Entry;

/// How long a batch in flight when the watcher is stopped may take to finish before it is
/// cancelled (and rolled back, within the wind-down's 4 s: a stop takes 10 s at most).
const FINISH_GRACE: Duration = Duration::from_secs(5);

/// The longest pause after failures of the target.
const MAX_TARGET_PAUSE: Duration = Duration::from_secs(60);

/// How one try of a batch ended.
enum Tried {
    /// Nothing more to do with it: it loaded, or its one object was settled.
    Settled,
    /// It failed because of its objects: each is tried alone.
    Split,
    /// It failed on the target: the watcher pauses.
    TargetFailed,
    Stopped,
}

impl Watcher<'_> {
    /// Loads every batch that is due (`closing`: whatever waits is due, as after a
    /// listing), until none is or the watcher is stopped.
    pub(crate) async fn load_due(&mut self, closing: bool) -> Result<()> {
        while !self.stopped() {
            let Some(batch) = self
                .pending
                .due(&self.config.limits, Instant::now(), closing)
            else {
                break;
            };
            match self.try_batch(&batch).await {
                Tried::Settled => self.target_failures = 0,
                Tried::Split => {
                    for object in batch {
                        if self.stopped() {
                            break;
                        }
                        if let Tried::TargetFailed = self.try_batch(&[object]).await {
                            self.pause_after_target_failure().await;
                        }
                    }
                }
                Tried::TargetFailed => self.pause_after_target_failure().await,
                Tried::Stopped => break,
            }
        }
        self.report_waiting();
        Ok(())
    }

    /// After the target failed: waits 1 s, then twice as long each time in a row (a minute
    /// at most), the objects still waiting.
    pub(crate) async fn pause_after_target_failure(&mut self) {
        self.target_failures += 1;
        let pause = Duration::from_secs(1 << self.target_failures.min(6).saturating_sub(1))
            .min(MAX_TARGET_PAUSE);
        tracing::warn!(
            seconds = pause.as_secs(),
            "the target failed; the watcher tries again after a pause"
        );
        self.pause_until(Instant::now() + pause).await;
    }

    /// Tries one batch and settles its objects by the outcome.
    async fn try_batch(&mut self, batch: &[(Tree, Entry)]) -> Tried {
        let started = Instant::now();
        self.metrics.busy(true);
        let outcome = self.run_batch(batch).await;
        self.metrics.busy(false);
        match outcome {
            Ok(report) => {
                self.loaded(batch, &report);
                Tried::Settled
            }
            Err(err) => {
                self.metrics.failed(started.elapsed().as_secs_f64());
                self.failed(batch, &err).await
            }
        }
    }

    /// The batch's load, given up to [`FINISH_GRACE`] to finish once the watcher is
    /// stopped, then cancelled.
    async fn run_batch(&self, batch: &[(Tree, Entry)]) -> Result<Report> {
        let mut config = self.config.load.clone();
        config.run_id = format!("{:08x}", rand::random::<u32>());
        config.append_rejects = true;
        let pick = |tree: Tree| -> Vec<Entry> {
            batch
                .iter()
                .filter(|(t, _)| *t == tree)
                .map(|(_, entry)| entry.clone())
                .collect()
        };
        let objects = (pick(Tree::Song), pick(Tree::Log));
        let epilogue = self.quarantine.release_loaded();
        let load = crate::load::load_batch(&config, self.database, objects, epilogue);
        tokio::pin!(load);
        let mut stop = self.stop.clone();
        let signal = tokio::select! {
            done = &mut load => return done,
            signal = stop.wait_for(Option::is_some) => signal.map_or("SIGTERM", |s| s.unwrap_or("SIGTERM")),
        };
        if let Ok(done) = tokio::time::timeout(FINISH_GRACE, &mut load).await {
            return done;
        }
        tracing::warn!(
            "the batch in flight did not finish in time: it is cancelled and rolled back"
        );
        crate::db::cancel::cancel_all(signal).await;
        load.await
    }

    /// A batch committed: its objects are loaded (and out of the quarantine).
    fn loaded(&mut self, batch: &[(Tree, Entry)], report: &Report) {
        for (tree, entry) in batch {
            self.pending.remove(*tree, &entry.key);
            self.held
                .remove(&(tree.name().to_string(), entry.key.clone()));
            // An object the manifest holds in another version was left out by the batch
            // (changed since it was loaded): the manifest keeps what it has.
            let slot = (tree.name().to_string(), entry.key.clone());
            self.known
                .entry(slot)
                .or_insert_with(|| (entry.size, entry.version.clone()));
        }
        self.metrics.loaded(report);
        let t = &report.tables;
        (self.say)(&format!(
            "batch loaded: {} song and {} log object(s), {} bad record(s) in {:.2} s; now \
             songplays {}, users {}, songs {}, artists {}, time {}; {} object(s) waiting, {} \
             quarantined",
            report.songs.objects,
            report.logs.objects,
            report.bad_records,
            report.seconds,
            t.songplays,
            t.users,
            t.songs,
            t.artists,
            t.time,
            self.pending.len(),
            self.held.len()
        ));
    }

    /// A batch failed with `err`: what that means for its objects.
    async fn failed(&mut self, batch: &[(Tree, Entry)], err: &Error) -> Tried {
        if self.stopped() || matches!(err, Error::Interrupted { .. }) {
            return Tried::Stopped;
        }
        if let Error::Manifest(manifest) = err {
            if let ManifestError::StateMissing { .. } = **manifest {
                return self.catch_up().await;
            }
        }
        // A failed quality check may be one object's doing: the batch is split so the
        // others load, and an object that fails it alone waits out a backoff (it is not
        // quarantined: a check can fail on what the tables already hold).
        let on_objects = matches!(
            err,
            Error::BadInput { .. } | Error::Source(_) | Error::Check(_)
        );
        match (on_objects, batch) {
            (false, _) => {
                (self.say)(&format!("batch failed: {}", sentence_chain(err)));
                Tried::TargetFailed
            }
            (true, [_, _, ..]) => Tried::Split,
            (true, [(tree, entry)]) => {
                self.object_failed(*tree, entry, err).await;
                Tried::Settled
            }
            (true, []) => Tried::Settled,
        }
    }

    /// An object that failed alone: bad beyond `--max-errors` (its own bad records), it is
    /// quarantined; not readable, or failing a quality check, it waits out its backoff.
    async fn object_failed(&mut self, tree: Tree, entry: &Entry, err: &Error) {
        let reason = sentence_chain(err);
        let its_own =
            matches!(err, Error::BadInput { first, .. } if first.key.ends_with(&entry.key));
        if its_own {
            let held = self
                .quarantine
                .hold(&self.client, (tree.name(), entry), &reason)
                .await;
            match held {
                Ok(()) => {
                    self.pending.remove(tree, &entry.key);
                    if let Ok(held) = self.quarantine.list(&self.client).await {
                        self.held = held;
                    }
                    (self.say)(&format!("quarantined {}: {reason}", entry.key));
                    return;
                }
                // Not recorded, so not skipped: it waits and is tried again.
                Err(hold) => tracing::warn!("cannot quarantine {}: {hold}", entry.key),
            }
        }
        self.metrics.object_failed();
        let wait = self.pending.failed(tree, &entry.key, Instant::now());
        (self.say)(&format!(
            "{} failed, tried again in {} s: {reason}",
            entry.key,
            wait.as_secs()
        ));
    }

    /// The schema was rebuilt by a load that keeps no merge state (a plain `load`): every
    /// object is read once, as `--full` does, before batches go on. Gives how the catch-up
    /// ended.
    async fn catch_up(&mut self) -> Tried {
        (self.say)(&format!(
            "schema {} was rebuilt by a load without --incremental, which keeps no merge \
             state: every object is read once, as --full does",
            self.config.load.schema
        ));
        let mut config = self.config.load.clone();
        config.run_id = format!("{:08x}", rand::random::<u32>());
        config.append_rejects = true;
        if let crate::config::Route::Merge { full, .. } = &mut config.route {
            *full = true;
        }
        self.metrics.busy(true);
        let caught_up = crate::load::load(&config).await;
        self.metrics.busy(false);
        match caught_up {
            Ok(report) => {
                self.metrics.loaded(&report);
                Tried::Settled
            }
            Err(err) => {
                (self.say)(&format!(
                    "the catch-up failed, tried again after a pause (a load with --full, with \
                     --max-errors if an object is bad, also catches up): {}",
                    sentence_chain(&err)
                ));
                Tried::TargetFailed
            }
        }
    }
}
