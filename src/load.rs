//! A client-mode load from start to swap: list, read and parse songs, build the
//! catalog, stream events through it while inserting, then key and swap the tables.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use bytes::Bytes;
use futures::stream::BoxStream;
use futures::{StreamExt, TryStreamExt};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use rayon::iter::{IntoParallelIterator, ParallelIterator};
use tokio::sync::mpsc;
use tokio_postgres::Client;

use crate::config::{Dialect, LoadConfig, Mode, SchemaName, Target};
use crate::error::{Error, Result};
use crate::error::{SourceError, TargetError};
use crate::model::{EventRecord, SongRecord, SongplayRow, TimeRow};
use crate::parse::{decode_object, BadRecord, Decoded, ObjectDecoder, RawJson, Record};
use crate::report::{peak_rss_mib, stage, Report, SourceSummary, TableCounts};
use crate::sink::copy::{
    self, RawTable, RawWriter, RedshiftCopy, READ_REJECTS, REDSHIFT_LOAD_ERRORS,
};
use crate::sink::insert::{Inserter, DEFAULT_ROWS_PER_STATEMENT};
use crate::sink::render;
use crate::sink::staging::Staging;
use crate::sink::Database;
use crate::source::SourceUri;
use crate::source::{is_object_key, Source};
use crate::transform::{Catalog, EventFold, ObjectFold};
use crate::{embedded, Secret};

/// Songplay batches in flight between the event stage and the songplays inserter.
const SONGPLAY_CHANNEL_DEPTH: usize = 16;
/// Objects up to this size are decoded where they are read, not in the CPU pool.
const INLINE_DECODE_BYTES: u64 = 16 << 10;
/// Small local objects read and decoded per trip to the CPU pool, and such trips at once.
const LOCAL_OBJECTS_PER_TRIP: usize = 64;
const LOCAL_BATCHES_IN_FLIGHT: usize = 2;

/// Runs one load, all or nothing.
pub async fn load(config: &LoadConfig) -> Result<Report> {
    if config.mode == Mode::Copy && config.dialect == Dialect::Redshift {
        return load_redshift_copy(config).await;
    }
    let started = Instant::now();
    let mut stages = Vec::new();

    let (songs_source, logs_source) = tokio::join!(
        Source::open(&config.song_data, &config.s3),
        Source::open(&config.log_data, &config.s3)
    );

    let database = Database::new(&target_url(&config.target).await?, config.dialect)?;
    let main = database.connect().await?;
    let staging = Staging::create(&main, &database, &config.schema).await?;
    let mut rejects = Rejects::new(config.max_errors);
    let sources = (&songs_source, &logs_source);
    let outcome = match config.mode {
        Mode::Client => {
            fill_staging(
                config,
                &database,
                &staging,
                sources,
                &mut rejects,
                &mut stages,
            )
            .await
        }
        Mode::Copy => fill_staging_copy(config, &staging, sources, &mut rejects, &mut stages).await,
    };
    let written = write_rejects(config.reject_file.as_deref(), &rejects.records);
    let (tables, songs, logs) = match outcome {
        Ok(filled) => filled,
        Err(err) => {
            staging.abandon().await;
            written?;
            return Err(err);
        }
    };
    written?;
    let keyed = Instant::now();
    staging.add_keys(&database.connect().await?).await?;
    stages.push(stage("keys", keyed.elapsed()));
    let swapped = Instant::now();
    staging.swap().await?;
    stages.push(stage("swap", swapped.elapsed()));

    Ok(Report {
        mode: match config.mode {
            Mode::Client => "client",
            Mode::Copy => "copy",
        },
        target: database.label().to_string(),
        schema: config.schema.to_string(),
        tables,
        songs,
        logs,
        bad_records: rejects.records.len() as u64,
        reject_file: config
            .reject_file
            .clone()
            .filter(|_| !rejects.records.is_empty()),
        stages,
        seconds: started.elapsed().as_secs_f64(),
        peak_rss_mib: peak_rss_mib(),
    })
}

