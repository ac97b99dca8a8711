//! Client mode's one pipeline, over any [`RowSink`]: songs read and parsed into the
//! catalog; events streamed through it while songs, artists, songplays and time (each
//! start time when first seen) are written; then users. The sink decides where the rows go
//! (INSERTs over the load's connections, gzip CSV parts for COPY, a printed plan).
//! Incremental runs and shards read records instead of rows ([`fill_work`]): the rules run
//! in the merge.

use std::sync::Arc;
use std::time::Instant;

use tokio::sync::{mpsc, Mutex};

use super::manifest::TreeObjects;
use super::progress::Progress;
use super::rejects::Rejects;
use super::tree::{self, Tree};
use super::Loaded;
use crate::check::RunCounts;
use crate::config::LoadConfig;
use crate::cpu::on_rayon;
use crate::error::Result;
use crate::model::{EventRecord, PlayRecord, SongRecord, SongplayRow, TimeRow};
use crate::parse::Decoded;
use crate::report::{stage, SourceSummary, Stage, TableCounts};
use crate::sink::{RowSink, TableRow, TableSink};
use crate::source::{Source, SourceUri};
use crate::transform::songplays::is_play;
use crate::transform::{Catalog, EventFold, NewRows, ObjectFold};

/// Objects' new rows in flight between the event stage and the sink's lanes.
const NEW_ROWS_CHANNEL_DEPTH: usize = 16;

/// The song tree and the log tree of a load, as client mode reads them.
pub(super) struct Trees<'a> {
    pub songs: &'a Source,
    pub logs: &'a Source,
    pub song_objects: &'a TreeObjects,
    pub log_objects: &'a TreeObjects,
}

impl<'a> Trees<'a> {
    /// Every object of both trees.
    pub(super) fn all(songs: &'a Source, logs: &'a Source) -> Trees<'a> {
        Trees {
            songs,
            logs,
            song_objects: &TreeObjects::All,
            log_objects: &TreeObjects::All,
        }
    }
}

/// Fills a rebuild's private tables from the two trees through `sink`.
pub(super) async fn fill<S: RowSink>(
    config: &LoadConfig,
    sink: &S,
    trees: &Trees<'_>,
    rejects: &mut Rejects,
) -> Result<Loaded> {
    let progress = Progress::new(config.progress);
    let started = Instant::now();
    let (records, songs) = read_songs(config, trees, &progress, rejects).await?;
    let catalog = Arc::new(on_rayon(move || Catalog::new(records)).await?);
    tracing::info!(
        records = songs.records,
        objects = songs.objects,
        "songs read"
    );
    let mut stages = vec![stage("songs", started.elapsed())];

    let started = Instant::now();
    let (counts, fold, logs) =
        events_and_rows(config, sink, catalog, trees, &progress, rejects).await?;
    stages.push(stage(S::EVENTS_STAGE, started.elapsed()));
    tracing::info!(
        events = logs.records,
        songplays = counts.songplays,
        time = counts.time,
        "events read, songplays and time written"
    );

    let started = Instant::now();
    let plays_read = fold.plays();
    let users = on_rayon(move || fold.finish()).await?;
    let users_read = users.len() as u64;
    let users = write_all(sink.table(0), users).await?;
    stages.push(stage("users", started.elapsed()));
    tracing::info!(users, "users written");
    stages.extend(sink.close().await?);

    Ok(Loaded {
        tables: TableCounts { users, ..counts },
        songs,
        logs,
        stages,
        // What the rules made of the events, counted apart from the sink.
        run: Some(RunCounts {
            plays: plays_read,
            users: users_read,
        }),
    })
}

/// Writes all of one table's rows through one writer; gives how many.
pub(super) async fn write_all<R: TableRow>(
    mut table: impl TableSink<R>,
    rows: impl IntoIterator<Item = R>,
) -> Result<u64> {
    table.push(rows).await?;
    table.finish().await
}

/// Reads and parses the song records of the selected objects.
async fn read_songs(
    config: &LoadConfig,
    trees: &Trees<'_>,
    progress: &Progress,
    rejects: &mut Rejects,
) -> Result<(Vec<SongRecord>, SourceSummary)> {
    let songs = Tree {
        source: trees.songs,
        uri: &config.song_data,
        objects: trees.song_objects,
        bar: "songs",
        in_flight: config.concurrency,
        bounds: config.dialect.bounds(),
    };
    let mut records: Vec<SongRecord> = Vec::new();
    let summary = tree::read::<SongRecord, _, _>(
        songs,
        progress,
        rejects,
        |_, _: &str, decoded: Decoded<SongRecord>| {
            (decoded.records.len(), decoded.bad, decoded.records)
        },
        async |read| {
            records.extend(read.into_iter().map(|(_, record)| record));
            Ok(true)
        },
    )
    .await?;
    Ok((records, summary))
}

