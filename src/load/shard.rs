//! Sharded loads (docs/SCALE.md). A worker (`load --shard K/N --run-id ID`) reads the
//! objects of both trees whose keys hash to its shard, parses and checks them as client
//! mode does, and writes them into its own tables in the target schema, then marks
//! itself finished. `merge --run-id ID` gathers every shard into one run's work tables
//! and merges them in one transaction through the incremental merge (`db::merge`), which
//! applies the rules that look across objects, so the tables equal one load of the same
//! objects; the manifest records every object, and the run's id is spent.

use std::time::Instant;

use tokio_postgres::Client;

use super::incremental::read_planned;
use super::manifest::{list, Manifest, TreePlan};
use super::merge::{self, commit, Found, MergePlan};
use super::registry::{read_finished, Finished};
use super::rejects::Rejects;
use super::{target_url, Loaded};
use crate::config::{Fill, LoadConfig};
use crate::config::{MergeConfig, MergeRequest, Shard};
use crate::db::literal::Literals;
use crate::db::merge::MergeSql;
use crate::db::shard::{ShardRecord, ShardSql};
use crate::db::Database;
use crate::error::{Error, ManifestError, Result};
use crate::history::HistoryRow;
use crate::report::{peak_rss_mib, stage, Report, Shards, SourceSummary, TableCounts};
use crate::sink::private::{ensure_schema, Contents, PrivateTables};
use crate::source::Source;

/// Times the registry's DDL is tried: workers starting together race to create it.
const REGISTRY_ATTEMPTS: u32 = 5;
/// Times a merge starts again when another load changed the target meanwhile.
const MERGE_ATTEMPTS: u32 = 3;

/// One worker: its share of the objects into its shard's tables, then its registry row.
pub(super) async fn load(
    config: &LoadConfig,
    database: &Database,
    shard: Shard,
    rejects: &mut Rejects,
) -> Result<Loaded> {
    let client = database.connect().await?;
    let sql = ShardSql::new(database.sql(), &config.schema, &config.run_id);
    create_registry(database, &client, &sql).await?;
    if read_finished(database, &client, &sql).await?.merged {
        return Err(ManifestError::WorkerAfterMerge {
            run_id: config.run_id.clone(),
        }
        .into());
    }
    // The registry is shared by every worker of every run: it is written only in short
    // statements outside the shard's long transaction, so workers never wait on each other
    // (on Redshift a write holds the table's lock until the commit).
    database
        .run(
            &client,
            "forget an earlier attempt of this shard",
            &sql.forget(shard.index),
        )
        .await?;
    // The whole shard in one transaction that writes only its own tables: a killed worker
    // leaves nothing, and two attempts of one shard at once cannot mix their rows (the
    // second waits on the first's tables, then fails or starts clean).
    let work = write_shard(config, database, &client, &sql, shard, rejects);
    let (loaded, record) = database.transaction(&client, "the shard", work).await?;
    // Its tables are whole: now the registry may say so. A worker killed just before this
    // leaves tables no registry row names, and the merge refuses the run until the shard
    // is run again, which drops them first (docs/SCALE.md).
    let literals = Literals::of(database, &client).await?;
    let finish = async {
        database
            .run(
                &client,
                "record this shard as finished",
                &sql.finish(shard.index, shard.count, &record, &literals),
            )
            .await
            .map_err(Error::from)
    };
    database
        .transaction(&client, "the shard's registry row", finish)
        .await?;
    Ok(loaded)
}

/// Inside the shard's transaction: its tables afresh and its objects read into them; gives
/// what the registry is to record.
async fn write_shard(
    config: &LoadConfig,
    database: &Database,
    client: &Client,
    sql: &ShardSql,
    shard: Shard,
    rejects: &mut Rejects,
) -> Result<(Loaded, ShardRecord)> {
    let (songs, logs) = super::open_trees(config).await;
    let started = Instant::now();
    let tables = sql.tables(shard.index);
    let work = MergeSql::new(database.sql(), &config.schema, &tables, &config.run_id);
    let fresh = sql.drop_earlier(shard.index) + &work.work_tables();
    database
        .run(client, "create the shard's tables afresh", &fresh)
        .await?;
    let (song_plan, log_plan) = listed(shard, (&songs, &logs)).await?;
    let mut stages = vec![stage("list", started.elapsed())];
    tracing::info!(
        shard = shard.index,
        of = shard.count,
        song_objects = song_plan.new.len(),
        log_objects = log_plan.new.len(),
        "this shard's objects listed"
    );

    // The shard's tables are the worker's private tables, written as an incremental run
    // writes its work tables.
    let private = PrivateTables {
        client,
        database,
        tables,
    };
    let plans = (&song_plan, &log_plan);
    let sources = (&songs, &logs);
    let (song_summary, log_summary, fill_stages) =
        read_planned(config, &Fill::Inserts, &private, sources, plans, rejects).await?;
    stages.extend(fill_stages);

    let record = ShardRecord {
        song_uri: config.song_data.to_string(),
        log_uri: config.log_data.to_string(),
        songs: read(&song_summary),
        logs: read(&log_summary),
    };
    let loaded = Loaded {
        tables: TableCounts::default(),
        songs: song_summary,
        logs: log_summary,
        stages,
        run: None,
    };
    Ok((loaded, record))
}

