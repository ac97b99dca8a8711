//! The library's typed errors: one enum per stage, converted into [`Error`] at the boundary.
//! Each keeps the error it wraps as its `source`, so a caller can show the whole chain;
//! its own message is a sentence that names the place and says what to do.

use std::path::PathBuf;
use std::process::ExitStatus;

use tokio_postgres::error::SqlState;

use crate::parse::BadRecord;

mod manifest;

pub use manifest::ManifestError;

/// Any error of a crate this library calls, kept as a cause.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Everything a load or a command of this crate can fail with.
///
/// Messages name the place (URI, key, line, table) and never carry a secret: URLs are
/// stored as [`crate::Secret`] and only their redacted form is ever formatted here.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Flags, `dwh.cfg` or a check file that do not make a load. A sentence, on purpose:
    /// each validation rule says its own, where it is checked, and nothing matches on it
    /// (every one is a usage error, exit 2).
    #[error("invalid configuration: {0}")]
    Config(String),

    #[error(transparent)]
    Source(#[from] SourceError),

    #[error("{}", bad_input_message(.first, *.count, *.max_errors))]
    BadInput {
        first: Box<BadRecord>,
        count: u64,
        max_errors: u64,
    },

    #[error(transparent)]
    Target(#[from] TargetError),

    /// Quality checks of error severity failed: each failed check's line.
    #[error("{} quality check(s) failed: {}", .0.len(), .0.join("; "))]
    Check(Vec<String>),

    /// A run that cannot go on without the user's choice: objects changed or vanished
    /// since they were loaded, tables and manifest that do not go together, a sharded
    /// run that is not whole.
    #[error(transparent)]
    Manifest(Box<ManifestError>),

    /// A load that would silently wipe data or read the wrong thing: a tree with no
    /// object, trees that give no rows, a table with rows left empty. Nothing was changed.
    #[error("{0}")]
    Refused(String),

    /// The command was stopped by a signal: what was in flight on the server was
    /// cancelled and rolled back.
    #[error(
        "interrupted by {signal}: the statements in flight were cancelled and rolled back, and \
         the tables stand as they were before this command"
    )]
    Interrupted { signal: &'static str },

    #[error(transparent)]
    Embedded(#[from] EmbeddedError),

    /// `--metrics-addr` could not be listened on.
    #[error("cannot serve the metrics on {addr}: {source}")]
    Listen {
        addr: std::net::SocketAddr,
        #[source]
        source: std::io::Error,
    },

    /// What a command was asked about is not there (`next` of an unknown song or user).
    #[error("{0}")]
    NotFound(String),

    /// A command that reads the star schema found it lacking in the schema named.
    #[error(
        "schema {schema} of {target} holds no star schema (missing: {}): load into it first, \
         or name the schema the load used with --schema",
        .missing.join(", ")
    )]
    NotLoaded {
        schema: String,
        target: String,
        missing: Vec<String>,
    },

    /// `--sink s3-copy` could not write a part or manifest to the staging prefix.
    #[error("cannot write {uri} to the COPY staging prefix: {reason}")]
    StagingPrefix {
        uri: String,
        reason: String,
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },

    /// A `--sink s3-copy` COPY loaded other than every staged row.
    #[error(
        "the COPY of {table} loaded {loaded} rows of the {staged} staged in {manifest}; \
         nothing was changed"
    )]
    CopyCount {
        table: &'static str,
        loaded: u64,
        staged: u64,
        manifest: String,
    },

    #[error("cannot write {path}: {source}")]
    Output {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// A bug: a worker of the CPU pool (or the thread that starts the embedded server)
    /// panicked or vanished. The load stops, nothing is written.
    #[error("internal error (a bug in sparkify-load; nothing was written): {worker} {what}")]
    WorkerFailed {
        worker: &'static str,
        /// "panicked: <message>", or "vanished".
        what: String,
    },

    /// The target answered one of our own queries with rows of another shape than it
    /// asks for: a table of ours changed by hand, or a bug.
    #[error(
        "the target answered \"{query}\" with rows this version cannot read (was a table of \
         sparkify-load's changed by hand?); nothing was changed"
    )]
    UnexpectedRows { query: &'static str },
}

fn bad_input_message(first: &BadRecord, count: u64, max_errors: u64) -> String {
    let tail = if count > 1 {
        format!(" ({count} bad records in all")
    } else {
        String::from(" (1 bad record")
    };
    format!(
        "bad record in {} line {}: {}; raw: {}{}, --max-errors {max_errors}; nothing was written)",
        first.key,
        first.line,
        first.reason,
        first.snippet(),
        tail
    )
}

