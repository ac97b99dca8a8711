//! `sparkify-bench-watch`: how fresh `sparkify-load watch` keeps the tables. It starts a
//! private PostgreSQL and moto (S3 + SQS, with S3 event notifications to SQS), loads a song
//! catalogue, then PUTs log objects at a steady rate and measures, for each, the seconds from
//! its PUT's answer to its rows being queryable (its manifest row committed, in the same
//! transaction as its rows); then the watcher's CPU and memory while idle.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use clap::{Parser, ValueEnum};
use sparkify_fixtures::{generate, FixtureSpec};
use sparkify_load::embedded::AttachedServer;

mod moto;

use moto::{notify, Moto};

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Route {
    /// S3 event notifications through SQS.
    Queue,
    /// A listing of moto's S3 every --interval.
    Listing,
    /// A listing of a local tree every --interval: the listing route without moto's cost.
    ListingLocal,
}

#[derive(Parser)]
#[command(name = "sparkify-bench-watch")]
struct Args {
    #[arg(long, value_enum)]
    route: Route,
    /// Log objects PUT per second.
    #[arg(long, default_value_t = 1.0)]
    rate: f64,
    /// How long objects are PUT.
    #[arg(long, default_value_t = 300)]
    seconds: u64,
    /// The listing route's interval, in seconds.
    #[arg(long, default_value_t = 10)]
    interval: u64,
    /// Events in each log object.
    #[arg(long, default_value_t = 50)]
    events_per_object: usize,
    /// Seconds the watcher idles, measured, once every object is loaded.
    #[arg(long, default_value_t = 30)]
    idle_seconds: u64,
    /// The sparkify-load program [default: the one beside this program].
    #[arg(long)]
    loader: Option<PathBuf>,
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = Args::parse();
    let loader = match &args.loader {
        Some(loader) => loader.clone(),
        None => std::env::current_exe()?.with_file_name("sparkify-load"),
    };
    let work = WorkDir::new()?;
    let server = tokio::task::block_in_place(|| {
        AttachedServer::start(&work.path().join("pg"), &[("fsync", "off")])
    })?;
    let url = server.url();
    let moto = Moto::start()?;
    let sdk = moto.sdk().await;
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&sdk)
            .force_path_style(true)
            .build(),
    );
    s3.create_bucket().bucket("bench").send().await?;
    let store = match args.route {
        Route::ListingLocal => Store::Local(work.path().join("trees")),
        _ => Store::S3(s3.clone()),
    };
    let objects = log_objects(work.path(), &args)?;
    let songs = work.path().join("data/song_data");
    for path in json_files(&songs) {
        let key = format!("song_data/{}", relative(&songs, &path));
        store.put(&key, std::fs::read(&path)?).await?;
    }
    // Notifications from now on: the catalogue is there before, as a backfill would be.
    let queue_url = notify(&s3, &aws_sdk_sqs::Client::new(&sdk)).await?;
    let watcher = start_watcher(&loader, &args, (&url, &moto.endpoint, &queue_url), &work)?;
    let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await?;
    tokio::spawn(connection);
    wait_for_songs(&client, json_files(&songs).len()).await?;
    let cpu_before = cpu_seconds(watcher.0.id())?;
    let measured = put_and_measure(&store, &client, &objects, args.rate).await;
    let latencies = measured.with_context(|| {
        let said = std::fs::read_to_string(work.path().join("watch.log")).unwrap_or_default()
            + &std::fs::read_to_string(work.path().join("watch.err")).unwrap_or_default();
        let tail: Vec<&str> = said.lines().rev().take(20).collect();
        format!("the watcher said, last lines first:\n{}", tail.join("\n"))
    })?;
    let cpu_busy = cpu_seconds(watcher.0.id())? - cpu_before;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let idle_from = cpu_seconds(watcher.0.id())?;
    tokio::time::sleep(Duration::from_secs(args.idle_seconds)).await;
    let idle_cpu = (cpu_seconds(watcher.0.id())? - idle_from) / args.idle_seconds as f64;
    let rss = rss_mib(watcher.0.id())?;
    print_row(&args, &latencies, cpu_busy, idle_cpu, rss);
    Ok(())
}

