//! Client mode: songs read and parsed into the catalog; events streamed through it while
//! songs, artists and songplays are inserted; then users and time. Three stages, each on
//! the new tables over two connections.

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
use crate::db::Database;
use crate::error::{Error, Result, TargetError};
use crate::model::{EventRecord, PlayRecord, SongRecord, SongplayRow, TimeRow};
use crate::parse::Decoded;
use crate::report::{stage, SourceSummary, Stage, TableCounts};
use crate::sink::insert::{InsertRow, Inserter, RowEncoding, DEFAULT_ROWS_PER_STATEMENT};
use crate::sink::literal::Literals;
use crate::sink::staging::Staging;
use crate::sink::TableSet;
use crate::source::Source;
use crate::transform::songplays::is_play;
use crate::transform::{Catalog, EventFold, ObjectFold};

/// Songplay batches in flight between the event stage and the songplays inserter.
const SONGPLAY_CHANNEL_DEPTH: usize = 16;

/// The new tables and the two connections that fill them.
struct Sink<'a> {
    database: &'a Database,
    tables: TableSet,
    encoding: RowEncoding,
    /// Songs, artists, users and half of time go here, songplays when it is free.
    dimensions: Client,
    /// Songplays, and the other half of time.
    plays: Client,
}

impl Sink<'_> {
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
        Inserter::new(
            client,
            self.database,
            self.tables.clone(),
            self.encoding,
            DEFAULT_ROWS_PER_STATEMENT,
        )
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
    let mut stages = Vec::new();

    let started = Instant::now();
    let (catalog, songs) =
        read_songs(request, songs_source, &TreeObjects::All, &progress, rejects).await?;
    stages.push(stage("songs", started.elapsed()));
    tracing::info!(
        records = songs.records,
        objects = songs.objects,
        "songs read"
    );

    let (dimensions, plays) = tokio::try_join!(database.connect(), database.connect())?;
    let encoding = row_encoding(config, database, &dimensions).await?;
    let sink = Sink {
        database,
        tables: staging.tables(),
        encoding,
        dimensions,
        plays,
    };
    let started = Instant::now();
    let (counts, fold, logs) =
        events_and_inserts(request, &sink, catalog, logs_source, &progress, rejects).await?;
    stages.push(stage("events and inserts", started.elapsed()));
    tracing::info!(
        events = logs.records,
        songplays = counts.songplays,
        "events read and songplays inserted"
    );

    let started = Instant::now();
    let plays_read = fold.plays();
    let (users_read, users, time) = users_and_time(&sink, fold).await?;
    stages.push(stage("users and time", started.elapsed()));
    tracing::info!(users, time, "users and time inserted");

    Ok(Loaded {
        tables: TableCounts {
            users,
            time,
            ..counts
        },
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
        text_limit: request.dialect.text_limit(),
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

/// Streams the events through the catalog while songs and artists, then songplays, are
/// inserted: both connections take songplay batches from one queue, the dimensions' one
/// once songs and artists are in. Gives the counts of those three tables and the fold of
/// users and start times.
async fn events_and_inserts(
    request: &LoadRequest,
    sink: &Sink<'_>,
    catalog: Arc<Catalog>,
    source: &Source,
    progress: &Progress,
    rejects: &mut Rejects,
) -> Result<(TableCounts, EventFold, SourceSummary)> {
    let (songplay_tx, songplay_rx) = mpsc::channel::<Vec<SongplayRow>>(SONGPLAY_CHANNEL_DEPTH);
    let queue = tokio::sync::Mutex::new(songplay_rx);
    let catalog_then_songplays = async {
        let songs = sink
            .insert(&sink.dimensions, catalog.songs.iter().cloned())
            .await?;
        let artists = sink
            .insert(&sink.dimensions, catalog.artists.iter().cloned())
            .await?;
        let songplays = songplays_from(&queue, sink, &sink.dimensions).await?;
        Ok::<_, Error>((songs, artists, songplays))
    };
    let songplays = songplays_from(&queue, sink, &sink.plays);

    let read_events = read_events(
        request,
        source,
        &TreeObjects::All,
        &catalog,
        progress,
        rejects,
        songplay_tx,
    );
    let ((songs, artists, songplays_a), songplays_b, (fold, summary)) =
        tokio::try_join!(catalog_then_songplays, songplays, read_events)?;
    let counts = TableCounts {
        songplays: songplays_a + songplays_b,
        songs,
        artists,
        ..TableCounts::default()
    };
    Ok((counts, fold, summary))
}

/// Reads every event through the catalog and folds users and start times; each object's
/// songplays go to `songplays` as they come, until its receiver is gone.
pub(super) async fn read_events(
    request: &LoadRequest,
    source: &Source,
    objects: &TreeObjects,
    catalog: &Arc<Catalog>,
    progress: &Progress,
    rejects: &mut Rejects,
    songplays: mpsc::Sender<Vec<SongplayRow>>,
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
            Ok(songplays.send(batch).await.is_ok())
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
        text_limit: request.dialect.text_limit(),
    }
}

/// How client mode sends rows to this target.
pub(super) async fn row_encoding(
    config: &LoadConfig,
    database: &Database,
    client: &Client,
) -> Result<RowEncoding> {
    Ok(match config.insert_method() {
        InsertMethod::Bind => RowEncoding::Bind,
        InsertMethod::Literal => RowEncoding::Literal(Literals::of(database, client).await?),
    })
}

/// Incremental runs: the selected objects' good song records and plays, parsed and checked
/// here as in a rebuild, into the work tables; the rules run in the merge, where the
/// earlier runs' rows are, sent as `encoding` says. Gives what each tree held and the
/// stages' times.
pub(super) async fn fill_work(
    config: &LoadConfig,
    staging: &Staging<'_>,
    encoding: RowEncoding,
    (songs_source, logs_source): (&Source, &Source),
    (song_objects, log_objects): (&TreeObjects, &TreeObjects),
    rejects: &mut Rejects,
) -> Result<(SourceSummary, SourceSummary, Vec<Stage>)> {
    let request = &config.request;
    let progress = Progress::new(request.progress);
    let started = Instant::now();
    let (records, songs) =
        read_song_records(request, songs_source, song_objects, &progress, rejects).await?;
    let mut new_songs = work_inserter(staging, encoding);
    new_songs.push(records).await?;
    new_songs.finish().await?;
    let read_songs = stage("songs", started.elapsed());

    let started = Instant::now();
    let mut new_plays = work_inserter(staging, encoding);
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
    encoding: RowEncoding,
) -> Inserter<'c, R> {
    Inserter::new(
        staging.client,
        staging.database,
        staging.tables(),
        encoding,
        DEFAULT_ROWS_PER_STATEMENT,
    )
}

