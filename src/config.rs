//! The settings of a load: asked for as a [`LoadRequest`], checked once into a
//! [`LoadConfig`], so that no invalid combination reaches the pipeline.

use std::path::{Path, PathBuf};

use crate::check::CheckFile;
pub use crate::db::Dialect;
use crate::db::SchemaName;
use crate::error::Error;
use crate::secret::Secret;
use crate::source::{S3Options, SourceUri};

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
/// jsonpaths file for the logs; and whether to only print the statements.
#[derive(Debug, Clone, Default)]
pub struct CopyOptions {
    pub iam_role_arn: Option<String>,
    /// `s3://…/log_json_path.json`: required by copy mode on Redshift.
    pub log_jsonpath: Option<String>,
    /// Print every statement of a Redshift copy-mode load and run none.
    pub dry_run: bool,
}

/// Copy mode into Redshift, checked: the S3 trees the cluster's COPY reads, the role it
/// reads them with, and their region.
#[derive(Debug, Clone)]
pub struct RedshiftCopySources {
    pub song_data: String,
    pub log_data: String,
    pub iam_role_arn: String,
    pub region: String,
    /// The jsonpaths file COPY maps the logs' camelCase keys with.
    pub log_jsonpath: String,
}

impl RedshiftCopySources {
    fn resolve(request: &LoadRequest) -> Result<RedshiftCopySources, Error> {
        let s3_uri = |uri: &SourceUri, flag: &str| match uri {
            SourceUri::S3 { .. } => Ok(uri.to_string()),
            SourceUri::Local(_) => Err(Error::Config(format!(
                "Redshift COPY reads S3: {flag} must be an s3:// URI"
            ))),
        };
        let iam_role_arn = request.copy.iam_role_arn.clone().ok_or_else(|| {
            Error::Config(
                "Redshift COPY needs the cluster's IAM role: --iam-role or [IAM_ROLE] ARN in \
                 --config"
                    .into(),
            )
        })?;
        let region = request
            .s3
            .region
            .clone()
            .ok_or_else(|| Error::Config("Redshift COPY needs the bucket's --region".into()))?;
        // 'auto' matches keys to the lower-case column names case-sensitively: userId,
        // firstName, sessionId... would never match, and every event would lose its user.
        let log_jsonpath = request.copy.log_jsonpath.clone().ok_or_else(|| {
            Error::Config(
                "Redshift COPY of the logs needs a jsonpaths file: FORMAT AS JSON 'auto' \
                 matches keys to lower-case column names case-sensitively, so userId, \
                 firstName, sessionId... would load as NULL. Give --log-jsonpath (or [S3] \
                 LOG_JSONPATH in --config); the classic one is \
                 s3://udacity-dend/log_json_path.json"
                    .into(),
            )
        })?;
        if !log_jsonpath.starts_with("s3://") {
            return Err(Error::Config(format!(
                "--log-jsonpath {log_jsonpath:?} must be the s3:// key of a jsonpaths file \
                 ('auto' would miss the logs' camelCase keys)"
            )));
        }
        Ok(RedshiftCopySources {
            song_data: s3_uri(&request.song_data, "--song-data")?,
            log_data: s3_uri(&request.log_data, "--log-data")?,
            iam_role_arn,
            region,
            log_jsonpath,
        })
    }
}

/// `--sink s3-copy` as asked for.
#[derive(Debug, Clone)]
pub struct S3CopyRequest {
    /// `s3://bucket/prefix/`: where the parts and manifests are written.
    pub staging: String,
    /// The cluster's slices; asked of the cluster (`stv_slices`) when not given.
    pub slices: Option<u32>,
}

/// `--sink s3-copy`, checked: where the parts go and what the COPY needs.
#[derive(Debug, Clone)]
pub struct S3Copy {
    pub bucket: String,
    /// Empty or ending in `/`.
    pub prefix: String,
    pub iam_role_arn: String,
    pub region: String,
    pub slices: Option<u32>,
}

