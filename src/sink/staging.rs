//! Where a load builds its tables before readers see them, and the one transaction that
//! swaps them in, so readers see the old tables or the new ones, never a mix:
//! - PostgreSQL: a private staging schema, its tables moved in with `SET SCHEMA`; an
//!   advisory lock lets one load into a schema run at a time.
//! - Redshift, which can neither move a table between schemas nor take an advisory lock:
//!   the tables are built in the target schema under the load's own private names
//!   (`sparkify_load_<run>_<table>`), so loads never touch each other's, and renamed in
//!   after a `LOCK` on a small lock table, which makes concurrent swaps wait in turn.

use tokio_postgres::Client;

use super::literal::Literals;
use super::TableSet;
use crate::db::merge::MergeSql;
use crate::db::sql::redshift;
use crate::db::{render, Database, Dialect, DialectSql, SchemaName};
use crate::error::TargetError;

/// How a load's tables are kept apart until the swap.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Layout {
    /// PostgreSQL: the tables in a private schema, under their own names.
    Schema(SchemaName),
    /// Redshift: the tables in the target schema, each name prefixed.
    Prefixed(String),
}

impl Layout {
    /// The layout of a load into `target` in `dialect`; `run` names a Redshift load.
    pub fn of(dialect: Dialect, target: &SchemaName, run: &str) -> Layout {
        match dialect {
            Dialect::Postgres => Layout::Schema(target.staging()),
            Dialect::Redshift => Layout::Prefixed(format!("sparkify_load_{run}_")),
        }
    }

    /// Where the new tables are written.
    pub fn tables(&self, target: &SchemaName) -> TableSet {
        match self {
            Layout::Schema(staging) => TableSet::plain(staging.clone()),
            Layout::Prefixed(prefix) => TableSet {
                schema: target.clone(),
                prefix: prefix.clone(),
            },
        }
    }
}

/// What a load builds apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Contents {
    /// The five tables, whole, to be swapped in.
    StarSchema,
    /// An incremental run's work tables, to be merged in (`db::merge`).
    Work,
}

/// The scripts that prepare a load's empty tables: (step, SQL).
pub fn creation(
    sql: &'static DialectSql,
    target: &SchemaName,
    layout: &Layout,
    contents: Contents,
) -> Vec<(&'static str, String)> {
    let tables = layout.tables(target);
    let create = match contents {
        Contents::StarSchema => sql.create_tables_in(&tables.schema, &tables.prefix),
        Contents::Work => MergeSql::new(sql, target, &tables, "").work_tables(),
    };
    match layout {
        Layout::Schema(staging) => vec![
            (
                "create staging schema",
                render(sql.prepare_staging, &[("staging", &staging.quoted())]),
            ),
            ("create staging tables", create),
        ],
        Layout::Prefixed(_) => vec![
            (
                "create the schema and the lock table",
                render(redshift::PREPARE, &[("schema", &target.quoted())]),
            ),
            ("create the new tables", create),
        ],
    }
}

/// The statistics (and on PostgreSQL the keys) of a set of tables, as two scripts that may
/// run at once: the fact table's and the dimensions'.
pub fn keys(sql: &DialectSql, tables: &TableSet) -> [String; 2] {
    sql.add_keys.map(|script| {
        render(
            script,
            &[("schema", &tables.schema.quoted()), ("new", &tables.prefix)],
        )
    })
}

/// The transaction that replaces `target`'s tables with the new ones. The state of earlier
/// incremental runs describes the old tables, so it goes with them.
pub fn swap(sql: &DialectSql, target: &SchemaName, layout: &Layout) -> String {
    let (staging, new) = match layout {
        Layout::Schema(staging) => (staging.quoted(), String::new()),
        Layout::Prefixed(prefix) => (String::new(), prefix.clone()),
    };
    render(
        sql.swap,
        &[
            ("schema", &target.quoted()),
            ("staging", &staging),
            ("new", &new),
            ("state", &target.state().quoted()),
        ],
    )
}

/// What is dropped when a load fails: the staging schema, or the private tables.
pub fn cleanup(sql: &DialectSql, target: &SchemaName, layout: &Layout) -> String {
    match layout {
        Layout::Schema(staging) => render(sql.drop_staging, &[("staging", &staging.quoted())]),
        Layout::Prefixed(prefix) => render(
            redshift::DROP_STAGED,
            &[("schema", &target.quoted()), ("new", prefix)],
        ),
    }
}

/// One load's new tables, on the connection that holds the load's lock.
pub struct Staging<'c> {
    pub client: &'c Client,
    pub database: &'c Database,
    pub target: SchemaName,
    pub layout: Layout,
}

