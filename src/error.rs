//! The library's typed errors: one enum per stage, converted into [`Error`] at the boundary.

use std::path::PathBuf;

use crate::parse::BadRecord;

/// Everything a load or a command of this crate can fail with.
///
/// Messages name the place (URI, key, line, table) and never carry a secret: URLs are
/// stored as [`crate::config::Secret`] and only their redacted form is ever formatted here.
#[derive(Debug, thiserror::Error)]
pub enum Error {
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

    #[error(transparent)]
    Embedded(#[from] EmbeddedError),

    #[error("cannot write {path}: {source}")]
    Output {
        path: PathBuf,
        source: std::io::Error,
    },
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
    #[error("cannot read source {uri}: {message}")]
    Unreadable { uri: String, message: String },

    #[error("cannot read object {key} of {uri}: {message}")]
    Object {
        uri: String,
        key: String,
        message: String,
    },

    #[error("invalid source URI {uri:?}: {message}")]
    InvalidUri { uri: String, message: String },
}

/// The target database refused, dropped or failed a step of the load.
#[derive(Debug, thiserror::Error)]
#[error("target {target}: {step}: {message}")]
pub struct TargetError {
    /// The redacted URL (no password).
    pub target: String,
    pub step: String,
    pub message: String,
}

impl TargetError {
    pub fn new(target: &str, step: impl Into<String>, err: &tokio_postgres::Error) -> Self {
        TargetError {
            target: target.to_string(),
            step: step.into(),
            message: describe_postgres_error(err),
        }
    }
}

/// The server's own message (with its detail) when there is one, else the client's.
fn describe_postgres_error(err: &tokio_postgres::Error) -> String {
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
#[error("embedded PostgreSQL: {0}")]
pub struct EmbeddedError(pub String);

pub type Result<T, E = Error> = std::result::Result<T, E>;
