//! Copy mode on PostgreSQL: each record's raw JSON text streamed with binary `COPY … FROM
//! STDIN` into staging tables, then every check, coercion and star-schema rule in SQL
//! (`sql/postgres/copy/`): a second implementation of SPEC, independent of the Rust one.

use std::time::Instant;

use super::manifest::TreeObjects;
use super::progress::Progress;
use super::rejects::Rejects;
use super::tree::{self, Tree};
use super::{log_objects_in_flight, Loaded};
use crate::check::RunCounts;
use crate::config::LoadRequest;
use crate::db::sql::postgres_copy;
use crate::error::{Result, TargetError};
use crate::parse::Bounds;
use crate::parse::{BadRecord, Decoded, RawJson};
use crate::report::{stage, SourceSummary, Stage};
use crate::sink::raw::{RawTable, RawWriter};
use crate::sink::staging::Staging;
use crate::source::Source;

/// Raw records into staging tables, then checks and transforms in SQL.
pub(super) async fn fill(
    request: &LoadRequest,
    staging: &Staging<'_>,
    (songs_source, logs_source): (&Source, &Source),
    rejects: &mut Rejects,
) -> Result<Loaded> {
    let mut stages = Vec::new();
    staging
        .run("prepare copy mode", postgres_copy::PREPARE)
        .await?;
    let (songs, logs) = copy_and_check(
        request,
        staging,
        (songs_source, logs_source),
        (&TreeObjects::All, &TreeObjects::All),
        rejects,
        &mut stages,
    )
    .await?;

    let run = run_counts(staging).await?;
    let transforming = Instant::now();
    staging
        .run("transform in SQL", postgres_copy::TRANSFORM)
        .await?;
    let tables = staging
        .database
        .count_rows_in(staging.client, &staging.tables.qualifier())
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
async fn run_counts(staging: &Staging<'_>) -> Result<RunCounts> {
    let rows = staging
        .database
        .text_rows(
            staging.client,
            "count the plays read",
            &staging.sql(postgres_copy::PLAYS),
        )
        .await?;
    RunCounts::from_rows(&rows)
}

/// Incremental runs: the selected objects' raw records copied and checked as in a rebuild,
/// then the good ones into the work tables for the merge. Gives what each tree held and the
/// stages' times.
pub(super) async fn fill_work(
    request: &LoadRequest,
    staging: &Staging<'_>,
    sources: (&Source, &Source),
    objects: (&TreeObjects, &TreeObjects),
    rejects: &mut Rejects,
) -> Result<(SourceSummary, SourceSummary, Vec<Stage>)> {
    let mut stages = Vec::new();
    staging
        .run("prepare copy mode", postgres_copy::PREPARE)
        .await?;
    let (songs, logs) =
        copy_and_check(request, staging, sources, objects, rejects, &mut stages).await?;
    let working = Instant::now();
    staging
        .run("good records into the work tables", postgres_copy::WORK)
        .await?;
    stages.push(stage("work tables in SQL", working.elapsed()));
    Ok((songs, logs, stages))
}

/// Copies both trees' raw records, then checks and coerces them in SQL; the bad ones go to
/// `rejects`.
async fn copy_and_check(
    request: &LoadRequest,
    staging: &Staging<'_>,
    (songs_source, logs_source): (&Source, &Source),
    (song_objects, log_objects): (&TreeObjects, &TreeObjects),
    rejects: &mut Rejects,
    stages: &mut Vec<Stage>,
) -> Result<(SourceSummary, SourceSummary)> {
    let progress = Progress::new(request.progress);
    let copying = Instant::now();
    let mut songs = copy_tree(
        request,
        staging,
        (songs_source, song_objects),
        RawTable::Songs,
        &progress,
        rejects,
    )
    .await?;
    let mut logs = copy_tree(
        request,
        staging,
        (logs_source, log_objects),
        RawTable::Events,
        &progress,
        rejects,
    )
    .await?;
    stages.push(stage("copy raw records", copying.elapsed()));
    tracing::info!(
        songs = songs.records,
        events = logs.records,
        "raw records copied"
    );

    let checking = Instant::now();
    let (bad_songs, bad_events) = check(staging).await?;
    songs.records -= bad_songs.len() as u64;
    logs.records -= bad_events.len() as u64;
    rejects.add(bad_songs)?;
    rejects.add(bad_events)?;
    stages.push(stage("check in SQL", checking.elapsed()));
    Ok((songs, logs))
}

/// Streams a tree's records, split but not parsed, into its raw table.
async fn copy_tree(
    request: &LoadRequest,
    staging: &Staging<'_>,
    (source, objects): (&Source, &TreeObjects),
    table: RawTable,
    progress: &Progress,
    rejects: &mut Rejects,
) -> Result<SourceSummary> {
    let (bar, uri, in_flight) = match table {
        RawTable::Songs => ("songs", &request.song_data, request.concurrency),
        RawTable::Events => (
            "events",
            &request.log_data,
            log_objects_in_flight(request.concurrency),
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
    let mut writer = RawWriter::open(staging, table).await?;
    let summary = tree::read(
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
                    .write(staging, &label, rank as i32, line as i32, &record)
                    .await?;
            }
            Ok(true)
        },
    )
    .await?;
    writer.finish(staging).await?;
    Ok(summary)
}

/// Checks and coerces every raw record; gives the bad ones of the songs and of the events.
async fn check(staging: &Staging<'_>) -> Result<(Vec<BadRecord>, Vec<BadRecord>), TargetError> {
    staging
        .run("check and coerce records", postgres_copy::TYPED)
        .await?;
    let rows = staging
        .client
        .query(&staging.sql(postgres_copy::BAD_RECORDS), &[])
        .await
        .map_err(|e| staging.database.error("read bad records", e))?;
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