/// Inserts songplay batches from a queue that other connections share, until it closes.
async fn songplays_from(
    queue: &tokio::sync::Mutex<mpsc::Receiver<Vec<SongplayRow>>>,
    sink: &Sink<'_>,
    client: &Client,
) -> Result<u64> {
    let mut inserter = sink.inserter(client);
    loop {
        let batch = queue.lock().await.recv().await;
        let Some(batch) = batch else { break };
        inserter.push(batch).await?;
    }
    Ok(inserter.finish().await?)
}

/// The users (each one's latest level) and the time dimension, once every event is in.
/// Gives the users the rule made, then the rows of users and time inserted.
/// `time` is the big one: each connection inserts half of it, users go first on one.
async fn users_and_time(sink: &Sink<'_>, fold: EventFold) -> Result<(u64, u64, u64)> {
    let (users, times) = on_rayon(move || fold.finish()).await?;
    let read = users.len() as u64;
    let (early, late) = times.split_at(times.len() / 2);
    let users_then_time = async {
        let users = sink.insert(&sink.dimensions, users).await?;
        let time = sink
            .insert(&sink.dimensions, late.iter().map(|&t| TimeRow::at(t)))
            .await?;
        Ok::<_, TargetError>((users, time))
    };
    let time = sink.insert(&sink.plays, early.iter().map(|&t| TimeRow::at(t)));
    let ((users, time_late), time_early) = tokio::try_join!(users_then_time, time)?;
    Ok((read, users, time_late + time_early))
}
