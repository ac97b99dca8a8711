//! Sharded loads' settings: a worker's shard, and a merge of a run's shards.

use std::path::PathBuf;

use super::{checked_run_id, quality_gate, refuse_embedded_redshift, Dialect, Target};
use crate::check::CheckFile;
use crate::db::SchemaName;
use crate::error::Error;

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

/// A merge of a sharded load's shards as asked for.
#[derive(Debug, Clone)]
pub struct MergeRequest {
    pub target: Target,
    pub dialect: Dialect,
    pub schema: SchemaName,
    pub run_id: String,
    pub checks: Option<PathBuf>,
    pub no_checks: bool,
    /// The merge may leave a table that has rows empty.
    pub allow_empty: bool,
}

/// A merge's settings, checked: made only by [`MergeConfig::resolve`].
#[derive(Debug, Clone)]
pub struct MergeConfig {
    pub(crate) request: MergeRequest,
    pub(crate) gate: Option<CheckFile>,
}

impl MergeConfig {
    pub fn resolve(mut request: MergeRequest) -> Result<MergeConfig, Error> {
        refuse_embedded_redshift(&request.target, request.dialect)?;
        request.run_id = checked_run_id(&request.run_id)?;
        let gate = quality_gate(request.checks.as_deref(), request.no_checks)?;
        Ok(MergeConfig { request, gate })
    }

    /// The run merged, as the tables name it (folded to lower case).
    pub fn run_id(&self) -> &str {
        &self.request.run_id
    }
}
