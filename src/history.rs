//! The history table: one row per load, merge and watch batch into a schema, loaded or
//! failed (`sparkify_load_history`, as dlt's `_dlt_loads`), appended when the run ends and
//! read back by `sparkify-load history`.

use serde::Serialize;
use tokio_postgres::Client;

use crate::db::literal::Literals;
use crate::db::sql::history as history_sql;
use crate::db::{render, Database, SchemaName};
use crate::error::{Error, Result};
use crate::report::{Report, TableCounts};

/// The longest error text a row keeps: Redshift's VARCHAR holds 65,535 bytes, and a
/// history row is read by people; the whole error is in the run's own output.
const ERROR_CHARS: usize = 2_000;

/// One run as the history table keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HistoryRow {
    pub run_id: String,
    pub tool_version: String,
    /// How the run loaded: `client rebuild`, `copy incremental`, `client watch`, ….
    pub route: String,
    /// UTC, RFC 3339 with milliseconds.
    pub started_at: String,
    pub ended_at: String,
    /// `loaded`, `failed` or `interrupted`.
    pub status: String,
    /// Objects read (both trees); none for a failed run.
    pub objects: Option<u64>,
    /// The five tables' rows once the run ended; none for a failed run, which changed
    /// nothing.
    pub tables: Option<TableCounts>,
    pub bad_records: u64,
    pub error: Option<String>,
}

impl HistoryRow {
    /// The row of run `run_id` by `route`, begun at `started_at` and ending now.
    pub fn new(
        (run_id, route): (&str, String),
        started_at: String,
        outcome: std::result::Result<&Report, &Error>,
        bad_records: u64,
    ) -> HistoryRow {
        let (status, objects, tables, error) = match outcome {
            Ok(report) => (
                "loaded",
                Some(report.songs.objects + report.logs.objects),
                Some(report.tables),
                None,
            ),
            Err(err) => {
                let status = match err {
                    Error::Interrupted { .. } => "interrupted",
                    _ => "failed",
                };
                let text: String = crate::error::sentence_chain(err)
                    .chars()
                    .take(ERROR_CHARS)
                    .collect();
                (status, None, None, Some(text))
            }
        };
        HistoryRow {
            run_id: run_id.to_string(),
            tool_version: env!("CARGO_PKG_VERSION").to_string(),
            route,
            started_at,
            ended_at: crate::report::now(),
            status: status.to_string(),
            objects,
            tables,
            bad_records,
            error,
        }
    }

    /// The row's values as the target reads them, in the table's column order.
    fn values(&self, literals: &Literals) -> String {
        let text = |value: &str| literals.quote(value);
        let number = |value: Option<u64>| value.map_or("NULL".to_string(), |n| n.to_string());
        let tables = self.tables.as_ref();
        [
            text(&self.run_id),
            text(&self.tool_version),
            text(&self.route),
            format!("CAST({} AS TIMESTAMPTZ)", text(&self.started_at)),
            format!("CAST({} AS TIMESTAMPTZ)", text(&self.ended_at)),
            text(&self.status),
            number(self.objects),
            number(tables.map(|t| t.songplays)),
            number(tables.map(|t| t.users)),
            number(tables.map(|t| t.songs)),
            number(tables.map(|t| t.artists)),
            number(tables.map(|t| t.time)),
            self.bad_records.to_string(),
            self.error.as_deref().map_or("NULL".to_string(), text),
        ]
        .join(", ")
    }
}

/// Appends `row` to the history of `schema`, creating the table on first use, on a
/// connection of its own. Best effort: a history that cannot be written (the target is
/// gone, the schema was never made) is a warning, never a failed run.
pub async fn append(database: &Database, schema: &SchemaName, row: &HistoryRow) {
    let written = async {
        let client = database.connect().await?;
        if !schema_exists(database, &client, schema).await? {
            // The run failed before it could make its schema: there is nowhere to write.
            tracing::debug!("no history: schema {schema} does not exist");
            return Ok(());
        }
        let literals = Literals::of(database, &client).await?;
        let script = format!(
            "{}\n{}",
            create_sql(database, schema),
            render(
                history_sql::APPEND,
                &[
                    ("schema", &schema.quoted()),
                    ("values", &row.values(&literals))
                ]
            )
        );
        database
            .run(&client, "append to the load history", &script)
            .await
    }
    .await;
    if let Err(err) = written {
        tracing::warn!("this run is not in the history table: {err}");
    }
}

async fn schema_exists(
    database: &Database,
    client: &Client,
    schema: &SchemaName,
) -> std::result::Result<bool, crate::error::TargetError> {
    let exists = render(
        crate::db::sql::private::SCHEMA_EXISTS,
        &[("schema_name", &Literals::REDSHIFT.quote(schema.as_str()))],
    );
    let rows = database
        .text_rows(client, "look for the target schema", &exists)
        .await?;
    Ok(crate::db::number_at(&rows, 0) == Some(1))
}

/// The table's DDL for `schema`.
fn create_sql(database: &Database, schema: &SchemaName) -> String {
    render(database.sql().history, &[("schema", &schema.quoted())])
}

/// The last `count` runs recorded in `schema`, newest first; none when no run recorded
/// one yet.
pub async fn last(
    database: &Database,
    client: &Client,
    schema: &SchemaName,
    count: u64,
) -> Result<Vec<HistoryRow>> {
    let exists = render(
        history_sql::EXISTS,
        &[("schema_name", &Literals::REDSHIFT.quote(schema.as_str()))],
    );
    let step = "read the load history";
    if crate::db::number_at(&database.text_rows(client, step, &exists).await?, 0) != Some(1) {
        return Ok(Vec::new());
    }
    let query = render(
        history_sql::LAST,
        &[("schema", &schema.quoted()), ("limit", &count.to_string())],
    );
    let rows = database.text_rows(client, step, &query).await?;
    rows.into_iter().map(|row| parse(&row)).collect()
}

/// `YYYY-MM-DD HH:MI:SS.mmm` in UTC (as `last.sql` gives it, in a format both dialects'
/// TO_CHAR write) as RFC 3339, as the row was written.
fn rfc3339(utc: &str) -> String {
    format!("{}Z", utc.replacen(' ', "T", 1))
}

/// One row of `last.sql`.
fn parse(row: &[Option<String>]) -> Result<HistoryRow> {
    let unreadable = || Error::UnexpectedRows {
        query: "read the load history",
    };
    let text = |i: usize| row.get(i).cloned().flatten().ok_or_else(unreadable);
    let number = |i: usize| -> Result<Option<u64>> {
        match row.get(i).cloned().flatten() {
            Some(value) => value.parse().map(Some).map_err(|_| unreadable()),
            None => Ok(None),
        }
    };
    let counts = [7, 8, 9, 10, 11].map(number);
    let tables = match counts {
        [Ok(Some(songplays)), Ok(Some(users)), Ok(Some(songs)), Ok(Some(artists)), Ok(Some(time))] => {
            Some(TableCounts {
                songplays,
                users,
                songs,
                artists,
                time,
            })
        }
        _ => None,
    };
    Ok(HistoryRow {
        run_id: text(0)?,
        tool_version: text(1)?,
        route: text(2)?,
        started_at: rfc3339(&text(3)?),
        ended_at: rfc3339(&text(4)?),
        status: text(5)?,
        objects: number(6)?,
        tables,
        bad_records: number(12)?.unwrap_or(0),
        error: row.get(13).cloned().flatten(),
    })
}
