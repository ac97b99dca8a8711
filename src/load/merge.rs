//! The merge of a run's work tables into the star schema, in one transaction with their
//! manifest rows: what incremental runs, `--full` and the merge of a sharded load's
//! shards end with (`db::merge` holds its SQL). Under the schema's lock it checks that the
//! target is still as the run found it, so that concurrent loads never lose each other's
//! rows.

use std::time::Instant;

use tokio_postgres::Client;

use super::move_in::{after_change, before_change, refuse_rebuilt_empty};
use crate::check::{CheckFile, RunCounts, Scope};
use crate::db::merge::MergeSql;
use crate::db::{number_at, Database, SchemaName, TableSet};
use crate::error::{Error, ManifestError, Result};
use crate::report::{stage, Stage, TableCounts};

/// The five tables' rows once a run has committed: a count that fails then (a lost
/// connection, a signal's cancel) is a gap in the report, never a failed run.
pub(super) async fn counted_after_commit(
    database: &Database,
    client: &Client,
    schema: &SchemaName,
) -> TableCounts {
    database
        .count_rows(client, schema)
        .await
        .unwrap_or_else(|err| {
            tracing::warn!("the run committed, but its rows cannot be counted: {err}");
            TableCounts::default()
        })
}

/// What the target holds: how many of the five tables exist, and how many rows the
/// manifest has (`None`: there is no manifest).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Found {
    tables: u64,
    manifest_rows: Option<u64>,
    /// Whether the merge's state beside the manifest exists (a rebuild keeps none).
    state: bool,
}

impl Found {
    pub(crate) async fn read(
        database: &Database,
        client: &Client,
        merge: &MergeSql,
    ) -> Result<Found> {
        let step = "look for the tables and the manifest";
        let rows = database.text_rows(client, step, &merge.found()).await?;
        let count = |rows: &[Vec<Option<String>>], i: usize| number_at(rows, i).unwrap_or(0);
        let tables = count(&rows, 0);
        let state = count(&rows, 2) > 0;
        let manifest_rows = if count(&rows, 1) > 0 {
            let counted = database
                .text_rows(client, step, &merge.manifest_count())
                .await?;
            Some(count(&counted, 0))
        } else {
            None
        };
        Ok(Found {
            tables,
            manifest_rows,
            state,
        })
    }

    /// Whether the target has a manifest.
    pub(crate) fn has_manifest(&self) -> bool {
        self.manifest_rows.is_some()
    }

    /// Whether an incremental run must read every object, as `--full` does: the tables and
    /// the manifest were written by a rebuild, which keeps no merge state.
    pub(super) fn lacks_state(&self) -> bool {
        self.tables == 5 && self.manifest_rows.is_some() && !self.state
    }

    /// Whether the five tables must be created; refuses tables and a manifest that do not
    /// go together.
    /// `full`: the run replaces whatever the tables hold.
    pub(super) fn create_tables(
        &self,
        schema: &SchemaName,
        full: bool,
        merge: &MergeSql,
    ) -> Result<bool> {
        match (self.tables, self.manifest_rows.is_some(), full) {
            (0, false, _) => Ok(true),
            (5, _, true) | (5, true, _) => Ok(false),
            (5, false, _) => Err(ManifestError::TablesWithoutManifest {
                schema: schema.to_string(),
            }
            .into()),
            (0, true, true) => Ok(true),
            (0, true, _) => Err(ManifestError::ManifestWithoutTables {
                schema: schema.to_string(),
                manifest: merge.manifest_table(),
            }
            .into()),
            (found, ..) => Err(partial_star_schema(schema, found)),
        }
    }
}

/// A schema that holds some of the five tables but not all: no load guesses what to do.
pub(super) fn partial_star_schema(schema: &SchemaName, found: u64) -> Error {
    ManifestError::PartialStarSchema {
        schema: schema.to_string(),
        found,
    }
    .into()
}

/// What the merge's transaction does besides merging.
pub(super) struct MergePlan {
    /// The target as the run found it; the merge goes on only if it is still so.
    pub found: Found,
    pub create_tables: bool,
    pub full: bool,
    /// What else the transaction does once the rows are merged (a sharded load's
    /// registry and shard tables).
    pub epilogue: String,
    /// `--allow-empty`: the merge may leave a table that had rows empty (`--full`).
    pub allow_empty: bool,
}

