//! A rebuild, for both dialects and every route that builds new tables and moves them in
//! (client mode through any sink, copy mode on PostgreSQL, the classic COPY plan on
//! Redshift): one plan of typed steps ([`plan`]), run here step by step ([`run`]), or
//! printed by the dry run (`load::dry_run`) from the same plan.

use std::time::Instant;

use super::client::{self, Trees};
use super::manifest::objects_read;
use super::move_in;
use super::redshift;
use super::rejects::Rejects;
use super::step::Step;
use super::{copy, open_trees, Loaded};
use crate::check::{RunCounts, Scope};
use crate::config::{Fill, LoadConfig, RedshiftCopySources};
use crate::db::merge::MergeSql;
use crate::db::{run_prefix, Database, DialectSql, TableSet};
use crate::error::{Result, TargetError};
use crate::report::Stage;
use crate::sink::insert::InsertSink;
use crate::sink::private::{self, Contents, PrivateTables};
use crate::sink::s3_copy::S3CopySink;
use crate::sink::RowSink;

/// What fills a rebuild's private tables.
#[derive(Clone, Copy)]
pub(super) enum Builder<'a> {
    /// Read here (`Step::Fill`), then the objects read listed for the manifest.
    Fill(&'a Fill),
    /// The cluster's COPY of whole prefixes, then the rules in SQL.
    RedshiftCopy(&'a RedshiftCopySources),
}

/// The load's private tables, in the target schema under the run's names.
pub(super) fn private_tables(config: &LoadConfig) -> TableSet {
    TableSet {
        schema: config.schema.clone(),
        prefix: run_prefix(&config.run_id),
    }
}

/// Every step of a rebuild, in order, with its statement: empty where the step's work is
/// not one statement (the fill, the objects read, the gate: their SQL is known once the
/// fill has run).
pub(super) fn plan(
    config: &LoadConfig,
    builder: Builder<'_>,
    sql: &'static DialectSql,
) -> Vec<(Step, String)> {
    let tables = private_tables(config);
    let mut plan = vec![(Step::DropLeftovers, private::leftovers(sql, &config.schema))];
    plan.extend(
        private::creation(sql, &tables, Contents::StarSchema)
            .into_iter()
            .map(|(label, script)| (Step::Run(label), script)),
    );
    let objects_known = match builder {
        Builder::Fill(_) => {
            plan.push((Step::Fill, String::new()));
            plan.push((Step::RecordObjects, String::new()));
            true
        }
        // COPY reads whole prefixes, so the objects it read are not known: the move-in
        // drops the manifest rather than write one that would mislead an incremental run.
        Builder::RedshiftCopy(sources) => {
            plan.extend(redshift::copy_steps(config, sources, &tables));
            false
        }
    };
    let merge = MergeSql::new(sql, &config.schema, &tables, &config.run_id);
    plan.extend(move_in::steps(&merge, objects_known, config.gate.is_some()));
    plan.push((Step::DropPrivateTables, private::cleanup(sql, &tables)));
    plan
}

/// Runs a rebuild's plan, all or nothing: on a failure the move-in's transaction is rolled
/// back, the private tables dropped and the rejects written; the five tables stand.
pub(super) async fn run(
    config: &LoadConfig,
    builder: Builder<'_>,
    database: &Database,
    rejects: &mut Rejects,
) -> Result<Loaded> {
    let client = database.connect().await?;
    let run = (&config.schema, config.run_id.as_str());
    let private = PrivateTables::open(&client, database, run).await?;
    let mut runner = Runner {
        config,
        builder,
        private: &private,
        rejects,
        loaded: Loaded::unread(config),
        create_star_tables: false,
        held: Vec::new(),
    };
    let mut failure = None;
    for (step, script) in plan(config, builder, database.sql()) {
        let began = Instant::now();
        tracing::info!(step = step.label(), "running");
        if let Err(err) = runner.step(step, &script).await {
            failure = Some(err);
            break;
        }
        if step != Step::Fill {
            add_stage(&mut runner.loaded.stages, step.stage(), began.elapsed());
        }
    }
    let Runner {
        mut loaded,
        rejects,
        ..
    } = runner;
    if let Some(err) = failure {
        tracing::info!("load failed; dropping the new tables, the old ones stand");
        // A failed statement inside the move-in's transaction leaves it aborted: end it
        // before anything else (outside one, ROLLBACK only warns).
        let _ = client.batch_execute("ROLLBACK").await;
        private.abandon().await;
        return rejects.settle(Err(err));
    }
    if let Builder::RedshiftCopy(_) = builder {
        // The cluster counted nothing for us; a count that fails now is a gap in the
        // report, not a failed load: the rows are in.
        loaded.tables = super::merge::counted_after_commit(database, &client, &config.schema).await;
    }
    Ok(loaded)
}

/// A rebuild in progress: what its steps learn and hand on.
struct Runner<'r> {
    config: &'r LoadConfig,
    builder: Builder<'r>,
    private: &'r PrivateTables<'r>,
    rejects: &'r mut Rejects,
    loaded: Loaded,
    /// The schema has none of the five tables: the move-in creates them.
    create_star_tables: bool,
    /// The five tables that held rows before the move.
    held: Vec<String>,
}