/// The statements a Redshift copy-mode load runs, in order, each with what it does.
pub fn redshift_copy_plan(config: &LoadConfig) -> Result<Vec<(&'static str, String)>> {
    let s3_uri = |uri: &SourceUri, flag: &str| match uri {
        SourceUri::S3 { .. } => Ok(uri.to_string()),
        SourceUri::Local(_) => Err(Error::Config(format!(
            "Redshift COPY reads S3: {flag} must be an s3:// URI"
        ))),
    };
    let (song_data, log_data) = (
        s3_uri(&config.song_data, "--song-data")?,
        s3_uri(&config.log_data, "--log-data")?,
    );
    let iam_role_arn = config.copy.iam_role_arn.as_deref().ok_or_else(|| {
        Error::Config(
            "Redshift COPY needs the cluster's IAM role: --iam-role or [IAM_ROLE] ARN in --config"
                .into(),
        )
    })?;
    let region = config
        .s3
        .region
        .as_deref()
        .ok_or_else(|| Error::Config("Redshift COPY needs the bucket's --region".into()))?;
    let copy = RedshiftCopy {
        target: &config.schema,
        song_data: &song_data,
        log_data: &log_data,
        iam_role_arn,
        region,
        log_jsonpath: config.copy.log_jsonpath.as_deref(),
        max_errors: config.max_errors,
    };
    Ok(copy.plan())
}

/// Copy mode on Redshift: the classic COPY from S3 and INSERT … SELECT, staged and swapped.
async fn load_redshift_copy(config: &LoadConfig) -> Result<Report> {
    let started = Instant::now();
    let plan = redshift_copy_plan(config)?;
    let database = Database::new(&target_url(&config.target).await?, config.dialect)?;
    let client = database.connect().await?;
    let mut rejects = Rejects::new(config.max_errors);
    let mut stages = Vec::new();
    let mut failure = None;
    for (step, sql) in &plan {
        let began = Instant::now();
        let done = if *step == READ_REJECTS {
            read_copy_rejects(&client, &database, &mut rejects).await
        } else {
            client
                .batch_execute(sql)
                .await
                .map_err(|e| Error::from(database.error(*step, &e)))
        };
        if let Err(err) = done {
            failure = Some(err);
            break;
        }
        stages.push(stage(step, began.elapsed()));
    }
    write_rejects(config.reject_file.as_deref(), &rejects.records)?;
    if let Some(err) = failure {
        // COPY fails as a whole past MAXERROR: say which records it refused.
        let mut refused = Rejects::new(0);
        let described = read_copy_rejects(&client, &database, &mut refused).await;
        let drop = database.sql().drop_staging;
        let _ = client
            .batch_execute(&render(
                drop,
                &[("staging", &config.schema.staging().quoted())],
            ))
            .await;
        return Err(match described {
            Err(bad @ Error::BadInput { .. }) => bad,
            _ => err,
        });
    }
    let tables = copy::count_rows(&client, &database, &config.schema).await?;
    Ok(Report {
        mode: "copy",
        target: database.label().to_string(),
        schema: config.schema.to_string(),
        tables,
        songs: SourceSummary {
            uri: config.song_data.to_string(),
            ..Default::default()
        },
        logs: SourceSummary {
            uri: config.log_data.to_string(),
            ..Default::default()
        },
        bad_records: rejects.records.len() as u64,
        reject_file: config
            .reject_file
            .clone()
            .filter(|_| !rejects.records.is_empty()),
        stages,
        seconds: started.elapsed().as_secs_f64(),
        peak_rss_mib: peak_rss_mib(),
    })
}

/// Reads what `STL_LOAD_ERRORS` says this session's COPYs rejected.
async fn read_copy_rejects(
    client: &tokio_postgres::Client,
    database: &Database,
    rejects: &mut Rejects,
) -> Result<()> {
    let rows = client
        .query(REDSHIFT_LOAD_ERRORS, &[])
        .await
        .map_err(|e| database.error(READ_REJECTS, &e))?;
    let bad = rows
        .iter()
        .map(|row| BadRecord {
            key: row.get(0),
            line: u64::try_from(row.get::<_, i64>(1)).unwrap_or(0),
            reason: row.get(2),
            raw: row.get(3),
        })
        .collect();
    rejects.add(bad)
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
                    .map_err(|e| Error::Embedded(crate::error::EmbeddedError(e.to_string())))??;
            Ok(Secret::new(server.url()))
        }
    }
}

