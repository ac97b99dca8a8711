//! Shared test helpers: one real PostgreSQL per flavour for the whole test run (initdb into
//! a temp dir, a free loopback port, stopped when the run ends), a fresh database per test,
//! and table dumps to compare against known answers.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};

use std::io::Write;
use std::process::{Command, Output};

use sparkify_load::db::Database;
use sparkify_load::embedded::AttachedServer;
use sparkify_load::parity::{self, Side};
use sparkify_load::source::SourceUri;
use sparkify_load::{Dialect, Error, LoadRequest, Report, SchemaName, Secret, Target};

pub mod hostile;
pub mod moto;
pub mod s3;

/// The PostgreSQL servers a test binary may start, one of each at most.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavour {
    /// PostgreSQL as it comes (fsync off, for speed).
    Standard,
    /// With `standard_conforming_strings = off`: it reads a backslash inside `'…'` as an
    /// escape, as Redshift does. A stand-in for that one rule, not for Redshift.
    RedshiftLiterals,
}

impl Flavour {
    fn settings(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Flavour::Standard => &[("fsync", "off"), ("full_page_writes", "off")],
            Flavour::RedshiftLiterals => &[
                ("fsync", "off"),
                ("full_page_writes", "off"),
                ("standard_conforming_strings", "off"),
                ("escape_string_warning", "off"),
            ],
        }
    }
}

struct Shared {
    flavour: Flavour,
    server: AttachedServer,
    _dir: tempfile::TempDir,
}

static SERVERS: Mutex<Vec<Shared>> = Mutex::new(Vec::new());
static AT_EXIT: OnceLock<()> = OnceLock::new();
static NEXT_DATABASE: AtomicUsize = AtomicUsize::new(0);

extern "C" fn stop_servers() {
    if let Ok(mut servers) = SERVERS.lock() {
        servers.clear();
    }
}

/// The port of this binary's server of a flavour, started on first use.
pub fn port_of(flavour: Flavour) -> u16 {
    let mut servers = SERVERS.lock().unwrap();
    if let Some(shared) = servers.iter().find(|s| s.flavour == flavour) {
        return shared.server.port;
    }
    let dir = tempfile::Builder::new()
        .prefix("sparkify-test-pg")
        .tempdir()
        .expect("a temp dir");
    let server = AttachedServer::start(&dir.path().join("data"), flavour.settings())
        .expect("the test PostgreSQL starts");
    let port = server.port;
    servers.push(Shared {
        flavour,
        server,
        _dir: dir,
    });
    AT_EXIT.get_or_init(|| {
        // Statics are never dropped: stop the servers (and remove their directories) at
        // exit.
        // SAFETY: `stop_servers` is an `extern "C" fn()` that never unwinds (it only locks
        // a mutex and drops the servers), as atexit(3) requires.
        unsafe {
            libc::atexit(stop_servers);
        }
    });
    port
}

/// The port of this binary's standard server.
pub fn port() -> u16 {
    port_of(Flavour::Standard)
}

/// A new, empty database on the standard server; its URL.
pub async fn fresh_database() -> String {
    fresh_database_on(Flavour::Standard).await
}

/// A new, empty database on the server of a flavour; its URL.
pub async fn fresh_database_on(flavour: Flavour) -> String {
    let port = port_of(flavour);
    let n = NEXT_DATABASE.fetch_add(1, Ordering::SeqCst);
    let name = format!("test_{}_{n}", std::process::id());
    let admin = connect(&sparkify_load::embedded::url(port)).await;
    admin
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .await
        .unwrap();
    format!("postgresql://sparkify@127.0.0.1:{port}/{name}")
}

pub async fn connect(url: &str) -> tokio_postgres::Client {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    client
}

pub const TABLES: [&str; 5] = ["songplays", "users", "songs", "artists", "time"];

/// Every row of `schema.table` as a tab-separated line (`\N` for NULL), sorted: the
/// library's parity rendering.
pub async fn dump(url: &str, schema: &str, table: &str) -> Vec<String> {
    let database = Database::new(&Secret::new(url.to_string()), Dialect::Postgres).unwrap();
    let schema: SchemaName = schema.parse().unwrap();
    parity::table_rows(
        &Side {
            database: &database,
            schema: &schema,
        },
        table,
    )
    .await
    .unwrap()
}

/// All five tables, dumped.
pub async fn dump_all(url: &str, schema: &str) -> Vec<Vec<String>> {
    let mut tables = Vec::new();
    for table in TABLES {
        tables.push(dump(url, schema, table).await);
    }
    tables
}

/// Schemas other than the system's and `public`.
pub async fn schemas(url: &str) -> Vec<String> {
    texts(url, "SELECT nspname::text FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_%' AND nspname <> 'information_schema' ORDER BY 1").await
}

