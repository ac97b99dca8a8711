//! The database layer: how a target is named and reached (TLS included), the SQL of each
//! dialect, and the few scripts every route runs (keys, row counts). Loads, `parity`,
//! `report` and `bench` all go through it.

pub mod cancel;
pub mod conninfo;
pub mod literal;
pub mod merge;
mod schema;
pub mod shard;
pub mod sql;
pub mod tls;

use tokio_postgres::{Client, SimpleQueryMessage};
use tokio_postgres_rustls::MakeRustlsConnect;

pub use schema::{
    run_prefix, shard_prefix, SchemaName, TableSet, MAX_SCHEMA_LEN, RESERVED,
    SHARD_REGISTRY_PREFIX, STATE_PREFIX,
};
pub use sql::{render, DialectSql};

use crate::error::{Error, TargetError};
use crate::parse::Bounds;
use crate::report::TableCounts;
use crate::secret::Secret;

/// The SQL dialect of a target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Dialect {
    #[default]
    Postgres,
    Redshift,
}

impl Dialect {
    /// The dialect as `--dialect` names it.
    pub fn name(self) -> &'static str {
        match self {
            Dialect::Postgres => "postgres",
            Dialect::Redshift => "redshift",
        }
    }

    /// What the target holds: on Redshift at most 65,535 bytes of text (its widest
    /// VARCHAR, which counts bytes; the DDL gives every text column that width) and no
    /// subnormal double; PostgreSQL's text is unbounded and its double precision takes
    /// subnormals (docs/SPEC-DECISIONS.md).
    pub fn bounds(self) -> Bounds {
        match self {
            Dialect::Postgres => Bounds::default(),
            Dialect::Redshift => Bounds {
                text_bytes: Some(65_535),
                normal_doubles: true,
            },
        }
    }
}

/// A target database: how to connect, and how to name it without its secrets.
#[derive(Clone)]
pub struct Database {
    config: tokio_postgres::Config,
    tls: MakeRustlsConnect,
    label: String,
    dialect: Dialect,
}

impl Database {
    /// The target `url` names (a URL or key=value pairs, what it leaves out taken from
    /// the environment as libpq takes it: [`conninfo`]).
    pub fn new(url: &Secret<String>, dialect: Dialect) -> Result<Database, Error> {
        let conninfo::Conninfo {
            config,
            verification,
        } = conninfo::resolve(url.expose(), &|name| std::env::var(name).ok())?;
        let tls = tls::connector(&verification)?;
        let label = conninfo::describe(&config);
        Ok(Database {
            config,
            tls,
            label,
            dialect,
        })
    }

