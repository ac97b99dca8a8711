//! `sparkify-load bench`: the end-to-end comparison, in one run on one generated data set and
//! one private PostgreSQL — client mode, copy mode, a row-by-row baseline and the sink's
//! limit (`COPY … FROM STDIN BINARY` of the finished rows) — with ratios and peak RSS.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures::{SinkExt, TryStreamExt};
use rayon::prelude::*;
use tokio_postgres::Client;

use crate::config::{Dialect, SchemaName, Secret};
use crate::embedded::AttachedServer;
use crate::error::{EmbeddedError, Error, Result};
use crate::generate::{generate, FixtureSpec};
use crate::model::{ArtistRow, EventRecord, SongRecord, SongRow, SongplayRow, TimeRow, UserRow};
use crate::parse::decode_object;
use crate::sink::insert::InsertRow;
use crate::sink::{add_keys, render, Database, DialectSql};
use crate::transform::songplays::NEXT_SONG;

/// What to measure.
#[derive(Debug, Clone)]
pub struct BenchSpec {
    pub songs: usize,
    pub events: usize,
    pub seed: u64,
    /// Events the row-by-row baseline runs before its time is extrapolated.
    pub baseline_events: usize,
    /// Where to generate the data and run the server (a fresh directory below it).
    pub work_dir: PathBuf,
    /// Measure client mode and the sink limit alone (for peak RSS at scale).
    pub client_only: bool,
}

/// One measured route.
#[derive(Debug, Clone)]
pub struct Measured {
    pub name: &'static str,
    pub seconds: f64,
    pub extrapolated: bool,
    pub peak_rss_mib: Option<f64>,
}

/// Everything one run measured.
#[derive(Debug, Clone)]
pub struct BenchReport {
    pub spec: BenchSpec,
    pub machine: String,
    pub input_bytes: u64,
    pub final_rows: u64,
    pub parse_gb_per_s: f64,
    pub routes: Vec<Measured>,
}

const SERVER_SETTINGS: &[(&str, &str)] = &[
    ("fsync", "off"),
    ("synchronous_commit", "off"),
    ("full_page_writes", "off"),
    ("max_wal_size", "4GB"),
    ("shared_buffers", "1GB"),
];

fn io_error(what: &str) -> impl Fn(std::io::Error) -> Error + '_ {
    move |e| Error::Embedded(EmbeddedError(format!("{what}: {e}")))
}

/// Runs the whole comparison.
pub async fn run(spec: &BenchSpec) -> Result<BenchReport> {
    let dir = spec
        .work_dir
        .join(format!("sparkify-bench-{}", std::process::id()));
    let outcome = run_in(spec, &dir).await;
    let _ = std::fs::remove_dir_all(&dir);
    outcome
}

async fn run_in(spec: &BenchSpec, dir: &Path) -> Result<BenchReport> {
    let data = dir.join("data");
    eprintln!(
        "generating {} songs and {} events…",
        spec.songs, spec.events
    );
    generate(
        &data,
        &FixtureSpec {
            songs: spec.songs,
            events: spec.events,
            seed: spec.seed,
        },
    )?;
    let server =
        tokio::task::block_in_place(|| AttachedServer::start(&dir.join("pg"), SERVER_SETTINGS))?;
    let url = Secret::new(server.url());
    let database = Database::new(&url, Dialect::Postgres)?;

    eprintln!("client mode…");
    let client_mode = run_loader(&url, &data, "client", "bench_client")?;
    let client = database.connect().await?;
    eprintln!("COPY BINARY of the finished rows…");
    let (final_rows, sink_limit) = copy_binary_limit(&client, &database).await?;
    let mut routes = vec![client_mode];
    if !spec.client_only {
        eprintln!("copy mode…");
        routes.push(run_loader(&url, &data, "copy", "bench_copy")?);
        eprintln!("row-by-row baseline on {} events…", spec.baseline_events);
        routes.push(row_by_row(&client, &database, &data, spec.baseline_events).await?);
    }
    routes.push(sink_limit);
    eprintln!("parsing in memory…");
    let (input_bytes, parse_seconds) = measure_parse(&data)?;

    let version: String = client
        .query_one("SELECT version()", &[])
        .await
        .map_err(|e| database.error("version", &e))?
        .get(0);
    Ok(BenchReport {
        spec: spec.clone(),
        machine: describe_machine(&version),
        input_bytes,
        final_rows,
        parse_gb_per_s: input_bytes as f64 / parse_seconds / 1e9,
        routes,
    })
}

