//! The settings of a load: asked for as a [`LoadRequest`], checked once into a
//! [`LoadConfig`], so that no invalid combination reaches the pipeline.

use std::path::{Path, PathBuf};

use crate::check::CheckFile;
pub use crate::db::Dialect;
use crate::db::SchemaName;
use crate::error::Error;
use crate::secret::Secret;
use crate::source::{S3Options, SourceUri};

mod redshift;
mod route;
mod shard;

pub use redshift::{RedshiftCopySources, S3Copy, S3CopyRequest};
pub use route::{Fill, Route};
pub use shard::{MergeConfig, MergeRequest, Shard};

/// How a load turns JSON into tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// Parse and transform here, then multi-row INSERT.
    #[default]
    Client,
    /// COPY raw records into staging tables and transform in SQL.
    Copy,
}

impl Mode {
    pub fn name(self) -> &'static str {
        match self {
            Mode::Client => "client",
            Mode::Copy => "copy",
        }
    }
}

/// Where the tables go.
#[derive(Debug, Clone)]
pub enum Target {
    /// A PostgreSQL or Redshift URL (`postgresql://user:password@host:port/db?...`).
    Url(Secret<String>),
    /// The private PostgreSQL this tool runs itself, with its home directory.
    Embedded(PathBuf),
}

/// How client mode sends rows in its INSERTs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InsertMethod {
    /// One binary array per column, unnested into rows: PostgreSQL only.
    Arrays,
    /// Multi-row `VALUES` in prepared statements with binary bind parameters.
    Bind,
    /// Escaped SQL literals over the simple query protocol: the route loaders use
    /// against Redshift, the default there (docs/REDSHIFT.md).
    Literal,
}

impl InsertMethod {
    /// The method a dialect loads with unless asked otherwise.
    pub fn default_for(dialect: Dialect) -> InsertMethod {
        match dialect {
            // The fastest INSERT measured on PostgreSQL (docs/BENCHMARKS.md).
            Dialect::Postgres => InsertMethod::Arrays,
            Dialect::Redshift => InsertMethod::Literal,
        }
    }
}

/// What the classic route needs on Redshift: the cluster's role for reading S3, the
/// jsonpaths file for the logs.
#[derive(Debug, Clone, Default)]
pub struct CopyOptions {
    pub iam_role_arn: Option<String>,
    /// `s3://…/log_json_path.json`: required by copy mode on Redshift.
    pub log_jsonpath: Option<String>,
}

/// What a load does with what is already in the target.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum LoadScope {
    /// Rebuild the five tables from every object; keep no manifest (and drop one an
    /// earlier run kept, since it no longer describes the tables).
    #[default]
    Rebuild,
    /// `--incremental`: read only the objects the manifest lacks and merge their rows in.
    Incremental,
    /// `--full`: rebuild from every object through the merge, keeping a manifest, so
    /// that incremental runs can follow.
    Full,
    /// `--shard K/N`: one worker of a sharded load writes its share of the objects into
    /// tables that wait for `merge` (docs/SCALE.md).
    Shard(Shard),
}

/// Client mode's connections to the target unless asked otherwise (docs/BENCHMARKS.md).
pub const DEFAULT_INSERT_CONNECTIONS: usize = 2;
/// INSERT statements in flight on one connection unless asked otherwise
/// (docs/BENCHMARKS.md).
pub const DEFAULT_STATEMENTS_IN_FLIGHT: usize = 4;

/// A load as asked for: every setting, unchecked. [`LoadRequest::resolve`] checks it.
#[derive(Debug, Clone)]
pub struct LoadRequest {
    pub mode: Mode,
    pub song_data: SourceUri,
    pub log_data: SourceUri,
    pub s3: S3Options,
    pub copy: CopyOptions,
    /// Print every statement of a load into Redshift and run none.
    pub dry_run: bool,
    pub target: Target,
    pub dialect: Dialect,
    pub schema: SchemaName,
    /// Bad records skipped before the load fails (Redshift's MAXERROR).
    pub max_errors: u64,
    /// Where skipped bad records are written, as JSON lines.
    pub reject_file: Option<PathBuf>,
    /// Song objects fetched at once; log objects, a quarter of this.
    pub concurrency: usize,
    /// Progress bars on standard error.
    pub progress: bool,
    /// Client mode's INSERTs; default: [`InsertMethod::default_for`] the dialect.
    pub insert: Option<InsertMethod>,
    /// `--sink s3-copy`: client mode's rows go to Redshift as gzip CSV parts and one
    /// `COPY … MANIFEST` a table instead of INSERTs.
    pub s3_copy: Option<S3CopyRequest>,
    /// Client mode's connections to the target (at least 1).
    pub insert_connections: usize,
    /// INSERT statements client mode sends on one connection before it awaits the first
    /// one's answer (at least 1).
    pub statements_in_flight: usize,
    /// Names this load's private tables: lower-case letters and digits, at most 16;
    /// default: 8 random hex digits.
    pub run_id: Option<String>,
    /// Rebuild, or keep a manifest and load incrementally.
    pub scope: LoadScope,
    /// User checks (TOML) added to the quality gate.
    pub checks: Option<PathBuf>,
    /// Skip the quality gate.
    pub no_checks: bool,
    /// Let an empty tree, a tree that gives no rows, or a load that empties a table with
    /// rows through (by default each is refused: docs/SPEC-DECISIONS.md, "No silent wipe").
    pub allow_empty: bool,
}