    /// `user@host:port/dbname`: how messages and reports name the target.
    pub fn label(&self) -> &str {
        &self.label
    }

    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    pub fn sql(&self) -> &'static DialectSql {
        DialectSql::of(self.dialect)
    }

    /// The error of a step that failed on this target.
    pub fn error(&self, step: impl Into<String>, err: tokio_postgres::Error) -> TargetError {
        TargetError::new(&self.label, step, err)
    }

    pub async fn connect(&self) -> Result<Client, TargetError> {
        tracing::debug!(target = %self.label, "connecting");
        let (client, connection) = self
            .config
            .connect(self.tls.clone())
            .await
            .map_err(|e| self.error("connect", e))?;
        let noted = cancel::register(client.cancel_token(), self.tls.clone());
        tokio::spawn(async move {
            // A dropped connection surfaces as an error on the client's next query.
            let _ = connection.await;
            if let Some(number) = noted {
                cancel::unregister(number);
            }
        });
        self.run(&client, "set up the session", self.sql().session)
            .await?;
        Ok(client)
    }

    /// Runs a script (several statements, no results) as one step.
    pub async fn run(&self, client: &Client, step: &str, sql: &str) -> Result<(), TargetError> {
        client
            .batch_execute(sql)
            .await
            .map_err(|e| self.error(step, e))
    }

    /// [`Database::run`], tried up to `attempts` times, waiting `pause` more before each
    /// new try: for scripts that can lose a race with another session and then succeed.
    /// Gives the last failure.
    pub async fn run_retrying(
        &self,
        client: &Client,
        step: &str,
        sql: &str,
        (attempts, pause): (u32, std::time::Duration),
    ) -> Result<(), TargetError> {
        let mut attempt = 1;
        loop {
            match self.run(client, step, sql).await {
                Err(err) if attempt < attempts => {
                    tracing::debug!("{step}: {err}; trying again");
                    tokio::time::sleep(pause * attempt).await;
                    attempt += 1;
                }
                done => return done,
            }
        }
    }

    /// Runs `work` inside one transaction on `client`, named `what` in errors: committed when
    /// it succeeds, rolled back when it (or the commit) fails.
    pub async fn transaction<T, E: From<TargetError>>(
        &self,
        client: &Client,
        what: &str,
        work: impl std::future::Future<Output = Result<T, E>>,
    ) -> Result<T, E> {
        self.run(client, &format!("begin {what}"), "BEGIN").await?;
        let done = match work.await {
            Ok(value) => self
                .run(client, &format!("commit {what}"), "COMMIT")
                .await
                .map(|()| value)
                .map_err(E::from),
            Err(err) => Err(err),
        };
        if done.is_err() {
            let _ = client.batch_execute("ROLLBACK").await;
        }
        done
    }

    /// The rows of a query, every value as text (`None` for NULL), read through the simple
    /// query protocol: text results, which Redshift gives as PostgreSQL does, where
    /// PostgreSQL's binary result formats have never been shown to work on Redshift.
    pub async fn text_rows(
        &self,
        client: &Client,
        step: &str,
        sql: &str,
    ) -> Result<Vec<Vec<Option<String>>>, TargetError> {
        Ok(self.text_table(client, step, sql).await?.1)
    }

    /// The first column of each of [`Database::text_rows`]' rows, NULLs left out.
    pub async fn first_column(
        &self,
        client: &Client,
        step: &str,
        sql: &str,
    ) -> Result<Vec<String>, TargetError> {
        Ok(self
            .text_rows(client, step, sql)
            .await?
            .into_iter()
            .filter_map(|row| row.into_iter().next().flatten())
            .collect())
    }

    /// [`Database::text_rows`] with the names of the columns.
    pub async fn text_table(
        &self,
        client: &Client,
        step: &str,
        sql: &str,
    ) -> Result<(Vec<String>, Vec<Vec<Option<String>>>), TargetError> {
        let messages = client
            .simple_query(sql)
            .await
            .map_err(|e| self.error(step, e))?;
        let (mut columns, mut rows) = (Vec::new(), Vec::new());
        for message in &messages {
            match message {
                SimpleQueryMessage::RowDescription(described) => {
                    columns = described.iter().map(|c| c.name().to_string()).collect();
                }
                SimpleQueryMessage::Row(row) => rows.push(
                    (0..row.len())
                        .map(|i| row.get(i).map(str::to_string))
                        .collect(),
                ),
                _ => {}
            }
        }
        Ok((columns, rows))
    }

    /// Fails with [`Error::NotLoaded`] unless `schema` holds the five star tables: what
    /// `report`, `next` and `check` read.
    pub async fn require_star_schema(
        &self,
        client: &Client,
        schema: &SchemaName,
    ) -> Result<(), Error> {
        let literal = literal::Literals::REDSHIFT.quote(schema.as_str());
        let sql = render(sql::STAR_TABLES, &[("schema_name", &literal)]);
        let found = self
            .first_column(client, "find the star tables", &sql)
            .await?;
        let missing: Vec<String> = ["songplays", "users", "songs", "artists", "time"]
            .into_iter()
            .filter(|table| !found.iter().any(|f| f == table))
            .map(str::to_string)
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        Err(Error::NotLoaded {
            schema: schema.to_string(),
            target: self.label.clone(),
            missing,
        })
    }

    /// Rows in each of the five tables of `schema`.
    pub async fn count_rows(
        &self,
        client: &Client,
        schema: &SchemaName,
    ) -> Result<TableCounts, TargetError> {
        self.count_rows_in(client, &schema.qualify("")).await
    }

    /// Rows in each of the five tables named by `qualifier` (`"schema".prefix`).
    pub async fn count_rows_in(
        &self,
        client: &Client,
        qualifier: &str,
    ) -> Result<TableCounts, TargetError> {
        let sql = render(sql::COUNTS, &[("tables", qualifier)]);
        let rows = self.text_rows(client, "count rows", &sql).await?;
        let count = |i: usize| number_at(&rows, i).unwrap_or(0);
        Ok(TableCounts {
            songplays: count(0),
            users: count(1),
            songs: count(2),
            artists: count(3),
            time: count(4),
        })
    }
}

/// The number in column `column` of the first of [`Database::text_rows`]' rows, if it is
/// one.
pub fn number_at(rows: &[Vec<Option<String>>], column: usize) -> Option<u64> {
    rows.first()?.get(column)?.as_deref()?.parse().ok()
}
