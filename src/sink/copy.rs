//! Copy mode's sink: raw records go into staging tables with binary `COPY … FROM STDIN`, one
//! record's JSON text a row, and the checks, coercion and star-schema rules run in SQL
//! (`sql/postgres/copy/`): a second implementation of SPEC, independent of the Rust one.

use std::pin::Pin;

use tokio_postgres::binary_copy::BinaryCopyInWriter;
use tokio_postgres::types::Type;

use super::staging::Staging;
use super::{render, DialectSql};
use crate::config::{Dialect, SchemaName};
use crate::error::TargetError;
use crate::parse::BadRecord;
use crate::report::TableCounts;

const PREPARE: &str = include_str!("../../sql/postgres/copy/prepare.sql");
const COPY_RAW: &str = include_str!("../../sql/postgres/copy/copy_raw.sql");
const TYPED: &str = include_str!("../../sql/postgres/copy/typed.sql");
const BAD_RECORDS: &str = include_str!("../../sql/postgres/copy/bad_records.sql");
const TRANSFORM: &str = include_str!("../../sql/postgres/copy/transform.sql");

/// A Redshift copy-mode load: the classic `COPY … FROM 's3://…'` into staging tables, then
/// the star-schema rules in SQL (`sql/redshift/copy/`).
pub struct RedshiftCopy<'a> {
    pub target: &'a SchemaName,
    pub song_data: &'a str,
    pub log_data: &'a str,
    pub iam_role_arn: &'a str,
    pub region: &'a str,
    pub log_jsonpath: Option<&'a str>,
    pub max_errors: u64,
}

/// The plan's one query: the records COPY rejected, read into the report.
pub const READ_REJECTS: &str = "read the rejected records";
pub const REDSHIFT_LOAD_ERRORS: &str = include_str!("../../sql/redshift/copy/load_errors.sql");

impl RedshiftCopy<'_> {
    /// Every statement of the load, in order, each with what it does.
    pub fn plan(&self) -> Vec<(&'static str, String)> {
        let sql = DialectSql::of(Dialect::Redshift);
        let staging = self.target.staging();
        let names = [("schema", staging.quoted()), ("staging", staging.quoted())];
        let on_staging = |template: &str| {
            render(
                template,
                &names
                    .iter()
                    .map(|(k, v)| (*k, v.as_str()))
                    .collect::<Vec<_>>(),
            )
        };
        let max_errors = self.max_errors.min(100_000).to_string();
        let literals = [
            ("song_data", sql_literal(self.song_data)),
            ("log_data", sql_literal(self.log_data)),
            ("iam_role", sql_literal(self.iam_role_arn)),
            ("region", sql_literal(self.region)),
            (
                "log_jsonpath",
                sql_literal(self.log_jsonpath.unwrap_or("auto")),
            ),
            ("max_errors", max_errors),
        ];
        let with_literals = |template: &str| {
            render(
                &on_staging(template),
                &literals
                    .iter()
                    .map(|(k, v)| (*k, v.as_str()))
                    .collect::<Vec<_>>(),
            )
        };
        let swap = render(
            sql.swap,
            &[
                ("create_tables", &sql.create_tables_in(self.target)),
                ("schema", &self.target.quoted()),
                ("staging", &staging.quoted()),
            ],
        );
        vec![
            ("create the staging schema", on_staging(sql.prepare_staging)),
            (
                "create the staged star schema",
                on_staging(sql.create_tables),
            ),
            (
                "create the COPY staging tables",
                on_staging(include_str!("../../sql/redshift/copy/prepare.sql")),
            ),
            (
                "copy the songs",
                with_literals(include_str!("../../sql/redshift/copy/copy_songs.sql")),
            ),
            (
                "copy the events",
                with_literals(include_str!("../../sql/redshift/copy/copy_events.sql")),
            ),
            (READ_REJECTS, REDSHIFT_LOAD_ERRORS.to_string()),
            (
                "transform in SQL",
                on_staging(include_str!("../../sql/redshift/copy/transform.sql")),
            ),
            ("add keys to songplays", on_staging(sql.add_keys[0])),
            ("add keys to the dimensions", on_staging(sql.add_keys[1])),
            ("swap in the new tables", swap),
        ]
    }
}

