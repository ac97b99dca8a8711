//! Copy mode on Redshift, the classic pipeline: a plan of statements — `COPY … FROM
//! 's3://…'` into staging tables, the star-schema rules in SQL (`sql/redshift/copy/`),
//! the move of the new rows into the five tables — that the cluster runs itself, or that
//! `--dry-run` prints.

use std::time::Instant;

use super::incremental;
use super::move_in;
use super::rejects::Rejects;
use super::step::Step;
use super::Loaded;
use crate::check::{self, CheckFile, RunCounts, Scope};
use crate::config::{LoadConfig, RedshiftCopySources};
use crate::db::literal::Literals;
use crate::db::merge::MergeSql;
use crate::db::sql::{redshift_copy, REDSHIFT};
use crate::db::TableSet;
use crate::db::{number_at, render, run_prefix, Database, SchemaName};
use crate::error::{Error, Result};
use crate::parse::BadRecord;
use crate::report::{stage, SourceSummary, TableCounts};
use crate::sink::staging::{self, Contents, Staging};
use crate::source::SourceUri;

/// COPY's largest MAXERROR.
const MAX_COPY_ERRORS: u64 = 100_000;

/// A Redshift copy-mode load: its checked sources and the load's schema and limits.
pub(super) struct RedshiftCopy<'a> {
    target: &'a SchemaName,
    /// The load's private tables, in the target schema.
    tables: TableSet,
    run_id: &'a str,
    sources: &'a RedshiftCopySources,
    max_errors: u64,
    /// The quality gate's user checks; `None` with `--no-checks`.
    gate: Option<&'a CheckFile>,
}

/// Copy mode into Redshift: every statement the cluster runs, in order, each with what it
/// does; `None` for any other load.
pub fn redshift_copy_plan(config: &LoadConfig) -> Option<Vec<(&'static str, String)>> {
    let plan = RedshiftCopy::of(config)?.plan();
    Some(
        plan.into_iter()
            .map(|(step, sql)| (step.label(), sql))
            .collect(),
    )
}

