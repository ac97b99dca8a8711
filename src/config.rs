//! The validated settings a load runs with, and the types that keep them safe to print.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use crate::error::Error;
use crate::source::SourceUri;

/// A value that never prints: `Debug` and `Display` show `***`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret<T>(T);

impl<T> Secret<T> {
    pub fn new(value: T) -> Self {
        Secret(value)
    }

    /// The value itself, for the one place that must use it.
    pub fn expose(&self) -> &T {
        &self.0
    }
}

impl<T> fmt::Debug for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl<T> fmt::Display for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// How a load turns JSON into tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// Parse and transform here, then multi-row INSERT.
    #[default]
    Client,
    /// COPY raw records into staging tables and transform in SQL.
    Copy,
}

/// The SQL dialect of the target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Dialect {
    #[default]
    Postgres,
    Redshift,
}

/// Where the tables go.
#[derive(Debug, Clone)]
pub enum Target {
    /// A PostgreSQL or Redshift URL (`postgresql://user:password@host:port/db?...`).
    Url(Secret<String>),
    /// The private PostgreSQL this tool runs itself, with its home directory.
    Embedded(PathBuf),
}

/// A schema name: lower-case letters, digits and `_`, starting with a letter or `_`,
/// at most 40 bytes, so that it never needs case-sensitive quoting and leaves room
/// for the staging schema's prefix within PostgreSQL's 63-byte identifiers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaName(String);

pub const MAX_SCHEMA_LEN: usize = 40;

impl SchemaName {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The name as a quoted SQL identifier.
    pub fn quoted(&self) -> String {
        format!("\"{}\"", self.0)
    }

    /// The private schema a load into this schema stages its tables in.
    pub fn staging(&self) -> SchemaName {
        SchemaName(format!("sparkify_load_staging_{}", self.0))
    }
}

impl Default for SchemaName {
    fn default() -> Self {
        SchemaName("public".into())
    }
}

impl FromStr for SchemaName {
    type Err = Error;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        let mut bytes = name.bytes();
        let valid_start = matches!(bytes.next(), Some(b'a'..=b'z' | b'_'));
        let valid_rest = bytes.all(|b| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'_'));
        if valid_start && valid_rest && name.len() <= MAX_SCHEMA_LEN && !name.starts_with("pg_") {
            Ok(SchemaName(name.to_string()))
        } else {
            Err(Error::Config(format!(
                "schema name {name:?} is not allowed: use lower-case letters, digits and _, \
                 starting with a letter or _, at most {MAX_SCHEMA_LEN} bytes, not pg_*"
            )))
        }
    }
}

impl fmt::Display for SchemaName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// How S3 sources are reached.
#[derive(Debug, Clone)]
pub struct S3Options {
    /// The bucket's region; default: the AWS default chain, else us-east-1.
    pub region: Option<String>,
    /// An S3-compatible endpoint (MinIO, Ceph, R2); addressed path-style.
    pub endpoint_url: Option<String>,
    /// Anonymous requests, for public buckets.
    pub no_sign_request: bool,
    /// Explicit (access key, secret key); default: the AWS default chain.
    pub credentials: Option<(String, Secret<String>)>,
    /// Tries per request (and per body read) before a source error.
    pub attempts: u32,
    /// The first retry's backoff ceiling; it doubles per try, with full jitter.
    pub backoff: std::time::Duration,
}

impl Default for S3Options {
    fn default() -> Self {
        S3Options {
            region: None,
            endpoint_url: None,
            no_sign_request: false,
            credentials: None,
            attempts: 5,
            backoff: std::time::Duration::from_millis(200),
        }
    }
}

/// What the classic route needs on Redshift: the cluster's role for reading S3, the
/// jsonpaths file for the logs; and whether to only print the statements.
#[derive(Debug, Clone, Default)]
pub struct CopyOptions {
    pub iam_role_arn: Option<String>,
    /// `s3://…/log_json_path.json`; default `'auto'`.
    pub log_jsonpath: Option<String>,
    /// Print every statement of a Redshift copy-mode load and run none.
    pub dry_run: bool,
}

/// Everything a load needs, resolved and validated once.
#[derive(Debug, Clone)]
pub struct LoadConfig {
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
}

impl LoadConfig {
    /// A load of two trees into `target` with every other setting at its default.
    pub fn new(song_data: SourceUri, log_data: SourceUri, target: Target) -> Self {
        LoadConfig {
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
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_print() {
        let secret = Secret::new("postgresql://u:hunter2@h/db".to_string());
        assert_eq!(format!("{secret} {secret:?}"), "*** ***");
        let target = Target::Url(secret);
        assert!(!format!("{target:?}").contains("hunter2"));
    }

    #[test]
    fn schema_names_are_checked() {
        assert_eq!(
            "sparkify_2".parse::<SchemaName>().unwrap().quoted(),
            "\"sparkify_2\""
        );
        for bad in [
            "",
            "Public",
            "1x",
            "a-b",
            "x\"; drop",
            "pg_catalog",
            &"a".repeat(41),
        ] {
            assert!(bad.parse::<SchemaName>().is_err(), "{bad}");
        }
    }
}

/// The classic pipeline's `dwh.cfg`: the cluster to load into, the IAM role for COPY and
/// the S3 sources.
#[derive(Debug, Clone)]
pub struct DwhConfig {
    pub host: String,
    pub db_name: String,
    pub db_user: String,
    pub db_password: Secret<String>,
    pub db_port: u16,
    pub iam_role_arn: Option<String>,
    pub log_data: Option<String>,
    pub log_jsonpath: Option<String>,
    pub song_data: Option<String>,
}

impl DwhConfig {
    pub fn from_file(path: &std::path::Path) -> Result<DwhConfig, Error> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::Config(format!("cannot read {}: {e}", path.display())))?;
        DwhConfig::parse(&text)
            .map_err(|message| Error::Config(format!("{}: {message}", path.display())))
    }

