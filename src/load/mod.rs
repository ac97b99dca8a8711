//! A load from start to finish, in one of three routes: client mode ([`client`], into
//! either dialect) and copy mode on PostgreSQL ([`copy`]) fill new tables kept apart
//! (`sink::staging`) whose rows are then moved into the five tables ([`move_in`]); copy
//! mode on Redshift runs the server-side COPY plan ([`redshift`]). Every route ends in the
//! one [`Report`] built here.

mod client;
mod copy;
mod discard;
mod dry_run;
mod incremental;
mod manifest;
mod move_in;
pub mod progress;
mod redshift;
mod rejects;
mod s3_copy;
mod shard;
mod step;
mod tree;

use std::time::Instant;

use crate::check::{self, CheckFile, RunCounts, Scope};
use crate::config::{LoadConfig, LoadRequest, LoadScope, Mode, Target};
use crate::db::Database;
use crate::db::TableSet;
use crate::embedded;
use crate::error::{Error, Result};
use crate::report::{peak_rss_mib, stage, Report, Shards, SourceSummary, Stage, TableCounts};
use crate::secret::Secret;
use crate::sink::staging::{Contents, Staging};
use crate::source::Source;
use rejects::Rejects;

pub use discard::{discard, Discarded};
pub use dry_run::client_dry_run;
pub use redshift::redshift_copy_plan;
pub use shard::merge;

/// What a route loaded: the tables' rows, what each tree held, where the time went.
struct Loaded {
    tables: TableCounts,
    songs: SourceSummary,
    logs: SourceSummary,
    stages: Vec<Stage>,
    /// What the run read, counted apart from the tables, for the gate to reconcile.
    run: Option<RunCounts>,
}

/// Runs one load, all or nothing.
pub async fn load(config: &LoadConfig) -> Result<Report> {
    let started = Instant::now();
    let request = &config.request;
    tracing::info!(
        mode = config.mode().name(),
        schema = %request.schema,
        songs = %request.song_data,
        logs = %request.log_data,
        "load starts"
    );
    let database = Database::new(&target_url(&request.target).await?, request.dialect)?;
    let mut rejects = Rejects::new(request.max_errors);
    let loaded = match (redshift::RedshiftCopy::of(config), config.scope()) {
        (Some(plan), _) => redshift::load(&plan, config, &database, &mut rejects).await?,
        (None, LoadScope::Rebuild) => staged(config, &database, &mut rejects).await?,
        (None, LoadScope::Incremental | LoadScope::Full) => {
            incremental::load(config, &database, &mut rejects).await?
        }
        (None, LoadScope::Shard(shard)) => {
            shard::load(config, &database, shard, &mut rejects).await?
        }
    };
    let report = Report {
        mode: config.mode().name(),
        target: database.label().to_string(),
        schema: request.schema.to_string(),
        tables: loaded.tables,
        songs: loaded.songs,
        logs: loaded.logs,
        bad_records: rejects.records.len() as u64,
        reject_file: request
            .reject_file
            .clone()
            .filter(|_| !rejects.records.is_empty()),
        stages: loaded.stages,
        seconds: started.elapsed().as_secs_f64(),
        peak_rss_mib: peak_rss_mib(),
        shards: match config.scope() {
            LoadScope::Shard(shard) => Some(Shards {
                run_id: config.run_id.clone(),
                shard: Some(shard.index),
                count: shard.count,
            }),
            _ => None,
        },
    };
    tracing::info!(seconds = report.seconds, "load done");
    Ok(report)
}

/// Client mode, or copy mode on PostgreSQL: the tables are built apart, then their rows
/// moved into the five tables in one transaction with the manifest and the quality gate.
/// The new tables are dropped whatever happened.
async fn staged(config: &LoadConfig, database: &Database, rejects: &mut Rejects) -> Result<Loaded> {
    let request = &config.request;
    let (songs, logs) = open_trees(request).await;
    let main = database.connect().await?;
    let staging = Staging::create(
        &main,
        database,
        &request.schema,
        &config.run_id,
        Contents::StarSchema,
    )
    .await?;
    let loaded = async {
        let mut loaded = build(config, database, &staging, (&songs, &logs), rejects).await?;
        let moved = move_in::run(config, &staging, &loaded).await?;
        loaded.stages.extend(moved);
        Ok(loaded)
    }
    .await;
    if loaded.is_err() {
        tracing::info!("load failed; dropping the new tables, the old ones stand");
    }
    staging.abandon().await;
    loaded
}

