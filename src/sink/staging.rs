//! The load's private staging schema: created fresh, filled, keyed, then swapped into
//! the target schema in one transaction, so readers see the old tables or the new ones.

use tokio_postgres::Client;

use crate::db::{render, Database, DialectSql, SchemaName};
use crate::error::TargetError;

/// The staging schema of one load into `target`, on the connection that holds the
/// load's lock.
pub struct Staging<'c> {
    pub client: &'c Client,
    pub database: &'c Database,
    pub target: SchemaName,
    pub schema: SchemaName,
}

impl<'c> Staging<'c> {
    /// Takes the target schema's load lock (waiting, with a message, while another load
    /// holds it), then creates a fresh staging schema with empty tables.
    pub async fn create(
        client: &'c Client,
        database: &'c Database,
        target: &SchemaName,
    ) -> Result<Staging<'c>, TargetError> {
        lock(client, database, target).await?;
        let staging = Staging {
            client,
            database,
            target: target.clone(),
            schema: target.staging(),
        };
        for (step, script) in creation(database.sql(), &staging.schema) {
            database.run(client, step, &script).await?;
        }
        tracing::info!(staging = %staging.schema, "staging schema created");
        Ok(staging)
    }

    /// A script with `{staging}` naming the staging schema.
    pub fn sql(&self, template: &str) -> String {
        render(template, &[("staging", &self.schema.quoted())])
    }

    /// Runs a script on the staging schema, on the load's own connection.
    pub async fn run(&self, step: &str, template: &str) -> Result<(), TargetError> {
        self.database
            .run(self.client, step, &self.sql(template))
            .await
    }

    /// Adds the keys once the rows are in, with the help of a second connection.
    pub async fn add_keys(&self, second: &Client) -> Result<(), TargetError> {
        self.database
            .add_keys([self.client, second], &self.schema)
            .await
    }

    /// Replaces the target's tables with the staged ones, atomically.
    pub async fn swap(self) -> Result<(), TargetError> {
        let swap = swap(self.database.sql(), &self.target, &self.schema);
        if let Err(err) = self.client.batch_execute(&swap).await {
            let _ = self.client.batch_execute("ROLLBACK").await;
            return Err(self.database.error("swap in the new tables", err));
        }
        tracing::info!(schema = %self.target, "new tables swapped in");
        Ok(())
    }

    /// Drops the staging schema after a failure; the target's tables are untouched. A
    /// staging schema this cannot drop is dropped by the next load into the schema.
    pub async fn abandon(self) {
        let dropped = self
            .run("drop staging schema", self.database.sql().drop_staging)
            .await;
        if let Err(err) = dropped {
            tracing::warn!("the staging schema {} is left behind: {err}", self.schema);
        }
    }
}

/// The scripts that create a fresh staging schema with the empty tables: (step, SQL).
pub fn creation(sql: &DialectSql, staging: &SchemaName) -> [(&'static str, String); 2] {
    [
        (
            "create staging schema",
            render(sql.prepare_staging, &[("staging", &staging.quoted())]),
        ),
        ("create staging tables", sql.create_tables_in(staging)),
    ]
}

/// The transaction that replaces `target`'s tables with the staged ones.
pub fn swap(sql: &DialectSql, target: &SchemaName, staging: &SchemaName) -> String {
    render(
        sql.swap,
        &[
            ("create_tables", &sql.create_tables_in(target)),
            ("schema", &target.quoted()),
            ("staging", &staging.quoted()),
        ],
    )
}

async fn lock(
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