/// The watcher under test, its output in the work directory.
fn start_watcher(
    loader: &Path,
    args: &Args,
    (url, endpoint, queue_url): (&str, &str, &str),
    work: &WorkDir,
) -> Result<Guard> {
    let mut command = Command::new(loader);
    let trees = match args.route {
        Route::ListingLocal => {
            let root = work.path().join("trees");
            std::fs::create_dir_all(root.join("log_data"))?;
            ["song_data", "log_data"].map(|tree| root.join(tree).display().to_string())
        }
        _ => ["s3://bench/song_data", "s3://bench/log_data"].map(String::from),
    };
    command.args(["watch", "--song-data", &trees[0], "--log-data", &trees[1]]);
    // The generated events hold bad records on purpose (SPEC's awkward cases): skipped.
    command.args(["--allow-empty", "--target", url]);
    command.args(["--max-errors", "1000000", "--reject-file", "/dev/null"]);
    command.args(["--endpoint-url", endpoint, "--region", "us-east-1"]);
    match args.route {
        Route::Queue => command.args(["--queue-url", queue_url]),
        Route::Listing | Route::ListingLocal => {
            command.args(["--interval", &format!("{}s", args.interval)])
        }
    };
    Ok(Guard(
        command
            .env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", "test")
            .stdout(std::fs::File::create(work.path().join("watch.log"))?)
            .stderr(std::fs::File::create(work.path().join("watch.err"))?)
            .spawn()
            .context("cannot start the watcher")?,
    ))
}

/// The bench's files, in memory where /dev/shm is, removed however the bench ends.
struct WorkDir(PathBuf);