impl Runner<'_> {
    async fn step(&mut self, step: Step, script: &str) -> Result<()> {
        let (database, client) = (self.private.database, self.private.client);
        let label = step.label();
        let target = (&self.config.schema, self.config.allow_empty);
        match step {
            Step::DropLeftovers => {
                private::drop_leftovers(database, client, &self.config.schema).await;
            }
            // Boxed: the pipeline's future, generic over its sink, is deep, and the load's
            // future would hold it inline.
            Step::Fill => Box::pin(self.fill()).await?,
            Step::RecordObjects => self.record_objects().await?,
            Step::CopySongs | Step::CopyEvents => {
                redshift::copy((client, database), (label, script), self.rejects).await?;
            }
            Step::ReadSongRejects | Step::ReadEventRejects | Step::ReadRefused => {
                redshift::read_bad_records((client, database), (label, script), self.rejects)
                    .await?;
            }
            Step::CountPlays => {
                let counted = database.text_rows(client, label, script).await?;
                self.loaded.run = Some(RunCounts::from_rows(&counted)?);
            }
            // Nothing is moved in unless the rejects are written.
            Step::Begin => {
                self.rejects.settle(Ok(()))?;
                database.run(client, label, script).await?;
            }
            Step::LookForForeignKeys => {
                move_in::refuse_foreign_keys(database, client, script).await?
            }
            Step::LookAtTables => {
                let found = database.text_rows(client, label, script).await?;
                self.create_star_tables = move_in::create_star_tables(&found, target.0)?;
            }
            Step::CreateStarTables if !self.create_star_tables => {}
            Step::LookBefore => self.held = move_in::nonempty(database, client, script).await?,
            Step::LookAfter => {
                let after = move_in::nonempty(database, client, script).await?;
                move_in::refuse_emptied(target, &self.held, &after)?;
            }
            Step::Checks => {
                let tables = TableSet::plain(self.config.schema.clone());
                let (gate, run) = (self.config.gate(), self.loaded.run);
                super::gate(gate, &[client], database, (&tables, Scope::Whole), run).await?;
            }
            Step::DropPrivateTables => self.private.abandon().await,
            Step::Run(_) | Step::CreateStarTables | Step::MoveIn | Step::Commit => {
                database.run(client, label, script).await?;
            }
        }
        Ok(())
    }

    /// Lists the objects the fill read, for the manifest the move-in writes.
    async fn record_objects(&self) -> Result<()> {
        let loaded = &self.loaded;
        let objects = objects_read(
            (&loaded.songs.listed, &loaded.songs),
            (&loaded.logs.listed, &loaded.logs),
        );
        let tables = (self.private.database, self.private.tables());
        let sink = insert_sink(self.config, tables, vec![self.private.client]).await?;
        client::write_all(sink.table(0), objects).await?;
        Ok(())
    }

    /// Fills the private tables from the trees, as the route says; refuses trees that gave
    /// nothing (unless `--allow-empty`).
    async fn fill(&mut self) -> Result<()> {
        let Builder::Fill(fill) = self.builder else {
            return Ok(());
        };
        let config = self.config;
        let (songs, logs) = open_trees(config).await;
        let trees = Trees::all(&songs, &logs);
        let mut filled = match fill {
            Fill::Inserts => {
                let database = self.private.database;
                let clients = futures::future::try_join_all(
                    (0..config.insert.connections).map(|_| database.connect()),
                )
                .await?;
                let tables = (database, self.private.tables());
                let sink = insert_sink(config, tables, clients.iter().collect()).await?;
                client::fill(config, &sink, &trees, self.rejects).await?
            }
            Fill::S3Copy(copy) => {
                let sink =
                    S3CopySink::connect(copy, self.private, &config.run_id, &config.s3).await?;
                client::fill(config, &sink, &trees, self.rejects).await?
            }
            Fill::RawCopy => copy::fill(config, self.private, &trees, self.rejects).await?,
        };
        if !config.allow_empty {
            move_in::refuse_empty_trees(&filled)?;
        }
        filled
            .stages
            .splice(0..0, std::mem::take(&mut self.loaded.stages));
        self.loaded = filled;
        Ok(())
    }
}

/// INSERTs into `tables` over `clients`, as the load asks.
pub(super) async fn insert_sink<'c>(
    config: &LoadConfig,
    (database, tables): (&'c Database, TableSet),
    clients: Vec<&'c tokio_postgres::Client>,
) -> Result<InsertSink<'c>, TargetError> {
    let insert = (config.insert.method, config.insert.statements_in_flight);
    InsertSink::new(database, tables, insert, clients).await
}

/// Adds `elapsed` to the stage `name`, which is added if new.
fn add_stage(stages: &mut Vec<Stage>, name: &'static str, elapsed: std::time::Duration) {
    match stages.iter_mut().find(|stage| stage.name == name) {
        Some(stage) => stage.seconds += elapsed.as_secs_f64(),
        None => stages.push(crate::report::stage(name, elapsed)),
    }
}