impl<'c> Staging<'c> {
    /// Takes the target schema's load lock where the dialect has one (waiting, with a
    /// message, while another load holds it), drops what killed loads left, then creates
    /// the empty tables.
    pub async fn create(
        client: &'c Client,
        database: &'c Database,
        target: &SchemaName,
        run: &str,
        contents: Contents,
    ) -> Result<Staging<'c>, TargetError> {
        lock(client, database, target).await?;
        let staging = Staging {
            client,
            database,
            target: target.clone(),
            layout: Layout::of(database.dialect(), target, run),
        };
        for (step, script) in creation(database.sql(), target, &staging.layout, contents) {
            if let Err(err) = database.run(client, step, &script).await {
                staging.abandon().await;
                return Err(err);
            }
        }
        if let Layout::Prefixed(_) = staging.layout {
            drop_leftovers(database, client, target).await;
        }
        tracing::info!(layout = ?staging.layout, "new tables created");
        Ok(staging)
    }

    /// Where the new tables are written.
    pub fn tables(&self) -> TableSet {
        self.layout.tables(&self.target)
    }

    /// The staging schema (PostgreSQL copy mode's raw tables live there too).
    pub fn schema(&self) -> SchemaName {
        self.tables().schema
    }

    /// A script with `{staging}` naming the staging schema.
    pub fn sql(&self, template: &str) -> String {
        render(template, &[("staging", &self.schema().quoted())])
    }

    /// Runs a script on the staging schema, on the load's own connection.
    pub async fn run(&self, step: &str, template: &str) -> Result<(), TargetError> {
        self.database
            .run(self.client, step, &self.sql(template))
            .await
    }

    /// Adds the keys and statistics once the rows are in, with a second connection.
    pub async fn add_keys(&self, second: &Client) -> Result<(), TargetError> {
        let [songplays, dimensions] = keys(self.database.sql(), &self.tables());
        futures::try_join!(
            self.database
                .run(self.client, "add keys to songplays", &songplays),
            self.database
                .run(second, "add keys to the dimensions", &dimensions)
        )?;
        Ok(())
    }

    /// Replaces the target's tables with the new ones, atomically.
    pub async fn swap(self) -> Result<(), TargetError> {
        let swap = swap(self.database.sql(), &self.target, &self.layout);
        if let Err(err) = self.client.batch_execute(&swap).await {
            let _ = self.client.batch_execute("ROLLBACK").await;
            let failed = self.database.error("swap in the new tables", err);
            self.abandon().await;
            return Err(failed);
        }
        tracing::info!(schema = %self.target, "new tables swapped in");
        Ok(())
    }

    /// Drops the new tables after a failure; the target's tables are untouched. What this
    /// cannot drop, the next load into the schema does. Statements a failed load had in
    /// flight on its other connections may still be running and holding the tables (an
    /// INSERT holding its table and waiting for its identity sequence, which the drop
    /// holds, is a deadlock the server ends by failing one side): the drop is tried again.
    pub async fn abandon(self) {
        let cleanup = cleanup(self.database.sql(), &self.target, &self.layout);
        let retries = (ABANDON_ATTEMPTS, std::time::Duration::from_millis(200));
        let dropped = self
            .database
            .run_retrying(self.client, "drop the new tables", &cleanup, retries)
            .await;
        if let Err(err) = dropped {
            tracing::warn!("the new tables of this load are left behind: {err}");
        }
    }
}

/// Times a failed load tries to drop its new tables.
const ABANDON_ATTEMPTS: u32 = 3;

/// The query that finds the private tables of Redshift loads into `target` begun over a
/// day ago.
pub fn leftovers(target: &SchemaName) -> String {
    render(
        redshift::LEFTOVERS,
        &[("schema_name", &Literals::REDSHIFT.quote(target.as_str()))],
    )
}

/// Drops what killed Redshift loads into `target` left behind. Best effort: a table it
/// cannot drop (another user's) is named in a warning and left; the load goes on.
pub async fn drop_leftovers(database: &Database, client: &Client, target: &SchemaName) {
    let step = "drop what killed loads left";
    let tables = match database.text_rows(client, step, &leftovers(target)).await {
        Ok(rows) => rows,
        Err(err) => {
            tracing::warn!("cannot look for what killed loads left: {err}");
            return;
        }
    };
    for table in tables
        .into_iter()
        .filter_map(|row| row.into_iter().next().flatten())
    {
        let drop = format!("DROP TABLE IF EXISTS {}.\"{table}\";", target.quoted());
        if let Err(err) = database.run(client, step, &drop).await {
            tracing::warn!("a killed load's table {table} is left: {err}");
        }
    }
}

/// Takes the target schema's load lock where the dialect has one (a PostgreSQL session-level
/// advisory lock, kept until the connection ends), waiting with a message while another
/// load or merge holds it.
pub async fn lock(
    client: &Client,
    database: &Database,
    target: &SchemaName,
) -> Result<(), TargetError> {
    let Some((try_lock, wait_lock)) = database.sql().lock else {
        return Ok(());
    };
    let step = "lock the target schema";
    let acquired: bool = client
        .query_one(try_lock, &[&target.as_str()])
        .await
        .map_err(|e| database.error(step, e))?
        .get(0);
    if !acquired {
        tracing::warn!("waiting for another load into schema {target} to finish");
        client
            .query_one(wait_lock, &[&target.as_str()])
            .await
            .map_err(|e| database.error(step, e))?;
    }
    Ok(())
}
