//! The end-to-end comparison, in one run on one generated data set and one private
//! PostgreSQL — client mode, copy mode, the classic route, a row-by-row baseline and the
//! sink's limit (`COPY … FROM STDIN BINARY` of the finished rows) — with ratios and peak RSS.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{anyhow, bail, Context, Result};
use rayon::prelude::*;
use sparkify_fixtures::{generate, FixtureSpec};
use sparkify_load::db::Database;
use sparkify_load::embedded::AttachedServer;
use sparkify_load::model::{EventRecord, SongRecord};
use sparkify_load::parse::decode_object;
use sparkify_load::{Dialect, Secret};

use crate::cpu::CpuClock;
use crate::{classic, routes};

/// What to measure.
#[derive(Debug, Clone)]
pub(crate) struct BenchSpec {
    pub songs: usize,
    pub events: usize,
    pub seed: u64,
    /// Events the row-by-row baseline runs before its time is extrapolated.
    pub baseline_events: usize,
    /// Where to generate the data and run the server (a fresh directory below it).
    pub work_dir: PathBuf,
    /// Measure client mode and the sink limit alone (for peak RSS at scale).
    pub client_only: bool,
    /// Measure client mode with each INSERT form, connection count and pipeline depth.
    pub insert_matrix: bool,
    /// Rounds of client mode, the sink limit and the classic route, taken in turn; each
    /// route's figure is its median.
    pub rounds: usize,
    /// The `sparkify-load` program whose loads are timed.
    pub loader: PathBuf,
}

/// One client-mode load of the insert matrix.
#[derive(Debug, Clone)]
pub(crate) struct MatrixCell {
    pub insert: &'static str,
    pub connections: usize,
    pub in_flight: usize,
    pub seconds: f64,
    /// The load's own stage times, as its report gives them.
    pub stages: Vec<(String, f64)>,
}

/// One measured route.
#[derive(Debug, Clone)]
pub(crate) struct Measured {
    pub name: &'static str,
    pub seconds: f64,
    pub extrapolated: bool,
    pub peak_rss_mib: Option<f64>,
    /// CPU seconds (user + system) of the route's own process: the loader's for client and
    /// copy mode, this program's (the client side of its COPYs and INSERTs) for the routes
    /// it runs itself; PostgreSQL's work is not in it.
    pub cpu_seconds: Option<f64>,
}

/// Everything one run measured.
#[derive(Debug, Clone)]
pub(crate) struct BenchReport {
    pub spec: BenchSpec,
    pub machine: String,
    pub input_bytes: u64,
    pub final_rows: u64,
    pub parse_gb_per_s: f64,
    pub routes: Vec<Measured>,
    pub matrix: Vec<MatrixCell>,
}

const SERVER_SETTINGS: &[(&str, &str)] = &[
    ("fsync", "off"),
    ("synchronous_commit", "off"),
    ("full_page_writes", "off"),
    ("max_wal_size", "4GB"),
    ("shared_buffers", "1GB"),
];

/// Runs the whole comparison.
pub(crate) async fn measure(spec: &BenchSpec) -> Result<BenchReport> {
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

    let client = database.connect().await?;
    let settle = async || checkpoint(&client, &database).await;
    let ([client_mode, classic, sink_limit], final_rows) =
        interleaved_rounds(spec, (&client, &database), &url, &data).await?;
    let mut routes = vec![client_mode, classic];
    if !spec.client_only {
        eprintln!("copy mode…");
        settle().await?;
        routes.push(run_loader(&spec.loader, &url, &data, "copy", "bench_copy", &[])?.0);
        eprintln!("row-by-row baseline on {} events…", spec.baseline_events);
        settle().await?;
        routes.push(routes::row_by_row(&client, &database, &data, spec.baseline_events).await?);
    }
    let mut matrix = Vec::new();
    if spec.insert_matrix {
        for cell in MATRIX {
            settle().await?;
            matrix.push(matrix_cell(&spec.loader, &url, &data, cell)?);
        }
    }
    routes.push(sink_limit);
    eprintln!("parsing in memory…");
    let (input_bytes, parse_seconds) = measure_parse(&data)?;

    let version: String = client
        .query_one("SELECT version()", &[])
        .await
        .map_err(|e| database.error("version", e))?
        .get(0);
    Ok(BenchReport {
        spec: spec.clone(),
        machine: describe_machine(&version),
        input_bytes,
        final_rows,
        parse_gb_per_s: input_bytes as f64 / parse_seconds / 1e9,
        routes,
        matrix,
    })
}

/// Each route starts with no dirty pages left by the one before (a checkpoint of those
/// would otherwise land in whichever route runs next).
async fn checkpoint(client: &tokio_postgres::Client, database: &Database) -> Result<()> {
    client
        .batch_execute("CHECKPOINT")
        .await
        .map_err(|e| database.error("checkpoint", e))?;
    Ok(())
}

