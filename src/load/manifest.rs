//! What an incremental run reads: each tree's listing against the manifest (new, already
//! loaded, changed, vanished), and the refusal of changed or vanished objects.

use std::collections::HashMap;
use std::sync::Mutex;

use rayon::iter::{IntoParallelIterator, ParallelIterator};
use tokio_postgres::Client;

use crate::config::Shard;
use crate::cpu::on_rayon;
use crate::db::merge::MergeSql;
use crate::db::Database;
use crate::error::{Error, ManifestError, Result};
use crate::model::ObjectRow;
use crate::report::{ObjectCounts, SourceSummary};
use crate::source::{is_object_key, Entry, Listed, Selection, Source, SourceUri};

/// Which objects of one tree a load reads.
pub(super) enum TreeObjects {
    /// Every object, as the listing arrives.
    All,
    /// The objects an incremental run found new, already listed with the keys set aside.
    Only {
        keys: Vec<String>,
        ignored: Vec<String>,
    },
}

impl TreeObjects {
    /// The selection to read; what it lists (all of it, or only the keys set aside) goes
    /// into `listed`.
    pub(super) fn selection<'a>(&self, listed: &'a Mutex<Listed>) -> Selection<'a> {
        match self {
            TreeObjects::All => Selection::All(listed),
            TreeObjects::Only { keys, ignored } => {
                listed
                    .lock()
                    .expect("never poisoned")
                    .ignored
                    .extend(ignored.iter().cloned());
                Selection::Only(keys.clone())
            }
        }
    }
}

/// A manifest: each loaded object's (tree, key) and its (size, version).
pub(crate) type Manifest = HashMap<(String, String), (u64, String)>;

/// One tree's listing against the manifest.
pub(crate) struct TreePlan {
    tree: &'static str,
    pub(crate) new: Vec<Entry>,
    already_loaded: u64,
    pub(crate) changed: Vec<String>,
    /// Local files of the same size whose modification time moved since they were loaded,
    /// each with the fingerprint of the content loaded: changed only if their content did
    /// ([`TreePlan::settle_touched`]).
    touched: Vec<(String, String)>,
    vanished: Vec<String>,
    ignored: Vec<String>,
}

impl TreePlan {
    pub(crate) fn of(tree: &'static str, listing: Vec<Entry>, manifest: &Manifest) -> TreePlan {
        let (objects, others): (Vec<Entry>, Vec<Entry>) = listing
            .into_iter()
            .partition(|entry| is_object_key(&entry.key));
        let mut plan = TreePlan {
            tree,
            new: Vec::new(),
            already_loaded: 0,
            changed: Vec::new(),
            touched: Vec::new(),
            vanished: Vec::new(),
            ignored: others.into_iter().map(|entry| entry.key).collect(),
        };
        let mut listed = std::collections::HashSet::new();
        for entry in objects {
            listed.insert(entry.key.clone());
            match manifest.get(&(tree.to_string(), entry.key.clone())) {
                None => plan.new.push(entry),
                Some((size, kept)) if *size == entry.size && listed_as(kept) == entry.version => {
                    plan.already_loaded += 1;
                }
                Some((size, kept)) if *size == entry.size => match fingerprint_of(kept) {
                    Some(loaded) => plan.touched.push((entry.key, loaded.to_string())),
                    None => plan.changed.push(entry.key),
                },
                Some(_) => plan.changed.push(entry.key),
            }
        }
        plan.vanished = manifest
            .keys()
            .filter(|(of, key)| of == tree && !listed.contains(key))
            .map(|(_, key)| key.clone())
            .collect();
        plan.vanished.sort();
        plan
    }

    /// Decides the touched files by content: one whose bytes are those loaded is already
    /// loaded (touch, a plain re-copy), as an S3 object re-uploaded with the same bytes
    /// keeps its ETag; any other has changed.
    pub(crate) async fn settle_touched(&mut self, source: &Source) -> Result<()> {
        let Source::Local(local) = source else {
            return Ok(());
        };
        let touched = std::mem::take(&mut self.touched);
        let local = local.clone();
        let now = on_rayon(move || {
            touched
                .into_par_iter()
                .map(|(key, loaded)| {
                    let same = local.fingerprint(&key)? == loaded;
                    Ok((key, same))
                })
                .collect::<Result<Vec<_>>>()
        })
        .await??;
        for (key, same) in now {
            match same {
                true => self.already_loaded += 1,
                false => self.changed.push(key),
            }
        }
        self.changed.sort();
        Ok(())
    }

    /// Forgets the manifest's keys this listing lacks: a listing of some objects only (a
    /// watch batch) says nothing of the others.
    pub(super) fn forget_vanished(&mut self) {
        self.vanished.clear();
    }

    /// Keeps only the new objects shard `shard` reads.
    pub(super) fn shard(mut self, shard: Shard) -> TreePlan {
        self.new.retain(|entry| shard.takes(&entry.key));
        self
    }

    pub(super) fn objects(&self) -> TreeObjects {
        TreeObjects::Only {
            keys: self.new.iter().map(|entry| entry.key.clone()).collect(),
            ignored: self.ignored.clone(),
        }
    }

    pub(super) fn counts(&self) -> ObjectCounts {
        ObjectCounts {
            new: self.new.len() as u64,
            already_loaded: self.already_loaded,
            changed: self.changed.len() as u64,
        }
    }
}

