//! One tree read the way every route reads it: its selected objects decoded on the CPU
//! pool, bad records counted against `--max-errors`, what each piece made handed on.

use std::sync::Mutex;

use futures::TryStreamExt;

use super::manifest::TreeObjects;
use super::progress::Progress;
use super::rejects::Rejects;
use crate::db::cancel::interrupted_by;
use crate::error::{Error, Result};
use crate::parse::{BadRecord, Bounds, RecordFamily};
use crate::report::SourceSummary;
use crate::source::{Apply, Listed, Source, SourceUri};

/// A tree to read, and how.
pub(super) struct Tree<'a> {
    pub source: &'a Source,
    pub uri: &'a SourceUri,
    pub objects: &'a TreeObjects,
    /// The progress bar's name.
    pub bar: &'static str,
    /// Objects read at once.
    pub in_flight: usize,
    /// What the target holds: a record with a value beyond it is bad.
    pub bounds: Bounds,
}

/// What a route makes of one decoded piece: its good records' count, its bad records, and
/// the value handed on.
pub(super) type Made<T> = (usize, Vec<BadRecord>, T);

/// Reads the tree: `make` runs on the CPU pool for each decoded piece; `take` gets the
/// values in turn and says whether to go on (a receiver that stopped has its own error).
pub(super) async fn read<R, T, F>(
    tree: Tree<'_>,
    progress: &Progress,
    rejects: &mut Rejects,
    make: F,
    mut take: impl AsyncFnMut(T) -> Result<bool>,
) -> Result<SourceSummary>
where
    R: RecordFamily,
    T: Send + 'static,
    F: Apply<R, Made<T>>,
{
    let bar = progress.bar(tree.bar);
    let listed = Mutex::new(Listed::default());
    let mut summary = SourceSummary {
        uri: tree.uri.to_string(),
        ..Default::default()
    };
    let mut pieces = tree.source.pieces(
        tree.objects.selection(&listed),
        &bar,
        tree.in_flight,
        tree.bounds,
        make,
    );
    let started = std::time::Instant::now();
    while let Some(piece) = pieces.try_next().await? {
        // A signal stops reading at once: the load's failure path then rolls back.
        if let Some(signal) = interrupted_by() {
            return Err(Error::Interrupted { signal });
        }
        let (records, bad, value) = piece.value;
        summary.bytes += piece.bytes;
        summary.objects += u64::from(piece.last);
        summary.records += records as u64;
        summary.fingerprints.extend(piece.fingerprint);
        if !bar.is_hidden() {
            bar.set_message(super::progress::throughput(
                summary.records,
                summary.bytes,
                started.elapsed(),
            ));
        }
        rejects.add(bad)?;
        if !take(value).await? {
            break;
        }
    }
    drop(pieces);
    bar.finish();
    let listed = listed.into_inner().expect("never poisoned");
    summary.ignored_keys = listed.ignored;
    summary.listed = listed.objects;
    Ok(summary)
}
