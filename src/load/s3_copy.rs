//! Client mode with `--sink s3-copy` (Redshift): the rows are made here as client mode
//! makes them, staged in S3 as gzip CSV parts with a manifest a table, and loaded with one
//! `COPY … MANIFEST` a table into the new tables, whose rows are then moved in and
//! checked as in any rebuild (docs/SCALE.md). Redshift only bulk-loads finished rows.

use std::time::Instant;

use tokio::sync::mpsc;

use super::client::{read_events, songs_stage};
use super::manifest::TreeObjects;
use super::progress::Progress;
use super::rejects::Rejects;
use super::Loaded;
use crate::check::RunCounts;
use crate::config::{LoadConfig, S3Copy};
use crate::cpu::on_rayon;
use crate::db::literal::Literals;
use crate::db::sql::redshift;
use crate::db::TableSet;
use crate::db::{number_at, render, Database};
use crate::error::{Error, Result};
use crate::model::{ArtistRow, SongRow, SongplayRow, TimeRow, UserRow};
use crate::report::{stage, TableCounts};
use crate::sink::insert::InsertRow;
use crate::sink::s3_copy::{S3Stage, Staged, TableParts};
use crate::sink::staging::Staging;
use crate::source::Source;
use crate::transform::NewRows;

/// Fills the new tables through the staging prefix.
pub(super) async fn fill(
    config: &LoadConfig,
    copy: &S3Copy,
    staging: &Staging<'_>,
    (songs_source, logs_source): (&Source, &Source),
    rejects: &mut Rejects,
) -> Result<Loaded> {
    let request = &config.request;
    let database = staging.database;
    let progress = Progress::new(request.progress);
    let (catalog, songs, read) = songs_stage(request, songs_source, &progress, rejects).await?;
    let mut stages = vec![read];

    let slices = match copy.slices {
        Some(slices) => slices as usize,
        None => cluster_slices(database, staging).await?,
    };
    let stage_area =
        S3Stage::connect(&copy.bucket, &copy.prefix, &config.run_id, &request.s3).await;
    let started = Instant::now();
    let (new_rows_tx, mut new_rows_rx) = mpsc::channel::<NewRows>(16);
    let stage_plays_and_time = async {
        let mut plays = TableParts::new::<SongplayRow>(&stage_area, slices);
        let mut times = TableParts::new::<TimeRow>(&stage_area, slices);
        while let Some(batch) = new_rows_rx.recv().await {
            plays.push(batch.songplays).await?;
            times.push(batch.times.into_iter().map(TimeRow::at)).await?;
        }
        Ok::<_, Error>((plays.finish().await?, times.finish().await?))
    };
    let read = read_events(
        request,
        logs_source,
        &TreeObjects::All,
        &catalog,
        &progress,
        rejects,
        new_rows_tx,
    );
    let ((plays, time), (fold, logs)) = tokio::try_join!(stage_plays_and_time, read)?;
    let plays_read = fold.plays();
    let users = on_rayon(move || fold.finish()).await?;
    let users_read = users.len() as u64;
    let users = stage_table(&stage_area, slices, users).await?;
    let song_rows = stage_table(&stage_area, slices, catalog.songs.iter().cloned()).await?;
    let artists = stage_table(&stage_area, slices, catalog.artists.iter().cloned()).await?;
    stages.push(stage("events and staging", started.elapsed()));
    tracing::info!(
        songplays = plays.rows,
        parts = plays.parts,
        slices,
        "rows staged as gzip CSV parts"
    );

    let started = Instant::now();
    let tables = staging.tables();
    let mut counts = TableCounts::default();
    for (table, columns, staged, count) in [
        (
            SongRow::TABLE,
            SongRow::COLUMNS,
            &song_rows,
            &mut counts.songs,
        ),
        (
            ArtistRow::TABLE,
            ArtistRow::COLUMNS,
            &artists,
            &mut counts.artists,
        ),
        (
            SongplayRow::TABLE,
            SongplayRow::COLUMNS,
            &plays,
            &mut counts.songplays,
        ),
        (UserRow::TABLE, UserRow::COLUMNS, &users, &mut counts.users),
        (TimeRow::TABLE, TimeRow::COLUMNS, &time, &mut counts.time),
    ] {
        let sql = copy_statement(copy, &tables, table, columns, &staged.manifest_url);
        *count = copy_and_count(database, staging, table, &sql, staged).await?;
    }
    stages.push(stage("copy", started.elapsed()));
    Ok(Loaded {
        tables: counts,
        songs,
        logs,
        stages,
        run: Some(RunCounts {
            plays: plays_read,
            users: users_read,
        }),
    })
}

/// Stages a whole table's rows.
async fn stage_table<R: InsertRow>(
    stage_area: &S3Stage,
    slices: usize,
    rows: impl IntoIterator<Item = R>,
) -> Result<Staged> {
    let mut parts = TableParts::new::<R>(stage_area, slices);
    parts.push(rows).await?;
    parts.finish().await
}

/// Runs one table's COPY and checks it loaded every staged row. An empty table has no
/// parts and no COPY: COPY fails on a manifest that lists no file.
async fn copy_and_count(
    database: &Database,
    staging: &Staging<'_>,
    table: &str,
    sql: &str,
    staged: &Staged,
) -> Result<u64> {
    if staged.rows == 0 {
        return Ok(0);
    }
    let step = format!("copy {table} from its staged parts");
    database.run(staging.client, &step, sql).await?;
    let rows = database
        .text_rows(staging.client, &step, "SELECT pg_last_copy_count();")
        .await?;
    let loaded = number_at(&rows, 0).unwrap_or(0);
    if loaded != staged.rows {
        return Err(Error::Internal(format!(
            "COPY of {table} loaded {loaded} rows of the {} staged in {}",
            staged.rows, staged.manifest_url
        )));
    }
    Ok(loaded)
}

/// The cluster's slices, from `stv_slices`.
async fn cluster_slices(database: &Database, staging: &Staging<'_>) -> Result<usize> {
    let rows = database
        .text_rows(
            staging.client,
            "count the cluster's slices",
            redshift::SLICES,
        )
        .await?;
    match number_at(&rows, 0) {
        Some(slices) if slices > 0 => Ok(slices as usize),
        _ => Err(Error::Config(
            "stv_slices shows this user no slices: give the cluster's slice count with \
             --slices"
                .into(),
        )),
    }
}

/// One table's `COPY … MANIFEST` from its staged parts into `tables`.
pub(super) fn copy_statement(
    copy: &S3Copy,
    tables: &TableSet,
    table: &str,
    columns: &[&str],
    manifest_url: &str,
) -> String {
    let quote = |text: &str| Literals::REDSHIFT.quote(text);
    render(
        redshift::S3_COPY,
        &[
            ("schema", &tables.schema.quoted()),
            ("table", &tables.name(table)),
            ("columns", &columns.join(", ")),
            ("manifest", &quote(manifest_url)),
            ("iam_role", &quote(&copy.iam_role_arn)),
            ("region", &quote(&copy.region)),
        ],
    )
}