/// The objects of both trees that are `shard`'s.
async fn listed(shard: Shard, (songs, logs): (&Source, &Source)) -> Result<(TreePlan, TreePlan)> {
    let (song_listing, log_listing) = tokio::try_join!(list(songs, "song"), list(logs, "log"))?;
    let everything = Manifest::new();
    Ok((
        TreePlan::of("song", song_listing, &everything).shard(shard),
        TreePlan::of("log", log_listing, &everything).shard(shard),
    ))
}

/// What a tree's reading read, as the registry records it: objects, bytes, records.
fn read(summary: &SourceSummary) -> [u64; 3] {
    [summary.objects, summary.bytes, summary.records]
}

/// A merge's or a discard's connection to the target, with the run's SQL and the registry
/// (created if missing).
pub(super) async fn open_registry(request: &MergeRequest) -> Result<(Database, Client, ShardSql)> {
    let database = Database::new(&target_url(&request.target).await?, request.dialect)?;
    let client = database.connect().await?;
    let sql = ShardSql::new(database.sql(), &request.schema, &request.run_id);
    create_registry(&database, &client, &sql).await?;
    Ok((database, client, sql))
}

/// The target schema (`ensure_schema` looks again when it loses a race to create it) and
/// the shard registry in it. Workers that start together race to create the registry, and
/// all but one fail on the catalog's unique names: those try again and find it.
async fn create_registry(database: &Database, client: &Client, sql: &ShardSql) -> Result<()> {
    ensure_schema(database, client, sql.target()).await?;
    let retries = (REGISTRY_ATTEMPTS, std::time::Duration::from_millis(50));
    database
        .run_retrying(
            client,
            "create the shard registry",
            &sql.registry(),
            retries,
        )
        .await?;
    Ok(())
}

/// `merge --run-id ID`: every shard of a run into the five tables, in one transaction.
pub async fn merge(config: &MergeConfig) -> Result<Report> {
    let request = &config.request;
    let started_at = crate::report::now();
    let outcome = merge_shards(config).await;
    if let Ok(database) = Database::new(&target_url(&request.target).await?, request.dialect) {
        let run = (request.run_id.as_str(), "client merge".to_string());
        let row = HistoryRow::new(run, started_at, outcome.as_ref(), 0);
        crate::history::append(&database, &request.schema, &row).await;
    }
    outcome
}

/// [`merge`], before its row in the history.
async fn merge_shards(config: &MergeConfig) -> Result<Report> {
    let started = Instant::now();
    let request = &config.request;
    let (database, main, sql) = open_registry(request).await?;
    for attempt in 1..=MERGE_ATTEMPTS {
        let work = (&request.schema, request.run_id.as_str(), Contents::Work);
        let private = PrivateTables::create(&main, &database, work).await?;
        let merged = merge_once(config, &private, &sql).await;
        private.abandon().await;
        let Some((finished, stages)) = merged? else {
            tracing::warn!(
                attempt,
                "another load changed schema {} while the shards were gathered; gathering again",
                request.schema
            );
            continue;
        };
        let tables = merge::counted_after_commit(&database, &main, &request.schema).await;
        return Ok(Report {
            mode: "client",
            target: database.label().to_string(),
            schema: request.schema.to_string(),
            tables,
            songs: finished.summary(|r| (&r.song_uri, &r.songs)),
            logs: finished.summary(|r| (&r.log_uri, &r.logs)),
            bad_records: 0,
            reject_file: None,
            stages,
            seconds: started.elapsed().as_secs_f64(),
            peak_rss_mib: peak_rss_mib(),
            shards: Some(Shards {
                run_id: request.run_id.clone(),
                shard: None,
                count: finished.shards.len() as u32,
            }),
        });
    }
    Err(ManifestError::ShardsKeptChanging {
        schema: request.schema.to_string(),
        tries: MERGE_ATTEMPTS,
    }
    .into())
}

/// One attempt: `None` when the target changed before the merge could take its lock.
async fn merge_once(
    config: &MergeConfig,
    private: &PrivateTables<'_>,
    sql: &ShardSql,
) -> Result<Option<(Finished, Vec<crate::report::Stage>)>> {
    let request = &config.request;
    let (database, client) = (private.database, private.client);
    let merge = MergeSql::new(
        database.sql(),
        &request.schema,
        &private.tables(),
        &request.run_id,
    );
    let started = Instant::now();
    let finished = read_finished(database, client, sql).await?;
    let shards = finished.complete(&request.run_id)?;
    let found = Found::read(database, client, &merge).await?;
    let create_tables = found.create_tables(&request.schema, true, &merge)?;
    let work = private.tables();
    database
        .run(
            client,
            "gather the shards' objects",
            &sql.gather_objects(&work, &shards),
        )
        .await?;
    for &shard in &shards {
        database
            .run(
                client,
                "gather a shard's rows",
                &sql.gather_shard(&work, shard),
            )
            .await?;
    }
    database
        .run(client, "analyze the work tables", &merge.analyze_work())
        .await?;
    let mut stages = vec![stage("gather", started.elapsed())];

    let plan = MergePlan {
        found,
        create_tables,
        full: true,
        epilogue: sql.spend(&shards),
        allow_empty: request.allow_empty,
    };
    let target = (&request.schema, config.gate.as_ref());
    let Some(merged) = commit(target, database, client, &merge, &plan).await? else {
        return Ok(None);
    };
    stages.extend(merged);
    Ok(Some((finished, stages)))
}