/// Parses every event and song object, held in memory, on all cores.
fn measure_parse(data: &Path) -> Result<(u64, f64)> {
    let read = |tree: &str| -> Result<Vec<(String, Vec<u8>)>> {
        json_files(&data.join(tree))
            .into_iter()
            .map(|path| {
                Ok((
                    path.display().to_string(),
                    std::fs::read(&path).map_err(io_error("read"))?,
                ))
            })
            .collect()
    };
    let (songs, logs) = (read("song_data")?, read("log_data")?);
    let bytes: u64 = songs.iter().chain(&logs).map(|(_, b)| b.len() as u64).sum();
    let started = Instant::now();
    let records: usize = logs
        .par_iter()
        .map(|(k, b)| decode_object::<EventRecord>(k, b).records.len())
        .sum::<usize>()
        + songs
            .par_iter()
            .map(|(k, b)| decode_object::<SongRecord>(k, b).records.len())
            .sum::<usize>();
    let seconds = started.elapsed().as_secs_f64();
    assert!(records > 0, "the generated data holds records");
    Ok((bytes, seconds))
}

/// Runs this binary's `load` as a child, for its wall time and peak RSS.
fn run_loader(url: &Secret<String>, data: &Path, mode: &str, schema: &str) -> Result<Measured> {
    let exe = std::env::current_exe().map_err(io_error("find this program"))?;
    let report_path = data.with_file_name(format!("{schema}-report.json"));
    let started = Instant::now();
    let status = Command::new(exe)
        .args([
            "load",
            "--quiet",
            "--mode",
            mode,
            "--schema",
            schema,
            "--target",
            url.expose(),
        ])
        .arg("--report")
        .arg(&report_path)
        .arg("--song-data")
        .arg(data.join("song_data"))
        .arg("--log-data")
        .arg(data.join("log_data"))
        .stdout(std::process::Stdio::null())
        .status()
        .map_err(io_error("run the loader"))?;
    let seconds = started.elapsed().as_secs_f64();
    if !status.success() {
        return Err(Error::Config(format!("the {mode}-mode load failed")));
    }
    // The loader's own report has its peak RSS; rusage would count this process's at fork.
    let report =
        std::fs::read_to_string(&report_path).map_err(io_error("read the loader's report"))?;
    let report: serde_json::Value =
        serde_json::from_str(&report).map_err(|e| Error::Config(e.to_string()))?;
    Ok(Measured {
        name: if mode == "client" {
            "client mode"
        } else {
            "copy mode"
        },
        seconds,
        extrapolated: false,
        peak_rss_mib: report["peak_rss_mib"].as_f64(),
    })
}

/// The sink's limit: the finished rows of the client-mode load, COPY'd in binary into fresh
/// tables of the same shape, keys added after, as the load does.
async fn copy_binary_limit(client: &Client, database: &Database) -> Result<(u64, Measured)> {
    let (from, into): (SchemaName, SchemaName) = ("bench_client".parse()?, "bench_sink".parse()?);
    let sql = DialectSql::of(Dialect::Postgres);
    let tables: [(&str, &[&str]); 5] = [
        (SongplayRow::TABLE, SongplayRow::COLUMNS),
        (UserRow::TABLE, UserRow::COLUMNS),
        (SongRow::TABLE, SongRow::COLUMNS),
        (ArtistRow::TABLE, ArtistRow::COLUMNS),
        (TimeRow::TABLE, TimeRow::COLUMNS),
    ];
    let mut dumps: Vec<Vec<Bytes>> = Vec::new();
    for (table, columns) in tables {
        let out = render(
            include_str!("../sql/postgres/bench/copy_out.sql"),
            &[
                ("schema", &from.quoted()),
                ("table", table),
                ("columns", &columns.join(", ")),
            ],
        );
        let stream = client
            .copy_out(out.trim_end())
            .await
            .map_err(|e| database.error("copy out", &e))?;
        dumps.push(
            stream
                .try_collect()
                .await
                .map_err(|e| database.error("copy out", &e))?,
        );
    }
    let schema_sql =
        render(sql.prepare_staging, &[("staging", &into.quoted())]) + &sql.create_tables_in(&into);
    client
        .batch_execute(&schema_sql)
        .await
        .map_err(|e| database.error("create sink tables", &e))?;
    let started = Instant::now();
    let mut rows = 0;
    for ((table, columns), chunks) in tables.iter().zip(dumps) {
        let copy_in = render(
            include_str!("../sql/postgres/bench/copy_in.sql"),
            &[
                ("schema", &into.quoted()),
                ("table", table),
                ("columns", &columns.join(", ")),
            ],
        );
        let sink = client
            .copy_in(copy_in.trim_end())
            .await
            .map_err(|e| database.error("copy in", &e))?;
        futures::pin_mut!(sink);
        // The whole table as one buffer: the client's cost is then only the socket.
        let whole = Bytes::from(chunks.concat());
        sink.send(whole)
            .await
            .map_err(|e| database.error("copy in", &e))?;
        rows += sink
            .finish()
            .await
            .map_err(|e| database.error("copy in", &e))?;
    }
    add_keys(database, [client, &database.connect().await?], &into).await?;
    let measured = Measured {
        name: "sink limit: COPY BINARY of the final rows + keys",
        seconds: started.elapsed().as_secs_f64(),
        extrapolated: false,
        peak_rss_mib: None,
    };
    Ok((rows, measured))
}

