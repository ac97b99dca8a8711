//! `sparkify-load watch`: a loader that runs until stopped, finding new objects (by
//! listing, or through S3 event notifications on an SQS queue: [`queue`]) and loading
//! them in small batches, each an incremental merge whose manifest makes it exactly once
//! (docs/WATCH.md). An object that fails waits out a backoff without holding back the
//! others ([`pending`]); one that is bad beyond `--max-errors`, or changed after it was
//! loaded, is quarantined ([`quarantine`]).

mod batch;
mod pending;
mod quarantine;
pub mod queue;

use std::collections::HashMap;
use std::time::{Duration, Instant, SystemTime};

use tokio_postgres::Client;

use crate::config::LoadConfig;
use crate::db::merge::MergeSql;
use crate::db::sql::WATCH_LOCK;
use crate::db::{Database, Dialect, TableSet};
use crate::error::Result;
use crate::load::manifest::{self, Manifest, TreePlan};
use crate::metrics::Metrics;
use crate::source::{Entry, Source};

pub use pending::{BatchLimits, Tree};
pub use quarantine::Held;
use quarantine::Quarantine;

/// What stops a watcher: the name of the signal that asked it to, once one did.
pub type Stop = tokio::sync::watch::Receiver<Option<&'static str>>;

/// How a watcher finds new objects.
#[derive(Debug, Clone)]
pub enum Discovery {
    /// A listing of both trees every `every`.
    Listing { every: Duration },
    /// S3 event notifications delivered through an SQS queue.
    Queue(queue::QueueConfig),
}

/// A watcher's settings, checked.
#[derive(Debug, Clone)]
pub struct WatchConfig {
    /// Each batch's load: an incremental client-mode load of the two trees.
    pub load: LoadConfig,
    pub discovery: Discovery,
    /// How often both trees are listed whole besides (and at start): what a lost
    /// notification missed is found then.
    pub reconcile_every: Duration,
    pub limits: BatchLimits,
    /// Empty the quarantine at start, so that every object in it is tried again.
    pub retry_quarantined: bool,
}

/// Where a watcher tells what it did: one line per batch, and the quarantine's state.
pub type Say<'a> = &'a (dyn Fn(&str) + Sync);

/// Runs a watcher until `stop`: the batch in flight then finishes, or (after a few
/// seconds) is cancelled and rolled back, and the watcher returns.
pub async fn watch(
    config: &WatchConfig,
    metrics: &Metrics,
    stop: Stop,
    say: Say<'_>,
) -> Result<()> {
    let database = Database::new(
        &crate::load::target_url(&config.load.target).await?,
        config.load.dialect,
    )?;
    let client = database.connect().await?;
    let schema = &config.load.schema;
    crate::sink::private::ensure_schema(&database, &client, schema).await?;
    let quarantine = Quarantine {
        database: &database,
        schema,
    };
    quarantine.create(&client).await?;
    metrics.standby(true);
    let locked = take_watch_lock(&database, &client, config, stop.clone(), say).await?;
    metrics.standby(false);
    if !locked {
        return Ok(());
    }
    // Only the watcher that holds the lock may let objects out of the quarantine.
    if config.retry_quarantined {
        quarantine.clear(&client).await?;
        say("the quarantine was cleared: every object in it is tried again");
    }
    let (songs, logs) = tokio::join!(
        Source::open(&config.load.song_data, &config.load.s3),
        Source::open(&config.load.log_data, &config.load.s3)
    );
    let mut watcher = Watcher {
        config,
        database: &database,
        client,
        quarantine,
        songs: &songs,
        logs: &logs,
        pending: pending::Pending::default(),
        held: HashMap::new(),
        known: Manifest::new(),
        metrics,
        stop,
        say,
        target_failures: 0,
    };
    match &config.discovery {
        Discovery::Listing { every } => watcher.by_listing(*every).await,
        Discovery::Queue(queue) => queue::run(&mut watcher, queue).await,
    }
}

