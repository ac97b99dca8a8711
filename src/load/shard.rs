//! Sharded loads (docs/SCALE.md). A worker (`load --shard K/N --run-id ID`) reads the
//! objects of both trees whose keys hash to its shard, parses and checks them as client
//! mode does, and writes them into its own tables in the target schema, then marks
//! itself finished. `merge --run-id ID` gathers every shard into one run's work tables
//! and merges them in one transaction through the incremental merge (`db::merge`), which
//! applies the rules that look across objects, so the tables equal one load of the same
//! objects; the manifest records every object, and the run's id is spent.

use std::collections::BTreeSet;
use std::time::Instant;

use tokio_postgres::Client;

use super::client::{self, Trees};
use super::incremental::{self, commit, Found, MergePlan};
use super::manifest::{list, objects_read, Manifest, TreePlan};
use super::rejects::Rejects;
use super::{target_url, Loaded};
use crate::config::LoadConfig;
use crate::config::{MergeConfig, MergeRequest, Shard};
use crate::db::literal::Literals;
use crate::db::merge::MergeSql;
use crate::db::shard::{ShardRecord, ShardSql};
use crate::db::Database;
use crate::error::{Error, Result};
use crate::report::{peak_rss_mib, stage, Report, Shards, SourceSummary, TableCounts};
use crate::sink::private::{ensure_schema, Contents, PrivateTables};
use crate::sink::RowSink;

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
        return Err(Error::Manifest(format!(
            "run {} was merged already: give this load a new --run-id",
            config.run_id
        )));
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
    database
        .run(
            client,
            "drop what an earlier attempt of this shard left",
            &sql.drop_earlier(shard.index),
        )
        .await?;
    database
        .run(client, "create the shard's tables", &work.work_tables())
        .await?;
    let (song_listing, log_listing) = tokio::try_join!(list(&songs, "song"), list(&logs, "log"))?;
    let everything = Manifest::new();
    let song_plan = TreePlan::of("song", song_listing, &everything).shard(shard);
    let log_plan = TreePlan::of("log", log_listing, &everything).shard(shard);
    let mut stages = vec![stage("list", started.elapsed())];
    tracing::info!(
        shard = shard.index,
        of = shard.count,
        song_objects = song_plan.new.len(),
        log_objects = log_plan.new.len(),
        "this shard's objects listed"
    );

    // The shard's tables, written as an incremental run writes its work tables.
    let sink = super::rebuild::insert_sink(config, (database, tables), vec![client]).await?;
    let trees = Trees {
        songs: &songs,
        logs: &logs,
        song_objects: &song_plan.objects(),
        log_objects: &log_plan.objects(),
    };
    let filled = client::fill_work(config, &sink, &trees, rejects).await;
    let (song_summary, log_summary, fill_stages) = rejects.settle(filled)?;
    stages.extend(fill_stages);
    let objects = objects_read(
        (&song_plan.new, &song_summary),
        (&log_plan.new, &log_summary),
    );
    client::write_all(sink.table(0), objects).await?;

    let record = ShardRecord {
        song_uri: config.song_data.to_string(),
        log_uri: config.log_data.to_string(),
        songs: [
            song_summary.objects,
            song_summary.bytes,
            song_summary.records,
        ],
        logs: [log_summary.objects, log_summary.bytes, log_summary.records],
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

/// A run's registry rows: its finished shards, and whether it was merged.
#[derive(Debug, Default)]
pub(super) struct Finished {
    pub(super) merged: bool,
    /// (shard, shard count, what it read), by shard.
    pub(super) shards: Vec<(u32, u32, ShardRecord)>,
}

pub(super) async fn read_finished(
    database: &Database,
    client: &Client,
    sql: &ShardSql,
) -> Result<Finished> {
    let rows = database
        .text_rows(client, "read the shard registry", &sql.finished())
        .await?;
    let mut finished = Finished::default();
    for row in rows {
        let unreadable = || Error::Internal(format!("the shard registry gave {row:?}"));
        let text = |i: usize| row.get(i).cloned().flatten().ok_or_else(unreadable);
        let number = |i: usize| text(i)?.parse::<i64>().map_err(|_| unreadable());
        let shard = number(0)?;
        if shard < 0 {
            finished.merged = true;
            continue;
        }
        let count = |range: std::ops::Range<usize>| -> Result<Vec<u64>> {
            range.map(|i| Ok(number(i)? as u64)).collect()
        };
        let (songs, logs) = (count(4..7)?, count(7..10)?);
        finished.shards.push((
            shard as u32,
            number(1)? as u32,
            ShardRecord {
                song_uri: text(2)?,
                log_uri: text(3)?,
                songs: [songs[0], songs[1], songs[2]],
                logs: [logs[0], logs[1], logs[2]],
            },
        ));
    }
    Ok(finished)
}

impl Finished {
    /// The shards to merge, all `0..N` of them; refuses a run that is merged, has no
    /// finished shard, whose shards disagree, or that misses a shard.
    fn complete(&self, run_id: &str) -> Result<Vec<u32>> {
        if self.merged {
            return Err(Error::Manifest(format!(
                "run {run_id} was merged already; nothing was done"
            )));
        }
        let Some((_, count, first)) = self.shards.first() else {
            return Err(Error::Manifest(format!(
                "run {run_id} has no finished shard: run its workers (load --shard K/N \
                 --run-id {run_id}) first"
            )));
        };
        let counts: BTreeSet<u32> = self.shards.iter().map(|(_, n, _)| *n).collect();
        if counts.len() > 1 {
            return Err(Error::Manifest(format!(
                "the shards of run {run_id} disagree on how many shards there are ({}): \
                 run every worker with the same N, then merge",
                join(counts.iter())
            )));
        }
        if let Some((shard, _, other)) = self
            .shards
            .iter()
            .find(|(_, _, r)| (&r.song_uri, &r.log_uri) != (&first.song_uri, &first.log_uri))
        {
            return Err(Error::Manifest(format!(
                "shard {shard} of run {run_id} read {} and {}, not {} and {} as shard {} \
                 did: run every worker on the same trees, then merge",
                other.song_uri, other.log_uri, first.song_uri, first.log_uri, self.shards[0].0
            )));
        }
        let done: BTreeSet<u32> = self.shards.iter().map(|(k, _, _)| *k).collect();
        let missing: Vec<u32> = (0..*count).filter(|k| !done.contains(k)).collect();
        if !missing.is_empty() {
            return Err(Error::Manifest(format!(
                "run {run_id} misses shard{} {} of {count} (numbered from 0): run {} \
                 (load --shard K/{count} --run-id {run_id}), then merge again; nothing was \
                 merged",
                if missing.len() == 1 { "" } else { "s" },
                join(missing.iter()),
                if missing.len() == 1 { "it" } else { "them" },
            )));
        }
        Ok(done.into_iter().collect())
    }

    /// What all the shards read of one tree.
    fn summary(&self, tree: fn(&ShardRecord) -> (&String, &[u64; 3])) -> SourceSummary {
        let mut summary = SourceSummary::default();
        for (_, _, record) in &self.shards {
            let (uri, [objects, bytes, records]) = tree(record);
            summary.uri.clone_from(uri);
            summary.objects += objects;
            summary.bytes += bytes;
            summary.records += records;
        }
        summary
    }
}

/// "1, 2 and 3".
pub(super) fn join<T: ToString>(items: impl Iterator<Item = T>) -> String {
    let items: Vec<String> = items.map(|i| i.to_string()).collect();
    match items.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
        _ => items.concat(),
    }
}

