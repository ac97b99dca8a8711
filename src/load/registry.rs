//! A sharded load's registry, as read: which shards of a run finished, with what they
//! read, and whether the run was merged; and the refusal of a run that is not whole.

use std::collections::BTreeSet;

use tokio_postgres::Client;

use crate::db::shard::{ShardRecord, ShardSql};
use crate::db::Database;
use crate::error::{Error, ManifestError, Result};
use crate::report::SourceSummary;

/// A run's registry rows: its finished shards, and whether it was merged.
#[derive(Debug, Default)]
pub(super) struct Finished {
    pub(super) merged: bool,
    /// (shard, shard count, what it read), by shard.
    pub(super) shards: Vec<(u32, u32, ShardRecord)>,
}

pub(super) async fn read_finished(
    database: &Database,
    client: &Client,
    sql: &ShardSql,
) -> Result<Finished> {
    let rows = database
        .text_rows(client, "read the shard registry", &sql.finished())
        .await?;
    let mut finished = Finished::default();
    for row in rows {
        let unreadable = || Error::UnexpectedRows {
            query: "read the shard registry",
        };
        let text = |i: usize| row.get(i).cloned().flatten().ok_or_else(unreadable);
        let number = |i: usize| text(i)?.parse::<i64>().map_err(|_| unreadable());
        let shard = number(0)?;
        if shard < 0 {
            finished.merged = true;
            continue;
        }
        let count = |range: std::ops::Range<usize>| -> Result<Vec<u64>> {
            range.map(|i| Ok(number(i)? as u64)).collect()
        };
        let (songs, logs) = (count(4..7)?, count(7..10)?);
        finished.shards.push((
            shard as u32,
            number(1)? as u32,
            ShardRecord {
                song_uri: text(2)?,
                log_uri: text(3)?,
                songs: [songs[0], songs[1], songs[2]],
                logs: [logs[0], logs[1], logs[2]],
            },
        ));
    }
    Ok(finished)
}

impl Finished {
    /// The shards to merge, all `0..N` of them; refuses a run that is merged, has no
    /// finished shard, whose shards disagree, or that misses a shard.
    pub(super) fn complete(&self, run_id: &str) -> Result<Vec<u32>> {
        let run_id = run_id.to_string();
        if self.merged {
            return Err(ManifestError::Merged { run_id }.into());
        }
        let Some((_, count, first)) = self.shards.first() else {
            return Err(ManifestError::NoFinishedShard { run_id }.into());
        };
        let counts: BTreeSet<u32> = self.shards.iter().map(|(_, n, _)| *n).collect();
        if counts.len() > 1 {
            let counts = join(counts.iter());
            return Err(ManifestError::ShardCountsDisagree { run_id, counts }.into());
        }
        if let Some((shard, _, other)) = self
            .shards
            .iter()
            .find(|(_, _, r)| (&r.song_uri, &r.log_uri) != (&first.song_uri, &first.log_uri))
        {
            return Err(ManifestError::ShardTreesDisagree {
                run_id,
                shard: *shard,
                read: (other.song_uri.clone(), other.log_uri.clone()),
                first: self.shards[0].0,
                expected: (first.song_uri.clone(), first.log_uri.clone()),
            }
            .into());
        }
        let done: BTreeSet<u32> = self.shards.iter().map(|(k, _, _)| *k).collect();
        let missing: Vec<u32> = (0..*count).filter(|k| !done.contains(k)).collect();
        if !missing.is_empty() {
            return Err(ManifestError::MissingShards {
                run_id,
                several: missing.len() > 1,
                missing: join(missing.iter()),
                count: *count,
            }
            .into());
        }
        Ok(done.into_iter().collect())
    }

    /// What all the shards read of one tree.
    pub(super) fn summary(&self, tree: fn(&ShardRecord) -> (&String, &[u64; 3])) -> SourceSummary {
        let mut summary = SourceSummary::default();
        for (_, _, record) in &self.shards {
            let (uri, [objects, bytes, records]) = tree(record);
            summary.uri.clone_from(uri);
            summary.objects += objects;
            summary.bytes += bytes;
            summary.records += records;
        }
        summary
    }
}

/// "1, 2 and 3".
pub(super) fn join<T: ToString>(items: impl Iterator<Item = T>) -> String {
    let items: Vec<String> = items.map(|i| i.to_string()).collect();
    match items.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
        _ => items.concat(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finished(shards: &[(u32, u32)]) -> Finished {
        Finished {
            merged: false,
            shards: shards
                .iter()
                .map(|&(k, n)| (k, n, ShardRecord::default()))
                .collect(),
        }
    }

    #[test]
    fn a_run_is_complete_only_with_every_shard() {
        assert_eq!(
            finished(&[(0, 3), (1, 3), (2, 3)]).complete("r").unwrap(),
            [0, 1, 2]
        );
        let missing = finished(&[(1, 4)]).complete("r").unwrap_err().to_string();
        assert!(
            missing.contains("misses shards 0, 2 and 3 of 4"),
            "{missing}"
        );
        let one = finished(&[(0, 2)]).complete("r").unwrap_err().to_string();
        assert!(one.contains("misses shard 1 of 2"), "{one}");
        let disagree = finished(&[(0, 2), (1, 3)])
            .complete("r")
            .unwrap_err()
            .to_string();
        assert!(disagree.contains("disagree on how many shards there are (2 and 3)"));
        let none = finished(&[]).complete("r").unwrap_err().to_string();
        assert!(none.contains("has no finished shard"), "{none}");
        let mut merged = finished(&[(0, 1)]);
        merged.merged = true;
        assert!(merged
            .complete("r")
            .unwrap_err()
            .to_string()
            .contains("merged already"));
    }
}
