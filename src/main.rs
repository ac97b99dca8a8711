//! The `sparkify-load` command: parses arguments, builds a config, calls the library,
//! and maps errors to exit codes.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Parser, Subcommand, ValueEnum};
use sparkify_load::analytics;
use sparkify_load::config::{CopyOptions, DwhConfig, S3Options};
use sparkify_load::embedded::{self, Server};
use sparkify_load::generate::{generate, FixtureSpec};
use sparkify_load::parity::Side;
use sparkify_load::sink::Database;
use sparkify_load::source::SourceUri;
use sparkify_load::{Dialect, Error, LoadConfig, Mode, SchemaName, Secret, Target};

// Records are many small strings; mimalloc allocates and frees them about twice as fast as
// glibc's malloc (docs/BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Load the Sparkify song and event JSON into a star-schema warehouse.
///
/// Without a subcommand, loads (`sparkify-load --mode client …` is `sparkify-load load
/// --mode client …`). Without --target or DATABASE_URL, loads into a private PostgreSQL
/// that the tool starts itself (see `sparkify-load db --help`).
#[derive(Parser)]
#[command(
    name = "sparkify-load",
    version,
    args_conflicts_with_subcommands = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    load: LoadArgs,
    #[command(flatten)]
    global: GlobalArgs,
}