/// Takes the schema's watcher lock (PostgreSQL), waiting with a message while another
/// watcher holds it. `false` when stopped while waiting. Redshift has no advisory lock:
/// two watchers there take turns batch by batch under the merge's `LOCK`
/// (docs/WATCH.md).
async fn take_watch_lock(
    database: &Database,
    client: &Client,
    config: &WatchConfig,
    mut stop: Stop,
    say: Say<'_>,
) -> Result<bool> {
    if database.dialect() == Dialect::Redshift {
        return Ok(true);
    }
    let schema = config.load.schema.as_str();
    let step = "take the watcher lock";
    let (try_lock, wait_lock) = WATCH_LOCK;
    let held: bool = client
        .query_one(try_lock, &[&schema])
        .await
        .map_err(|e| database.error(step, e))?
        .get(0);
    if held {
        return Ok(true);
    }
    say(&format!(
        "another watcher is loading into schema {schema}; waiting for it to stop"
    ));
    let params: [&(dyn tokio_postgres::types::ToSql + Sync); 1] = [&schema];
    tokio::select! {
        taken = client.query_one(wait_lock, &params) => {
            taken.map_err(|e| database.error(step, e))?;
            say(&format!("the other watcher stopped; this one now watches schema {schema}"));
            Ok(true)
        }
        _ = stop.wait_for(Option::is_some) => Ok(false),
    }
}

/// A tree's whole listing; with `--allow-empty`, an S3 prefix that holds nothing yet is
/// an empty tree (one whose first object has not arrived).
async fn listing(source: &Source, tree: &'static str, allow_empty: bool) -> Result<Vec<Entry>> {
    match manifest::list(source, tree).await {
        Err(crate::error::Error::Source(crate::error::SourceError::EmptyPrefix { .. }))
            if allow_empty =>
        {
            Ok(Vec::new())
        }
        listed => listed,
    }
}

/// A running watcher's state.
pub(crate) struct Watcher<'a> {
    config: &'a WatchConfig,
    database: &'a Database,
    /// The watcher's own connection: its lock, the manifest, the quarantine; made again
    /// (and the lock taken again) when it is lost.
    client: Client,
    quarantine: Quarantine<'a>,
    songs: &'a Source,
    logs: &'a Source,
    pending: pending::Pending,
    /// The quarantine as last read, by (tree, key).
    held: HashMap<(String, String), Held>,
    /// The manifest as last read, with what this watcher loaded since.
    known: Manifest,
    metrics: &'a Metrics,
    stop: Stop,
    say: Say<'a>,
    /// Batches in a row that failed on the target (not on an object): the pause grows.
    target_failures: u32,
}