/// The classic tutorials' ETL: one autocommitted single-row INSERT per row and a song
/// lookup query per event, timed on a slice of the events (after all songs) and
/// extrapolated to every event.
async fn row_by_row(
    client: &Client,
    database: &Database,
    data: &Path,
    slice: usize,
) -> Result<Measured> {
    let schema: SchemaName = "bench_baseline".parse()?;
    let sql = DialectSql::of(Dialect::Postgres);
    let create = render(sql.prepare_staging, &[("staging", &schema.quoted())])
        + &sql.star_schema_script(&schema);
    client
        .batch_execute(&create)
        .await
        .map_err(|e| database.error("create baseline tables", &e))?;
    let statement = |template: &str| render(template, &[("schema", &schema.quoted())]);
    let prepare = |template: &'static str| {
        let text = statement(template);
        async move {
            client
                .prepare(&text)
                .await
                .map_err(|e| database.error("prepare baseline", &e))
        }
    };
    let insert_song = prepare(include_str!("../sql/postgres/bench/insert_song.sql")).await?;
    let insert_artist = prepare(include_str!("../sql/postgres/bench/insert_artist.sql")).await?;
    let find_song = prepare(include_str!("../sql/postgres/bench/find_song.sql")).await?;
    let insert_songplay =
        prepare(include_str!("../sql/postgres/bench/insert_songplay.sql")).await?;
    let insert_user = prepare(include_str!("../sql/postgres/bench/insert_user.sql")).await?;
    let insert_time = prepare(include_str!("../sql/postgres/bench/insert_time.sql")).await?;
    let failed = |e: tokio_postgres::Error| Error::from(database.error("baseline", &e));

    let started = Instant::now();
    for path in &json_files(&data.join("song_data")) {
        let bytes = std::fs::read(path).map_err(io_error("read"))?;
        for (_, s) in decode_object::<SongRecord>("", &bytes).records {
            let Some(song_id) = &s.song_id else { continue };
            client
                .execute(
                    &insert_song,
                    &[song_id, &s.title, &s.artist_id, &s.year, &s.duration],
                )
                .await
                .map_err(failed)?;
            if let Some(artist_id) = &s.artist_id {
                let params: [&(dyn tokio_postgres::types::ToSql + Sync); 5] = [
                    artist_id,
                    &s.artist_name,
                    &s.artist_location,
                    &s.artist_latitude,
                    &s.artist_longitude,
                ];
                client
                    .execute(&insert_artist, &params)
                    .await
                    .map_err(failed)?;
            }
        }
    }
    let songs_took = started.elapsed();

    let mut total_events = 0usize;
    let mut timed_events = 0usize;
    let mut events_took = Duration::ZERO;
    for path in &json_files(&data.join("log_data")) {
        let bytes = std::fs::read(path).map_err(io_error("read"))?;
        let events = decode_object::<EventRecord>("", &bytes).records;
        total_events += events.len();
        let started = Instant::now();
        for (_, e) in events.iter().take(slice.saturating_sub(timed_events)) {
            timed_events += 1;
            let (Some(user_id), true) = (e.user_id, e.page == NEXT_SONG) else {
                continue;
            };
            let found = client
                .query_opt(&find_song, &[&e.song, &e.artist, &e.length])
                .await
                .map_err(failed)?;
            let (song_id, artist_id): (Option<String>, Option<String>) =
                found.map_or((None, None), |row| (row.get(0), row.get(1)));
            let params: [&(dyn tokio_postgres::types::ToSql + Sync); 8] = [
                &e.start_time,
                &user_id,
                &e.level,
                &song_id,
                &artist_id,
                &e.session_id,
                &e.location,
                &e.user_agent,
            ];
            client
                .execute(&insert_songplay, &params)
                .await
                .map_err(failed)?;
            client
                .execute(
                    &insert_user,
                    &[&user_id, &e.first_name, &e.last_name, &e.gender, &e.level],
                )
                .await
                .map_err(failed)?;
            let p = e.start_time.parts();
            let params: [&(dyn tokio_postgres::types::ToSql + Sync); 7] = [
                &e.start_time,
                &p.hour,
                &p.day,
                &p.week,
                &p.month,
                &p.year,
                &p.weekday,
            ];
            client
                .execute(&insert_time, &params)
                .await
                .map_err(failed)?;
        }
        events_took += started.elapsed();
    }
    let per_event = events_took.as_secs_f64() / timed_events.max(1) as f64;
    Ok(Measured {
        name: "row-by-row baseline (single-row INSERTs, song lookup per event)",
        seconds: songs_took.as_secs_f64() + per_event * total_events as f64,
        extrapolated: timed_events < total_events,
        peak_rss_mib: None,
    })
}