/// The merge, in one transaction with the manifest rows. Under the lock it checks that the
/// target is as the run found it and that no other run loaded the same objects meanwhile
/// (`None`, nothing written, if not); the quality gate runs on the merged tables before
/// the commit. Gives the merge's stage and, apart from it, the gate's.
pub(super) async fn commit(
    (target, checks): (&SchemaName, Option<&CheckFile>),
    database: &Database,
    client: &Client,
    merge: &MergeSql,
    plan: &MergePlan,
) -> Result<Option<Vec<Stage>>> {
    let merging = Instant::now();
    database.run(client, "begin the merge", "BEGIN").await?;
    let merged = async {
        let Some(before) = prepare(database, client, merge, plan).await? else {
            return Ok(None);
        };
        let expected = expected(database, client, merge).await?;
        merge_rows(database, client, merge, &plan.epilogue).await?;
        let after =
            after_change(database, client, merge, (target, plan.allow_empty), &before).await?;
        if (plan.full || plan.create_tables) && !plan.allow_empty {
            refuse_rebuilt_empty(target, &after)?;
        }
        let target = TableSet::plain(target.clone());
        let scope = Scope::PlaysAfter(expected.1);
        let checked = super::gate(
            checks,
            &[client],
            database,
            (&target, scope),
            Some(expected.0),
        )
        .await?;
        database.run(client, "commit the merge", "COMMIT").await?;
        // The gate ran inside the merge's transaction: its time is its own stage.
        let gate_time = checked.as_ref().map_or(0.0, |gate| gate.seconds);
        let mut merged = stage("merge", merging.elapsed());
        merged.seconds -= gate_time;
        Ok(Some([merged].into_iter().chain(checked).collect()))
    }
    .await;
    if !matches!(merged, Ok(Some(_))) {
        let _ = client.batch_execute("ROLLBACK").await;
    }
    merged
}

/// Inside the merge's transaction, under the schema's lock: checks that the target is as
/// the run found it and that no other run loaded the same objects meanwhile (`None` if
/// not), then prepares the tables. Gives which of the five tables held rows before.
async fn prepare(
    database: &Database,
    client: &Client,
    merge: &MergeSql,
    plan: &MergePlan,
) -> Result<Option<Vec<String>>> {
    database
        .run(client, "lock the target schema", &merge.lock())
        .await?;
    if Found::read(database, client, merge).await? != plan.found {
        return Ok(None);
    }
    let before = if plan.create_tables {
        Vec::new()
    } else {
        before_change(database, client, merge).await?
    };
    database
        .run(
            client,
            "prepare the merge",
            &merge.prologue(plan.create_tables, plan.full),
        )
        .await?;
    let meanwhile = database
        .text_rows(
            client,
            "check the manifest again",
            &merge.loaded_meanwhile(),
        )
        .await?;
    Ok(meanwhile.is_empty().then_some(before))
}

/// The merge's statements in turn, each timed (`-vv`), then what else the transaction
/// does (`epilogue`).
async fn merge_rows(
    database: &Database,
    client: &Client,
    merge: &MergeSql,
    epilogue: &str,
) -> Result<()> {
    for statement in merge.merge_statements() {
        let started = Instant::now();
        database
            .run(client, "merge the new rows", &statement)
            .await?;
        tracing::debug!(
            seconds = started.elapsed().as_secs_f64(),
            statement = statement
                .lines()
                .find(|l| !l.is_empty() && !l.starts_with("--"))
                .unwrap_or(""),
            "merged"
        );
    }
    if !epilogue.is_empty() {
        database.run(client, "finish the merge", epilogue).await?;
    }
    Ok(())
}

/// What the merged tables must hold, and the last songplay id before the merge.
async fn expected(
    database: &Database,
    client: &Client,
    merge: &MergeSql,
) -> Result<(RunCounts, u64)> {
    let rows = database
        .text_rows(client, "count what the merge must give", &merge.expected())
        .await?;
    let last = number_at(&rows, 2).ok_or(Error::UnexpectedRows {
        query: "count what the merge must give",
    })?;
    Ok((RunCounts::from_rows(&rows)?, last))
}