impl LoadRequest {
    /// A client-mode load of two trees into `target` with every other setting at its
    /// default.
    pub fn new(song_data: SourceUri, log_data: SourceUri, target: Target) -> Self {
        LoadRequest {
            mode: Mode::Client,
            song_data,
            log_data,
            s3: S3Options::default(),
            copy: CopyOptions::default(),
            dry_run: false,
            target,
            dialect: Dialect::Postgres,
            schema: SchemaName::default(),
            max_errors: 0,
            reject_file: None,
            concurrency: 32,
            progress: false,
            insert: None,
            s3_copy: None,
            insert_connections: DEFAULT_INSERT_CONNECTIONS,
            statements_in_flight: DEFAULT_STATEMENTS_IN_FLIGHT,
            run_id: None,
            scope: LoadScope::Rebuild,
            checks: None,
            no_checks: false,
            allow_empty: false,
        }
    }

    /// Checks the combination and gives the load's settings.
    pub fn resolve(self) -> Result<LoadConfig, Error> {
        LoadConfig::resolve(self)
    }
}

/// How client mode's INSERTs go, checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InsertSettings {
    pub method: InsertMethod,
    /// Connections to the target (at least 1).
    pub connections: usize,
    /// Statements sent on one connection before the first one's answer is awaited.
    pub statements_in_flight: usize,
}

/// The settings of one load, checked: made only by [`LoadConfig::resolve`], which turns
/// the request's flags into one [`Route`] and the values each part of the load reads.
#[derive(Debug, Clone)]
pub struct LoadConfig {
    pub(crate) route: Route,
    /// Print the statements and run none (loads into Redshift).
    pub(crate) dry_run: bool,
    pub(crate) song_data: SourceUri,
    pub(crate) log_data: SourceUri,
    pub(crate) s3: S3Options,
    /// Song objects fetched at once; log objects, a quarter of this.
    pub(crate) concurrency: usize,
    pub(crate) target: Target,
    pub(crate) dialect: Dialect,
    pub(crate) schema: SchemaName,
    /// Bad records skipped before the load fails (Redshift's MAXERROR).
    pub(crate) max_errors: u64,
    /// Where skipped bad records are written, as JSON lines.
    pub(crate) reject_file: Option<PathBuf>,
    /// Whether the reject file is added to (a watcher's batches) or replaced (a load).
    pub(crate) append_rejects: bool,
    pub(crate) progress: bool,
    pub(crate) insert: InsertSettings,
    /// This load's name, unique among loads into one schema at a time.
    pub(crate) run_id: String,
    /// The quality gate's user checks and severities; `None` with `--no-checks`.
    pub(crate) gate: Option<CheckFile>,
    /// `--allow-empty`: see [`LoadRequest::allow_empty`].
    pub(crate) allow_empty: bool,
}