/// A source tree or object that cannot be listed or read.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// The tree itself: it is missing, or its listing failed.
    #[error("cannot read source {uri}: {reason}")]
    Unreadable {
        uri: String,
        reason: String,
        #[source]
        source: Option<BoxError>,
    },

    /// An S3 prefix that holds no key at all: in S3 a missing prefix and an empty one look
    /// the same (docs/SPEC-DECISIONS.md, "S3 sources").
    #[error("cannot read source {uri}: no objects under this prefix")]
    EmptyPrefix { uri: String },

    /// One object of the tree; `object` is its whole path or `s3://bucket/key`.
    #[error("cannot read {object}: {reason}")]
    Object {
        object: String,
        reason: String,
        #[source]
        source: Option<BoxError>,
    },

    #[error("invalid source URI {uri:?}: {message}")]
    InvalidUri { uri: String, message: String },

    /// The SQS queue a watcher reads S3 event notifications from.
    #[error("cannot read queue {url}: {message}")]
    Queue { url: String, message: String },
}

/// The target database refused, dropped or failed a step of the load.
#[derive(Debug, thiserror::Error)]
#[error("target {target}: {step}: {summary}")]
pub struct TargetError {
    /// The redacted URL (no password).
    pub target: String,
    pub step: String,
    /// The server's message (with its detail), else the client's: what the user sees
    /// without `-v`.
    summary: String,
    #[source]
    source: tokio_postgres::Error,
}

impl TargetError {
    pub fn new(target: &str, step: impl Into<String>, source: tokio_postgres::Error) -> Self {
        TargetError {
            target: target.to_string(),
            step: step.into(),
            summary: summarize(&source),
            source,
        }
    }

    /// The server's SQLSTATE, when the server answered with an error.
    pub fn sqlstate(&self) -> Option<&SqlState> {
        self.source.code()
    }
}

/// The server's own message (with its detail) when there is one, else the client's with
/// its causes (e.g. "error connecting to server: Connection refused").
fn summarize(err: &tokio_postgres::Error) -> String {
    match err.as_db_error() {
        Some(db) => match db.detail() {
            Some(detail) => format!("{} ({})", db.message(), detail),
            None => db.message().to_string(),
        },
        None => {
            let mut message = err.to_string();
            let mut cause = std::error::Error::source(err);
            while let Some(inner) = cause {
                message.push_str(": ");
                message.push_str(&inner.to_string());
                cause = inner.source();
            }
            message
        }
    }
}

/// The private PostgreSQL that the tool runs itself could not be set up or reached.
#[derive(Debug, thiserror::Error)]
pub enum EmbeddedError {
    #[error(
        "embedded PostgreSQL: the PostgreSQL server programs (initdb, postgres, pg_ctl, \
         pg_isready, psql) are not in {searched}; install them with scripts/install-postgres \
         (or apt-get install postgresql), set SPARKIFY_LOAD_PG_BIN to the directory that holds \
         them, or give --target"
    )]
    NoBinaries { searched: String },

    #[error(
        "embedded PostgreSQL: running as root needs the unprivileged user {user:?} to run \
         PostgreSQL; install PostgreSQL (apt-get install postgresql) or run as another user"
    )]
    NoServerUser { user: String },

    #[error("embedded PostgreSQL: cannot {what} {}: {source}", .path.display())]
    Io {
        what: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("embedded PostgreSQL: cannot run {program}: {source}")]
    Spawn {
        program: String,
        #[source]
        source: std::io::Error,
    },

    #[error("embedded PostgreSQL: {program} failed ({status}): {stderr}")]
    Command {
        program: String,
        status: ExitStatus,
        stderr: String,
    },

    #[error("embedded PostgreSQL: postgres exited at start-up ({status}); see {}", .log.display())]
    Exited { status: ExitStatus, log: PathBuf },

    #[error(
        "embedded PostgreSQL: postgres did not accept connections within {seconds} s; see {}",
        .log.display()
    )]
    NotReady { seconds: u64, log: PathBuf },

    #[error(
        "embedded PostgreSQL: the socket path {} is longer than the {max} bytes a Unix socket \
         allows; choose a shorter --home",
        .path.display()
    )]
    SocketPathTooLong { path: PathBuf, max: usize },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// An error and its causes as one line ("…: …"), as `-v` prints them; what a record of
/// the run (the history table) keeps.
pub fn sentence_chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut text = err.to_string();
    let mut cause = err.source();
    while let Some(inner) = cause {
        let said = inner.to_string();
        // A wrapper that repeats its cause's words adds nothing.
        if !text.contains(&said) {
            text.push_str(": ");
            text.push_str(&said);
        }
        cause = inner.source();
    }
    text
}