/// The three routes the targets compare (client mode, the classic route, the sink limit),
/// in turn, round after round: each one's figure is its median, so a slow spell of the
/// machine does not land on one route alone. Gives them and the rows of the star schema.
async fn interleaved_rounds(
    spec: &BenchSpec,
    (client, database): (&tokio_postgres::Client, &Database),
    url: &Secret<String>,
    data: &Path,
) -> Result<([Measured; 3], u64)> {
    let mut rounds: Vec<[Measured; 3]> = Vec::new();
    let mut final_rows = 0;
    for round in 1..=spec.rounds {
        eprintln!("round {round} of {}: client mode…", spec.rounds);
        checkpoint(client, database).await?;
        let (client_mode, _) = run_loader(&spec.loader, url, data, "client", "bench_client", &[])?;
        eprintln!("round {round}: COPY BINARY of the finished rows…");
        checkpoint(client, database).await?;
        let (rows, sink_limit) = routes::copy_binary_limit(client, database).await?;
        final_rows = rows;
        eprintln!("round {round}: the classic route (COPY to jsonb, INSERT … SELECT)…");
        checkpoint(client, database).await?;
        let classic = classic::classic(client, database, data).await?;
        rounds.push([client_mode, classic, sink_limit]);
    }
    let medians =
        std::array::from_fn(|route| median(rounds.iter().map(|round| round[route].clone())));
    Ok((medians, final_rows))
}

/// The run with the median time (the upper one of an even count).
fn median(runs: impl Iterator<Item = Measured>) -> Measured {
    let mut runs: Vec<Measured> = runs.collect();
    runs.sort_by(|a, b| a.seconds.total_cmp(&b.seconds));
    runs.swap_remove(runs.len() / 2)
}

/// The insert matrix's loads: each INSERT form with 1, 2 and 4 connections and 1 and 4
/// statements in flight.
const MATRIX: [(&str, usize, usize); 12] = [
    ("arrays", 1, 1),
    ("arrays", 1, 4),
    ("arrays", 2, 1),
    ("arrays", 2, 4),
    ("arrays", 4, 1),
    ("arrays", 4, 4),
    ("bind", 1, 1),
    ("bind", 1, 4),
    ("bind", 2, 1),
    ("bind", 2, 4),
    ("bind", 4, 1),
    ("bind", 4, 4),
];

/// One client-mode load of the insert matrix, into its own schema.
fn matrix_cell(
    loader: &Path,
    url: &Secret<String>,
    data: &Path,
    (insert, connections, in_flight): (&'static str, usize, usize),
) -> Result<MatrixCell> {
    eprintln!("client mode, --insert {insert}, {connections} connections, {in_flight} in flight…");
    let (connections_arg, in_flight_arg) = (connections.to_string(), in_flight.to_string());
    let (measured, report) = run_loader(
        loader,
        url,
        data,
        "client",
        "bench_matrix",
        &[
            "--insert",
            insert,
            "--insert-connections",
            &connections_arg,
            "--statements-in-flight",
            &in_flight_arg,
        ],
    )?;
    let stages = report["stages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|stage| {
            Some((
                stage["name"].as_str()?.to_string(),
                stage["seconds"].as_f64()?,
            ))
        })
        .collect();
    Ok(MatrixCell {
        insert,
        connections,
        in_flight,
        seconds: measured.seconds,
        stages,
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
                    std::fs::read(&path)
                        .with_context(|| format!("cannot read {}", path.display()))?,
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

/// Runs `loader`'s `load` as a child, with `extra` arguments, for its wall time, peak RSS
/// and report. Without the quality gate, so that each route does the work the others
/// do (docs/BENCHMARKS.md gives the gate's own cost).
fn run_loader(
    loader: &Path,
    url: &Secret<String>,
    data: &Path,
    mode: &str,
    schema: &str,
    extra: &[&str],
) -> Result<(Measured, serde_json::Value)> {
    let report_path = data.with_file_name(format!("{schema}-report.json"));
    let started = Instant::now();
    let cpu = CpuClock::children();
    let status = Command::new(loader)
        .args([
            "load",
            "--quiet",
            "--no-checks",
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
        .args(extra)
        .stdout(std::process::Stdio::null())
        .status()
        .with_context(|| "cannot run the loader")?;
    let seconds = started.elapsed().as_secs_f64();
    if !status.success() {
        bail!("the {mode}-mode load failed");
    }
    // The loader's own report has its peak RSS; rusage would count this process's at fork.
    let report = std::fs::read_to_string(&report_path)
        .with_context(|| format!("cannot read the loader's report {}", report_path.display()))?;
    let report: serde_json::Value =
        serde_json::from_str(&report).map_err(|e| anyhow!("the loader's report: {e}"))?;
    let measured = Measured {
        name: if mode == "client" {
            "client mode"
        } else {
            "copy mode"
        },
        seconds,
        extrapolated: false,
        peak_rss_mib: report["peak_rss_mib"].as_f64(),
        cpu_seconds: Some(cpu.seconds()),
    };
    Ok((measured, report))
}

/// The `.json` objects of a generated tree, in key order.
pub(crate) fn json_files(dir: &Path) -> Vec<PathBuf> {
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