/// A SQL string literal.
fn sql_literal(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}

/// The raw table of a tree.
#[derive(Debug, Clone, Copy)]
pub enum RawTable {
    Songs,
    Events,
}

impl RawTable {
    fn name(self) -> &'static str {
        match self {
            RawTable::Songs => "raw_songs",
            RawTable::Events => "raw_events",
        }
    }
}

/// Creates the raw tables and the SQL functions copy mode checks and coerces with.
pub async fn prepare(staging: &Staging<'_>) -> Result<(), TargetError> {
    staging.run("prepare copy mode", PREPARE).await
}

/// A COPY into a raw table, open until [`RawWriter::finish`].
pub struct RawWriter {
    writer: Pin<Box<BinaryCopyInWriter>>,
}

impl RawWriter {
    pub async fn open(staging: &Staging<'_>, table: RawTable) -> Result<RawWriter, TargetError> {
        let sql = render(&staging.sql(COPY_RAW), &[("table", table.name())]);
        let sink = staging.client.copy_in(sql.trim_end()).await.map_err(|e| {
            staging
                .database
                .error(format!("copy into {}", table.name()), &e)
        })?;
        let writer =
            BinaryCopyInWriter::new(sink, &[Type::TEXT, Type::INT4, Type::INT4, Type::TEXT]);
        Ok(RawWriter {
            writer: Box::pin(writer),
        })
    }

    /// One record: its object's name and rank in key order, its line, its JSON text.
    pub async fn write(
        &mut self,
        staging: &Staging<'_>,
        object: &str,
        rank: i32,
        line: i32,
        record: &str,
    ) -> Result<(), TargetError> {
        self.writer
            .as_mut()
            .write(&[&object, &rank, &line, &record])
            .await
            .map_err(|e| staging.database.error("copy raw records", &e))
    }

    pub async fn finish(mut self, staging: &Staging<'_>) -> Result<u64, TargetError> {
        self.writer
            .as_mut()
            .finish()
            .await
            .map_err(|e| staging.database.error("copy raw records", &e))
    }
}

/// Checks and coerces every raw record; gives the bad ones of the songs and of the events.
pub async fn check(staging: &Staging<'_>) -> Result<(Vec<BadRecord>, Vec<BadRecord>), TargetError> {
    staging.run("check and coerce records", TYPED).await?;
    let rows = staging
        .client
        .query(&staging.sql(BAD_RECORDS), &[])
        .await
        .map_err(|e| staging.database.error("read bad records", &e))?;
    let (mut songs, mut events) = (Vec::new(), Vec::new());
    for row in rows {
        let bad = BadRecord {
            key: row.get(1),
            line: u64::try_from(row.get::<_, i32>(2)).unwrap_or(0),
            reason: row.get(3),
            raw: row.get(4),
        };
        match row.get::<_, &str>(0) {
            "songs" => songs.push(bad),
            _ => events.push(bad),
        }
    }
    Ok((songs, events))
}

/// Fills the five staged tables from the good records; gives their row counts.
pub async fn transform(staging: &Staging<'_>) -> Result<TableCounts, TargetError> {
    staging.run("transform in SQL", TRANSFORM).await?;
    count_rows(staging.client, staging.database, &staging.schema).await
}

/// Rows in each of the five tables of `schema`.
pub async fn count_rows(
    client: &tokio_postgres::Client,
    database: &super::Database,
    schema: &SchemaName,
) -> Result<TableCounts, TargetError> {
    let sql = render(
        include_str!("../../sql/counts.sql"),
        &[("schema", &schema.quoted())],
    );
    let row = client
        .query_one(&sql, &[])
        .await
        .map_err(|e| database.error("count rows", &e))?;
    let count = |i: usize| row.get::<_, i64>(i) as u64;
    Ok(TableCounts {
        songplays: count(0),
        users: count(1),
        songs: count(2),
        artists: count(3),
        time: count(4),
    })
}