#[derive(Subcommand)]
enum Command {
    /// Load the song and log trees into the star schema (the default command).
    Load {
        #[command(flatten)]
        load: LoadArgs,
        #[command(flatten)]
        global: GlobalArgs,
    },
    /// Create the five empty tables, replacing any there (the classic create_tables step).
    CreateTables {
        #[command(flatten)]
        target: TargetArgs,
        /// Print the DDL instead of running it.
        #[arg(long)]
        print: bool,
        #[command(flatten)]
        global: GlobalArgs,
    },
    /// Compare two loaded schemas table by table (exit 0 when the same, 1 when not); with
    /// --song-data and --log-data, first load them in client mode into A and copy mode into B.
    Parity {
        #[command(flatten)]
        args: ParityArgs,
        #[command(flatten)]
        global: GlobalArgs,
    },
    /// Time client mode, copy mode, a row-by-row baseline and the COPY BINARY sink limit in one
    /// run on one generated data set and one private PostgreSQL.
    Bench {
        #[arg(long, default_value_t = 100_000)]
        songs: usize,
        #[arg(long, default_value_t = 1_000_000)]
        events: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Events the row-by-row baseline runs before extrapolating.
        #[arg(long, default_value_t = 5_000)]
        baseline_events: usize,
        /// Where the data and the server go [default: /dev/shm, else the temp directory].
        #[arg(long, value_name = "DIR")]
        work_dir: Option<PathBuf>,
        /// Measure client mode alone (peak RSS at scale).
        #[arg(long)]
        client_only: bool,
        /// Append the results to this Markdown file.
        #[arg(long, value_name = "PATH")]
        doc: Option<PathBuf>,
    },
    /// Generate song and log trees with realistic shapes and every awkward case.
    GenFixtures {
        /// The directory to write song_data/ and log_data/ into.
        out: PathBuf,
        #[arg(long, default_value_t = 100)]
        songs: usize,
        #[arg(long, default_value_t = 2_000)]
        events: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Answer the business questions over a loaded warehouse: tables in the terminal, and
    /// in --out an HTML page with charts plus every answer as CSV.
    Report {
        #[command(flatten)]
        target: TargetArgs,
        /// Where report.html and the CSV files are written.
        #[arg(long, value_name = "DIR", default_value = "sparkify-report")]
        out: PathBuf,
        #[command(flatten)]
        global: GlobalArgs,
    },
    /// What to play next: the songs most often played right after a song in a session, or
    /// suggestions for a user from listeners with a similar history.
    Next {
        #[command(flatten)]
        target: TargetArgs,
        #[command(flatten)]
        of: NextOf,
        #[command(flatten)]
        global: GlobalArgs,
    },
    /// Manage the embedded default PostgreSQL.
    Db {
        #[command(subcommand)]
        action: DbAction,
        #[command(flatten)]
        global: GlobalArgs,
    },
}

#[derive(Args)]
#[group(required = true, multiple = false)]
struct NextOf {
    /// The songs played right after this one (a song_id).
    #[arg(long, value_name = "SONG_ID")]
    song: Option<String>,
    /// Suggestions for this user (a user_id).
    #[arg(long, value_name = "USER_ID")]
    user: Option<i32>,
}

#[derive(Subcommand, Clone, Copy)]
enum DbAction {
    /// Start it (creating it on first use) and print its URL.
    Start,
    /// Print its URL if it is running.
    Url,
    /// Say whether it is running.
    Status,
    /// Stop it; its data stays for the next start.
    Stop,
}

#[derive(Args, Clone)]
struct GlobalArgs {
    /// Home of the embedded default PostgreSQL.
    #[arg(long, env = "SPARKIFY_LOAD_HOME", global = true, value_name = "DIR")]
    home: Option<PathBuf>,
    /// More log output (-v info, -vv debug); secrets are never logged.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    verbose: u8,
}

#[derive(Args, Clone)]
struct TargetArgs {
    /// The classic dwh.cfg: [CLUSTER] is the target (TLS required), [S3] the sources;
    /// flags and environment variables override it.
    #[arg(long, value_name = "PATH")]
    config: Option<PathBuf>,
    /// PostgreSQL or Redshift URL; default: the cluster of --config, else the embedded PostgreSQL.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true, value_name = "URL")]
    target: Option<String>,
    /// The schema the tables live in.
    #[arg(long, default_value = "public")]
    schema: String,
    /// The target's SQL dialect; auto picks redshift for *.redshift.amazonaws.com or port 5439.
    #[arg(long, value_enum, default_value_t = DialectArg::Auto)]
    dialect: DialectArg,
}

#[derive(Args, Clone)]
struct LoadArgs {
    /// client: parse and transform here, multi-row INSERT; copy: COPY and SQL transforms.
    #[arg(long, value_enum, default_value_t = ModeArg::Client)]
    mode: ModeArg,
    /// The song tree: s3://bucket/prefix, a directory or a file:// URI.
    #[arg(long, value_name = "URI")]
    song_data: Option<String>,
    /// The log tree: s3://bucket/prefix, a directory or a file:// URI.
    #[arg(long, value_name = "URI")]
    log_data: Option<String>,
    #[command(flatten)]
    target: TargetArgs,
    #[command(flatten)]
    s3: S3Args,
    /// Bad records to skip before the load fails (Redshift's MAXERROR).
    #[arg(long, default_value_t = 0)]
    max_errors: u64,
    /// Where skipped bad records go, as JSON lines [default with --max-errors > 0:
    /// sparkify-load-rejects.jsonl].
    #[arg(long, value_name = "PATH")]
    reject_file: Option<PathBuf>,
    /// Write the run report as JSON here.
    #[arg(long, value_name = "PATH")]
    report: Option<PathBuf>,
    /// Copy mode on Redshift: the cluster's IAM role for reading S3 (default: [IAM_ROLE] ARN).
    #[arg(long, value_name = "ARN")]
    iam_role: Option<String>,
    /// Copy mode on Redshift: the jsonpaths file for the logs (default: [S3] LOG_JSONPATH, else 'auto').
    #[arg(long, value_name = "URI")]
    log_jsonpath: Option<String>,
    /// Copy mode on Redshift: print every statement the load would run, and run none.
    #[arg(long)]
    dry_run: bool,
    /// Song objects fetched at once; log objects, which are large and read in chunks, a
    /// quarter of this.
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    /// No progress bars.
    #[arg(long, short)]
    quiet: bool,
}

#[derive(Args, Clone)]
struct ParityArgs {
    /// The database of A (and of B unless --target-b); default: the embedded PostgreSQL.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true, value_name = "URL")]
    target: Option<String>,
    /// The database of B, when it is another.
    #[arg(long, value_name = "URL")]
    target_b: Option<String>,
    #[arg(long, value_name = "NAME", default_value = "parity_client")]
    schema_a: String,
    #[arg(long, value_name = "NAME", default_value = "parity_copy")]
    schema_b: String,
    /// The song tree to load in both modes first.
    #[arg(long, value_name = "URI", requires = "log_data")]
    song_data: Option<String>,
    /// The log tree to load in both modes first.
    #[arg(long, value_name = "URI", requires = "song_data")]
    log_data: Option<String>,
    /// Bad records each load may skip.
    #[arg(long, default_value_t = 0)]
    max_errors: u64,
    #[command(flatten)]
    s3: S3Args,
    /// Write the comparison as JSON here.
    #[arg(long, value_name = "PATH")]
    report: Option<PathBuf>,
}

#[derive(Args, Clone)]
struct S3Args {
    /// The buckets' region (default: AWS_REGION or the AWS profile, else us-east-1).
    #[arg(long)]
    region: Option<String>,
    /// An S3-compatible endpoint (MinIO, Ceph, R2), addressed path-style.
    #[arg(long, value_name = "URL")]
    endpoint_url: Option<String>,
    /// Send anonymous requests, for public buckets (as the aws CLI's flag).
    #[arg(long)]
    no_sign_request: bool,
    /// Tries per S3 request before the load fails.
    #[arg(long, default_value_t = 5)]
    s3_attempts: u32,
}

#[derive(ValueEnum, Clone, Copy, PartialEq, Eq)]
enum ModeArg {
    Client,
    Copy,
}

#[derive(ValueEnum, Clone, Copy, PartialEq, Eq)]
enum DialectArg {
    Auto,
    Postgres,
    Redshift,
}

/// Exit codes, one per kind of failure.
mod exit {
    pub const FAILURE: u8 = 1;
    pub const USAGE: u8 = 2;
    pub const BAD_INPUT: u8 = 3;
    pub const SOURCE: u8 = 4;
    pub const TARGET: u8 = 5;
}

fn main() -> ExitCode {
    // Like other Unix filters, end quietly when the reader of stdout goes away (`| head`).
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let cli = Cli::parse();
    let verbose = match &cli.command {
        Some(
            Command::Load { global, .. }
            | Command::CreateTables { global, .. }
            | Command::Parity { global, .. }
            | Command::Report { global, .. }
            | Command::Next { global, .. }
            | Command::Db { global, .. },
        ) => global.verbose,
        _ => cli.global.verbose,
    };
    init_logging(verbose);
    match run(cli) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::from(exit_code(&err))
        }
    }
}

