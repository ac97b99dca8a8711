//! A load from start to finish. The route was decided once (`config::Route`); here it
//! picks its runner: a rebuild ([`rebuild`]: client mode through any sink of
//! `crate::sink`, copy mode on PostgreSQL ([`copy`]) or the classic COPY plan on Redshift
//! ([`redshift`]), each building new tables that are then moved in), an incremental run
//! ([`incremental`]) or a shard ([`shard`]). Every route ends in the one [`Report`] built
//! here.

mod client;
mod copy;
mod discard;
mod dry_run;
mod incremental;
pub(crate) mod manifest;
pub(crate) mod merge;
mod move_in;
pub mod progress;
mod rebuild;
mod redshift;
mod registry;
mod rejects;
mod shard;
mod step;
mod tree;

use std::time::Instant;

use crate::check::{self, CheckFile, RunCounts, Scope};
use crate::config::{Fill, LoadConfig, Route, Target};
use crate::db::Database;
use crate::db::TableSet;
use crate::embedded;
use crate::error::{Error, Result};
use crate::history::HistoryRow;
use crate::lineage::Lineage;
use crate::report::{peak_rss_mib, stage, Report, Shards, SourceSummary, Stage, TableCounts};
use crate::secret::Secret;
use crate::source::{Entry, Source};
use incremental::Candidates;
use rebuild::Builder;
use rejects::Rejects;

pub use discard::{discard, Discarded};
pub use dry_run::dry_run;
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

impl Loaded {
    /// Nothing loaded yet from the load's two trees.
    fn unread(config: &LoadConfig) -> Loaded {
        Loaded {
            tables: TableCounts::default(),
            songs: client::unread(&config.song_data),
            logs: client::unread(&config.log_data),
            stages: Vec::new(),
            run: None,
        }
    }
}

/// Runs one load, all or nothing, and records it in the schema's history table.
pub async fn load(config: &LoadConfig) -> Result<Report> {
    let database = Database::new(&target_url(&config.target).await?, config.dialect)?;
    run_recorded(config, &database, &Candidates::Listed, route_name(config)).await
}

/// One batch of a watcher (`crate::watch`): the given objects, those the manifest does not
/// hold yet, merged in as an incremental run merges (`config`'s route must be one);
/// `epilogue` runs in the merge's transaction. Recorded in the history as `route`.
pub async fn load_batch(
    config: &LoadConfig,
    database: &Database,
    (songs, logs): (Vec<Entry>, Vec<Entry>),
    epilogue: String,
) -> Result<Report> {
    let candidates = Candidates::Given {
        songs,
        logs,
        epilogue,
    };
    let route = format!("{} watch", config.mode().name());
    run_recorded(config, database, &candidates, route).await
}

/// How the history names a load's route: its mode, then what it does with the target.
fn route_name(config: &LoadConfig) -> String {
    let what = match &config.route {
        Route::Rebuild(Fill::S3Copy(_)) => "rebuild (s3-copy)".to_string(),
        Route::Rebuild(_) | Route::RedshiftCopy(_) => "rebuild".to_string(),
        Route::Merge { full: true, .. } => "full".to_string(),
        Route::Merge { full: false, .. } => "incremental".to_string(),
        Route::Shard(shard) => format!("shard {}/{}", shard.index, shard.count),
    };
    format!("{} {what}", config.mode().name())
}

/// [`run`], between its OpenLineage events (with `OPENLINEAGE_URL`: `crate::lineage`),
/// then its row in the history table, whether it loaded or failed.
async fn run_recorded(
    config: &LoadConfig,
    database: &Database,
    candidates: &Candidates,
    route: String,
) -> Result<Report> {
    let started_at = crate::report::now();
    let lineage = Lineage::from_env();
    let lineage_run = crate::lineage::Run {
        id: uuid::Uuid::from_bytes(rand::random()),
        job: match candidates {
            Candidates::Given { .. } => "watch",
            Candidates::Listed => "load",
        },
        songs: &config.song_data,
        logs: &config.log_data,
        database,
        schema: &config.schema,
    };
    if let Some(lineage) = &lineage {
        lineage.start(&lineage_run).await;
    }
    let mut rejects = Rejects::of(config);
    let outcome = run(config, database, candidates, &mut rejects).await;
    let row = HistoryRow::new(
        (&config.run_id, route),
        started_at,
        outcome.as_ref(),
        rejects.records.len() as u64,
    );
    crate::history::append(database, &config.schema, &row).await;
    if let Some(lineage) = &lineage {
        match &outcome {
            Ok(report) => lineage.complete(&lineage_run, report).await,
            Err(err) => {
                lineage
                    .fail(&lineage_run, &crate::error::sentence_chain(err))
                    .await
            }
        }
    }
    outcome
}

/// The route of `config`, run: one load, all or nothing.
async fn run(
    config: &LoadConfig,
    database: &Database,
    candidates: &Candidates,
    rejects: &mut Rejects,
) -> Result<Report> {
    let started = Instant::now();
    tracing::info!(
        mode = config.mode().name(),
        schema = %config.schema,
        songs = %config.song_data,
        logs = %config.log_data,
        "load starts"
    );
    let loaded = match &config.route {
        Route::Rebuild(fill) => {
            rebuild::run(config, Builder::Fill(fill), database, rejects).await?
        }
        Route::RedshiftCopy(sources) => {
            let builder = Builder::RedshiftCopy(sources);
            rebuild::run(config, builder, database, rejects).await?
        }
        Route::Merge { fill, full } => {
            incremental::load(config, (fill, *full), candidates, database, rejects).await?
        }
        Route::Shard(shard) => shard::load(config, database, *shard, rejects).await?,
    };
    let report = Report {
        mode: config.mode().name(),
        target: database.label().to_string(),
        schema: config.schema.to_string(),
        tables: loaded.tables,
        songs: loaded.songs,
        logs: loaded.logs,
        bad_records: rejects.records.len() as u64,
        reject_file: config
            .reject_file
            .clone()
            .filter(|_| !rejects.records.is_empty()),
        stages: loaded.stages,
        seconds: started.elapsed().as_secs_f64(),
        peak_rss_mib: peak_rss_mib(),
        shards: match &config.route {
            Route::Shard(shard) => Some(Shards {
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
    let settings = database.sql().checks_settings;
    if !settings.is_empty() {
        for client in clients {
            database.run(client, "prepare the checks", settings).await?;
        }
    }
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
async fn open_trees(config: &LoadConfig) -> (Source, Source) {
    tokio::join!(
        Source::open(&config.song_data, &config.s3),
        Source::open(&config.log_data, &config.s3)
    )
}

/// The URL of the target; the embedded PostgreSQL is started (and created) on demand.
pub async fn target_url(target: &Target) -> Result<Secret<String>> {
    match target {
        Target::Url(url) => Ok(url.clone()),
        Target::Embedded(home) => {
            let home = home.clone();
            let server =
                tokio::task::spawn_blocking(move || embedded::Server::ensure_running(&home))
                    .await
                    .map_err(|e| Error::WorkerFailed {
                        worker: "the thread that starts the embedded server",
                        what: format!("failed: {e}"),
                    })??;
            Ok(Secret::new(server.url()))
        }
    }
}