async fn fill_staging(
    config: &LoadConfig,
    database: &Database,
    staging: &Staging<'_>,
    (songs_source, logs_source): (&Source, &Source),
    rejects: &mut Rejects,
    stages: &mut Vec<crate::report::Stage>,
) -> Result<(TableCounts, SourceSummary, SourceSummary)> {
    let progress = Progress::new(config.progress);
    let schema = staging.schema.clone();

    let read_songs = Instant::now();
    let bar = progress.bar("songs");
    let ignored_songs = Mutex::new(Vec::new());
    let mut songs = SourceSummary {
        uri: config.song_data.to_string(),
        ..Default::default()
    };
    let mut song_records: Vec<SongRecord> = Vec::new();
    let mut pieces = read_pieces(
        songs_source,
        &ignored_songs,
        &bar,
        config.concurrency,
        |_, _: &str, decoded: Decoded<SongRecord>| decoded,
    );
    while let Some(piece) = pieces.try_next().await? {
        songs.bytes += piece.bytes;
        songs.objects += u64::from(piece.last);
        songs.records += piece.value.records.len() as u64;
        rejects.add(piece.value.bad)?;
        song_records.extend(piece.value.records.into_iter().map(|(_, record)| record));
    }
    drop(pieces);
    bar.finish();
    songs.ignored_keys = ignored_songs.into_inner().expect("never poisoned");
    let catalog = Arc::new(on_rayon(move || Catalog::new(song_records)).await);
    stages.push(stage("songs", read_songs.elapsed()));

    let (dims_client, plays_client) = tokio::try_join!(database.connect(), database.connect())?;
    let rows = DEFAULT_ROWS_PER_STATEMENT;

    // Both connections take songplay batches from one queue; the dimensions' connection
    // joins in once songs and artists are in.
    let (songplay_tx, songplay_rx) = mpsc::channel::<Vec<SongplayRow>>(SONGPLAY_CHANNEL_DEPTH);
    let songplay_queue = tokio::sync::Mutex::new(songplay_rx);
    let insert_catalog_then_songplays = async {
        let mut songs = Inserter::new(&dims_client, database, schema.clone(), rows);
        songs.push(catalog.songs.iter().cloned()).await?;
        let songs = songs.finish().await?;
        let mut artists = Inserter::new(&dims_client, database, schema.clone(), rows);
        artists.push(catalog.artists.iter().cloned()).await?;
        let artists = artists.finish().await?;
        let songplays =
            insert_songplays_from(&songplay_queue, &dims_client, database, &schema).await?;
        Ok::<_, Error>((songs, artists, songplays))
    };
    let insert_songplays = insert_songplays_from(&songplay_queue, &plays_client, database, &schema);

    let events_started = Instant::now();
    let bar = progress.bar("events");
    let ignored_logs = Mutex::new(Vec::new());
    let mut logs = SourceSummary {
        uri: config.log_data.to_string(),
        ..Default::default()
    };
    let read_events = async {
        let mut fold = EventFold::default();
        let in_flight = log_objects_in_flight(config.concurrency);
        let mut pieces = read_pieces(logs_source, &ignored_logs, &bar, in_flight, {
            let catalog = Arc::clone(&catalog);
            move |index, _: &str, decoded: Decoded<EventRecord>| {
                let records = decoded.records.len();
                let folded = ObjectFold::of_events(&catalog, index, decoded.records);
                (records, decoded.bad, folded)
            }
        });
        while let Some(piece) = pieces.try_next().await? {
            let (records, bad, folded) = piece.value;
            logs.bytes += piece.bytes;
            logs.objects += u64::from(piece.last);
            logs.records += records as u64;
            rejects.add(bad)?;
            let ObjectFold {
                songplays,
                users,
                times,
            } = folded;
            fold.merge(ObjectFold {
                songplays: Vec::new(),
                users,
                times,
            });
            if songplay_tx.send(songplays).await.is_err() {
                // The inserter has stopped; its own error is the one to report.
                break;
            }
        }
        drop(pieces);
        drop(songplay_tx);
        bar.finish();
        Ok::<_, Error>(fold)
    };

    let ((songs_rows, artists_rows, songplays_rows_a), songplays_rows_b, fold) =
        tokio::try_join!(insert_catalog_then_songplays, insert_songplays, read_events)?;
    let songplays_rows = songplays_rows_a + songplays_rows_b;
    stages.push(stage("events and inserts", events_started.elapsed()));
    logs.ignored_keys = ignored_logs.into_inner().expect("never poisoned");

    let dimensions = Instant::now();
    let (users, times) = on_rayon(move || fold.finish()).await;
    // `time` is the big one: each connection inserts half of it, users go first on one.
    let (early, late) = times.split_at(times.len() / 2);
    let insert_users_then_time = async {
        let mut users_inserter = Inserter::new(&dims_client, database, schema.clone(), rows);
        users_inserter.push(users).await?;
        let users = users_inserter.finish().await?;
        let mut time_inserter = Inserter::new(&dims_client, database, schema.clone(), rows);
        time_inserter
            .push(late.iter().map(|&t| TimeRow::at(t)))
            .await?;
        Ok::<_, TargetError>((users, time_inserter.finish().await?))
    };
    let insert_time = async {
        let mut inserter = Inserter::new(&plays_client, database, schema.clone(), rows);
        inserter.push(early.iter().map(|&t| TimeRow::at(t))).await?;
        inserter.finish().await
    };
    let ((users_rows, time_rows_late), time_rows_early) =
        tokio::try_join!(insert_users_then_time, insert_time)?;
    let time_rows = time_rows_late + time_rows_early;
    stages.push(stage("users and time", dimensions.elapsed()));

    let tables = TableCounts {
        songplays: songplays_rows,
        users: users_rows,
        songs: songs_rows,
        artists: artists_rows,
        time: time_rows,
    };
    Ok((tables, songs, logs))
}