fn init_logging(verbose: u8) {
    let default = match verbose {
        0 => "warn",
        1 => "info",
        _ => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("SPARKIFY_LOAD_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}

fn exit_code(err: &anyhow::Error) -> u8 {
    match err.downcast_ref::<Error>() {
        Some(Error::Config(_)) => exit::USAGE,
        Some(Error::BadInput { .. }) => exit::BAD_INPUT,
        Some(Error::Source(_)) => exit::SOURCE,
        Some(Error::Target(_) | Error::Embedded(_)) => exit::TARGET,
        _ => exit::FAILURE,
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    match cli.command {
        None => runtime.block_on(load(cli.load, cli.global)),
        Some(Command::Load { load: args, global }) => runtime.block_on(load(args, global)),
        Some(Command::CreateTables {
            target,
            print,
            global,
        }) => runtime.block_on(create_tables(target, print, global)),
        Some(Command::GenFixtures {
            out,
            songs,
            events,
            seed,
        }) => {
            let summary = generate(
                &out,
                &FixtureSpec {
                    songs,
                    events,
                    seed,
                },
            )?;
            println!(
                "wrote {} song objects ({} records) and {} log objects ({} events) to {}, plus {} files to ignore",
                summary.song_objects,
                summary.song_records,
                summary.log_objects,
                summary.events,
                out.display(),
                summary.ignored_files
            );
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Db { action, global }) => db(action, &home(&global)),
        Some(Command::Report {
            target,
            out,
            global,
        }) => runtime.block_on(report(target, out, global)),
        Some(Command::Next { target, of, global }) => runtime.block_on(next(target, of, global)),
        Some(Command::Parity { args, global }) => runtime.block_on(parity(args, global)),
        Some(Command::Bench {
            songs,
            events,
            seed,
            baseline_events,
            work_dir,
            client_only,
            doc,
        }) => {
            let shm = PathBuf::from("/dev/shm");
            let work_dir = work_dir.unwrap_or_else(|| {
                if shm.is_dir() {
                    shm
                } else {
                    std::env::temp_dir()
                }
            });
            let spec = sparkify_load::bench::BenchSpec {
                songs,
                events,
                seed,
                baseline_events,
                work_dir,
                client_only,
            };
            let report = runtime.block_on(sparkify_load::bench::run(&spec))?;
            let markdown = report.markdown();
            println!("{markdown}");
            if let Some(path) = doc {
                let mut text = std::fs::read_to_string(&path).unwrap_or_default();
                text.push_str(&format!(
                    "\n### `sparkify-load bench --songs {songs} --events {events}`\n\n{markdown}"
                ));
                std::fs::write(&path, text)
                    .with_context(|| format!("cannot write {}", path.display()))?;
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn home(global: &GlobalArgs) -> PathBuf {
    global.home.clone().unwrap_or_else(embedded::default_home)
}

fn dwh_config(args: &TargetArgs) -> anyhow::Result<Option<DwhConfig>> {
    Ok(args
        .config
        .as_deref()
        .map(DwhConfig::from_file)
        .transpose()?)
}

/// The target: --target or DATABASE_URL, else the cluster of --config, else the embedded
/// default.
fn target(args: &TargetArgs, global: &GlobalArgs) -> anyhow::Result<(Target, Dialect, SchemaName)> {
    let schema: SchemaName = args.schema.parse()?;
    let url = match (&args.target, dwh_config(args)?) {
        (Some(url), _) => Some(Secret::new(url.clone())),
        (None, Some(cfg)) => Some(cfg.target_url()),
        (None, None) => None,
    };
    let (target, dialect) = match url {
        Some(url) => {
            let dialect = dialect_of(args.dialect, url.expose());
            (Target::Url(url), dialect)
        }
        None => (Target::Embedded(home(global)), dialect_of(args.dialect, "")),
    };
    Ok((target, dialect, schema))
}

fn dialect_of(arg: DialectArg, url: &str) -> Dialect {
    match arg {
        DialectArg::Postgres => Dialect::Postgres,
        DialectArg::Redshift => Dialect::Redshift,
        DialectArg::Auto => {
            let config: Option<tokio_postgres::Config> = url.parse().ok();
            let redshift = config.is_some_and(|c| {
                c.get_ports().contains(&5439)
                    || c.get_hosts().iter().any(|h| {
                        matches!(h, tokio_postgres::config::Host::Tcp(host) if host.ends_with(".redshift.amazonaws.com"))
                    })
            });
            if redshift {
                Dialect::Redshift
            } else {
                Dialect::Postgres
            }
        }
    }
}

async fn load(args: LoadArgs, global: GlobalArgs) -> anyhow::Result<ExitCode> {
    let (target, dialect, schema) = target(&args.target, &global)?;
    let embedded_home = match &target {
        Target::Embedded(home) => Some(home.clone()),
        Target::Url(_) => None,
    };
    let cfg = dwh_config(&args.target)?;
    let from_cfg = |pick: fn(&DwhConfig) -> Option<&String>| cfg.as_ref().and_then(pick).cloned();
    let required = |flag: &Option<String>,
                    fallback: Option<String>,
                    name: &str|
     -> anyhow::Result<SourceUri> {
        let text = flag
            .clone()
            .or(fallback)
            .ok_or_else(|| Error::Config(format!("{name} is required (or [S3] in --config)")))?;
        Ok(text.parse::<SourceUri>().map_err(Error::from)?)
    };
    let mut config = LoadConfig::new(
        required(
            &args.song_data,
            from_cfg(|c| c.song_data.as_ref()),
            "--song-data",
        )?,
        required(
            &args.log_data,
            from_cfg(|c| c.log_data.as_ref()),
            "--log-data",
        )?,
        target,
    );
    config.s3 = s3_options(&args.s3);
    config.copy = CopyOptions {
        iam_role_arn: args
            .iam_role
            .clone()
            .or_else(|| from_cfg(|c| c.iam_role_arn.as_ref())),
        log_jsonpath: args
            .log_jsonpath
            .clone()
            .or_else(|| from_cfg(|c| c.log_jsonpath.as_ref())),
        dry_run: args.dry_run,
    };
    config.mode = match args.mode {
        ModeArg::Client => Mode::Client,
        ModeArg::Copy => Mode::Copy,
    };
    config.dialect = dialect;
    config.schema = schema;
    config.max_errors = args.max_errors;
    config.reject_file = args
        .reject_file
        .or_else(|| (args.max_errors > 0).then(|| PathBuf::from("sparkify-load-rejects.jsonl")));
    config.concurrency = args.concurrency;
    config.progress = !args.quiet && std::io::stderr().is_terminal();

    if config.copy.dry_run {
        return dry_run(&config);
    }
    let report = sparkify_load::load(&config).await?;
    println!("{report}");
    if let Some(path) = &args.report {
        std::fs::write(path, report.to_json())
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    if let Some(home) = embedded_home {
        if let Some(server) = Server::running(&home)? {
            println!("query it:  psql {}", server.url());
            println!("answers:   sparkify-load report");
            println!("stop it:   sparkify-load db stop");
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn create_tables(
    args: TargetArgs,
    print: bool,
    global: GlobalArgs,
) -> anyhow::Result<ExitCode> {
    let (target, dialect, schema) = target(&args, &global)?;
    if print {
        print!(
            "{}",
            sparkify_load::sink::DialectSql::of(dialect).star_schema_script(&schema)
        );
        return Ok(ExitCode::SUCCESS);
    }
    sparkify_load::create_tables(&url_of(target)?, dialect, &schema).await?;
    println!("created songplays, users, songs, artists, time in schema {schema}");
    Ok(ExitCode::SUCCESS)
}

/// The URL of a target, starting the embedded default when it is the one.
fn url_of(target: Target) -> anyhow::Result<Secret<String>> {
    Ok(match target {
        Target::Url(url) => url,
        Target::Embedded(home) => Secret::new(Server::ensure_running(&home)?.url()),
    })
}

/// The loaded warehouse the analytics commands ask: its database and schema.
fn warehouse(args: &TargetArgs, global: &GlobalArgs) -> anyhow::Result<(Database, SchemaName)> {
    let (target, dialect, schema) = target(args, global)?;
    Ok((Database::new(&url_of(target)?, dialect)?, schema))
}

async fn report(args: TargetArgs, out: PathBuf, global: GlobalArgs) -> anyhow::Result<ExitCode> {
    let (database, schema) = warehouse(&args, &global)?;
    let report = analytics::report(&database, &schema).await?;
    for answer in &report.answers {
        println!("{answer}");
    }
    std::fs::create_dir_all(&out).with_context(|| format!("cannot create {}", out.display()))?;
    let write = |name: String, text: String| {
        let path = out.join(name);
        std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))
    };
    let mut charts = 0;
    for answer in &report.answers {
        write(format!("{}.csv", answer.query.name), answer.to_csv())?;
        if let Some(svg) = analytics::chart::of_answer(answer) {
            write(format!("{}.svg", answer.query.name), svg)?;
            charts += 1;
        }
    }
    write("report.html".into(), analytics::html::page(&report))?;
    println!(
        "wrote {}, {} CSV files and {charts} SVG charts to {}",
        out.join("report.html").display(),
        report.answers.len(),
        out.display()
    );
    Ok(ExitCode::SUCCESS)
}

async fn next(args: TargetArgs, of: NextOf, global: GlobalArgs) -> anyhow::Result<ExitCode> {
    let (database, schema) = warehouse(&args, &global)?;
    let client = database.connect().await?;
    let answer = match (of.song, of.user) {
        (Some(song), _) => {
            let mut answer = analytics::NEXT_AFTER_SONG
                .run(&database, &client, &schema, &[&song])
                .await?;
            answer.title = format!("What next, after song {song}");
            answer
        }
        (None, Some(user)) => {
            let mut answer = analytics::SUGGEST_FOR_USER
                .run(&database, &client, &schema, &[&user])
                .await?;
            answer.title = format!("Suggestions for user {user}");
            answer
        }
        (None, None) => unreachable!("clap requires --song or --user"),
    };
    print!("{answer}");
    Ok(ExitCode::SUCCESS)
}

fn db(action: DbAction, home: &std::path::Path) -> anyhow::Result<ExitCode> {
    match action {
        DbAction::Start => println!("{}", Server::ensure_running(home)?.url()),
        DbAction::Url | DbAction::Status => match Server::running(home)? {
            Some(server) if matches!(action, DbAction::Url) => println!("{}", server.url()),
            Some(server) => println!("running: {} (data in {})", server.url(), home.display()),
            None => {
                println!("not running (data in {})", home.display());
                return Ok(ExitCode::from(exit::FAILURE));
            }
        },
        DbAction::Stop => match Server::stop(home)? {
            true => println!("stopped"),
            false => println!("was not running"),
        },
    }
    Ok(ExitCode::SUCCESS)
}

async fn parity(args: ParityArgs, global: GlobalArgs) -> anyhow::Result<ExitCode> {
    let url_a = match args.target {
        Some(url) => Secret::new(url),
        None => Secret::new(Server::ensure_running(&home(&global))?.url()),
    };
    let url_b = args
        .target_b
        .map(Secret::new)
        .unwrap_or_else(|| url_a.clone());
    let (schema_a, schema_b): (SchemaName, SchemaName) =
        (args.schema_a.parse()?, args.schema_b.parse()?);
    if let (Some(song_data), Some(log_data)) = (&args.song_data, &args.log_data) {
        let (song_data, log_data): (SourceUri, SourceUri) = (
            song_data.parse().map_err(Error::from)?,
            log_data.parse().map_err(Error::from)?,
        );
        for (mode, url, schema) in [
            (Mode::Client, &url_a, &schema_a),
            (Mode::Copy, &url_b, &schema_b),
        ] {
            let mut config = LoadConfig::new(
                song_data.clone(),
                log_data.clone(),
                Target::Url(url.clone()),
            );
            config.mode = mode;
            config.schema = schema.clone();
            config.max_errors = args.max_errors;
            config.s3 = s3_options(&args.s3);
            let report = sparkify_load::load(&config).await?;
            println!("{report}\n");
        }
    }
    let (a, b) = (
        Database::new(&url_a, Dialect::Postgres)?,
        Database::new(&url_b, Dialect::Postgres)?,
    );
    let comparison = sparkify_load::parity::parity(
        &Side {
            database: &a,
            schema: &schema_a,
        },
        &Side {
            database: &b,
            schema: &schema_b,
        },
    )
    .await?;
    println!("{comparison}");
    if let Some(path) = args.report {
        let json =
            serde_json::to_string_pretty(&comparison).expect("a comparison always serializes");
        std::fs::write(&path, json).with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(if comparison.is_equal() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(exit::FAILURE)
    })
}

fn s3_options(args: &S3Args) -> S3Options {
    S3Options {
        region: args.region.clone(),
        endpoint_url: args.endpoint_url.clone(),
        no_sign_request: args.no_sign_request,
        attempts: args.s3_attempts,
        ..S3Options::default()
    }
}

/// Prints the statements of a Redshift copy-mode load.
fn dry_run(config: &LoadConfig) -> anyhow::Result<ExitCode> {
    if config.mode != Mode::Copy || config.dialect != Dialect::Redshift {
        return Err(Error::Config("--dry-run is for --mode copy into Redshift".into()).into());
    }
    let target = match &config.target {
        Target::Url(url) => Database::new(url, config.dialect)?.label().to_string(),
        Target::Embedded(_) => unreachable!("the embedded target is PostgreSQL"),
    };
    let plan = sparkify_load::redshift_copy_plan(config)?;
    println!("-- sparkify-load --mode copy on Redshift: a dry run, nothing was run.");
    println!("-- target {target}, schema {}", config.schema);
    for (number, (step, sql)) in plan.iter().enumerate() {
        println!("\n-- {}. {step}\n{}", number + 1, sql.trim_end());
    }
    Ok(ExitCode::SUCCESS)
}
