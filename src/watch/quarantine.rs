//! The quarantine: objects a watcher will not load until their content changes or an
//! operator clears them (`watch --retry-quarantined`, or a `DELETE` from the table), kept
//! in `sparkify_load_quarantine` in the target schema so that nothing is skipped without a
//! trace and a restart knows them.

use std::collections::HashMap;

use serde::Serialize;
use tokio_postgres::Client;

use crate::db::literal::Literals;
use crate::db::sql::quarantine as quarantine_sql;
use crate::db::{render, Database, SchemaName};
use crate::error::{Error, Result};
use crate::source::Entry;

/// One quarantined object version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Held {
    pub tree: String,
    pub key: String,
    pub size: u64,
    pub version: String,
    pub reason: String,
    pub first_attempt: String,
    pub last_attempt: String,
    pub attempts: u64,
}

/// The quarantine table of one schema.
pub(super) struct Quarantine<'a> {
    pub(super) database: &'a Database,
    pub(super) schema: &'a SchemaName,
}

impl Quarantine<'_> {
    fn sql(&self, template: &str, values: &[(&str, &str)]) -> String {
        let sql = self.database.sql();
        let mut all = vec![
            ("schema", self.schema.quoted()),
            ("eq", sql.exact_text.into()),
        ];
        all.extend(values.iter().map(|(k, v)| (*k, v.to_string())));
        let all: Vec<(&str, &str)> = all.iter().map(|(k, v)| (*k, v.as_str())).collect();
        render(template, &all)
    }

    /// Creates the table if it is not there yet.
    pub(super) async fn create(&self, client: &Client) -> Result<()> {
        let create = self.sql(self.database.sql().quarantine, &[]);
        Ok(self
            .database
            .run(client, "create the quarantine table", &create)
            .await?)
    }

    /// Every quarantined object, by (tree, key).
    pub(super) async fn list(&self, client: &Client) -> Result<HashMap<(String, String), Held>> {
        let step = "read the quarantine";
        let rows = self
            .database
            .text_rows(client, step, &self.sql(quarantine_sql::LIST, &[]))
            .await?;
        rows.iter()
            .map(|row| {
                let text = |i: usize| {
                    row.get(i)
                        .cloned()
                        .flatten()
                        .ok_or(Error::UnexpectedRows { query: step })
                };
                let number = |i: usize| {
                    text(i)?
                        .parse::<u64>()
                        .map_err(|_| Error::UnexpectedRows { query: step })
                };
                let held = Held {
                    tree: text(0)?,
                    key: text(1)?,
                    size: number(2)?,
                    version: text(3)?,
                    reason: text(4)?,
                    first_attempt: text(5)?,
                    last_attempt: text(6)?,
                    attempts: number(7)?,
                };
                Ok(((held.tree.clone(), held.key.clone()), held))
            })
            .collect()
    }

    /// Quarantines `entry` of `tree` for `reason`, or counts one more attempt at it.
    pub(super) async fn hold(
        &self,
        client: &Client,
        (tree, entry): (&str, &Entry),
        reason: &str,
    ) -> Result<()> {
        let literals = Literals::of(self.database, client).await?;
        let hold = self.sql(
            quarantine_sql::HOLD,
            &[
                ("tree", &literals.quote(tree)),
                ("key", &literals.quote(&entry.key)),
                ("size", &entry.size.to_string()),
                ("version", &literals.quote(&entry.version)),
                ("reason", &literals.quote(reason)),
                ("now", self.database.sql().now),
            ],
        );
        tracing::debug!(tree, key = %entry.key, reason, "object quarantined");
        let held = self
            .database
            .run(client, "quarantine an object", &hold)
            .await;
        if held.is_err() {
            // The script is one transaction: a statement that failed leaves it aborted.
            let _ = client.batch_execute("ROLLBACK").await;
        }
        Ok(held?)
    }

    /// Takes quarantined objects out: they load again on the next batch.
    pub(super) async fn forget(&self, client: &Client, keys: &[(String, String)]) -> Result<()> {
        if keys.is_empty() {
            return Ok(());
        }
        let literals = Literals::of(self.database, client).await?;
        let eq = self.database.sql().exact_text;
        let which: Vec<String> = keys
            .iter()
            .map(|(tree, key)| {
                format!(
                    "(tree{eq} = {}{eq} AND key{eq} = {}{eq})",
                    literals.quote(tree),
                    literals.quote(key)
                )
            })
            .collect();
        let delete = self.sql(quarantine_sql::FORGET, &[("which", &which.join(" OR "))]);
        Ok(self
            .database
            .run(client, "release quarantined objects", &delete)
            .await?)
    }

    /// Empties the quarantine (`--retry-quarantined`).
    pub(super) async fn clear(&self, client: &Client) -> Result<()> {
        let clear = self.sql(quarantine_sql::CLEAR, &[]);
        Ok(self
            .database
            .run(client, "clear the quarantine", &clear)
            .await?)
    }

    /// What a batch's merge runs before its commit: the objects it loaded leave the
    /// quarantine in the same transaction (`{private}` names the batch's private tables).
    pub(super) fn release_loaded(&self) -> String {
        self.sql(quarantine_sql::RELEASE, &[("private", "{private}")])
    }
}
