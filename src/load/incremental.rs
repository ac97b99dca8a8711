//! Incremental runs (`--incremental`) and rebuilds that keep a manifest (`--full`): the
//! objects no earlier run loaded are read, by either mode, into work tables, then merged
//! into the star schema in one transaction with their manifest rows, so a run is exactly
//! once (docs/INCREMENTAL.md, SPEC section 3).

use std::time::Instant;

use super::client::{self, Trees};
use super::manifest::{
    list, objects_read, read_manifest, refuse_changes, refuse_empty_listing, Manifest, TreePlan,
};
use super::merge::{commit, counted_after_commit, Found, MergePlan};
use super::rejects::Rejects;
use super::{copy, open_trees, Loaded};
use crate::config::{Fill, LoadConfig};
use crate::db::merge::MergeSql;
use crate::db::Database;
use crate::error::{ManifestError, Result};
use crate::report::{stage, SourceSummary, Stage};
use crate::sink::private::{Contents, PrivateTables};
use crate::sink::RowSink;
use crate::source::{Entry, Source, SourceUri};

/// Times a run starts again when another load changed the target while it read.
const ATTEMPTS: u32 = 3;

/// What a run compares with the manifest.
pub(super) enum Candidates {
    /// Both trees, listed whole: an object changed or gone since it was loaded fails the
    /// run (`--incremental`, `--full`).
    Listed,
    /// These objects only (a watch batch): those the manifest holds, changed or not, are
    /// left out, for the watcher to judge; `epilogue` (with `{private}` naming the run's
    /// private tables) runs in the merge's transaction.
    Given {
        songs: Vec<Entry>,
        logs: Vec<Entry>,
        epilogue: String,
    },
}

/// Runs one incremental (or `--full`: `full`) load, its new tables filled as `fill`
/// says. A run plans from what the target holds when it starts and checks, under the
/// merge's lock, that nothing changed since; if another load got in between (possible on
/// Redshift, whose lock is taken only for the merge), the run starts again from the
/// listing.
pub(super) async fn load(
    config: &LoadConfig,
    (fill, full): (&Fill, bool),
    candidates: &Candidates,
    database: &Database,
    rejects: &mut Rejects,
) -> Result<Loaded> {
    let (songs, logs) = open_trees(config).await;
    let main = database.connect().await?;
    for attempt in 1..=ATTEMPTS {
        *rejects = Rejects::of(config);
        let work = (&config.schema, config.run_id.as_str(), Contents::Work);
        let private = PrivateTables::create(&main, database, work).await?;
        let merge = MergeSql::new(
            database.sql(),
            &config.schema,
            &private.tables(),
            &config.run_id,
        );
        let route = (fill, full, candidates);
        let loaded = run(config, route, (&private, &merge), (&songs, &logs), rejects).await;
        // The work tables go whatever happened: the rows are merged in, or nothing is.
        private.abandon().await;
        match loaded? {
            Some(loaded) => return Ok(loaded),
            None => tracing::warn!(
                attempt,
                "another load changed schema {} while this run read its objects; reading again",
                config.schema
            ),
        }
    }
    Err(ManifestError::KeptChanging {
        schema: config.schema.to_string(),
        tries: ATTEMPTS,
    }
    .into())
}

/// What a run reads, against what the target holds.
struct Planned {
    found: Found,
    create_tables: bool,
    /// The run replaces whatever the tables hold (`--full`, or a first run after a
    /// rebuild).
    full: bool,
    songs: TreePlan,
    logs: TreePlan,
}

