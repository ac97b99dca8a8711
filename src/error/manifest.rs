//! What stops a run until the user chooses ([`ManifestError`]): the target's tables,
//! manifest or shard registry are not as the run needs them.

use super::Error;

/// What stops a run until the user chooses: the target's tables, manifest or shard
/// registry are not as the run needs them. Nothing was changed.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    #[error(
        "other loads kept changing schema {schema} while this run read its objects ({tries} \
         tries); nothing was loaded by this run: run it again"
    )]
    KeptChanging { schema: String, tries: u32 },
    /// A watch batch found the schema rebuilt by a plain load, which keeps no merge state:
    /// the watcher reads every object once before it goes on.
    #[error(
        "schema {schema} was rebuilt by a load without --incremental, which keeps no merge \
         state; a batch cannot be merged into it until every object is read once"
    )]
    StateMissing { schema: String },
    #[error(
        "other loads kept changing schema {schema} while the shards were gathered ({tries} \
         tries); nothing was merged: run the merge again"
    )]
    ShardsKeptChanging { schema: String, tries: u32 },
    #[error(
        "schema {schema} holds tables that a load without --incremental or --full built, so \
         which objects they hold is unknown; {REBUILD_WITH_MANIFEST}"
    )]
    TablesWithoutManifest { schema: String },
    #[error(
        "schema {schema} has no star schema tables, but its manifest ({manifest}) lists \
         loaded objects; {REBUILD_WITH_MANIFEST}"
    )]
    ManifestWithoutTables { schema: String, manifest: String },
    #[error(
        "schema {schema} holds {found} of the five star schema tables; drop them or load into \
         another --schema"
    )]
    PartialStarSchema { schema: String, found: u64 },
    #[error(
        "the manifest {manifest} has a row the tool did not write (key {key}); run with --full \
         to rebuild it"
    )]
    ForeignRow { manifest: String, key: String },
    /// Objects changed or gone since they were loaded, each said in `problems`.
    #[error(
        "{}; nothing was loaded. Their rows are in the tables, so run with --full to rebuild \
         from the objects as they are now",
        .problems.join("; ")
    )]
    ObjectsChanged { problems: Vec<String> },
    #[error("run {run_id} was merged already; nothing was done")]
    Merged { run_id: String },
    #[error("run {run_id} was merged already: give this load a new --run-id")]
    WorkerAfterMerge { run_id: String },
    #[error(
        "run {run_id} has no finished shard: run its workers (load --shard K/N --run-id \
         {run_id}) first"
    )]
    NoFinishedShard { run_id: String },
    #[error(
        "the shards of run {run_id} disagree on how many shards there are ({counts}): run \
         every worker with the same N, then merge"
    )]
    ShardCountsDisagree { run_id: String, counts: String },
    /// Shard `shard` read other trees (`read`) than `first` did (`expected`).
    #[error(
        "shard {shard} of run {run_id} read {} and {}, not {} and {} as shard {first} did: run \
         every worker on the same trees, then merge",
        .read.0, .read.1, .expected.0, .expected.1
    )]
    ShardTreesDisagree {
        run_id: String,
        shard: u32,
        read: (String, String),
        first: u32,
        expected: (String, String),
    },
    /// `missing` says which shards, "1, 2 and 3".
    #[error(
        "run {run_id} misses shard{} {missing} of {count} (numbered from 0): run {} (load \
         --shard K/{count} --run-id {run_id}), then merge again; nothing was merged",
        if *.several { "s" } else { "" },
        if *.several { "them" } else { "it" }
    )]
    MissingShards {
        run_id: String,
        missing: String,
        several: bool,
        count: u32,
    },
    #[error(
        "a worker of run {run_id} finished shard {shard} while the run was being discarded; \
         nothing was discarded: stop the run's workers, then discard again"
    )]
    FinishedDuringDiscard { run_id: String, shard: u32 },
}

impl From<ManifestError> for Error {
    fn from(err: ManifestError) -> Self {
        Error::Manifest(Box::new(err))
    }
}

/// What tables and a manifest that do not go together ask of the user.
const REBUILD_WITH_MANIFEST: &str = "run once with --full to rebuild them with a manifest";