impl S3Copy {
    fn resolve(request: &LoadRequest, asked: &S3CopyRequest) -> Result<S3Copy, Error> {
        let refuse = |message: &str| Err(Error::Config(message.to_string()));
        if request.dialect != Dialect::Redshift {
            return refuse(
                "--sink s3-copy is for Redshift, which loads S3 with COPY; PostgreSQL's \
                 fastest route is client mode's INSERTs",
            );
        }
        if request.mode != Mode::Client || request.scope != LoadScope::Rebuild {
            return refuse(
                "--sink s3-copy is for client-mode rebuilds: leave out --mode copy, \
                 --incremental, --full and --shard",
            );
        }
        if asked.slices == Some(0) {
            return refuse("--slices must be at least 1");
        }
        let (bucket, prefix) = match asked.staging.parse::<SourceUri>() {
            Ok(SourceUri::S3 { bucket, prefix }) => (bucket, prefix),
            _ => {
                return Err(Error::Config(format!(
                    "--staging-prefix {:?} must be an s3://bucket/prefix/ the loader may \
                     write and the cluster's role may read",
                    asked.staging
                )))
            }
        };
        let iam_role_arn = request.copy.iam_role_arn.clone().ok_or_else(|| {
            Error::Config(
                "--sink s3-copy needs the cluster's IAM role for its COPY: --iam-role or \
                 [IAM_ROLE] ARN in --config"
                    .into(),
            )
        })?;
        let region = request.s3.region.clone().ok_or_else(|| {
            Error::Config("--sink s3-copy needs the staging bucket's --region".into())
        })?;
        Ok(S3Copy {
            bucket,
            prefix,
            iam_role_arn,
            region,
            slices: asked.slices,
        })
    }
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

/// One worker's share of a sharded load: the objects whose key hashes to `index` of
/// `count` shards, numbered from 0 as Kubernetes and AWS Batch number array jobs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: u32,
    pub count: u32,
}

/// The most shards one run may have.
pub const MAX_SHARDS: u32 = 1024;

impl Shard {
    /// Shard `index` of `count`, checked.
    pub fn new(index: u32, count: u32) -> Result<Shard, Error> {
        if !(1..=MAX_SHARDS).contains(&count) || index >= count {
            return Err(Error::Config(format!(
                "shard {index}/{count} is not one: the count is 1 to {MAX_SHARDS}, and the \
                 index 0 to one less than the count"
            )));
        }
        Ok(Shard { index, count })
    }

    /// Whether this shard reads the object `key`: the 64-bit FNV-1a hash of the key's
    /// bytes, modulo the count. Stable across machines, builds and versions: every worker
    /// of a run must agree, whatever it runs on.
    pub fn takes(&self, key: &str) -> bool {
        let mut hasher = fnv::FnvHasher::default();
        std::hash::Hasher::write(&mut hasher, key.as_bytes());
        std::hash::Hasher::finish(&hasher) % u64::from(self.count) == u64::from(self.index)
    }
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
    /// Names this load's private tables on Redshift: lower-case letters and digits, at
    /// most 16; default: 8 random hex digits.
    pub run_id: Option<String>,
    /// Rebuild, or keep a manifest and load incrementally.
    pub scope: LoadScope,
    /// User checks (TOML) added to the quality gate.
    pub checks: Option<PathBuf>,
    /// Skip the quality gate.
    pub no_checks: bool,
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
        }
    }

    /// Checks the combination and gives the load's settings.
    pub fn resolve(self) -> Result<LoadConfig, Error> {
        LoadConfig::resolve(self)
    }
}

/// The settings of one load, checked: made only by [`LoadConfig::resolve`].
#[derive(Debug, Clone)]
pub struct LoadConfig {
    pub(crate) request: LoadRequest,
    /// This load's name, unique among loads into one schema at a time.
    pub(crate) run_id: String,
    /// Copy mode into Redshift: what the server-side COPY plan reads, checked.
    pub(crate) redshift_copy: Option<RedshiftCopySources>,
    /// The quality gate's user checks and severities; `None` with `--no-checks`.
    pub(crate) gate: Option<CheckFile>,
    /// `--sink s3-copy`, checked.
    pub(crate) s3_copy: Option<S3Copy>,
}

