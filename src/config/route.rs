//! The route a load takes, decided once from its request: what [`super::LoadConfig`]
//! holds so that nothing below it looks at the flags again.

use super::{Dialect, LoadRequest, LoadScope, Mode, RedshiftCopySources, S3Copy, Shard};
use crate::error::Error;

/// The way a load goes, decided once by [`LoadConfig::resolve`]: everything below it
/// matches on this value and never looks at the request again.
#[derive(Debug, Clone)]
pub enum Route {
    /// Every object read into new tables that are then moved into the five tables.
    Rebuild(Fill),
    /// `--incremental`, or `--full` (`full`): the objects the manifest lacks (all of them
    /// with `--full`) read into work tables and merged in with their manifest rows.
    Merge { fill: Fill, full: bool },
    /// `--shard K/N`: one worker's share of the objects into its own tables, for `merge`.
    Shard(Shard),
    /// Copy mode on Redshift: the cluster runs the classic COPY plan itself.
    RedshiftCopy(RedshiftCopySources),
}

/// How a route's new tables get their rows.
#[derive(Debug, Clone)]
pub enum Fill {
    /// Client mode: parsed and transformed here, sent in multi-row INSERTs.
    Inserts,
    /// Client mode with `--sink s3-copy` (Redshift): the finished rows as gzip CSV parts
    /// under the staging prefix, one `COPY … MANIFEST` a table.
    S3Copy(S3Copy),
    /// Copy mode on PostgreSQL: each record's raw text copied into the raw tables, the
    /// checks and rules run in SQL.
    RawCopy,
}

/// The route a request asks for, checked.
pub(super) fn route(request: &LoadRequest) -> Result<Route, Error> {
    let refuse = |message: &str| Err(Error::Config(message.to_string()));
    let s3_copy = match &request.s3_copy {
        Some(asked) => Some(S3Copy::resolve(request, asked)?),
        None => None,
    };
    let fill = match (request.mode, request.dialect, s3_copy) {
        (Mode::Copy, Dialect::Redshift, _) => {
            let sources = RedshiftCopySources::resolve(request)?;
            return match request.scope {
                LoadScope::Rebuild => Ok(Route::RedshiftCopy(sources)),
                LoadScope::Shard(_) => refuse(SHARD_IS_CLIENT_MODE),
                _ => refuse(
                    "--incremental and --full on Redshift need --mode client: copy mode's \
                     COPY reads whole prefixes, and reading only new objects would need a \
                     COPY manifest written to S3, which this version does not write \
                     (docs/INCREMENTAL.md)",
                ),
            };
        }
        (Mode::Copy, Dialect::Postgres, _) => Fill::RawCopy,
        (Mode::Client, _, Some(s3_copy)) => Fill::S3Copy(s3_copy),
        (Mode::Client, _, None) => Fill::Inserts,
    };
    match request.scope {
        LoadScope::Rebuild => Ok(Route::Rebuild(fill)),
        LoadScope::Incremental => Ok(Route::Merge { fill, full: false }),
        LoadScope::Full => Ok(Route::Merge { fill, full: true }),
        LoadScope::Shard(_) if request.mode != Mode::Client => refuse(SHARD_IS_CLIENT_MODE),
        LoadScope::Shard(_) if request.run_id.is_none() => refuse(
            "--shard needs --run-id: every worker of a sharded load, and its merge, name the \
             same run",
        ),
        LoadScope::Shard(shard) => Ok(Route::Shard(shard)),
    }
}

const SHARD_IS_CLIENT_MODE: &str = "--shard is for client mode: a shard parses its objects itself";
