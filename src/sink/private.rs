//! Where a load builds its tables before readers see them. Every load, in both dialects,
//! builds in the target schema under its own private names (`sparkify_load_run_<run>_…`,
//! docs/SECURITY.md), so it needs no privilege beyond `USAGE` and `CREATE` on that schema,
//! and loads never touch each other's tables. The five tables themselves are never
//! dropped or replaced: a rebuild moves its rows into them (`move_in`), so their grants,
//! owner, comments and dependent views stay (docs/RELIABILITY.md). Loads into one schema
//! take turns: a PostgreSQL advisory lock for the whole load, Redshift's `LOCK` of a small
//! table for the transaction that changes the five tables.

use tokio_postgres::Client;

use crate::db::cancel::interrupted_by;
use crate::db::literal::Literals;
use crate::db::merge::MergeSql;
use crate::db::sql::{private as private_sql, redshift};
use crate::db::{render, run_prefix, Database, Dialect, DialectSql, SchemaName, TableSet};
use crate::error::{Error, TargetError};
use crate::secret::Secret;

/// What a load builds apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Contents {
    /// The five tables, whole, to be moved in, and the objects they were read from.
    StarSchema,
    /// An incremental run's work tables, to be merged in (`db::merge`).
    Work,
}

/// The scripts that prepare a load's empty tables in `tables`: (step, SQL).
pub fn creation(
    sql: &'static DialectSql,
    tables: &TableSet,
    contents: Contents,
) -> Vec<(&'static str, String)> {
    let create = match contents {
        Contents::StarSchema => {
            sql.create_tables_in(&tables.schema, &tables.prefix) + &new_objects(sql, tables)
        }
        Contents::Work => MergeSql::new(sql, &tables.schema, tables, "").work_tables(),
    };
    let mut steps = Vec::new();
    if sql.lock.is_none() {
        steps.push((
            "create the lock table",
            render(redshift::PREPARE, &[("schema", &tables.schema.quoted())]),
        ));
    }
    steps.push(("create the new tables", create));
    steps
}

/// The table a rebuild lists the objects it read in, for the manifest.
fn new_objects(sql: &DialectSql, tables: &TableSet) -> String {
    render(
        private_sql::NEW_OBJECTS,
        &[("work", &tables.qualifier()), ("text", sql.text_type)],
    )
}

/// The keys and statistics of a set of tables, as two scripts that may run at once: the
/// fact table's and the dimensions'.
pub fn keys(sql: &DialectSql, tables: &TableSet) -> [String; 2] {
    sql.add_keys.map(|script| {
        render(
            script,
            &[("schema", &tables.schema.quoted()), ("new", &tables.prefix)],
        )
    })
}

/// What is dropped when a load ends or fails: every private table (and on PostgreSQL,
/// copy mode's functions) a route can create under the load's prefix.
pub fn cleanup(sql: &DialectSql, tables: &TableSet) -> String {
    let names = [("private", tables.qualifier())];
    let names = names.each_ref().map(|(k, v)| (*k, v.as_str()));
    render(private_sql::DROP_RUN, &names) + &render(sql.drop_functions, &names)
}

/// The query that gives the statements that drop the leftovers of killed loads into
/// `target`: on PostgreSQL, under the schema's load lock, every load's private tables (no
/// other load is running); on Redshift, those of loads begun over a day ago (others may be
/// running now).
pub fn leftovers(sql: &DialectSql, target: &SchemaName) -> String {
    render(
        sql.leftovers,
        &[("schema_name", &Literals::REDSHIFT.quote(target.as_str()))],
    )
}

/// One load's new tables, on the connection that holds the load's lock.
pub struct PrivateTables<'c> {
    pub client: &'c Client,
    pub database: &'c Database,
    pub tables: TableSet,
}