/// The tables a finished load leaves in its schema: the five, the load history and the
/// manifest.
pub const LOADED_TABLES: [&str; 7] = [
    "artists",
    "songplays",
    "songs",
    "sparkify_load_history",
    "sparkify_load_state_objects",
    "time",
    "users",
];

/// The tables of `schema`, by name.
pub async fn tables_in(url: &str, schema: &str) -> Vec<String> {
    texts(
        url,
        &format!("SELECT tablename::text FROM pg_tables WHERE schemaname = '{schema}' ORDER BY 1"),
    )
    .await
}

/// The first column of every row a query gives, as text.
pub async fn texts(url: &str, sql: &str) -> Vec<String> {
    let client = connect(url).await;
    client
        .query(sql, &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
}

pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

pub fn tiny() -> PathBuf {
    fixtures().join("tiny")
}

/// The hand-derived rows of a table of the tiny fixture, sorted.
pub fn expected_tiny(table: &str) -> Vec<String> {
    let text =
        std::fs::read_to_string(tiny().join("expected").join(format!("{table}.tsv"))).unwrap();
    let mut rows: Vec<String> = text.lines().map(str::to_string).collect();
    rows.sort();
    rows
}

pub fn expected_tiny_all() -> Vec<Vec<String>> {
    TABLES.iter().map(|t| expected_tiny(t)).collect()
}

/// The classic data set beside the project, if it is there.
pub fn real_data() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/sparkify");
    if dir.join("song_data").is_dir() && dir.join("log_data").is_dir() {
        Some(dir)
    } else {
        skipped(&format!("the classic data set is not at {}", dir.display()));
        None
    }
}

/// Says on the test run's output that a test skipped something: written to the process's
/// standard error itself, which the test harness does not capture.
pub fn skipped(why: &str) {
    let _ = writeln!(std::io::stderr(), "SKIPPED: {why}");
}

/// Checks a request and runs the load.
pub async fn load(request: &LoadRequest) -> Result<Report, Error> {
    sparkify_load::load(&request.clone().resolve()?).await
}

/// The environment variables that name or complete a target (libpq's), which a test's
/// own environment must not lend the binary.
pub const TARGET_VARIABLES: [&str; 13] = [
    "DATABASE_URL",
    "PGHOST",
    "PGHOSTADDR",
    "PGPORT",
    "PGDATABASE",
    "PGUSER",
    "PGPASSWORD",
    "PGPASSFILE",
    "PGSERVICE",
    "PGSERVICEFILE",
    "PGSSLMODE",
    "PGSSLROOTCERT",
    "PGSYSCONFDIR",
];

/// The `sparkify-load` binary as a user runs it: no target from the test's own
/// environment, and the embedded default's home in `home` when given.
pub fn cli_command(home: Option<&Path>) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_sparkify-load"));
    for name in TARGET_VARIABLES {
        command.env_remove(name);
    }
    if let Some(home) = home {
        command.env("SPARKIFY_LOAD_HOME", home);
    }
    command
}

/// Runs the binary with `args` and gives what it did.
pub fn run_cli(args: &[&str], home: Option<&Path>) -> Output {
    cli_command(home)
        .args(args)
        .output()
        .expect("the binary runs")
}

/// A command's standard output and standard error, as text.
pub fn text(output: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// `--song-data ROOT/song_data --log-data ROOT/log_data`.
pub fn tree_args(root: &Path) -> Vec<String> {
    vec![
        "--song-data".into(),
        root.join("song_data").display().to_string(),
        "--log-data".into(),
        root.join("log_data").display().to_string(),
    ]
}

/// A home for the embedded default in a temporary directory, whose server is stopped
/// however the test ends.
pub struct EmbeddedHome(tempfile::TempDir);

impl EmbeddedHome {
    pub fn new() -> EmbeddedHome {
        EmbeddedHome(tempfile::tempdir().unwrap())
    }

    /// The home itself: a directory the tool creates on first use.
    pub fn path(&self) -> PathBuf {
        self.0.path().join("home")
    }
}

impl Drop for EmbeddedHome {
    fn drop(&mut self) {
        let _ = run_cli(&["db", "stop"], Some(&self.path()));
    }
}

/// A load of `root/song_data` and `root/log_data` into `url`.
pub fn config(root: &Path, url: &str) -> LoadRequest {
    LoadRequest::new(
        SourceUri::Local(root.join("song_data")),
        SourceUri::Local(root.join("log_data")),
        Target::Url(Secret::new(url.to_string())),
    )
}

/// Copies a tree (for tests that add objects to a fixture).
pub fn copy_tree(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.unwrap();
        let target = to.join(entry.path().strip_prefix(from).unwrap());
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}
