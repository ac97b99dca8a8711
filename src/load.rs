//! A client-mode load from start to swap: list, read and parse songs, build the
//! catalog, stream events through it while inserting, then key and swap the tables.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use futures::{StreamExt, TryStreamExt};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use tokio::sync::mpsc;

use crate::config::{LoadConfig, Mode, Target};
use crate::error::{Error, Result};
use crate::model::{EventRecord, SongRecord, SongplayRow};
use crate::parse::{decode_object, BadRecord};
use crate::report::{stage, Report, SourceSummary, TableCounts};
use crate::sink::insert::{Inserter, DEFAULT_ROWS_PER_STATEMENT};
use crate::sink::staging::Staging;
use crate::sink::Database;
use crate::source::{is_object_key, Source};
use crate::transform::{Catalog, EventFold, ObjectFold};
use crate::{embedded, Secret};

/// Songplay batches in flight between the event stage and the songplays inserter.
const SONGPLAY_CHANNEL_DEPTH: usize = 16;

/// Runs one load, all or nothing.
pub async fn load(config: &LoadConfig) -> Result<Report> {
    if config.mode == Mode::Copy {
        return Err(Error::Config(
            "--mode copy is not available yet; use --mode client".into(),
        ));
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
    let outcome = fill_staging(
        config,
        &database,
        &staging,
        &songs_source,
        &logs_source,
        &mut rejects,
        &mut stages,
    )
    .await;
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
    staging.add_keys().await?;
    stages.push(stage("keys", keyed.elapsed()));
    let swapped = Instant::now();
    staging.swap().await?;
    stages.push(stage("swap", swapped.elapsed()));

    Ok(Report {
        mode: "client",
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
    })
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
    songs_source: &Source,
    logs_source: &Source,
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
    let mut decoded = objects(
        songs_source,
        &ignored_songs,
        &bar,
        config.concurrency,
        |_, label, bytes| decode_object::<SongRecord>(&label, &bytes),
    );
    while let Some((bytes, object)) = decoded.try_next().await? {
        songs.objects += 1;
        songs.bytes += bytes;
        songs.records += object.records.len() as u64;
        rejects.add(object.bad)?;
        song_records.extend(object.records.into_iter().map(|(_, record)| record));
        bar.inc(1);
    }
    drop(decoded);
    bar.finish();
    songs.ignored_keys = ignored_songs.into_inner().expect("never poisoned");
    let catalog = Arc::new(on_rayon(move || Catalog::new(song_records)).await);
    stages.push(stage("songs", read_songs.elapsed()));

    let (dims_client, plays_client) = tokio::try_join!(database.connect(), database.connect())?;
    let rows = DEFAULT_ROWS_PER_STATEMENT;

    let insert_catalog = async {
        let mut songs = Inserter::new(&dims_client, database, schema.clone(), rows);
        songs.push(catalog.songs.iter().cloned()).await?;
        let songs = songs.finish().await?;
        let mut artists = Inserter::new(&dims_client, database, schema.clone(), rows);
        artists.push(catalog.artists.iter().cloned()).await?;
        Ok::<_, Error>((songs, artists.finish().await?))
    };

    let (songplay_tx, mut songplay_rx) = mpsc::channel::<Vec<SongplayRow>>(SONGPLAY_CHANNEL_DEPTH);
    let insert_songplays = async {
        let mut songplays = Inserter::new(&plays_client, database, schema.clone(), rows);
        while let Some(batch) = songplay_rx.recv().await {
            songplays.push(batch).await?;
        }
        Ok::<_, Error>(songplays.finish().await?)
    };

    let events_started = Instant::now();
    let bar = progress.bar("events");
    let ignored_logs = Mutex::new(Vec::new());
    let mut logs = SourceSummary {
        uri: config.log_data.to_string(),
        ..Default::default()
    };
    let read_events = async {
        let mut fold = EventFold::default();
        let mut decoded = objects(logs_source, &ignored_logs, &bar, config.concurrency, {
            let catalog = Arc::clone(&catalog);
            move |index, label, bytes| {
                let object = decode_object::<EventRecord>(&label, &bytes);
                let folded = ObjectFold::of_events(&catalog, index, &object.records);
                (object.records.len(), object.bad, folded)
            }
        });
        while let Some((bytes, (records, bad, folded))) = decoded.try_next().await? {
            logs.objects += 1;
            logs.bytes += bytes;
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
            bar.inc(1);
        }
        drop(decoded);
        drop(songplay_tx);
        bar.finish();
        Ok::<_, Error>(fold)
    };

    let ((songs_rows, artists_rows), songplays_rows, fold) =
        tokio::try_join!(insert_catalog, insert_songplays, read_events)?;
    stages.push(stage("events and inserts", events_started.elapsed()));
    logs.ignored_keys = ignored_logs.into_inner().expect("never poisoned");

    let dimensions = Instant::now();
    let (users, times) = on_rayon(move || fold.finish()).await;
    let insert_users = async {
        let mut inserter = Inserter::new(&dims_client, database, schema.clone(), rows);
        inserter.push(users).await?;
        inserter.finish().await
    };
    let insert_time = async {
        let mut inserter = Inserter::new(&plays_client, database, schema.clone(), rows);
        inserter.push(times).await?;
        inserter.finish().await
    };
    let (users_rows, time_rows) = tokio::try_join!(insert_users, insert_time)?;
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

/// Streams the keys of a source, sets aside those that are not objects, fetches the
/// objects `concurrency` at a time as their keys arrive, and runs `decode` on each in the
/// CPU pool with its rank in key order; results come in key order with the object's size.
fn objects<'a, T, F>(
    source: &'a Source,
    ignored: &'a Mutex<Vec<String>>,
    bar: &'a ProgressBar,
    concurrency: usize,
    decode: F,
) -> impl futures::Stream<Item = Result<(u64, T)>> + 'a
where
    T: Send + 'static,
    F: Fn(u32, String, bytes::Bytes) -> T + Clone + Send + Sync + 'static,
{
    source
        .keys()
        .map_ok(move |batch| {
            let (objects, others): (Vec<String>, Vec<String>) =
                batch.into_iter().partition(|key| is_object_key(key));
            ignored.lock().expect("never poisoned").extend(others);
            bar.inc_length(objects.len() as u64);
            futures::stream::iter(
                objects
                    .into_iter()
                    .map(Ok::<String, crate::error::SourceError>),
            )
        })
        .try_flatten()
        .enumerate()
        .map(move |(index, key)| {
            let decode = decode.clone();
            async move {
                let key: String = key?;
                let bytes = source.get(&key).await?;
                let label = source.describe(&key);
                let size = bytes.len() as u64;
                Ok((
                    size,
                    on_rayon(move || decode(index as u32, label, bytes)).await,
                ))
            }
        })
        .buffered(concurrency.max(1))
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
            return Err(Error::BadInput {
                first: Box::new(self.records[0].clone()),
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
    let mut text = String::new();
    for record in records {
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