/// `merge --run-id ID`: every shard of a run into the five tables, in one transaction.
pub async fn merge(config: &MergeConfig) -> Result<Report> {
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
        let tables = incremental::counted_after_commit(&database, &main, &request.schema).await;
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
    Err(Error::Manifest(format!(
        "other loads kept changing schema {} while the shards were gathered \
         ({MERGE_ATTEMPTS} tries); nothing was merged: run the merge again",
        request.schema
    )))
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

#[cfg(test)]
mod tests {
    use super::*;

    fn finished(shards: &[(u32, u32)]) -> Finished {
        Finished {
            merged: false,
            shards: shards
                .iter()
                .map(|&(k, n)| (k, n, ShardRecord::default()))
                .collect(),
        }
    }

    #[test]
    fn a_run_is_complete_only_with_every_shard() {
        assert_eq!(
            finished(&[(0, 3), (1, 3), (2, 3)]).complete("r").unwrap(),
            [0, 1, 2]
        );
        let missing = finished(&[(1, 4)]).complete("r").unwrap_err().to_string();
        assert!(
            missing.contains("misses shards 0, 2 and 3 of 4"),
            "{missing}"
        );
        let one = finished(&[(0, 2)]).complete("r").unwrap_err().to_string();
        assert!(one.contains("misses shard 1 of 2"), "{one}");
        let disagree = finished(&[(0, 2), (1, 3)])
            .complete("r")
            .unwrap_err()
            .to_string();
        assert!(disagree.contains("disagree on how many shards there are (2 and 3)"));
        let none = finished(&[]).complete("r").unwrap_err().to_string();
        assert!(none.contains("has no finished shard"), "{none}");
        let mut merged = finished(&[(0, 1)]);
        merged.merged = true;
        assert!(merged
            .complete("r")
            .unwrap_err()
            .to_string()
            .contains("merged already"));
    }
}
