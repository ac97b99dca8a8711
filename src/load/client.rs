//! Client mode: songs read and parsed into the catalog; events streamed through it while
//! songs, artists, songplays and time (each start time when first seen) are inserted;
//! then users. Three stages, each on the new tables over the load's connections (two
//! unless asked otherwise).

use std::sync::Arc;
use std::time::Instant;

use tokio::sync::mpsc;
use tokio_postgres::Client;

use super::manifest::TreeObjects;
use super::progress::Progress;
use super::rejects::Rejects;
use super::tree::{self, Tree};
use super::{log_objects_in_flight, Loaded};
use crate::check::RunCounts;
use crate::config::{InsertMethod, LoadConfig, LoadRequest};
use crate::cpu::on_rayon;
use crate::db::literal::Literals;
use crate::db::Database;
use crate::db::TableSet;
use crate::error::{Error, Result, TargetError};
use crate::model::{EventRecord, PlayRecord, SongRecord, SongplayRow, TimeRow};
use crate::parse::Decoded;
use crate::report::{stage, SourceSummary, Stage, TableCounts};
use crate::sink::insert::{InsertRow, InsertShape, Inserter, RowEncoding};
use crate::sink::staging::Staging;
use crate::source::Source;
use crate::transform::songplays::is_play;
use crate::transform::{Catalog, EventFold, NewRows, ObjectFold};

/// Objects' new rows in flight between the event stage and the inserters.
const NEW_ROWS_CHANNEL_DEPTH: usize = 16;

/// The new tables and the connections that fill them.
struct Sink<'a> {
    database: &'a Database,
    tables: TableSet,
    shape: InsertShape,
    /// Songs and artists go on the first, then songplays and time on each as it is free;
    /// users on the first at the end.
    clients: Vec<Client>,
}

impl Sink<'_> {
    /// The connection that takes the dimensions first.
    fn dimensions(&self) -> &Client {
        &self.clients[0]
    }

    /// Inserts rows of one table over one connection; gives how many.
    async fn insert<R: InsertRow>(
        &self,
        client: &Client,
        rows: impl IntoIterator<Item = R>,
    ) -> Result<u64, TargetError> {
        let mut inserter = self.inserter(client);
        inserter.push(rows).await?;
        inserter.finish().await
    }

    fn inserter<'c, R: InsertRow>(&'c self, client: &'c Client) -> Inserter<'c, R> {
        Inserter::new(client, self.database, self.tables.clone(), self.shape)
    }
}

/// Fills the staged star schema from the two trees.
pub(super) async fn fill(
    config: &LoadConfig,
    database: &Database,
    staging: &Staging<'_>,
    (songs_source, logs_source): (&Source, &Source),
    rejects: &mut Rejects,
) -> Result<Loaded> {
    let request = &config.request;
    let progress = Progress::new(request.progress);
    let (catalog, songs, read) = songs_stage(request, songs_source, &progress, rejects).await?;
    let mut stages = vec![read];

    let clients =
        futures::future::try_join_all((0..request.insert_connections).map(|_| database.connect()))
            .await?;
    let shape = insert_shape(config, database, &clients[0]).await?;
    let sink = Sink {
        database,
        tables: staging.tables(),
        shape,
        clients,
    };
    let started = Instant::now();
    let (counts, fold, logs) =
        events_and_inserts(request, &sink, catalog, logs_source, &progress, rejects).await?;
    stages.push(stage("events and inserts", started.elapsed()));
    tracing::info!(
        events = logs.records,
        songplays = counts.songplays,
        time = counts.time,
        "events read, songplays and time inserted"
    );

    let started = Instant::now();
    let plays_read = fold.plays();
    let users = on_rayon(move || fold.finish()).await?;
    let users_read = users.len() as u64;
    let users = sink.insert(sink.dimensions(), users).await?;
    stages.push(stage("users", started.elapsed()));
    tracing::info!(users, "users inserted");

    Ok(Loaded {
        tables: TableCounts { users, ..counts },
        songs,
        logs,
        stages,
        // What the rules made of the events, counted apart from the inserts.
        run: Some(RunCounts {
            plays: plays_read,
            users: users_read,
        }),
    })
}

/// A rebuild's first stage: every song object read into the catalog, and its time.
pub(super) async fn songs_stage(
    request: &LoadRequest,
    source: &Source,
    progress: &Progress,
    rejects: &mut Rejects,
) -> Result<(Arc<Catalog>, SourceSummary, Stage)> {
    let started = Instant::now();
    let (catalog, songs) =
        read_songs(request, source, &TreeObjects::All, progress, rejects).await?;
    tracing::info!(
        records = songs.records,
        objects = songs.objects,
        "songs read"
    );
    Ok((catalog, songs, stage("songs", started.elapsed())))
}

/// Reads and parses every song object into the catalog songplays are matched against.
pub(super) async fn read_songs(
    request: &LoadRequest,
    source: &Source,
    objects: &TreeObjects,
    progress: &Progress,
    rejects: &mut Rejects,
) -> Result<(Arc<Catalog>, SourceSummary)> {
    let (records, summary) = read_song_records(request, source, objects, progress, rejects).await?;
    let catalog = Arc::new(on_rayon(move || Catalog::new(records)).await?);
    Ok((catalog, summary))
}

