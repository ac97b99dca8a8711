//! Copy mode on PostgreSQL: each record's raw JSON text streamed with binary `COPY … FROM
//! STDIN` into the raw tables, then every check, coercion and star-schema rule in SQL
//! (`sql/postgres/copy/`): a second implementation of SPEC, independent of the Rust one.

use std::time::Instant;

use super::client::{log_objects_in_flight, Trees};
use super::progress::Progress;
use super::rejects::Rejects;
use super::tree::{self, Tree};
use super::Loaded;
use crate::check::RunCounts;
use crate::config::LoadConfig;
use crate::db::sql::postgres_copy;
use crate::error::{Result, TargetError};
use crate::parse::Bounds;
use crate::parse::{BadRecord, Decoded, RawJson};
use crate::report::{stage, SourceSummary, Stage};
use crate::sink::private::PrivateTables;
use crate::sink::raw::{RawTable, RawWriter};

/// Raw records into the raw tables, then checks and transforms in SQL.
pub(super) async fn fill(
    config: &LoadConfig,
    private: &PrivateTables<'_>,
    trees: &Trees<'_>,
    rejects: &mut Rejects,
) -> Result<Loaded> {
    let mut stages = Vec::new();
    private
        .run("prepare copy mode", postgres_copy::PREPARE)
        .await?;
    let (songs, logs) = copy_and_check(config, private, trees, rejects, &mut stages).await?;

    let run = run_counts(private).await?;
    let transforming = Instant::now();
    private
        .run("transform in SQL", postgres_copy::TRANSFORM)
        .await?;
    let tables = private
        .database
        .count_rows_in(private.client, &private.tables.qualifier())
        .await?;
    stages.push(stage("transform in SQL", transforming.elapsed()));
    tracing::info!("star schema built in SQL");
    Ok(Loaded {
        tables,
        songs,
        logs,
        stages,
        run: Some(run),
    })
}

/// The good plays the run read and their users, counted before the rules run.
async fn run_counts(private: &PrivateTables<'_>) -> Result<RunCounts> {
    let rows = private
        .database
        .text_rows(
            private.client,
            "count the plays read",
            &private.sql(postgres_copy::PLAYS),
        )
        .await?;
    RunCounts::from_rows(&rows)
}

/// Incremental runs: the selected objects' raw records copied and checked as in a rebuild,
/// then the good ones into the work tables for the merge. Gives what each tree held and the
/// stages' times.
pub(super) async fn fill_work(
    config: &LoadConfig,
    private: &PrivateTables<'_>,
    trees: &Trees<'_>,
    rejects: &mut Rejects,
) -> Result<(SourceSummary, SourceSummary, Vec<Stage>)> {
    let mut stages = Vec::new();
    private
        .run("prepare copy mode", postgres_copy::PREPARE)
        .await?;
    let (songs, logs) = copy_and_check(config, private, trees, rejects, &mut stages).await?;
    let working = Instant::now();
    private
        .run("good records into the work tables", postgres_copy::WORK)
        .await?;
    stages.push(stage("work tables in SQL", working.elapsed()));
    Ok((songs, logs, stages))
}

/// Copies both trees' raw records, then checks and coerces them in SQL; the bad ones go to
/// `rejects`.
async fn copy_and_check(
    config: &LoadConfig,
    private: &PrivateTables<'_>,
    trees: &Trees<'_>,
    rejects: &mut Rejects,
    stages: &mut Vec<Stage>,
) -> Result<(SourceSummary, SourceSummary)> {
    let progress = Progress::new(config.progress);
    let copying = Instant::now();
    let raw = (config, private, &progress);
    let mut songs = copy_tree(raw, trees, RawTable::Songs, rejects).await?;
    let mut logs = copy_tree(raw, trees, RawTable::Events, rejects).await?;
    stages.push(stage("copy raw records", copying.elapsed()));
    tracing::info!(
        songs = songs.records,
        events = logs.records,
        "raw records copied"
    );

    let checking = Instant::now();
    let (bad_songs, bad_events) = check(private).await?;
    songs.records -= bad_songs.len() as u64;
    logs.records -= bad_events.len() as u64;
    rejects.add(bad_songs)?;
    rejects.add(bad_events)?;
    stages.push(stage("check in SQL", checking.elapsed()));
    Ok((songs, logs))
}

/// Streams a tree's records, split but not parsed, into its raw table.
async fn copy_tree(
    (config, private, progress): (&LoadConfig, &PrivateTables<'_>, &Progress),
    trees: &Trees<'_>,
    table: RawTable,
    rejects: &mut Rejects,
) -> Result<SourceSummary> {
    let (bar, uri, in_flight, source, objects) = match table {
        RawTable::Songs => (
            "songs",
            &config.song_data,
            config.concurrency,
            trees.songs,
            trees.song_objects,
        ),
        RawTable::Events => (
            "events",
            &config.log_data,
            log_objects_in_flight(config.concurrency),
            trees.logs,
            trees.log_objects,
        ),
    };
    let raw = Tree {
        source,
        uri,
        objects,
        bar,
        in_flight,
        // Raw records keep no values of their own: the SQL checks the rest.
        bounds: Bounds::default(),
    };
    let mut writer = RawWriter::open(private, table).await?;
    let summary = tree::read::<RawJson, _, _>(
        raw,
        progress,
        rejects,
        |rank, label: &str, decoded: Decoded<RawJson>| {
            let records = decoded.records.len();
            (
                records,
                decoded.bad,
                (rank, label.to_string(), decoded.records),
            )
        },
        async |(rank, label, records)| {
            for (line, RawJson(record)) in records {
                writer
                    .write(private, &label, rank as i32, line as i32, &record)
                    .await?;
            }
            Ok(true)
        },
    )
    .await?;
    writer.finish(private).await?;
    Ok(summary)
}

/// Checks and coerces every raw record; gives the bad ones of the songs and of the events.
async fn check(
    private: &PrivateTables<'_>,
) -> Result<(Vec<BadRecord>, Vec<BadRecord>), TargetError> {
    private
        .run("check and coerce records", postgres_copy::TYPED)
        .await?;
    let rows = private
        .client
        .query(&private.sql(postgres_copy::BAD_RECORDS), &[])
        .await
        .map_err(|e| private.database.error("read bad records", e))?;
    let (mut songs, mut events) = (Vec::new(), Vec::new());
    for row in rows {
        let bad = BadRecord {
            key: row.get(1),
            line: u64::try_from(row.get::<_, i32>(2)).unwrap_or(0),
            reason: row.get(3),
            raw: row.get(4),
        };
        match row.get::<_, &str>(0) {
            "songs" => songs.push(bad),
            _ => events.push(bad),
        }
    }
    Ok((songs, events))
}