/// One attempt: `None` when the target changed before the merge could take its lock.
async fn run(
    config: &LoadConfig,
    (fill, full, candidates): (&Fill, bool, &Candidates),
    (private, merge): (&PrivateTables<'_>, &MergeSql),
    (songs, logs): (&Source, &Source),
    rejects: &mut Rejects,
) -> Result<Option<Loaded>> {
    let database = private.database;
    let started = Instant::now();
    let planned = match plan(config, (full, candidates), (private, merge), (songs, logs)).await? {
        Ok(planned) => planned,
        Err(nothing_new) => return Ok(Some(nothing_new)),
    };
    let mut stages = vec![stage("list and compare", started.elapsed())];
    tracing::info!(
        new_song_objects = planned.songs.new.len(),
        new_log_objects = planned.logs.new.len(),
        "objects listed against the manifest"
    );

    let (song_summary, log_summary, read) = read_new(
        config,
        fill,
        (private, merge),
        (songs, logs),
        &planned,
        rejects,
    )
    .await?;
    stages.extend(read);

    let (epilogue, batch) = match candidates {
        Candidates::Given { epilogue, .. } => (private.sql(epilogue), true),
        Candidates::Listed => (String::new(), false),
    };
    let merge_plan = MergePlan {
        found: planned.found,
        create_tables: planned.create_tables,
        full: planned.full,
        epilogue,
        // A watch batch may hold songs only, leaving tables empty that a first batch
        // creates; a wrong path is refused when the watcher starts.
        allow_empty: config.allow_empty || (batch && !planned.full),
    };
    let target = (config.schema(), config.gate());
    let Some(merged) = commit(target, database, private.client, merge, &merge_plan).await? else {
        return Ok(None);
    };
    stages.extend(merged);
    let tables = counted_after_commit(database, private.client, &config.schema).await;
    Ok(Some(Loaded {
        tables,
        songs: song_summary,
        logs: log_summary,
        stages,
        // The gate ran inside the merge's transaction, with the counts it expects.
        run: None,
    }))
}

/// Reads the planned objects into the work tables, as `fill` says, with their manifest
/// rows, and analyzes them for the merge; gives what each tree held and the stages' times.
async fn read_new(
    config: &LoadConfig,
    fill: &Fill,
    (private, merge): (&PrivateTables<'_>, &MergeSql),
    sources: (&Source, &Source),
    planned: &Planned,
    rejects: &mut Rejects,
) -> Result<(SourceSummary, SourceSummary, Vec<Stage>)> {
    let plans = (&planned.songs, &planned.logs);
    let (mut song_summary, mut log_summary, stages) =
        read_planned(config, fill, private, sources, plans, rejects).await?;
    private
        .database
        .run(
            private.client,
            "analyze the work tables",
            &merge.analyze_work(),
        )
        .await?;
    song_summary.manifest = Some(planned.songs.counts());
    log_summary.manifest = Some(planned.logs.counts());
    Ok((song_summary, log_summary, stages))
}

/// Reads the objects two plans select into the work tables in `private`, as `fill` says
/// (client mode's records as INSERTs on the load's own connection, or copy mode's through
/// its raw tables), settles the rejects, then lists the objects for the manifest: what
/// incremental runs and shard workers read. Gives what each tree held and the stages'
/// times.
pub(super) async fn read_planned(
    config: &LoadConfig,
    fill: &Fill,
    private: &PrivateTables<'_>,
    (songs, logs): (&Source, &Source),
    (song_plan, log_plan): (&TreePlan, &TreePlan),
    rejects: &mut Rejects,
) -> Result<(SourceSummary, SourceSummary, Vec<Stage>)> {
    let tables = (private.database, private.tables());
    let sink = super::rebuild::insert_sink(config, tables, vec![private.client]).await?;
    let (song_objects, log_objects) = (song_plan.objects(), log_plan.objects());
    let trees = Trees {
        songs,
        logs,
        song_objects: &song_objects,
        log_objects: &log_objects,
    };
    let filled = match fill {
        Fill::RawCopy => copy::fill_work(config, private, &trees, rejects).await,
        Fill::Inserts | Fill::S3Copy(_) => client::fill_work(config, &sink, &trees, rejects).await,
    };
    // As in a rebuild: the rejects are written before anything is merged in.
    let (song_summary, log_summary, stages) = rejects.settle(filled)?;
    let objects = objects_read(
        (&song_plan.new, &song_summary),
        (&log_plan.new, &log_summary),
    );
    client::write_all(sink.table(0), objects).await?;
    Ok((song_summary, log_summary, stages))
}

/// Lists both trees against the manifest: what the run reads, or (`Err`) a run after a
/// rebuild that finds nothing new and so changes nothing.
async fn plan(
    config: &LoadConfig,
    (full, candidates): (bool, &Candidates),
    (private, merge): (&PrivateTables<'_>, &MergeSql),
    (songs, logs): (&Source, &Source),
) -> Result<Result<Planned, Loaded>> {
    let (database, client) = (private.database, private.client);
    let started = Instant::now();
    let found = Found::read(database, client, merge).await?;
    let create_tables = found.create_tables(config.schema(), full, merge)?;
    let manifest = if full || create_tables {
        Manifest::new()
    } else {
        read_manifest((database, client), merge).await?
    };
    // A batch cannot be merged into a schema a plain rebuild left without the merge's
    // state: the watcher then reads every object once (`watch::batch`).
    let given = match candidates {
        Candidates::Given { .. } if !full && found.lacks_state() => {
            return Err(ManifestError::StateMissing {
                schema: config.schema.to_string(),
            }
            .into());
        }
        Candidates::Given { songs, logs, .. } => Some((songs.clone(), logs.clone())),
        Candidates::Listed => None,
    };
    let (song_plan, log_plan, full) = match given {
        Some(given) => {
            let (song_plan, log_plan) = plan_given(given, &manifest, (songs, logs)).await?;
            (song_plan, log_plan, full)
        }
        None => {
            let known = (full, &found, &manifest);
            match plan_listed(config, known, private, (songs, logs), started).await? {
                Ok(planned) => planned,
                Err(nothing_new) => return Ok(Err(nothing_new)),
            }
        }
    };
    Ok(Ok(Planned {
        found,
        create_tables,
        full,
        songs: song_plan,
        logs: log_plan,
    }))
}

/// Both trees listed whole against the manifest: changed or vanished objects refused; the
/// plans and whether the run replaces the tables, or (`Err`) a run after a rebuild that
/// finds nothing new and so changes nothing.
async fn plan_listed(
    config: &LoadConfig,
    (full, found, manifest): (bool, &Found, &Manifest),
    private: &PrivateTables<'_>,
    (songs, logs): (&Source, &Source),
    started: Instant,
) -> Result<Result<(TreePlan, TreePlan, bool), Loaded>> {
    let (song_listing, log_listing) = tokio::try_join!(list(songs, "song"), list(logs, "log"))?;
    if !config.allow_empty {
        refuse_empty_listing("--song-data", &config.song_data, &song_listing)?;
        refuse_empty_listing("--log-data", &config.log_data, &log_listing)?;
    }
    // After a rebuild, which keeps the manifest but not the merge's state, a run with
    // anything new reads every object once, as --full does; the listings are kept for that
    // second plan only then.
    let rebuilds_state = !full && found.lacks_state();
    let keep = |listing: &Vec<_>| rebuilds_state.then(|| listing.clone());
    let (song_again, log_again) = (keep(&song_listing), keep(&log_listing));
    let mut song_plan = TreePlan::of("song", song_listing, manifest);
    let mut log_plan = TreePlan::of("log", log_listing, manifest);
    song_plan.settle_touched(songs).await?;
    log_plan.settle_touched(logs).await?;
    refuse_changes(&[(&song_plan, songs), (&log_plan, logs)])?;
    if let (Some(song_listing), Some(log_listing)) = (song_again, log_again) {
        if song_plan.new.is_empty() && log_plan.new.is_empty() {
            // Nothing new: the rebuild's tables and manifest stand as they are.
            let plans = (&song_plan, &log_plan);
            return Ok(Err(nothing_new(config, private, plans, started).await?));
        }
        tracing::warn!(
            "schema {} was last rebuilt by a load without --incremental, which keeps the \
             manifest but not the merge's state: this run reads every object once, as \
             --full does, and keeps the state for the next run",
            config.schema
        );
        song_plan = TreePlan::of("song", song_listing, &Manifest::new());
        log_plan = TreePlan::of("log", log_listing, &Manifest::new());
    }
    Ok(Ok((song_plan, log_plan, full || rebuilds_state)))
}

/// A watch batch's objects against the manifest: those it holds, in any version, are left
/// out (the watcher judges the changed ones), and no other key is missed.
async fn plan_given(
    (songs, logs): (Vec<Entry>, Vec<Entry>),
    manifest: &Manifest,
    sources: (&Source, &Source),
) -> Result<(TreePlan, TreePlan)> {
    let mut song_plan = TreePlan::of("song", songs, manifest);
    let mut log_plan = TreePlan::of("log", logs, manifest);
    song_plan.forget_vanished();
    log_plan.forget_vanished();
    song_plan.settle_touched(sources.0).await?;
    log_plan.settle_touched(sources.1).await?;
    Ok((song_plan, log_plan))
}

/// An incremental run that found nothing new after a rebuild: it changes nothing.
async fn nothing_new(
    config: &LoadConfig,
    private: &PrivateTables<'_>,
    (songs, logs): (&TreePlan, &TreePlan),
    started: Instant,
) -> Result<Loaded> {
    let tables = private
        .database
        .count_rows(private.client, &config.schema)
        .await?;
    let summary = |plan: &TreePlan, uri: &SourceUri| SourceSummary {
        manifest: Some(plan.counts()),
        ..client::unread(uri)
    };
    Ok(Loaded {
        tables,
        songs: summary(songs, &config.song_data),
        logs: summary(logs, &config.log_data),
        stages: vec![stage("list and compare", started.elapsed())],
        run: None,
    })
}