impl LoadConfig {
    /// Checks a request and decides its route: the embedded default is PostgreSQL;
    /// `--dry-run` is for rebuilds into Redshift; copy mode there reads S3 with the
    /// cluster's role and needs the region.
    pub fn resolve(request: LoadRequest) -> Result<LoadConfig, Error> {
        let refuse = |message: &str| Err(Error::Config(message.to_string()));
        if request.concurrency == 0 {
            return refuse("--concurrency must be at least 1");
        }
        if request.insert_connections == 0 || request.statements_in_flight == 0 {
            return refuse("--insert-connections and --statements-in-flight must be at least 1");
        }
        if request.insert == Some(InsertMethod::Arrays) && request.dialect == Dialect::Redshift {
            return refuse(
                "--insert arrays needs PostgreSQL: Redshift has no array types; use \
                 --insert literal (its default)",
            );
        }
        refuse_embedded_redshift(&request.target, request.dialect)?;
        if request.dry_run && request.dialect == Dialect::Postgres {
            return refuse("--dry-run is for loads into Redshift");
        }
        let route = route::route(&request)?;
        if request.dry_run && !matches!(route, Route::Rebuild(_) | Route::RedshiftCopy(_)) {
            return refuse(
                "--dry-run prints a rebuild's plan: leave out --incremental, --full and \
                 --shard",
            );
        }
        let run_id = match &request.run_id {
            Some(run_id) => checked_run_id(run_id)?,
            None => format!("{:08x}", rand::random::<u32>()),
        };
        let gate = quality_gate(request.checks.as_deref(), request.no_checks)?;
        let insert = InsertSettings {
            method: request
                .insert
                .unwrap_or_else(|| InsertMethod::default_for(request.dialect)),
            connections: request.insert_connections,
            statements_in_flight: request.statements_in_flight,
        };
        Ok(LoadConfig {
            route,
            dry_run: request.dry_run,
            song_data: request.song_data,
            log_data: request.log_data,
            s3: request.s3,
            concurrency: request.concurrency,
            target: request.target,
            dialect: request.dialect,
            schema: request.schema,
            max_errors: request.max_errors,
            reject_file: request.reject_file,
            append_rejects: false,
            progress: request.progress,
            insert,
            run_id,
            gate,
            allow_empty: request.allow_empty,
        })
    }

    /// The mode a user asked for, as the report names it.
    pub fn mode(&self) -> Mode {
        match &self.route {
            Route::RedshiftCopy(_)
            | Route::Rebuild(Fill::RawCopy)
            | Route::Merge {
                fill: Fill::RawCopy,
                ..
            } => Mode::Copy,
            _ => Mode::Client,
        }
    }

    pub fn route(&self) -> &Route {
        &self.route
    }

    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    pub fn schema(&self) -> &SchemaName {
        &self.schema
    }

    pub fn target(&self) -> &Target {
        &self.target
    }

    /// The quality gate's user checks, unless the gate is off.
    pub fn gate(&self) -> Option<&CheckFile> {
        self.gate.as_ref()
    }

    /// The load's run id: given, or made up for it.
    pub fn run_id(&self) -> &str {
        &self.run_id
    }

    /// Whether the load only prints its statements.
    pub fn dry_run(&self) -> bool {
        self.dry_run
    }

    /// How S3 sources are reached.
    pub fn song_data(&self) -> &SourceUri {
        &self.song_data
    }

    pub fn log_data(&self) -> &SourceUri {
        &self.log_data
    }

    pub fn s3(&self) -> &S3Options {
        &self.s3
    }
}

/// The embedded default is PostgreSQL: a Redshift dialect needs a Redshift target.
fn refuse_embedded_redshift(target: &Target, dialect: Dialect) -> Result<(), Error> {
    if matches!(target, Target::Embedded(_)) && dialect == Dialect::Redshift {
        return Err(Error::Config(
            "the embedded default is PostgreSQL: --dialect redshift needs a Redshift \
             --target (or the cluster of --config)"
                .into(),
        ));
    }
    Ok(())
}

/// A run id, if it is one: 1 to 16 ASCII letters and digits, folded to lower case as
/// Redshift folds the names it becomes part of (`RUN7` and `run7` are one run).
fn checked_run_id(run_id: &str) -> Result<String, Error> {
    if (1..=16).contains(&run_id.len()) && run_id.bytes().all(|b| b.is_ascii_alphanumeric()) {
        Ok(run_id.to_ascii_lowercase())
    } else {
        Err(Error::Config(format!(
            "run id {run_id:?} is not allowed: use 1 to 16 letters and digits (folded to \
             lower case)"
        )))
    }
}

/// The quality gate asked for: the built-ins, with a user file, or none.
fn quality_gate(checks: Option<&Path>, no_checks: bool) -> Result<Option<CheckFile>, Error> {
    match (checks, no_checks) {
        (Some(_), true) => Err(Error::Config(
            "--checks and --no-checks do not go together".into(),
        )),
        (_, true) => Ok(None),
        (Some(path), false) => Ok(Some(CheckFile::read(path)?)),
        (None, false) => Ok(Some(CheckFile::default())),
    }
}

#[cfg(test)]
mod tests;