/// Reads and parses the song records of the selected objects.
async fn read_song_records(
    request: &LoadRequest,
    source: &Source,
    objects: &TreeObjects,
    progress: &Progress,
    rejects: &mut Rejects,
) -> Result<(Vec<SongRecord>, SourceSummary)> {
    let songs = Tree {
        source,
        uri: &request.song_data,
        objects,
        bar: "songs",
        in_flight: request.concurrency,
        bounds: request.dialect.bounds(),
    };
    let mut records: Vec<SongRecord> = Vec::new();
    let summary = tree::read(
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
/// time, are inserted: every connection takes objects' new rows from one queue, the
/// dimensions' one once songs and artists are in. Gives the counts of those four tables
/// and the fold of users.
async fn events_and_inserts(
    request: &LoadRequest,
    sink: &Sink<'_>,
    catalog: Arc<Catalog>,
    source: &Source,
    progress: &Progress,
    rejects: &mut Rejects,
) -> Result<(TableCounts, EventFold, SourceSummary)> {
    let (new_rows_tx, new_rows_rx) = mpsc::channel::<NewRows>(NEW_ROWS_CHANNEL_DEPTH);
    let queue = tokio::sync::Mutex::new(new_rows_rx);
    let catalog_then_songplays = async {
        let songs = sink
            .insert(sink.dimensions(), catalog.songs.iter().cloned())
            .await?;
        let artists = sink
            .insert(sink.dimensions(), catalog.artists.iter().cloned())
            .await?;
        let new_rows = new_rows_from(&queue, sink, sink.dimensions()).await?;
        Ok::<_, Error>((songs, artists, new_rows))
    };
    let new_rows = futures::future::try_join_all(
        sink.clients[1..]
            .iter()
            .map(|client| new_rows_from(&queue, sink, client)),
    );

    let read_events = read_events(
        request,
        source,
        &TreeObjects::All,
        &catalog,
        progress,
        rejects,
        new_rows_tx,
    );
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
pub(super) async fn read_events(
    request: &LoadRequest,
    source: &Source,
    objects: &TreeObjects,
    catalog: &Arc<Catalog>,
    progress: &Progress,
    rejects: &mut Rejects,
    new_rows: mpsc::Sender<NewRows>,
) -> Result<(EventFold, SourceSummary)> {
    let mut fold = EventFold::default();
    let catalog = Arc::clone(catalog);
    let summary = tree::read(
        events_tree(request, source, objects),
        progress,
        rejects,
        move |index, _: &str, decoded: Decoded<EventRecord>| {
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
fn events_tree<'a>(
    request: &'a LoadRequest,
    source: &'a Source,
    objects: &'a TreeObjects,
) -> Tree<'a> {
    Tree {
        source,
        uri: &request.log_data,
        objects,
        bar: "events",
        in_flight: log_objects_in_flight(request.concurrency),
        bounds: request.dialect.bounds(),
    }
}

/// How client mode sends rows to this target.
pub(super) async fn insert_shape(
    config: &LoadConfig,
    database: &Database,
    client: &Client,
) -> Result<InsertShape> {
    let encoding = match config.insert_method() {
        InsertMethod::Arrays => RowEncoding::Arrays,
        InsertMethod::Bind => RowEncoding::Bind,
        InsertMethod::Literal => RowEncoding::Literal(Literals::of(database, client).await?),
    };
    Ok(InsertShape::new(
        encoding,
        config.request.statements_in_flight,
    ))
}

/// Incremental runs: the selected objects' good song records and plays, parsed and checked
/// here as in a rebuild, into the work tables; the rules run in the merge, where the
/// earlier runs' rows are, sent as `shape` says. Gives what each tree held and the
/// stages' times.
pub(super) async fn fill_work(
    config: &LoadConfig,
    staging: &Staging<'_>,
    shape: InsertShape,
    (songs_source, logs_source): (&Source, &Source),
    (song_objects, log_objects): (&TreeObjects, &TreeObjects),
    rejects: &mut Rejects,
) -> Result<(SourceSummary, SourceSummary, Vec<Stage>)> {
    let request = &config.request;
    let progress = Progress::new(request.progress);
    let started = Instant::now();
    let (records, songs) =
        read_song_records(request, songs_source, song_objects, &progress, rejects).await?;
    let mut new_songs = work_inserter(staging, shape);
    new_songs.push(records).await?;
    new_songs.finish().await?;
    let read_songs = stage("songs", started.elapsed());

    let started = Instant::now();
    let mut new_plays = work_inserter(staging, shape);
    let logs = tree::read(
        events_tree(request, logs_source, log_objects),
        &progress,
        rejects,
        |rank, _: &str, decoded: Decoded<EventRecord>| {
            let records = decoded.records.len();
            let plays: Vec<PlayRecord> = decoded
                .records
                .into_iter()
                .filter(|(_, event)| is_play(event))
                .map(|(line, event)| PlayRecord {
                    object_rank: rank as i32,
                    line: line as i32,
                    event,
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

/// An inserter into one of the work tables, on the load's own connection.
pub(super) fn work_inserter<'c, R: InsertRow>(
    staging: &'c Staging<'c>,
    shape: InsertShape,
) -> Inserter<'c, R> {
    Inserter::new(staging.client, staging.database, staging.tables(), shape)
}

/// Inserts objects' songplays and time rows from a queue that other connections share,
/// until it closes; gives how many of each.
async fn new_rows_from(
    queue: &tokio::sync::Mutex<mpsc::Receiver<NewRows>>,
    sink: &Sink<'_>,
    client: &Client,
) -> Result<(u64, u64)> {
    let mut songplays = sink.inserter::<SongplayRow>(client);
    let mut time = sink.inserter::<TimeRow>(client);
    loop {
        let batch = queue.lock().await.recv().await;
        let Some(batch) = batch else { break };
        songplays.push(batch.songplays).await?;
        time.push(batch.times.into_iter().map(TimeRow::at)).await?;
    }
    Ok((songplays.finish().await?, time.finish().await?))
}