impl LoadConfig {
    /// Checks a request: the embedded default is PostgreSQL; `--dry-run` is for loads into
    /// Redshift; copy mode there reads S3 with the cluster's role and needs the region.
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
        if matches!(request.target, Target::Embedded(_)) && request.dialect == Dialect::Redshift {
            return refuse(
                "the embedded default is PostgreSQL: --dialect redshift needs a Redshift \
                 --target (or the cluster of --config)",
            );
        }
        let redshift_copy = match (request.mode, request.dialect) {
            (Mode::Copy, Dialect::Redshift) => Some(RedshiftCopySources::resolve(&request)?),
            (_, Dialect::Postgres) if request.copy.dry_run => {
                return refuse("--dry-run is for loads into Redshift");
            }
            _ => None,
        };
        if let LoadScope::Shard(_) = request.scope {
            if request.mode != Mode::Client {
                return refuse("--shard is for client mode: a shard parses its objects itself");
            }
            if request.run_id.is_none() {
                return refuse(
                    "--shard needs --run-id: every worker of a sharded load, and its merge, \
                     name the same run",
                );
            }
        }
        if request.scope != LoadScope::Rebuild {
            if request.copy.dry_run {
                return refuse(
                    "--dry-run prints a rebuild's plan: leave out --incremental, --full and \
                     --shard",
                );
            }
            if redshift_copy.is_some() {
                return refuse(
                    "--incremental and --full on Redshift need --mode client: copy mode's \
                     COPY reads whole prefixes, and reading only new objects would need a \
                     COPY manifest written to S3, which this version does not write \
                     (docs/INCREMENTAL.md)",
                );
            }
        }
        let run_id = match &request.run_id {
            Some(run_id) => checked_run_id(run_id)?,
            None => format!("{:08x}", rand::random::<u32>()),
        };
        let gate = quality_gate(request.checks.as_deref(), request.no_checks)?;
        let s3_copy = match &request.s3_copy {
            Some(asked) => Some(S3Copy::resolve(&request, asked)?),
            None => None,
        };
        Ok(LoadConfig {
            request,
            run_id,
            redshift_copy,
            gate,
            s3_copy,
        })
    }

    pub fn mode(&self) -> Mode {
        self.request.mode
    }

    pub fn dialect(&self) -> Dialect {
        self.request.dialect
    }

    pub fn schema(&self) -> &SchemaName {
        &self.request.schema
    }

    pub fn target(&self) -> &Target {
        &self.request.target
    }

    /// How client mode sends its rows.
    pub fn insert_method(&self) -> InsertMethod {
        self.request
            .insert
            .unwrap_or_else(|| InsertMethod::default_for(self.request.dialect))
    }

    /// The quality gate's user checks, unless the gate is off.
    pub fn gate(&self) -> Option<&CheckFile> {
        self.gate.as_ref()
    }

    pub fn scope(&self) -> LoadScope {
        self.request.scope
    }

    /// Whether the load only prints its statements.
    pub fn dry_run(&self) -> bool {
        self.request.copy.dry_run
    }
}

/// A run id as given, if it is one: 1 to 16 lower-case letters and digits.
fn checked_run_id(run_id: &str) -> Result<String, Error> {
    if (1..=16).contains(&run_id.len())
        && run_id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    {
        Ok(run_id.to_string())
    } else {
        Err(Error::Config(format!(
            "run id {run_id:?} is not allowed: use 1 to 16 lower-case letters and digits"
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

/// A merge of a sharded load's shards as asked for.
#[derive(Debug, Clone)]
pub struct MergeRequest {
    pub target: Target,
    pub dialect: Dialect,
    pub schema: SchemaName,
    pub run_id: String,
    pub checks: Option<PathBuf>,
    pub no_checks: bool,
}

/// A merge's settings, checked: made only by [`MergeConfig::resolve`].
#[derive(Debug, Clone)]
pub struct MergeConfig {
    pub(crate) request: MergeRequest,
    pub(crate) gate: Option<CheckFile>,
}

impl MergeConfig {
    pub fn resolve(request: MergeRequest) -> Result<MergeConfig, Error> {
        if matches!(request.target, Target::Embedded(_)) && request.dialect == Dialect::Redshift {
            return Err(Error::Config(
                "the embedded default is PostgreSQL: --dialect redshift needs a Redshift \
                 --target (or the cluster of --config)"
                    .into(),
            ));
        }
        checked_run_id(&request.run_id)?;
        let gate = quality_gate(request.checks.as_deref(), request.no_checks)?;
        Ok(MergeConfig { request, gate })
    }

    pub fn schema(&self) -> &SchemaName {
        &self.request.schema
    }

    pub fn target(&self) -> &Target {
        &self.request.target
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(target: Target) -> LoadRequest {
        LoadRequest::new(
            SourceUri::Local("songs".into()),
            SourceUri::Local("logs".into()),
            target,
        )
    }

    #[test]
    fn secrets_never_print() {
        let target = Target::Url(Secret::new("postgresql://u:hunter2@h/db".to_string()));
        assert!(!format!("{:?}", request(target)).contains("hunter2"));
    }

    #[test]
    fn invalid_combinations_are_refused() {
        let mut redshift_on_embedded = request(Target::Embedded("home".into()));
        redshift_on_embedded.dialect = Dialect::Redshift;
        redshift_on_embedded.mode = Mode::Copy;
        redshift_on_embedded.copy.dry_run = true;
        let err = redshift_on_embedded.resolve().unwrap_err().to_string();
        assert!(err.contains("the embedded default is PostgreSQL"), "{err}");

        let mut dry_client = request(Target::Url(Secret::new("postgresql://h/db".into())));
        dry_client.copy.dry_run = true;
        let err = dry_client.resolve().unwrap_err().to_string();
        assert!(
            err.contains("--dry-run is for loads into Redshift"),
            "{err}"
        );

        let mut no_workers = request(Target::Embedded("home".into()));
        no_workers.concurrency = 0;
        assert!(no_workers.resolve().is_err());
    }
}