/// Streams the events through the catalog while songs and artists, then songplays and
/// time, are written: every lane takes objects' new rows from one queue, the first once
/// songs and artists are in. Gives the counts of those four tables and the fold of users.
async fn events_and_rows<S: RowSink>(
    config: &LoadConfig,
    sink: &S,
    catalog: Arc<Catalog>,
    trees: &Trees<'_>,
    progress: &Progress,
    rejects: &mut Rejects,
) -> Result<(TableCounts, EventFold, SourceSummary)> {
    let (new_rows_tx, new_rows_rx) = mpsc::channel::<NewRows>(NEW_ROWS_CHANNEL_DEPTH);
    let queue = Mutex::new(new_rows_rx);
    let catalog_then_songplays = async {
        let songs = write_all(sink.table(0), catalog.songs.iter().cloned()).await?;
        let artists = write_all(sink.table(0), catalog.artists.iter().cloned()).await?;
        let new_rows = new_rows_from(&queue, sink, 0).await?;
        Ok((songs, artists, new_rows))
    };
    let new_rows = futures::future::try_join_all(
        (1..sink.lanes()).map(|lane| new_rows_from(&queue, sink, lane)),
    );
    let read_events = read_events(config, trees, &catalog, progress, rejects, new_rows_tx);
    let ((songs, artists, first), rest, (fold, summary)) =
        tokio::try_join!(catalog_then_songplays, new_rows, read_events)?;
    let counts = TableCounts {
        songplays: first.0 + rest.iter().map(|(songplays, _)| songplays).sum::<u64>(),
        time: first.1 + rest.iter().map(|(_, time)| time).sum::<u64>(),
        songs,
        artists,
        ..TableCounts::default()
    };
    Ok((counts, fold, summary))
}

/// Reads every event through the catalog and folds users; each object's songplays and
/// first-seen start times go to `new_rows` as they come, until its receiver is gone.
async fn read_events(
    config: &LoadConfig,
    trees: &Trees<'_>,
    catalog: &Arc<Catalog>,
    progress: &Progress,
    rejects: &mut Rejects,
    new_rows: mpsc::Sender<NewRows>,
) -> Result<(EventFold, SourceSummary)> {
    let mut fold = EventFold::default();
    let catalog = Arc::clone(catalog);
    let summary = tree::read::<EventRecord<'static>, _, _>(
        events_tree(config, trees),
        progress,
        rejects,
        move |index, _: &str, decoded: Decoded<EventRecord<'_>>| {
            let records = decoded.records.len();
            let folded = ObjectFold::of_events(&catalog, index, decoded.records);
            (records, decoded.bad, folded)
        },
        async |folded| {
            let batch = fold.merge(folded);
            Ok(new_rows.send(batch).await.is_ok())
        },
    )
    .await?;
    Ok((fold, summary))
}

/// The log tree as client mode reads it.
fn events_tree<'a>(config: &'a LoadConfig, trees: &Trees<'a>) -> Tree<'a> {
    Tree {
        source: trees.logs,
        uri: &config.log_data,
        objects: trees.log_objects,
        bar: "events",
        in_flight: log_objects_in_flight(config.concurrency),
        bounds: config.dialect.bounds(),
    }
}

/// Log objects read at once: a quarter of the song objects. A log object is a day of
/// events read chunk by chunk, so a few keep the cores busy and each holds a chunk or two
/// in memory; song objects are small and many, and need more in flight to hide latency.
pub(super) fn log_objects_in_flight(concurrency: usize) -> usize {
    (concurrency / 4).max(1)
}

/// Writes objects' songplays and time rows from a queue that other lanes share, until it
/// closes; gives how many of each.
async fn new_rows_from<S: RowSink>(
    queue: &Mutex<mpsc::Receiver<NewRows>>,
    sink: &S,
    lane: usize,
) -> Result<(u64, u64)> {
    let mut songplays = sink.table::<SongplayRow>(lane);
    let mut time = sink.table::<TimeRow>(lane);
    loop {
        let batch = queue.lock().await.recv().await;
        let Some(batch) = batch else { break };
        songplays.push(batch.songplays).await?;
        time.push(batch.times.into_iter().map(TimeRow::at)).await?;
    }
    Ok((songplays.finish().await?, time.finish().await?))
}

/// Incremental runs and shards: the selected objects' good song records and plays, parsed
/// and checked here as in a rebuild, into the work tables through `sink`'s first lane;
/// the rules run in the merge, where the earlier runs' rows are. Gives what each tree held
/// and the stages' times.
pub(super) async fn fill_work<S: RowSink>(
    config: &LoadConfig,
    sink: &S,
    trees: &Trees<'_>,
    rejects: &mut Rejects,
) -> Result<(SourceSummary, SourceSummary, Vec<Stage>)> {
    let progress = Progress::new(config.progress);
    let started = Instant::now();
    let (records, songs) = read_songs(config, trees, &progress, rejects).await?;
    write_all(sink.table(0), records).await?;
    let read_songs = stage("songs", started.elapsed());

    let started = Instant::now();
    let mut new_plays = sink.table::<PlayRecord>(0);
    let logs = tree::read::<EventRecord<'static>, _, _>(
        events_tree(config, trees),
        &progress,
        rejects,
        |rank, _: &str, decoded: Decoded<EventRecord<'_>>| {
            let records = decoded.records.len();
            let plays: Vec<PlayRecord> = decoded
                .records
                .into_iter()
                .filter(|(_, event)| is_play(event))
                .map(|(line, event)| PlayRecord {
                    object_rank: rank as i32,
                    line: line as i32,
                    event: event.into_owned(),
                })
                .collect();
            (records, decoded.bad, plays)
        },
        async |plays| {
            new_plays.push(plays).await?;
            Ok(true)
        },
    )
    .await?;
    new_plays.finish().await?;
    let read_events = stage("events", started.elapsed());
    Ok((songs, logs, vec![read_songs, read_events]))
}

/// A tree's summary for a route that does not read it here (the cluster's COPY does).
pub(super) fn unread(uri: &SourceUri) -> SourceSummary {
    SourceSummary {
        uri: uri.to_string(),
        ..Default::default()
    }
}