    /// Parses the INI text; values may be quoted, as the classic exercise's often are.
    pub fn parse(text: &str) -> Result<DwhConfig, String> {
        // As Python's configparser reads it: backslashes and quotes are the value's own.
        let options = ini::ParseOption {
            enabled_escape: false,
            enabled_quote: false,
            ..Default::default()
        };
        let ini = ini::Ini::load_from_str_opt(text, options).map_err(|e| e.to_string())?;
        let get = |section: &str, key: &str| -> Option<String> {
            let value = ini.section(Some(section))?.get(key)?.trim();
            let unquoted = value
                .strip_prefix('\'')
                .and_then(|v| v.strip_suffix('\''))
                .or_else(|| value.strip_prefix('"').and_then(|v| v.strip_suffix('"')))
                .unwrap_or(value);
            (!unquoted.is_empty()).then(|| unquoted.to_string())
        };
        let required = |section: &str, key: &str| {
            get(section, key).ok_or_else(|| format!("[{section}] {key} is missing"))
        };
        let port = required("CLUSTER", "DB_PORT")?;
        Ok(DwhConfig {
            host: required("CLUSTER", "HOST")?,
            db_name: required("CLUSTER", "DB_NAME")?,
            db_user: required("CLUSTER", "DB_USER")?,
            db_password: Secret::new(required("CLUSTER", "DB_PASSWORD")?),
            db_port: port
                .parse()
                .map_err(|_| format!("[CLUSTER] DB_PORT {port:?} is not a port"))?,
            iam_role_arn: get("IAM_ROLE", "ARN"),
            log_data: get("S3", "LOG_DATA"),
            log_jsonpath: get("S3", "LOG_JSONPATH"),
            song_data: get("S3", "SONG_DATA"),
        })
    }

    /// The cluster as a libpq key-value connection string, TLS required (Redshift needs it).
    pub fn target_url(&self) -> Secret<String> {
        let quote = |value: &str| format!("'{}'", value.replace('\\', "\\\\").replace('\'', "\\'"));
        Secret::new(format!(
            "host={} port={} dbname={} user={} password={} sslmode=require",
            quote(&self.host),
            self.db_port,
            quote(&self.db_name),
            quote(&self.db_user),
            quote(self.db_password.expose())
        ))
    }
}

#[cfg(test)]
mod dwh_tests {
    use super::*;

    const CLASSIC: &str = "[CLUSTER]\nHOST=dwhcluster.abc123.us-west-2.redshift.amazonaws.com\nDB_NAME=dwh\nDB_USER=dwhuser\nDB_PASSWORD=Pa'ss\\word1\nDB_PORT=5439\n\n[IAM_ROLE]\nARN='arn:aws:iam::123456789012:role/dwhRole'\n\n[S3]\nLOG_DATA='s3://udacity-dend/log_data'\nLOG_JSONPATH='s3://udacity-dend/log_json_path.json'\nSONG_DATA='s3://udacity-dend/song_data'\n";

    #[test]
    fn reads_the_classic_file() {
        let cfg = DwhConfig::parse(CLASSIC).unwrap();
        assert_eq!(
            cfg.host,
            "dwhcluster.abc123.us-west-2.redshift.amazonaws.com"
        );
        assert_eq!(
            (cfg.db_name.as_str(), cfg.db_user.as_str(), cfg.db_port),
            ("dwh", "dwhuser", 5439)
        );
        assert_eq!(
            cfg.iam_role_arn.as_deref(),
            Some("arn:aws:iam::123456789012:role/dwhRole")
        );
        assert_eq!(
            cfg.song_data.as_deref(),
            Some("s3://udacity-dend/song_data")
        );
        assert_eq!(
            cfg.log_jsonpath.as_deref(),
            Some("s3://udacity-dend/log_json_path.json")
        );
        assert!(!format!("{cfg:?}").contains("Pa'ss"));
    }

    #[test]
    fn the_target_keeps_an_awkward_password_intact() {
        let cfg = DwhConfig::parse(CLASSIC).unwrap();
        let url = cfg.target_url();
        let parsed: tokio_postgres::Config = url.expose().parse().unwrap();
        assert_eq!(parsed.get_password(), Some(&b"Pa'ss\\word1"[..]));
        assert_eq!(parsed.get_ports(), &[5439]);
        assert_eq!(
            parsed.get_ssl_mode(),
            tokio_postgres::config::SslMode::Require
        );
    }

    #[test]
    fn missing_keys_are_named() {
        let err = DwhConfig::parse("[CLUSTER]\nHOST=h\n").unwrap_err();
        assert_eq!(err, "[CLUSTER] DB_PORT is missing");
    }
}