/// The `.json` objects of a generated tree, in key order.
fn json_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_file() && e.path().extension().is_some_and(|x| x == "json"))
        .map(|e| e.into_path())
        .collect();
    files.sort();
    files
}

fn describe_machine(postgres: &str) -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let memory = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .next()
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kib| kib.parse::<f64>().ok())
        })
        .map_or("?".to_string(), |kib| {
            format!("{:.0} GiB", kib / 1024.0 / 1024.0)
        });
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let postgres = postgres.split(" on ").next().unwrap_or(postgres);
    format!("{cores} cores ({cpu}), {memory} memory; {postgres} on loopback, fsync off")
}

impl BenchReport {
    fn seconds(&self, name_start: &str) -> Option<f64> {
        self.routes
            .iter()
            .find(|r| r.name.starts_with(name_start))
            .map(|r| r.seconds)
    }

    /// The report as Markdown: the table of routes, the ratios against the targets.
    pub fn markdown(&self) -> String {
        let mut md = String::new();
        let s = &self.spec;
        let _ = writeln!(md, "Data: `gen-fixtures --songs {} --events {} --seed {}`, {:.0} MB of JSON, {} final star-schema rows.", s.songs, s.events, s.seed, self.input_bytes as f64 / 1e6, self.final_rows);
        let _ = writeln!(md, "Machine: {}.\n", self.machine);
        let _ = writeln!(
            md,
            "| route | wall time | final rows/s | peak RSS |\n| --- | ---: | ---: | ---: |"
        );
        for r in &self.routes {
            let time = if r.extrapolated {
                format!("{:.1} s (extrapolated)", r.seconds)
            } else {
                format!("{:.2} s", r.seconds)
            };
            let rss = r
                .peak_rss_mib
                .map_or("—".to_string(), |m| format!("{m:.0} MiB"));
            let _ = writeln!(
                md,
                "| {} | {time} | {:.0} | {rss} |",
                r.name,
                self.final_rows as f64 / r.seconds
            );
        }
        let verdict = |ok: bool| if ok { "met" } else { "missed" };
        let _ = writeln!(md, "\n| target | measured | |\n| --- | ---: | --- |");
        if let (Some(client), Some(baseline), Some(copy), Some(sink)) = (
            self.seconds("client"),
            self.seconds("row-by-row"),
            self.seconds("copy"),
            self.seconds("sink"),
        ) {
            let baseline = baseline / client;
            let _ = writeln!(
                md,
                "| client ≥ 1,000x faster than row-by-row | {baseline:.0}x | {} |",
                verdict(baseline >= 1000.0)
            );
            let copy = copy / client;
            let _ = writeln!(
                md,
                "| client ≥ 4x faster than copy mode | {copy:.1}x | {} |",
                verdict(copy >= 4.0)
            );
            let sink = client / sink;
            let _ = writeln!(
                md,
                "| client ≤ 1.3x the COPY BINARY sink limit | {sink:.2}x | {} |",
                verdict(sink <= 1.3)
            );
        }
        let _ = writeln!(
            md,
            "| parsing ≥ 1 GB/s (all cores, in memory) | {:.2} GB/s | {} |",
            self.parse_gb_per_s,
            verdict(self.parse_gb_per_s >= 1.0)
        );
        md
    }
}