/// Fills the new tables, writes the rejects, refuses trees that gave nothing, and lists
/// the objects read for the manifest: everything before the move, so that one failure path
/// drops the new tables.
async fn build(
    config: &LoadConfig,
    database: &Database,
    staging: &Staging<'_>,
    sources: (&Source, &Source),
    rejects: &mut Rejects,
) -> Result<Loaded> {
    let request = &config.request;
    let filled = match (config.mode(), &config.s3_copy) {
        (Mode::Client, Some(copy)) => s3_copy::fill(config, copy, staging, sources, rejects).await,
        (Mode::Client, None) => client::fill(config, database, staging, sources, rejects).await,
        (Mode::Copy, _) => copy::fill(request, staging, sources, rejects).await,
    };
    // The rejects are written whether or not the fill failed, and before anything is
    // moved in: a load whose reject file cannot be written changes nothing.
    let written = rejects.write(request.reject_file.as_deref());
    let mut loaded = filled?;
    written?;
    if !request.allow_empty {
        move_in::refuse_empty_trees(&loaded)?;
    }
    let started = Instant::now();
    let shape = client::insert_shape(config, database, staging.client).await?;
    let song_objects = manifest::fingerprinted(&loaded.songs.listed, &loaded.songs);
    let log_objects = manifest::fingerprinted(&loaded.logs.listed, &loaded.logs);
    let rows = manifest::object_rows("song", &song_objects)
        .chain(manifest::object_rows("log", &log_objects));
    let mut inserter = client::work_inserter(staging, shape);
    inserter.push(rows).await?;
    inserter.finish().await?;
    loaded.stages.push(stage("manifest", started.elapsed()));
    Ok(loaded)
}

/// The quality gate (`src/check/`): the built-in checks and the user's on the tables in
/// `tables`, before readers see them. A failed error-level check fails the load; warnings
/// are logged. The checks share the connections given (all of them must see the tables).
/// Gives the gate's stage, unless it is off (`--no-checks`).
async fn gate(
    checks: Option<&CheckFile>,
    clients: &[&tokio_postgres::Client],
    database: &Database,
    (tables, scope): (&TableSet, Scope),
    run: Option<RunCounts>,
) -> Result<Option<Stage>> {
    let Some(file) = checks else {
        return Ok(None);
    };
    let started = Instant::now();
    let checks = check::all(database.sql(), tables, scope, run, file);
    let outcomes = check::run(database, clients, &checks).await?;
    if let Some(failed) = outcomes.failure() {
        return Err(failed);
    }
    for warned in outcomes.checks.iter().filter(|c| !c.passed) {
        tracing::warn!("quality check: {warned}");
    }
    tracing::info!(
        checks = outcomes.checks.len(),
        warnings = outcomes.warnings,
        "quality checks passed"
    );
    Ok(Some(stage("checks", started.elapsed())))
}

/// The song tree and the log tree of a load, opened together.
async fn open_trees(request: &LoadRequest) -> (Source, Source) {
    tokio::join!(
        Source::open(&request.song_data, &request.s3),
        Source::open(&request.log_data, &request.s3)
    )
}

/// The URL of the target; the embedded PostgreSQL is started (and created) on demand.
async fn target_url(target: &Target) -> Result<Secret<String>> {
    match target {
        Target::Url(url) => Ok(url.clone()),
        Target::Embedded(home) => {
            let home = home.clone();
            let server =
                tokio::task::spawn_blocking(move || embedded::Server::ensure_running(&home))
                    .await
                    .map_err(|e| Error::Internal(format!("starting the embedded server: {e}")))??;
            Ok(Secret::new(server.url()))
        }
    }
}

/// Log objects read at once: a quarter of the song objects. A log object is a day of
/// events read chunk by chunk, so a few keep the cores busy and each holds a chunk or two
/// in memory; song objects are small and many, and need more in flight to hide latency.
fn log_objects_in_flight(concurrency: usize) -> usize {
    (concurrency / 4).max(1)
}
