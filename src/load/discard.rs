//! `merge --run-id ID --discard` (docs/SCALE.md): a sharded run that will not be merged
//! gives back its finished shards' tables and registry rows, in one transaction, merging
//! nothing.

use std::collections::BTreeSet;
use std::fmt;

use super::registry::{join, read_finished};
use super::shard::open_registry;
use crate::config::MergeConfig;
use crate::error::{ManifestError, Result};
use crate::sink::private;

/// What a discard dropped: the run's finished shards, as (shard, shard count).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Discarded {
    pub run_id: String,
    pub schema: String,
    /// Whether the run was merged already (its shards here finished after the merge).
    pub merged: bool,
    pub shards: Vec<(u32, u32)>,
}

impl fmt::Display for Discarded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (run, schema) = (&self.run_id, &self.schema);
        if self.shards.is_empty() {
            let merged = if self.merged { " (it was merged)" } else { "" };
            return write!(
                f,
                "run {run} has no finished shard in schema {schema}{merged}; nothing to discard"
            );
        }
        let counts: BTreeSet<u32> = self.shards.iter().map(|(_, n)| *n).collect();
        let shards = format!(
            "shard{} {} of {}",
            if self.shards.len() == 1 { "" } else { "s" },
            join(self.shards.iter().map(|(k, _)| k)),
            join(counts.iter())
        );
        if self.merged {
            write!(
                f,
                "run {run} of schema {schema} was merged already; dropped the tables of \
                 {shards}, which finished after the merge"
            )
        } else {
            write!(
                f,
                "discarded run {run} of schema {schema}: dropped the tables of {shards}; \
                 nothing was merged"
            )
        }
    }
}

/// Drops the finished shards of a run under the schema's load lock, so no merge runs
/// meanwhile. The run id is not spent: a run given up can run again under the same id. A
/// worker of the run that finishes meanwhile makes the discard roll back and say so.
pub async fn discard(config: &MergeConfig) -> Result<Discarded> {
    let request = &config.request;
    let (database, client, sql) = open_registry(request).await?;
    private::lock(&client, &database, &request.schema).await?;
    let work = async {
        let finished = read_finished(&database, &client, &sql).await?;
        let shards: Vec<u32> = finished.shards.iter().map(|(k, ..)| *k).collect();
        if !shards.is_empty() {
            database
                .run(&client, "drop the run's shards", &sql.discard(&shards))
                .await?;
        }
        if let Some((late, ..)) = read_finished(&database, &client, &sql)
            .await?
            .shards
            .first()
        {
            return Err(ManifestError::FinishedDuringDiscard {
                run_id: request.run_id.clone(),
                shard: *late,
            }
            .into());
        }
        Ok(Discarded {
            run_id: request.run_id.clone(),
            schema: request.schema.to_string(),
            merged: finished.merged,
            shards: finished.shards.iter().map(|(k, n, _)| (*k, *n)).collect(),
        })
    };
    database.transaction(&client, "the discard", work).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn discarded(merged: bool, shards: &[(u32, u32)]) -> String {
        Discarded {
            run_id: "r7".into(),
            schema: "dwh".into(),
            merged,
            shards: shards.to_vec(),
        }
        .to_string()
    }

    /// Each outcome says what was dropped and whether the run had been merged.
    #[test]
    fn each_outcome_reads_as_a_sentence() {
        assert_eq!(
            discarded(false, &[(0, 3), (2, 3)]),
            "discarded run r7 of schema dwh: dropped the tables of shards 0 and 2 of 3; \
             nothing was merged"
        );
        assert_eq!(
            discarded(true, &[(1, 3)]),
            "run r7 of schema dwh was merged already; dropped the tables of shard 1 of 3, \
             which finished after the merge"
        );
        assert_eq!(
            discarded(false, &[]),
            "run r7 has no finished shard in schema dwh; nothing to discard"
        );
        assert_eq!(
            discarded(true, &[]),
            "run r7 has no finished shard in schema dwh (it was merged); nothing to discard"
        );
    }
}