/// Copy mode: raw records into staging tables, then checks and transforms in SQL.
async fn fill_staging_copy(
    config: &LoadConfig,
    staging: &Staging<'_>,
    (songs_source, logs_source): (&Source, &Source),
    rejects: &mut Rejects,
    stages: &mut Vec<crate::report::Stage>,
) -> Result<(TableCounts, SourceSummary, SourceSummary)> {
    let progress = Progress::new(config.progress);
    copy::prepare(staging).await?;
    let copying = Instant::now();
    let mut songs = copy_tree(
        config,
        staging,
        songs_source,
        RawTable::Songs,
        &progress.bar("songs"),
        rejects,
    )
    .await?;
    songs.uri = config.song_data.to_string();
    let mut logs = copy_tree(
        config,
        staging,
        logs_source,
        RawTable::Events,
        &progress.bar("events"),
        rejects,
    )
    .await?;
    logs.uri = config.log_data.to_string();
    stages.push(stage("copy raw records", copying.elapsed()));

    let checking = Instant::now();
    let (bad_songs, bad_events) = copy::check(staging).await?;
    songs.records -= bad_songs.len() as u64;
    logs.records -= bad_events.len() as u64;
    rejects.add(bad_songs)?;
    rejects.add(bad_events)?;
    stages.push(stage("check in SQL", checking.elapsed()));

    let transforming = Instant::now();
    let tables = copy::transform(staging).await?;
    stages.push(stage("transform in SQL", transforming.elapsed()));
    Ok((tables, songs, logs))
}

/// Streams a tree's records, split but not parsed, into its raw table.
async fn copy_tree(
    config: &LoadConfig,
    staging: &Staging<'_>,
    source: &Source,
    table: RawTable,
    bar: &ProgressBar,
    rejects: &mut Rejects,
) -> Result<SourceSummary> {
    let ignored = Mutex::new(Vec::new());
    let mut summary = SourceSummary::default();
    let mut writer = RawWriter::open(staging, table).await?;
    let in_flight = match table {
        RawTable::Songs => config.concurrency,
        RawTable::Events => log_objects_in_flight(config.concurrency),
    };
    let mut pieces = read_pieces(
        source,
        &ignored,
        bar,
        in_flight,
        |rank, label: &str, decoded: Decoded<RawJson>| (rank, label.to_string(), decoded),
    );
    while let Some(piece) = pieces.try_next().await? {
        let (rank, label, decoded) = piece.value;
        summary.bytes += piece.bytes;
        summary.objects += u64::from(piece.last);
        summary.records += decoded.records.len() as u64;
        rejects.add(decoded.bad)?;
        for (line, RawJson(record)) in decoded.records {
            writer
                .write(staging, &label, rank as i32, line as i32, &record)
                .await?;
        }
    }
    drop(pieces);
    bar.finish();
    writer.finish(staging).await?;
    summary.ignored_keys = ignored.into_inner().expect("never poisoned");
    Ok(summary)
}

/// A decoded chunk of one object: its size, what `apply` made of its records, and
/// whether it ends the object.
struct Piece<T> {
    bytes: u64,
    value: T,
    last: bool,
}

