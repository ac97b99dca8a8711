//! The SQL of sharded loads (docs/SCALE.md), rendered in one place: where each shard's
//! tables wait for the merge, the registry of finished shards, and the merge's gathering
//! of every shard into one run's work tables.

use super::sql::shard;
use super::{render, shard_prefix, DialectSql, SchemaName, SHARD_REGISTRY_PREFIX};
use crate::db::literal::Literals;
use crate::db::TableSet;

/// What one shard worker wrote, as the registry keeps it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ShardRecord {
    pub song_uri: String,
    pub log_uri: String,
    /// (objects, bytes, records) of each tree.
    pub songs: [u64; 3],
    pub logs: [u64; 3],
}

/// The sharded-load scripts of one run into one target.
pub struct ShardSql {
    sql: &'static DialectSql,
    target: SchemaName,
    run_id: String,
}

impl ShardSql {
    pub fn new(sql: &'static DialectSql, target: &SchemaName, run_id: &str) -> ShardSql {
        ShardSql {
            sql,
            target: target.clone(),
            run_id: run_id.to_string(),
        }
    }

    /// The schema the run loads into.
    pub fn target(&self) -> &SchemaName {
        &self.target
    }

    /// Where shard `index`'s tables wait for the merge.
    pub fn tables(&self, index: u32) -> TableSet {
        TableSet {
            schema: self.target.clone(),
            prefix: shard_prefix(&self.run_id, index),
        }
    }

    fn render(&self, template: &str, more: &[(&str, &str)]) -> String {
        let mut names = vec![
            ("shards", self.target.qualify(SHARD_REGISTRY_PREFIX)),
            ("text", self.sql.text_type.to_string()),
            ("run_id", quote(&self.run_id)),
            ("now", self.sql.now.to_string()),
            ("c", self.sql.byte_order.to_string()),
            ("eq", self.sql.exact_text.to_string()),
        ];
        names.extend(more.iter().map(|(k, v)| (*k, v.to_string())));
        let names: Vec<(&str, &str)> = names.iter().map(|(k, v)| (*k, v.as_str())).collect();
        render(template, &names)
    }

    /// The registry of finished shards and merged runs, if it does not exist yet.
    pub fn registry(&self) -> String {
        self.render(shard::REGISTRY, &[])
    }

    /// Removes the registry row an earlier attempt of shard `index` left. Run on its own,
    /// before the shard's transaction: the registry is shared by every worker, so no worker
    /// writes it inside its long transaction (on Redshift a write holds the table's write
    /// lock to the commit, and the other workers would wait: docs/REDSHIFT.md rule 27).
    pub fn forget(&self, index: u32) -> String {
        self.render(shard::FORGET, &[("shard", &index.to_string())])
    }

    /// Removes the tables an earlier attempt of shard `index` left: the first step of the
    /// shard's transaction.
    pub fn drop_earlier(&self, index: u32) -> String {
        self.drop_tables(index, true)
    }

    /// Records shard `index` of `count` as finished, with what it read, replacing any row an
    /// attempt of the same shard wrote meanwhile; the trees' URIs are written as `literals`
    /// says. Its own short transaction, after the shard's has committed its tables.
    pub fn finish(
        &self,
        index: u32,
        count: u32,
        record: &ShardRecord,
        literals: &Literals,
    ) -> String {
        let [song_objects, song_bytes, song_records] = record.songs.map(|n| n.to_string());
        let [log_objects, log_bytes, log_records] = record.logs.map(|n| n.to_string());
        self.render(
            shard::FINISH,
            &[
                ("forget", &self.forget(index)),
                ("shard", &index.to_string()),
                ("shard_count", &count.to_string()),
                ("song_uri", &literals.quote(&record.song_uri)),
                ("log_uri", &literals.quote(&record.log_uri)),
                ("song_objects", &song_objects),
                ("song_bytes", &song_bytes),
                ("song_records", &song_records),
                ("log_objects", &log_objects),
                ("log_bytes", &log_bytes),
                ("log_records", &log_records),
            ],
        )
    }

    /// The run's finished shards in order, after a row of shard -1 if it was merged.
    pub fn finished(&self) -> String {
        self.render(shard::FINISHED, &[])
    }

    /// Gathers the objects of shards `indexes` into the work tables `work`, ranked anew.
    pub fn gather_objects(&self, work: &TableSet, indexes: &[u32]) -> String {
        let objects: Vec<String> = indexes
            .iter()
            .map(|&index| {
                format!(
                    "SELECT tree, key, size, version FROM {}new_objects",
                    self.tables(index).qualifier()
                )
            })
            .collect();
        self.render(
            shard::GATHER_OBJECTS,
            &[
                ("work", &work.qualifier()),
                ("objects", &objects.join(" UNION ALL ")),
            ],
        )
    }

    /// Gathers shard `index`'s song records and plays into the work tables `work`.
    pub fn gather_shard(&self, work: &TableSet, index: u32) -> String {
        self.render(
            shard::GATHER_SHARD,
            &[
                ("work", &work.qualifier()),
                ("shard_work", &self.tables(index).qualifier()),
            ],
        )
    }

    /// `merge --discard`: the registry rows of shards `indexes`, then their tables.
    pub fn discard(&self, indexes: &[u32]) -> String {
        let list: Vec<String> = indexes.iter().map(u32::to_string).collect();
        let mut script = self.render(shard::DISCARD, &[("shard_list", &list.join(", "))]);
        for &index in indexes {
            script.push_str(&self.drop_tables(index, true));
        }
        script
    }

    /// In the merge's transaction: the run spent, its registry rows and shards' tables
    /// gone.
    pub fn spend(&self, indexes: &[u32]) -> String {
        let mut script = self.render(shard::SPEND, &[]);
        for &index in indexes {
            script.push_str(&self.drop_tables(index, false));
        }
        script
    }

    /// Shard `index`'s tables dropped (`if_exists`: where they may be gone already).
    fn drop_tables(&self, index: u32, if_exists: bool) -> String {
        self.render(
            shard::DROP_SHARD,
            &[
                ("shard_work", &self.tables(index).qualifier()),
                ("if_exists", if if_exists { "IF EXISTS " } else { "" }),
            ],
        )
    }
}

/// A name as a string literal; run ids are checked to need no escapes.
fn quote(name: &str) -> String {
    Literals::REDSHIFT.quote(name)
}
