//! The command line: every subcommand and flag, as clap derives them.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

mod choices;
mod parity;
mod watch;

pub(crate) use choices::{DialectArg, InsertArg, ModeArg, SinkArg};
pub(crate) use parity::ParityArgs;
pub(crate) use watch::WatchArgs;

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
pub(crate) struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub load: LoadArgs,
    #[command(flatten)]
    pub global: GlobalArgs,
}

impl Cli {
    /// The global options, wherever on the command line they were given.
    pub(crate) fn global(&self) -> &GlobalArgs {
        match &self.command {
            Some(
                Command::Load { global, .. }
                | Command::CreateTables { global, .. }
                | Command::Parity { global, .. }
                | Command::Report { global, .. }
                | Command::Merge { global, .. }
                | Command::Check { global, .. }
                | Command::Next { global, .. }
                | Command::Db { global, .. }
                | Command::Watch { global, .. }
                | Command::History { global, .. },
            ) => global,
            _ => &self.global,
        }
    }
}

#[derive(Subcommand)]
pub(crate) enum Command {
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
    /// Generate song and log trees with realistic shapes and every awkward case.
    GenFixtures {
        /// The directory to write song_data/ and log_data/ into: new or empty, unless --force.
        out: PathBuf,
        /// Song records to generate (one object each, some objects holding several).
        #[arg(long, default_value_t = 100)]
        songs: usize,
        /// Log events to generate, spread over one object per day.
        #[arg(long, default_value_t = 2_000)]
        events: usize,
        /// The random seed: the same seed gives the same bytes.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Replace the set already in OUT whole (its song_data/ and log_data/).
        #[arg(long)]
        force: bool,
    },
    /// Answer the business questions over a loaded warehouse: tables in the terminal, and
    /// in --out an HTML page with charts plus every answer as CSV.
    Report {
        #[command(flatten)]
        target: TargetArgs,
        /// Where report.html and the CSV files are written.
        #[arg(long, value_name = "DIR", default_value = "sparkify-report")]
        out: PathBuf,
        /// Print the answers as one JSON document instead of tables.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        global: GlobalArgs,
    },
    /// Merge the finished shards of a sharded load (load --shard K/N --run-id ID) into the
    /// five tables in one transaction, with a manifest; refused while a shard is missing
    /// (docs/SCALE.md).
    Merge {
        #[command(flatten)]
        target: TargetArgs,
        /// The run the workers were given.
        #[arg(long, value_name = "RUN_ID")]
        run_id: String,
        /// A TOML file of user checks added to the quality gate run before the commit.
        #[arg(long, value_name = "FILE", conflicts_with = "no_checks")]
        checks: Option<PathBuf>,
        /// Commit without the quality gate.
        #[arg(long)]
        no_checks: bool,
        /// Write the merge's report as JSON here.
        #[arg(long, value_name = "PATH")]
        report: Option<PathBuf>,
        /// Let the merge leave a table that has rows empty (refused by default).
        #[arg(long)]
        allow_empty: bool,
        /// Merge nothing: drop the run's finished shards (their tables and registry rows),
        /// for a run that will not be merged. Stop its workers first.
        #[arg(long, conflicts_with_all = ["checks", "no_checks", "report", "allow_empty"])]
        discard: bool,
        #[command(flatten)]
        global: GlobalArgs,
    },
    /// Check a loaded star schema: the built-in checks and those of --checks, a line each;
    /// exit 6 when an error-level check fails (docs/CHECKS.md).
    Check {
        #[command(flatten)]
        target: TargetArgs,
        /// A TOML file of user checks and built-in severities.
        #[arg(long, value_name = "FILE")]
        checks: Option<PathBuf>,
        /// Print the outcomes as JSON (the README gives its shape).
        #[arg(long)]
        json: bool,
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
        /// Print the answer as JSON instead of a table.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        global: GlobalArgs,
    },
    /// Run until stopped, loading new objects in small batches as they arrive (found by
    /// listing, or through S3 event notifications on an SQS queue), each batch an
    /// incremental merge: exactly once, never stuck, with metrics (docs/WATCH.md).
    Watch {
        #[command(flatten)]
        watch: WatchArgs,
        #[command(flatten)]
        global: GlobalArgs,
    },
    /// The last loads, merges and watch batches recorded in the schema's history table,
    /// newest first.
    History {
        #[command(flatten)]
        target: TargetArgs,
        /// How many runs to show.
        #[arg(long, value_name = "N", default_value_t = 20)]
        last: u64,
        /// Print the runs as JSON instead of a table.
        #[arg(long)]
        json: bool,
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
pub(crate) struct NextOf {
    /// The songs played right after this one (a song_id).
    #[arg(long, value_name = "SONG_ID")]
    pub song: Option<String>,
    /// Suggestions for this user (a user_id).
    #[arg(long, value_name = "USER_ID")]
    pub user: Option<i32>,
}

#[derive(Subcommand, Clone, Copy)]
pub(crate) enum DbAction {
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
pub(crate) struct GlobalArgs {
    /// Home of the embedded default PostgreSQL [default: ~/.local/share/sparkify-load, or
    /// /var/lib/sparkify-load as root].
    #[arg(
        long,
        env = "SPARKIFY_LOAD_HOME",
        hide_env_values = true,
        global = true,
        value_name = "DIR"
    )]
    pub home: Option<PathBuf>,
    /// More output: causes of an error, and log lines (-v info, -vv debug); secrets are
    /// never shown.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
    /// Print nothing on success, only errors; no progress display.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
}

#[derive(Args, Clone)]
pub(crate) struct TargetArgs {
    /// The classic dwh.cfg: [CLUSTER] is the target (TLS: its SSLMODE, else PGSSLMODE, else
    /// required), [S3] the sources, [AWS] KEY and SECRET static S3 keys; flags and
    /// DATABASE_URL override it.
    #[arg(long, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// PostgreSQL or Redshift URL (or key=value pairs), completed from PGPASSWORD, ~/.pgpass,
    /// PGUSER, PGSSLMODE and the other PG* variables as psql does [default: the cluster of
    /// --config, else the server of PGHOST or PGSERVICE, else the embedded PostgreSQL].
    #[arg(long, env = "DATABASE_URL", hide_env_values = true, value_name = "URL")]
    pub target: Option<String>,
    /// The schema the tables live in.
    #[arg(long, default_value = "public")]
    pub schema: String,
    /// The target's SQL dialect; auto picks redshift for *.redshift.amazonaws.com or port 5439.
    #[arg(long, value_enum, default_value_t = DialectArg::Auto)]
    pub dialect: DialectArg,
}

#[derive(Args, Clone)]
pub(crate) struct LoadArgs {
    /// client: parse and transform here, multi-row INSERT; copy: COPY and SQL transforms.
    #[arg(long, value_enum, default_value_t = ModeArg::Client)]
    pub mode: ModeArg,
    #[command(flatten)]
    pub from_to: FromToArgs,
    /// Bad records to skip before the load fails (Redshift's MAXERROR).
    #[arg(long, default_value_t = 0)]
    pub max_errors: u64,
    /// Where skipped bad records go, as JSON lines [default with --max-errors > 0:
    /// sparkify-load-rejects.jsonl].
    #[arg(long, value_name = "PATH")]
    pub reject_file: Option<PathBuf>,
    /// Write the run report as JSON here.
    #[arg(long, value_name = "PATH")]
    pub report: Option<PathBuf>,
    /// Write the load's metrics here in Prometheus's text format, for node_exporter's
    /// textfile collector (the same metrics `watch --metrics-addr` serves).
    #[arg(long, value_name = "PATH")]
    pub metrics_file: Option<PathBuf>,
    /// Copy mode on Redshift: the cluster's IAM role for reading S3 (default: [IAM_ROLE] ARN).
    #[arg(long, value_name = "ARN")]
    pub iam_role: Option<String>,
    /// Copy mode on Redshift: the jsonpaths file for the logs (default: [S3] LOG_JSONPATH;
    /// required: 'auto' would miss the logs' camelCase keys).
    #[arg(long, value_name = "URI")]
    pub log_jsonpath: Option<String>,
    /// Into Redshift, either mode: print the statements the load would run, and run none.
    #[arg(long)]
    pub dry_run: bool,
    /// Song objects fetched at once; log objects, which are large and read in chunks, a
    /// quarter of this.
    #[arg(long, default_value_t = 32)]
    pub concurrency: usize,
    /// Names this load: its private tables (sparkify_load_run_<RUN_ID>_<table>), and for a
    /// sharded load (--shard) the run its workers share and `merge --run-id` merges: 1 to 16
    /// letters and digits, folded to lower case as Redshift folds names [default: 8 random
    /// hex digits].
    #[arg(long, value_name = "RUN_ID")]
    pub run_id: Option<String>,
    /// Client mode's INSERTs: arrays (one binary array per column, unnested; PostgreSQL
    /// only), bind (multi-row VALUES with binary bind parameters) or literal (escaped SQL
    /// literals over the simple query protocol; the default on Redshift). The default on
    /// PostgreSQL is the fastest measured (docs/BENCHMARKS.md).
    #[arg(long, value_enum)]
    pub insert: Option<InsertArg>,
    /// Where client mode's rows go: insert (multi-row INSERTs) or s3-copy (Redshift: gzip
    /// CSV parts under --staging-prefix and one COPY … MANIFEST a table; docs/SCALE.md).
    #[arg(long, value_enum, default_value_t = SinkArg::Insert)]
    pub sink: SinkArg,
    /// With --sink s3-copy: the s3://bucket/prefix/ the parts and manifests go under (in a
    /// folder named by the run id), which the cluster's IAM role can read.
    #[arg(long, value_name = "URI", required_if_eq("sink", "s3-copy"))]
    pub staging_prefix: Option<String>,
    /// With --sink s3-copy: the cluster's slice count [default: asked of the cluster].
    #[arg(long, value_name = "N")]
    pub slices: Option<u32>,
    /// Client mode's connections to the target.
    #[arg(long, value_name = "N", default_value_t = sparkify_load::DEFAULT_INSERT_CONNECTIONS)]
    pub insert_connections: usize,
    /// INSERT statements client mode sends on one connection before awaiting the first
    /// one's answer (pipelined).
    #[arg(long, value_name = "N", default_value_t = sparkify_load::DEFAULT_STATEMENTS_IN_FLIGHT)]
    pub statements_in_flight: usize,
    /// Load only the objects the target's manifest lacks and merge their rows into the
    /// tables; an object changed or gone since it was loaded fails the run
    /// (docs/INCREMENTAL.md).
    #[arg(long, conflicts_with = "full")]
    pub incremental: bool,
    /// Rebuild the tables from every object and keep a manifest, so that --incremental
    /// runs can follow.
    #[arg(long)]
    pub full: bool,
    /// One worker of a sharded load: K/N reads the objects whose keys hash to shard K of N
    /// (K from 0) into tables that wait for `merge`; auto/N takes K from
    /// JOB_COMPLETION_INDEX (Kubernetes) or AWS_BATCH_JOB_ARRAY_INDEX (AWS Batch). Needs
    /// --run-id (docs/SCALE.md).
    #[arg(long, value_name = "K/N", conflicts_with_all = ["incremental", "full"])]
    pub shard: Option<String>,
    /// A TOML file of user checks (and built-in severities) added to the quality gate that
    /// every load runs on its new rows before it commits them.
    #[arg(long, value_name = "FILE", conflicts_with = "no_checks")]
    pub checks: Option<PathBuf>,
    /// Commit the new rows without the quality gate.
    #[arg(long)]
    pub no_checks: bool,
    /// Load a tree that holds no object or gives no rows, and let the load empty a table
    /// that has rows; each is refused by default (exit 2), as a wrong path would cause it.
    #[arg(long)]
    pub allow_empty: bool,
}

/// The two trees a command reads and the warehouse it writes, with how S3 is reached.
#[derive(Args, Clone)]
pub(crate) struct FromToArgs {
    /// The song tree: s3://bucket/prefix, a directory or a file:// URI.
    #[arg(long, value_name = "URI")]
    pub song_data: Option<String>,
    /// The log tree: s3://bucket/prefix, a directory or a file:// URI.
    #[arg(long, value_name = "URI")]
    pub log_data: Option<String>,
    #[command(flatten)]
    pub target: TargetArgs,
    #[command(flatten)]
    pub s3: S3Args,
}

#[derive(Args, Clone)]
pub(crate) struct S3Args {
    /// The buckets' region (default: AWS_REGION or the AWS profile, else us-east-1).
    #[arg(long)]
    pub region: Option<String>,
    /// An S3-compatible endpoint (MinIO, Ceph, R2), addressed path-style.
    #[arg(long, value_name = "URL")]
    pub endpoint_url: Option<String>,
    /// Send anonymous requests, for public buckets (as the aws CLI's flag).
    #[arg(long)]
    pub no_sign_request: bool,
    /// Tries per S3 request before the load fails.
    #[arg(long, default_value_t = 5)]
    pub s3_attempts: u32,
}

#[cfg(test)]
mod tests;