/// Inserts songplay batches from a queue that other connections share, until it closes.
async fn insert_songplays_from(
    queue: &tokio::sync::Mutex<mpsc::Receiver<Vec<SongplayRow>>>,
    client: &Client,
    database: &Database,
    schema: &SchemaName,
) -> Result<u64> {
    let mut inserter = Inserter::new(client, database, schema.clone(), DEFAULT_ROWS_PER_STATEMENT);
    loop {
        let batch = queue.lock().await.recv().await;
        let Some(batch) = batch else { break };
        inserter.push(batch).await?;
    }
    Ok(inserter.finish().await?)
}

/// Log objects read at once: a quarter of the song objects. A log object is a day of
/// events read chunk by chunk, so a few keep the cores busy and each holds a chunk or two
/// in memory; song objects are small and many, and need more in flight to hide latency.
fn log_objects_in_flight(concurrency: usize) -> usize {
    (concurrency / 4).max(1)
}

/// Streams the keys of a source, sets aside those that are not objects, and reads the
/// objects as their keys arrive, handing what each decodes to `apply` with the object's
/// rank in key order and its name. Up to `concurrency` objects stream at once, chunk by
/// chunk, each chunk decoded in the CPU pool; small local objects are read and decoded in
/// batches there instead. Pieces of different objects interleave; memory holds chunks, not
/// whole objects.
fn read_pieces<'a, R, T, F>(
    source: &'a Source,
    ignored: &'a Mutex<Vec<String>>,
    bar: &'a ProgressBar,
    concurrency: usize,
    apply: F,
) -> BoxStream<'a, Result<Piece<T>>>
where
    R: Record + 'static,
    T: Send + 'static,
    F: Fn(u32, &str, Decoded<R>) -> T + Clone + Send + Sync + 'static,
{
    let ranked = source
        .keys()
        .map_ok(move |batch| {
            let (objects, others): (Vec<String>, Vec<String>) =
                batch.into_iter().partition(|key| is_object_key(key));
            ignored.lock().expect("never poisoned").extend(others);
            bar.inc_length(objects.len() as u64);
            futures::stream::iter(objects.into_iter().map(Ok::<String, SourceError>))
        })
        .try_flatten()
        .enumerate()
        .map(|(index, key)| (index as u32, key.map_err(Error::from)));
    let reads: BoxStream<'a, Result<Read<T>>> = match source {
        // A trip to the CPU pool per object costs more than reading and decoding a small
        // local file: small ones go in batches, read and decoded on both cores; a large
        // one is left to stream chunk by chunk.
        Source::Local(local) => {
            let decode = apply.clone();
            ranked
                .ready_chunks(LOCAL_OBJECTS_PER_TRIP)
                .map(move |batch| {
                    let (local, apply) = (local.clone(), decode.clone());
                    let read = on_rayon(move || {
                        batch
                            .into_par_iter()
                            .map(|(index, key)| {
                                let key = key?;
                                let Some(bytes) = local.read_if_small(&key)? else {
                                    return Ok(Read::Stream(index, key));
                                };
                                let label = local.path_of(&key).display().to_string();
                                let decoded = decode_object::<R>(&label, &bytes);
                                Ok(Read::Decoded(Piece {
                                    bytes: bytes.len() as u64,
                                    value: apply(index, &label, decoded),
                                    last: true,
                                }))
                            })
                            .collect::<Vec<_>>()
                    });
                    futures::stream::once(read)
                        .flat_map(futures::stream::iter)
                        .boxed()
                })
                .flatten_unordered(LOCAL_BATCHES_IN_FLIGHT)
                .boxed()
        }
        Source::S3(_) => ranked
            .map(|(index, key)| key.map(|key| Read::Stream(index, key)))
            .boxed(),
    };
    reads
        .map(move |read| match read {
            Ok(Read::Decoded(piece)) => {
                bar.inc(1);
                futures::stream::once(futures::future::ready(Ok(piece))).boxed()
            }
            Ok(Read::Stream(index, key)) => object_pieces(source, bar, index, key, apply.clone()),
            Err(err) => futures::stream::once(futures::future::ready(Err(err))).boxed(),
        })
        .flatten_unordered(concurrency.max(1))
        .boxed()
}

/// What reading an object gave: a small one, decoded whole, or one to stream.
enum Read<T> {
    Decoded(Piece<T>),
    Stream(u32, String),
}