/// How a manifest keeps a local file's version: its modification time as listed, then the
/// fingerprint of the content loaded (`<mtime> xxh3:<hex>`).
const FINGERPRINT_MARK: &str = " xxh3:";

/// The version as a listing gives it (for a local file, the time without the fingerprint).
fn listed_as(kept: &str) -> &str {
    kept.find(FINGERPRINT_MARK).map_or(kept, |at| &kept[..at])
}

/// The content fingerprint a manifest version keeps, if it keeps one (local files).
fn fingerprint_of(kept: &str) -> Option<&str> {
    kept.find(FINGERPRINT_MARK).map(|at| &kept[at + 1..])
}

/// `entries` (in the order read) as the manifest keeps them: a local file's version gains
/// the fingerprint of the content read ([`SourceSummary::fingerprints`], by rank); an S3
/// object's ETag is its own.
fn fingerprinted(entries: &[Entry], read: &SourceSummary) -> Vec<Entry> {
    let mut entries = entries.to_vec();
    for (rank, fingerprint) in &read.fingerprints {
        if let Some(entry) = entries.get_mut(*rank as usize) {
            entry.version = format!("{} {fingerprint}", entry.version);
        }
    }
    entries
}

/// The manifest rows of the objects two readings read: each tree's entries (as listed,
/// in the order read) with the fingerprints its summary took of them.
pub(super) fn objects_read(
    (songs, songs_read): (&[Entry], &SourceSummary),
    (logs, logs_read): (&[Entry], &SourceSummary),
) -> Vec<ObjectRow> {
    let song_objects = fingerprinted(songs, songs_read);
    let log_objects = fingerprinted(logs, logs_read);
    object_rows("song", &song_objects)
        .chain(object_rows("log", &log_objects))
        .collect()
}

/// The manifest rows of objects of `tree`, ranked in the order given (the order read).
fn object_rows<'a>(
    tree: &'static str,
    objects: &'a [Entry],
) -> impl Iterator<Item = ObjectRow> + 'a {
    objects
        .iter()
        .enumerate()
        .map(move |(rank, entry)| ObjectRow {
            tree,
            rank: rank as i32,
            key: entry.key.clone(),
            size: entry.size as i64,
            version: entry.version.clone(),
        })
}

/// The manifest, read from the target's (`merge` names it).
pub(crate) async fn read_manifest(
    (database, client): (&Database, &Client),
    merge: &MergeSql,
) -> Result<Manifest> {
    let query = merge.manifest();
    let rows = database
        .text_rows(client, "read the manifest", &query)
        .await?;
    rows.into_iter()
        .map(|row| match <[Option<String>; 4]>::try_from(row) {
            Ok([Some(tree), Some(key), Some(size), Some(version)]) => {
                let size = size.parse().map_err(|_| unreadable(merge, &key))?;
                Ok(((tree, key), (size, version)))
            }
            _ => Err(unreadable(merge, "?")),
        })
        .collect()
}

/// A manifest row that is not as the tool writes it: someone edited the state.
fn unreadable(merge: &MergeSql, key: &str) -> Error {
    ManifestError::ForeignRow {
        manifest: merge.manifest_table(),
        key: key.to_string(),
    }
    .into()
}

/// A tree whose listing holds no object is a wrong path: refused unless `--allow-empty`.
pub(crate) fn refuse_empty_listing(flag: &str, uri: &SourceUri, listing: &[Entry]) -> Result<()> {
    if listing.iter().any(|entry| is_object_key(&entry.key)) {
        return Ok(());
    }
    Err(super::move_in::wrong_tree(
        flag,
        uri,
        "holds no .json object",
    ))
}

/// The whole listing of a tree.
pub(crate) async fn list(source: &Source, tree: &'static str) -> Result<Vec<Entry>> {
    use futures::TryStreamExt;
    let batches: Vec<Vec<Entry>> = source.keys().try_collect().await?;
    tracing::debug!(tree, "listed");
    Ok(batches.concat())
}

/// Fails, before anything is read, when an object loaded earlier has changed or vanished:
/// neither may be silently skipped or silently reloaded (SPEC section 3).
pub(super) fn refuse_changes(plans: &[(&TreePlan, &Source)]) -> Result<()> {
    let mut problems = Vec::new();
    for (plan, source) in plans {
        let named = |keys: &[String]| {
            let mut names: Vec<String> = keys.iter().take(5).map(|k| source.describe(k)).collect();
            if keys.len() > 5 {
                names.push(format!("and {} more", keys.len() - 5));
            }
            names.join(", ")
        };
        if !plan.changed.is_empty() {
            problems.push(format!(
                "{} {} object(s) changed since they were loaded (other size or {}): {}",
                plan.changed.len(),
                plan.tree,
                match source {
                    Source::Local(_) => "content",
                    Source::S3(_) => "ETag (last-modified time where none is listed)",
                },
                named(&plan.changed)
            ));
        }
        if !plan.vanished.is_empty() {
            problems.push(format!(
                "{} {} object(s) loaded earlier are gone: {}",
                plan.vanished.len(),
                plan.tree,
                named(&plan.vanished)
            ));
        }
    }
    if problems.is_empty() {
        return Ok(());
    }
    Err(ManifestError::ObjectsChanged { problems }.into())
}