impl<'c> PrivateTables<'c> {
    /// The private tables of run `run` in `target`, not created yet: makes sure the
    /// schema exists and takes its load lock where the dialect has one (waiting, with a
    /// message, while another load holds it).
    pub async fn open(
        client: &'c Client,
        database: &'c Database,
        (target, run): (&SchemaName, &str),
    ) -> Result<PrivateTables<'c>, TargetError> {
        ensure_schema(database, client, target).await?;
        lock(client, database, target).await?;
        Ok(PrivateTables {
            client,
            database,
            tables: TableSet {
                schema: target.clone(),
                prefix: run_prefix(run),
            },
        })
    }

    /// [`PrivateTables::open`], then drops what killed loads left and creates the empty
    /// tables.
    pub async fn create(
        client: &'c Client,
        database: &'c Database,
        (target, run, contents): (&SchemaName, &str, Contents),
    ) -> Result<PrivateTables<'c>, TargetError> {
        let private = PrivateTables::open(client, database, (target, run)).await?;
        drop_leftovers(database, client, target).await;
        for (step, script) in creation(database.sql(), &private.tables, contents) {
            if let Err(err) = database.run(client, step, &script).await {
                private.abandon().await;
                return Err(err);
            }
        }
        tracing::info!(tables = %private.tables.qualifier(), "new tables created");
        Ok(private)
    }

    /// Where the new tables are written.
    pub fn tables(&self) -> TableSet {
        self.tables.clone()
    }

    /// A script with `{private}` naming the new tables' schema and prefix.
    pub fn sql(&self, template: &str) -> String {
        render(template, &[("private", &self.tables.qualifier())])
    }

    /// Runs a script on the new tables, on the load's own connection.
    pub async fn run(&self, step: &str, template: &str) -> Result<(), TargetError> {
        self.database
            .run(self.client, step, &self.sql(template))
            .await
    }

    /// Drops the new tables, after a failure or once their rows are in; the five tables
    /// are untouched. What this cannot drop, the next load into the schema does.
    /// Statements a failed load had in flight on its other connections may still be
    /// running and holding the tables (an INSERT holding its table and waiting for its
    /// identity sequence, which the drop holds, is a deadlock the server ends by failing
    /// one side): the drop is tried again.
    pub async fn abandon(&self) {
        let cleanup = cleanup(self.database.sql(), &self.tables);
        let retries = (ABANDON_ATTEMPTS, std::time::Duration::from_millis(200));
        // After a signal the load's own connections are being cancelled: the drop goes on
        // a new one, which is not.
        let fresh = match interrupted_by() {
            Some(_) => self.database.connect().await.ok(),
            None => None,
        };
        let client = fresh.as_ref().unwrap_or(self.client);
        let dropped = self
            .database
            .run_retrying(client, "drop the new tables", &cleanup, retries)
            .await;
        if let Err(err) = dropped {
            tracing::warn!("the new tables of this load are left behind: {err}");
        }
    }
}

/// Times a failed load tries to drop its new tables.
const ABANDON_ATTEMPTS: u32 = 3;

/// Creates the target schema only when it does not exist: `CREATE SCHEMA IF NOT EXISTS`
/// needs the database's `CREATE` privilege even when the schema exists, on PostgreSQL
/// (which checks the privilege first) and on Redshift (docs/REDSHIFT.md, rule 18), and a
/// loader that owns nothing but its schema has no such privilege.
pub async fn ensure_schema(
    database: &Database,
    client: &Client,
    schema: &SchemaName,
) -> Result<(), TargetError> {
    let exists = render(
        private_sql::SCHEMA_EXISTS,
        &[("schema_name", &Literals::REDSHIFT.quote(schema.as_str()))],
    );
    let look = async || -> Result<bool, TargetError> {
        let rows = database
            .text_rows(client, "look for the target schema", &exists)
            .await?;
        Ok(crate::db::number_at(&rows, 0) == Some(1))
    };
    if look().await? {
        return Ok(());
    }
    let create = format!("CREATE SCHEMA {};", schema.quoted());
    let step = format!(
        "schema {schema} does not exist, and creating it failed (a role without CREATE on the \
         database needs an administrator to run CREATE SCHEMA {schema}; GRANT USAGE, CREATE \
         ON SCHEMA {schema} TO the loader: docs/SECURITY.md)"
    );
    match database.run(client, &step, &create).await {
        // Another load made it meanwhile.
        Err(_) if look().await? => Ok(()),
        done => done,
    }
}

/// Drops what killed loads into `target` left behind. Best effort: what it cannot drop
/// (another user's) is named in a warning and left; the load goes on.
pub async fn drop_leftovers(database: &Database, client: &Client, target: &SchemaName) {
    let step = "drop what killed loads left";
    let query = leftovers(database.sql(), target);
    let drops = match database.first_column(client, step, &query).await {
        Ok(drops) => drops,
        Err(err) => {
            tracing::warn!("cannot look for what killed loads left: {err}");
            return;
        }
    };
    for drop in drops {
        if let Err(err) = database.run(client, step, &drop).await {
            tracing::warn!("a killed load's leftover is kept ({drop}): {err}");
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

/// Creates the five empty tables in `schema` (replacing any there), as the classic
/// `create_tables` step does.
pub async fn create_tables(
    url: &Secret<String>,
    dialect: Dialect,
    schema: &SchemaName,
) -> Result<(), Error> {
    let database = Database::new(url, dialect)?;
    let client = database.connect().await?;
    ensure_schema(&database, &client, schema).await?;
    let script = database.sql().star_schema_script(schema);
    database.run(&client, "create tables", &script).await?;
    Ok(())
}