fn object_pieces<'a, R, T, F>(
    source: &'a Source,
    bar: &'a ProgressBar,
    index: u32,
    key: String,
    apply: F,
) -> BoxStream<'a, Result<Piece<T>>>
where
    R: Record + 'static,
    T: Send + 'static,
    F: Fn(u32, &str, Decoded<R>) -> T + Clone + Send + Sync + 'static,
{
    let label = source.describe(&key);
    let decoder = ObjectDecoder::<R>::new(&label);
    let chunks = source.chunks(&key).map_err(Error::from).boxed();
    // Each step decodes one chunk, knowing whether it is the last (the next one is fetched
    // first), so that a one-chunk object takes one trip to the CPU pool.
    let start = Some((decoder, chunks, None::<Bytes>, true));
    futures::stream::try_unfold(start, move |state| {
        let (apply, label) = (apply.clone(), label.clone());
        async move {
            let Some((mut decoder, mut chunks, held, first)) = state else {
                return Ok(None);
            };
            let current = if first {
                chunks.try_next().await?
            } else {
                held
            };
            let next = match current {
                Some(_) => chunks.try_next().await?,
                None => None,
            };
            let bytes = current.as_ref().map_or(0, |c| c.len() as u64);
            let last = next.is_none();
            let work = move || {
                if let Some(chunk) = current {
                    decoder.feed(&chunk);
                }
                if last {
                    (None, apply(index, &label, decoder.finish()))
                } else {
                    let decoded = decoder.take();
                    (Some(decoder), apply(index, &label, decoded))
                }
            };
            // A small object (a song) decodes in microseconds, less than a trip to the
            // CPU pool and back costs.
            let value = if last && bytes <= INLINE_DECODE_BYTES {
                work()
            } else {
                on_rayon(work).await
            };
            let (decoder, value) = value;
            if last {
                bar.inc(1);
            }
            let state = decoder.map(|decoder| (decoder, chunks, next, false));
            Ok(Some((Piece { bytes, value, last }, state)))
        }
    })
    .boxed()
}

/// Runs CPU work on the rayon pool, off the async workers.
async fn on_rayon<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = tokio::sync::oneshot::channel();
    rayon::spawn(move || {
        let _ = tx.send(work());
    });
    rx.await.expect("a CPU task panicked")
}

/// Bad records so far, and whether the load may go on (Redshift's MAXERROR).
struct Rejects {
    max_errors: u64,
    records: Vec<BadRecord>,
}

impl Rejects {
    fn new(max_errors: u64) -> Self {
        Rejects {
            max_errors,
            records: Vec::new(),
        }
    }

    fn add(&mut self, bad: Vec<BadRecord>) -> Result<()> {
        self.records.extend(bad);
        if self.records.len() as u64 > self.max_errors {
            // Objects are read concurrently: name the first bad record in (key, line) order.
            let first = self
                .records
                .iter()
                .min_by(|a, b| (&a.key, a.line).cmp(&(&b.key, b.line)));
            return Err(Error::BadInput {
                first: Box::new(first.expect("at least one bad record").clone()),
                count: self.records.len() as u64,
                max_errors: self.max_errors,
            });
        }
        Ok(())
    }
}

fn write_rejects(path: Option<&Path>, records: &[BadRecord]) -> Result<()> {
    let Some(path) = path else { return Ok(()) };
    if records.is_empty() {
        return Ok(());
    }
    let mut sorted: Vec<&BadRecord> = records.iter().collect();
    sorted.sort_by(|a, b| (&a.key, a.line).cmp(&(&b.key, b.line)));
    let mut text = String::new();
    for record in sorted {
        text.push_str(&serde_json::to_string(record).expect("a bad record always serializes"));
        text.push('\n');
    }
    std::fs::write(path, text).map_err(|source| Error::Output {
        path: path.to_path_buf(),
        source,
    })
}

/// Progress bars on standard error when asked for, nothing otherwise.
struct Progress {
    bars: Option<MultiProgress>,
}

impl Progress {
    fn new(enabled: bool) -> Self {
        Progress {
            bars: enabled.then(|| MultiProgress::with_draw_target(ProgressDrawTarget::stderr())),
        }
    }

    /// A bar whose length grows as keys are listed.
    fn bar(&self, name: &str) -> ProgressBar {
        let Some(bars) = &self.bars else {
            return ProgressBar::hidden();
        };
        let style =
            ProgressStyle::with_template("{prefix:>7} [{bar:40}] {pos}/{len} objects {elapsed}")
                .expect("a valid template")
                .progress_chars("=> ");
        bars.add(
            ProgressBar::new(0)
                .with_style(style)
                .with_prefix(name.to_string()),
        )
    }
}