impl<'a> RedshiftCopy<'a> {
    pub(super) fn of(config: &'a LoadConfig) -> Option<RedshiftCopy<'a>> {
        let request = &config.request;
        Some(RedshiftCopy {
            target: &request.schema,
            tables: TableSet {
                schema: request.schema.clone(),
                prefix: run_prefix(&config.run_id),
            },
            run_id: &config.run_id,
            sources: config.redshift_copy.as_ref()?,
            max_errors: request.max_errors,
            gate: config.gate(),
        })
    }

    /// Every statement of the load, in order, each with what it does.
    fn plan(&self) -> Vec<(Step, String)> {
        let tables = &self.tables;
        let (schema, new) = (tables.schema.quoted(), tables.prefix.clone());
        // COPY fails once it meets MAXERROR errors or more, where --max-errors N skips up
        // to N: N + 1, within COPY's cap.
        let max_errors = (self.max_errors + 1).min(MAX_COPY_ERRORS).to_string();
        let on_tables = |template: &str| {
            render(
                template,
                &[
                    ("schema", &schema),
                    ("new", &new),
                    (
                        "song_data",
                        &Literals::REDSHIFT.quote(&self.sources.song_data),
                    ),
                    (
                        "log_data",
                        &Literals::REDSHIFT.quote(&self.sources.log_data),
                    ),
                    (
                        "iam_role",
                        &Literals::REDSHIFT.quote(&self.sources.iam_role_arn),
                    ),
                    ("region", &Literals::REDSHIFT.quote(&self.sources.region)),
                    (
                        "log_jsonpath",
                        &Literals::REDSHIFT.quote(&self.sources.log_jsonpath),
                    ),
                    ("max_errors", &max_errors),
                ],
            )
        };
        let leftovers = staging::leftovers(&REDSHIFT, self.target);
        let mut plan = vec![(Step::DropLeftovers, leftovers)];
        plan.extend(
            staging::creation(&REDSHIFT, tables, Contents::StarSchema)
                .into_iter()
                .map(|(label, sql)| (Step::Run(label), sql)),
        );
        plan.extend([
            (
                Step::Run("create the COPY staging tables"),
                on_tables(redshift_copy::PREPARE),
            ),
            (Step::CopySongs, on_tables(redshift_copy::COPY_SONGS)),
            (
                Step::ReadSongRejects,
                redshift_copy::LOAD_ERRORS.to_string(),
            ),
            (Step::CopyEvents, on_tables(redshift_copy::COPY_EVENTS)),
            (
                Step::ReadEventRejects,
                redshift_copy::LOAD_ERRORS.to_string(),
            ),
            (Step::ReadRefused, on_tables(redshift_copy::REFUSED)),
            (
                Step::Run("leave the refused events out"),
                on_tables(redshift_copy::LEAVE_OUT_REFUSED),
            ),
            (Step::CountPlays, on_tables(redshift_copy::PLAYS)),
            (
                Step::Run("transform in SQL"),
                on_tables(redshift_copy::TRANSFORM),
            ),
        ]);
        let gate = self.gate.map(|file| {
            // As printed: the reconciling counts are known only once COPY has run.
            let target = TableSet::plain(self.target.clone());
            let checks = check::all(&REDSHIFT, &target, Scope::Whole, None, file);
            (Step::Checks, check::printed(&checks))
        });
        let merge = MergeSql::new(&REDSHIFT, self.target, tables, self.run_id);
        // COPY reads whole prefixes, so the objects it read are not known: the move-in
        // drops the manifest rather than write one that would mislead an incremental run.
        plan.extend(move_in::printed(&merge, false, gate));
        plan.push((Step::DropCopyStaging, staging::cleanup(&REDSHIFT, tables)));
        plan
    }
}

/// The plays the run read and their users, from the COPY staging table.
async fn count_plays(
    client: &tokio_postgres::Client,
    database: &Database,
    sql: &str,
) -> Result<RunCounts> {
    let rows = database
        .text_rows(client, Step::CountPlays.label(), sql)
        .await?;
    RunCounts::from_rows(&rows)
}

/// Runs the plan on the cluster: built apart, then moved in.
pub(super) async fn load(
    plan: &RedshiftCopy<'_>,
    config: &LoadConfig,
    database: &Database,
    rejects: &mut Rejects,
) -> Result<Loaded> {
    let request = &config.request;
    let client = database.connect().await?;
    staging::ensure_schema(database, &client, plan.target).await?;
    let mut stages = Vec::new();
    let mut failure = None;
    let mut run = None;
    let mut held_rows = Vec::new();
    for (step, sql) in &plan.plan() {
        let began = Instant::now();
        let (kind, step) = (*step, step.label());
        tracing::info!(step, "running");
        let done = match kind {
            Step::DropLeftovers => {
                staging::drop_leftovers(database, &client, plan.target).await;
                Ok(())
            }
            Step::ReadSongRejects | Step::ReadEventRejects | Step::ReadRefused => {
                read_bad_records(&client, database, step, sql, rejects).await
            }
            Step::CopySongs | Step::CopyEvents => copy(&client, database, step, sql, rejects).await,
            Step::CountPlays => count_plays(&client, database, sql).await.map(|counted| {
                run = Some(counted);
            }),
            Step::LookAtTables => match database.text_rows(&client, step, sql).await {
                Ok(rows) => match number_at(&rows, 0).unwrap_or(0) {
                    0 | 5 => Ok(()),
                    found => Err(incremental::partial_star_schema(plan.target, found)),
                },
                Err(err) => Err(err.into()),
            },
            Step::LookBefore => database
                .text_rows(&client, step, sql)
                .await
                .map(|rows| held_rows = move_in::table_names(rows))
                .map_err(Error::from),
            Step::LookAfter => match database.text_rows(&client, step, sql).await {
                Ok(rows) => move_in::refuse_emptied(
                    (plan.target, request.allow_empty),
                    &held_rows,
                    &move_in::table_names(rows),
                ),
                Err(err) => Err(err.into()),
            },
            Step::Checks => {
                let tables = TableSet::plain(plan.target.clone());
                super::gate(
                    config.gate(),
                    &[&client],
                    database,
                    (&tables, Scope::Whole),
                    run,
                )
                .await
                .map(drop)
            }
            Step::DropCopyStaging => {
                if let Err(err) = database.run(&client, step, sql).await {
                    tracing::warn!("the load's COPY staging tables are left: {err}");
                }
                Ok(())
            }
            // Nothing is moved in unless the rejects are written.
            Step::Begin => match rejects.write(request.reject_file.as_deref()) {
                Ok(()) => database.run(&client, step, sql).await.map_err(Error::from),
                Err(err) => Err(err),
            },
            Step::Run(_) => database.run(&client, step, sql).await.map_err(Error::from),
        };
        if let Err(err) = done {
            failure = Some(err);
            break;
        }
        stages.push(stage(step, began.elapsed()));
    }
    if let Some(err) = failure {
        // A failed statement inside the move-in's transaction leaves it aborted: end it
        // before anything else (outside one, ROLLBACK only warns).
        let _ = client.batch_execute("ROLLBACK").await;
        let private = Staging {
            client: &client,
            database,
            tables: plan.tables.clone(),
        };
        private.abandon().await;
        let _ = rejects.write(request.reject_file.as_deref());
        return Err(err);
    }
    // The new tables are in: a count that fails is a gap in the report, not a failed load.
    let tables = database
        .count_rows(&client, plan.target)
        .await
        .unwrap_or_else(|err| {
            tracing::warn!("cannot count the loaded rows: {err}");
            TableCounts::default()
        });
    let summary = |uri: &SourceUri| SourceSummary {
        uri: uri.to_string(),
        ..Default::default()
    };
    Ok(Loaded {
        tables,
        songs: summary(&request.song_data),
        logs: summary(&request.log_data),
        stages,
        run,
    })
}

/// Runs a COPY. One that fails past MAXERROR fails as a whole: then the error says which
/// records it refused. `pg_last_copy_id()` moves only once a COPY begins loading; when it
/// has not moved, the COPY failed before (credentials, access, syntax) and its own error
/// is the one to report.
async fn copy(
    client: &tokio_postgres::Client,
    database: &Database,
    step: &str,
    sql: &str,
    rejects: &mut Rejects,
) -> Result<()> {
    let last_copy = |client| {
        database.text_rows(
            client,
            "read pg_last_copy_id()",
            redshift_copy::LAST_COPY_ID,
        )
    };
    let before = last_copy(client).await?;
    let Err(failed) = database.run(client, step, sql).await else {
        return Ok(());
    };
    if last_copy(client).await.ok().as_ref() == Some(&before) {
        return Err(failed.into());
    }
    // The refused records join the load's others: past --max-errors, they are the error.
    match read_bad_records(client, database, step, redshift_copy::LOAD_ERRORS, rejects).await {
        Err(bad @ Error::BadInput { .. }) => Err(bad),
        _ => Err(failed.into()),
    }
}

/// Reads bad records, one a row of (object, line, reason, raw text), into the rejects:
/// what `STL_LOAD_ERRORS` says the session's last COPY rejected (filtered on that COPY's
/// own query id, `pg_last_copy_id()`, never on the session's pid, which a later session
/// may be given again), or what the contract refuses among the staged rows.
async fn read_bad_records(
    client: &tokio_postgres::Client,
    database: &Database,
    step: &str,
    sql: &str,
    rejects: &mut Rejects,
) -> Result<()> {
    let rows = database.text_rows(client, step, sql).await?;
    let bad = rows
        .into_iter()
        .map(|row| {
            let mut values = row.into_iter().map(Option::unwrap_or_default);
            let mut next = || values.next().unwrap_or_default();
            BadRecord {
                key: next(),
                line: next().parse().unwrap_or(0),
                reason: next(),
                raw: next(),
            }
        })
        .collect();
    rejects.add(bad)
}