impl Watcher<'_> {
    fn stopped(&self) -> bool {
        self.stop.borrow().is_some()
    }

    /// Sleeps until `until`, or less if stopped.
    async fn pause_until(&mut self, until: Instant) {
        let mut stop = self.stop.clone();
        tokio::select! {
            _ = tokio::time::sleep_until(until.into()) => {}
            _ = stop.wait_for(Option::is_some) => {}
        }
    }

    /// The listing route: both trees listed every `every`; what one listing finds is
    /// loaded at once, in as many batches as the limits make.
    async fn by_listing(&mut self, every: Duration) -> Result<()> {
        let mut first = true;
        while !self.stopped() {
            let started = Instant::now();
            if self.listed(first).await? {
                first = false;
                self.load_due(true).await?;
            }
            self.pause_until(started + every).await;
        }
        Ok(())
    }

    /// [`Watcher::reconcile`], its connection made again first if it was lost. The first
    /// listing's failure ends the watcher (a wrong path, a wrong target); a later one is said
    /// and waited out, as a failed batch is. Gives whether the listing was taken.
    pub(crate) async fn listed(&mut self, first: bool) -> Result<bool> {
        let listed = async {
            if !self.connected().await? {
                return Ok(false);
            }
            self.metrics.busy(true);
            let done = self.reconcile(first).await;
            self.metrics.busy(false);
            done.map(|()| true)
        }
        .await;
        match listed {
            Err(err) if !first => {
                (self.say)(&format!(
                    "the listing or the watcher's own reads failed, tried again after a \
                     pause: {}",
                    crate::error::sentence_chain(&err)
                ));
                self.pause_after_target_failure().await;
                Ok(false)
            }
            done => done,
        }
    }

    /// Makes the watcher's own connection again, and takes its lock again, when the target
    /// dropped it. `false` when stopped meanwhile.
    async fn connected(&mut self) -> Result<bool> {
        if !self.client.is_closed() {
            return Ok(true);
        }
        (self.say)("the watcher's connection to the target was lost; connecting again");
        self.client = self.database.connect().await?;
        self.metrics.standby(true);
        let locked = take_watch_lock(
            self.database,
            &self.client,
            self.config,
            self.stop.clone(),
            self.say,
        )
        .await;
        self.metrics.standby(false);
        locked
    }

    /// Lists both trees whole and compares them with the manifest and the quarantine:
    /// new objects wait to be loaded, changed ones are quarantined, and quarantined ones
    /// that are loaded now (or gone) leave the quarantine. The first listing refuses a
    /// tree that holds no object (a wrong path), unless `--allow-empty`.
    pub(crate) async fn reconcile(&mut self, first: bool) -> Result<()> {
        let load = &self.config.load;
        let (song_listing, log_listing) = tokio::try_join!(
            listing(self.songs, "song", load.allow_empty),
            listing(self.logs, "log", load.allow_empty)
        )?;
        if first && !load.allow_empty {
            manifest::refuse_empty_listing("--song-data", &load.song_data, &song_listing)?;
            manifest::refuse_empty_listing("--log-data", &load.log_data, &log_listing)?;
        }
        self.known = self.read_manifest().await?;
        self.held = self.quarantine.list(&self.client).await?;
        let mut settled = Vec::new();
        for (tree, listing, source) in [
            (Tree::Song, song_listing, self.songs),
            (Tree::Log, log_listing, self.logs),
        ] {
            let by_key: HashMap<String, Entry> = listing
                .iter()
                .map(|entry| (entry.key.clone(), entry.clone()))
                .collect();
            let mut plan = TreePlan::of(tree.name(), listing, &self.known);
            plan.settle_touched(source).await?;
            for key in &plan.changed {
                self.changed(tree, &by_key[key]).await?;
            }
            let new: std::collections::HashSet<String> =
                plan.new.iter().map(|entry| entry.key.clone()).collect();
            let now = Instant::now();
            for entry in plan.new {
                self.offer(tree, entry, now);
            }
            self.pending.retain(|t, key| t != tree || new.contains(key));
            settled.extend(
                self.held
                    .keys()
                    .filter(|(t, key)| {
                        t == tree.name() && !new.contains(key) && !plan.changed.contains(key)
                    })
                    .cloned(),
            );
        }
        self.quarantine.forget(&self.client, &settled).await?;
        for slot in &settled {
            self.held.remove(slot);
        }
        self.report_waiting();
        Ok(())
    }

    /// An object found new: it waits to be loaded, unless this very version is
    /// quarantined.
    pub(crate) fn offer(&mut self, tree: Tree, entry: Entry, now: Instant) {
        let slot = (tree.name().to_string(), entry.key.clone());
        if let Some(held) = self.held.get(&slot) {
            if held.size == entry.size && held.version == entry.version {
                self.pending.remove(tree, &entry.key);
                return;
            }
        }
        self.pending.offer(tree, entry, now);
    }

    /// An object whose size or version differs from what was loaded: quarantined (once a
    /// version), since loading it again would need its old rows taken out.
    async fn changed(&mut self, tree: Tree, entry: &Entry) -> Result<()> {
        let slot = (tree.name().to_string(), entry.key.clone());
        if self
            .held
            .get(&slot)
            .is_some_and(|held| held.version == entry.version && held.size == entry.size)
        {
            return Ok(());
        }
        let source = match tree {
            Tree::Song => self.songs,
            Tree::Log => self.logs,
        };
        let reason = "changed after it was loaded (another size or version); a load with \
                      --full loads it as it is now, or restore the content that was loaded";
        self.quarantine
            .hold(&self.client, (tree.name(), entry), reason)
            .await?;
        (self.say)(&format!(
            "quarantined {}: {reason}",
            source.describe(&entry.key)
        ));
        self.held = self.quarantine.list(&self.client).await?;
        Ok(())
    }

    /// The manifest, as the target holds it now (empty before the first batch).
    async fn read_manifest(&self) -> Result<Manifest> {
        let tables = TableSet::plain(self.config.load.schema.clone());
        let merge = MergeSql::new(self.database.sql(), &self.config.load.schema, &tables, "");
        let found = crate::load::merge::Found::read(self.database, &self.client, &merge).await?;
        if !found.has_manifest() {
            return Ok(Manifest::new());
        }
        manifest::read_manifest((self.database, &self.client), &merge).await
    }

    /// Tells the metrics what waits, and how long the oldest of it has.
    fn report_waiting(&self) {
        self.metrics.waiting(
            self.pending.len() as u64,
            self.pending.lag(SystemTime::now()),
            self.held.len() as u64,
        );
    }
}