impl WorkDir {
    fn new() -> Result<WorkDir> {
        let base = Path::new("/dev/shm");
        let base = if base.is_dir() {
            base.to_path_buf()
        } else {
            std::env::temp_dir()
        };
        let dir = base.join(format!("sparkify-bench-watch-{}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        // The private PostgreSQL runs as `postgres` when this runs as root.
        std::fs::set_permissions(&dir, std::os::unix::fs::PermissionsExt::from_mode(0o755))?;
        Ok(WorkDir(dir))
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for WorkDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Kills the watcher however the bench ends.
struct Guard(Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A song catalogue and the log objects to PUT: the generated events cut into objects of
/// `events_per_object` lines, as many as the rate and the duration need.
fn log_objects(work: &Path, args: &Args) -> Result<Vec<(String, Vec<u8>)>> {
    let count = (args.rate * args.seconds as f64).ceil() as usize;
    let data = work.join("data");
    generate(
        &data,
        &FixtureSpec {
            songs: 2_000,
            events: count * args.events_per_object + 10_000,
            seed: 3,
        },
    )?;
    let mut lines = Vec::new();
    for path in json_files(&data.join("log_data")) {
        let text = std::fs::read_to_string(&path)?;
        // Objects are cut from whole day objects: a byte-order mark starts only a file.
        lines.extend(
            text.lines()
                .map(|l| l.trim_start_matches('\u{feff}').to_string()),
        );
    }
    let objects: Vec<(String, Vec<u8>)> = lines
        .chunks(args.events_per_object)
        .take(count)
        .enumerate()
        .map(|(i, chunk)| {
            let key = format!("log_data/2018/11/bench-{i:06}.json");
            (key, (chunk.join("\n") + "\n").into_bytes())
        })
        .collect();
    if objects.len() < count {
        bail!(
            "the generated events make {} objects, not {count}",
            objects.len()
        );
    }
    Ok(objects)
}

fn json_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(|e| e.ok().map(walkdir::DirEntry::into_path))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    files
}

fn relative(root: &Path, path: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .display()
        .to_string()
}

/// Where objects are written: moto's bucket, or a local tree (written whole under another
/// name, then renamed, as a writer that publishes files does).
enum Store {
    S3(aws_sdk_s3::Client),
    Local(PathBuf),
}

impl Store {
    async fn put(&self, key: &str, body: Vec<u8>) -> Result<()> {
        match self {
            Store::S3(s3) => {
                s3.put_object()
                    .bucket("bench")
                    .key(key)
                    .body(body.into())
                    .send()
                    .await?;
            }
            Store::Local(root) => {
                let path = root.join(key);
                std::fs::create_dir_all(path.parent().context("a key names a folder")?)?;
                let partial = path.with_extension("partial");
                std::fs::write(&partial, body)?;
                std::fs::rename(&partial, &path)?;
            }
        }
        Ok(())
    }
}

/// Waits until the watcher has loaded the whole song catalogue (its first listing).
async fn wait_for_songs(client: &tokio_postgres::Client, songs: usize) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        let found = client
            .query_one(
                "SELECT count(*) FROM sparkify_load_state_objects WHERE tree = 'song'",
                &[],
            )
            .await;
        if found.is_ok_and(|row| row.get::<_, i64>(0) == songs as i64) {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("the watcher did not load the songs in 5 minutes");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// PUTs the objects at `rate` a second while another task polls the manifest every 50 ms;
/// gives each object's seconds from its PUT's answer to its manifest row being visible.
async fn put_and_measure(
    store: &Store,
    client: &tokio_postgres::Client,
    objects: &[(String, Vec<u8>)],
    rate: f64,
) -> Result<Vec<f64>> {
    let started = Instant::now();
    let mut put_at: HashMap<String, Instant> = HashMap::new();
    let mut seen_at: HashMap<String, Instant> = HashMap::new();
    let mut next = 0;
    let deadline_after_last = Duration::from_secs(120);
    loop {
        let now = Instant::now();
        while next < objects.len() && now >= started + Duration::from_secs_f64(next as f64 / rate) {
            let (key, body) = &objects[next];
            store.put(key, body.clone()).await?;
            put_at.insert(
                key.trim_start_matches("log_data/").to_string(),
                Instant::now(),
            );
            next += 1;
        }
        let rows = client
            .query(
                "SELECT key FROM sparkify_load_state_objects WHERE tree = 'log' \
                 AND loaded_at > now() - interval '60 seconds'",
                &[],
            )
            .await?;
        let polled = Instant::now();
        for row in rows {
            let key: String = row.get(0);
            seen_at.entry(key).or_insert(polled);
        }
        if next == objects.len() && put_at.keys().all(|k| seen_at.contains_key(k)) {
            break;
        }
        if next == objects.len()
            && now > started + Duration::from_secs_f64(next as f64 / rate) + deadline_after_last
        {
            bail!("objects were not loaded within two minutes of the last PUT");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mut latencies: Vec<f64> = put_at
        .iter()
        .map(|(key, put)| seen_at[key].saturating_duration_since(*put).as_secs_f64())
        .collect();
    latencies.sort_by(f64::total_cmp);
    Ok(latencies)
}

/// The process's user + system CPU seconds so far (/proc/PID/stat).
fn cpu_seconds(pid: u32) -> Result<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .context("stat")?
        .1
        .split_whitespace()
        .collect();
    let ticks: f64 = fields[11].parse::<f64>()? + fields[12].parse::<f64>()?;
    // /proc counts in USER_HZ, which Linux fixes at 100 a second whatever the kernel's HZ.
    Ok(ticks / 100.0)
}

/// The process's resident memory now, in MiB.
fn rss_mib(pid: u32) -> Result<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let line = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .context("no VmRSS")?;
    let kib: f64 = line.split_whitespace().nth(1).context("VmRSS")?.parse()?;
    Ok(kib / 1024.0)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let at = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[at.min(sorted.len() - 1)]
}

fn print_row(args: &Args, latencies: &[f64], cpu_busy: f64, idle_cpu: f64, rss: f64) {
    let route = match args.route {
        Route::Queue => "queue".to_string(),
        Route::Listing => format!("listing every {} s", args.interval),
        Route::ListingLocal => format!("local tree, listing every {} s", args.interval),
    };
    println!(
        "| {route} | {} /s | {} | {:.2} | {:.2} | {:.2} | {:.3} | {:.2} % | {:.0} |",
        args.rate,
        latencies.len(),
        percentile(latencies, 0.5),
        percentile(latencies, 0.95),
        latencies.last().copied().unwrap_or(0.0),
        cpu_busy / latencies.len().max(1) as f64,
        idle_cpu * 100.0,
        rss
    );
}
