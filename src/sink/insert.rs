//! Multi-row INSERTs, sized to Redshift's limits, in one of three forms: one array per
//! column unnested into rows (PostgreSQL's fastest INSERT, [`super::arrays`]), multi-row
//! `VALUES (…),(…)` with bind parameters over the extended protocol, or literals over the
//! simple query protocol (Redshift's; see [`super::literal`]). Several statements can be
//! in flight on one connection: tokio-postgres pipelines them.

use std::collections::HashMap;

use futures::future::try_join_all;
use tokio_postgres::types::ToSql;
use tokio_postgres::{Client, SimpleQueryMessage, Statement};

use super::arrays::{self, ColumnArray};
use super::literal::LiteralStatements;
use super::{RowSink, TableRow, TableSink};
use crate::config::InsertMethod;
use crate::db::literal::Literals;
use crate::db::TableSet;
use crate::db::{render, Database};
use crate::error::{Result, TargetError};

/// How rows travel in an INSERT.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowEncoding {
    /// `INSERT … SELECT * FROM unnest($1::type[], …)`: one binary array bound per column
    /// (PostgreSQL only).
    Arrays,
    /// `INSERT … VALUES ($1, …), (…)`: prepared, with binary bind parameters.
    Bind,
    /// SQL literals in the statement's text, sent over the simple query protocol.
    Literal(Literals),
}

/// Bind parameters in one statement: Redshift's cap (the wire protocol allows 65,535).
pub const MAX_PARAMS: usize = 32_767;
/// Bytes in one statement, values included: Redshift's cap.
pub const MAX_STATEMENT_BYTES: usize = 16 * 1024 * 1024;
/// Rows per `VALUES` statement unless the column count or the byte cap says fewer;
/// PostgreSQL ingests fastest at about this size (docs/BENCHMARKS.md).
pub const DEFAULT_ROWS_PER_STATEMENT: usize = 500;
/// Rows per unnested-arrays statement (docs/BENCHMARKS.md): no parameter cap applies, as
/// a column is one parameter.
pub const ARRAY_ROWS_PER_STATEMENT: usize = 5_000;

/// How an inserter sends its statements.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InsertShape {
    pub encoding: RowEncoding,
    /// Rows asked for in one statement; `VALUES` statements also stay within the
    /// parameter cap.
    pub rows_per_statement: usize,
    /// Statements sent on one connection before the first one's answer is awaited.
    pub in_flight: usize,
}

impl InsertShape {
    /// An encoding at its measured best statement size.
    pub fn new(encoding: RowEncoding, in_flight: usize) -> Self {
        let rows_per_statement = match encoding {
            RowEncoding::Arrays => ARRAY_ROWS_PER_STATEMENT,
            _ => DEFAULT_ROWS_PER_STATEMENT,
        };
        InsertShape {
            encoding,
            rows_per_statement,
            in_flight,
        }
    }

    /// Rows per statement for a table of `columns` columns.
    fn rows_per_statement(&self, columns: usize) -> usize {
        match self.encoding {
            RowEncoding::Arrays => self.rows_per_statement.max(1),
            _ => rows_per_statement(columns, self.rows_per_statement),
        }
    }
}

/// Rows per statement for a table: the requested count within the parameter cap.
pub fn rows_per_statement(columns: usize, requested: usize) -> usize {
    requested.min(MAX_PARAMS / columns).max(1)
}

/// Multi-row INSERTs into one set of tables, over one or more connections.
pub struct InsertSink<'c> {
    database: &'c Database,
    tables: TableSet,
    shape: InsertShape,
    clients: Vec<&'c Client>,
}

impl<'c> InsertSink<'c> {
    /// INSERTs by `method` into `tables` over `clients` (at least one), `in_flight`
    /// statements at once on each.
    pub async fn new(
        database: &'c Database,
        tables: TableSet,
        (method, in_flight): (InsertMethod, usize),
        clients: Vec<&'c Client>,
    ) -> Result<InsertSink<'c>, TargetError> {
        let encoding = match method {
            InsertMethod::Arrays => RowEncoding::Arrays,
            InsertMethod::Bind => RowEncoding::Bind,
            InsertMethod::Literal => {
                RowEncoding::Literal(Literals::of(database, clients[0]).await?)
            }
        };
        Ok(InsertSink {
            database,
            tables,
            shape: InsertShape::new(encoding, in_flight),
            clients,
        })
    }
}

impl RowSink for InsertSink<'_> {
    const EVENTS_STAGE: &'static str = "events and inserts";

    fn lanes(&self) -> usize {
        self.clients.len()
    }

    fn table<R: TableRow>(&self, lane: usize) -> impl TableSink<R> {
        Inserter::new(
            self.clients[lane],
            self.database,
            self.tables.clone(),
            self.shape,
        )
    }
}

/// Buffers rows of one table and inserts them in full statements over one connection.
pub struct Inserter<'c, R> {
    client: &'c Client,
    database: &'c Database,
    tables: TableSet,
    shape: InsertShape,
    rows_per_statement: usize,
    pending: Vec<R>,
    /// Prepared statements by their row count; with arrays one serves every count, under 0.
    prepared: HashMap<usize, Statement>,
    inserted: u64,
}

impl<'c, R: TableRow> Inserter<'c, R> {
    pub fn new(
        client: &'c Client,
        database: &'c Database,
        tables: TableSet,
        shape: InsertShape,
    ) -> Self {
        let rows_per_statement = shape.rows_per_statement(R::COLUMNS.len());
        Inserter {
            client,
            database,
            tables,
            shape,
            rows_per_statement,
            pending: Vec::with_capacity(rows_per_statement),
            prepared: HashMap::new(),
            inserted: 0,
        }
    }

    /// Inserts rows in statements that are all in flight at once.
    async fn insert_now(&mut self, rows: &[R]) -> Result<(), TargetError> {
        let inserted = match self.shape.encoding {
            RowEncoding::Literal(literals) => self.insert_literal(rows, &literals).await?,
            RowEncoding::Bind | RowEncoding::Arrays => self.insert_bound(rows).await?,
        };
        self.inserted += inserted.iter().sum::<u64>();
        Ok(())
    }

    /// Statements of literal rows, each within the row and byte caps, over the simple
    /// query protocol.
    async fn insert_literal(
        &self,
        rows: &[R],
        literals: &Literals,
    ) -> Result<Vec<u64>, TargetError> {
        let statements: Vec<String> = LiteralStatements::new(
            self.database.sql().insert,
            &self.tables,
            rows,
            *literals,
            self.rows_per_statement,
        )
        .collect();
        try_join_all(statements.iter().map(|sql| self.execute_literal(sql))).await
    }

    async fn execute_literal(&self, sql: &str) -> Result<u64, TargetError> {
        let messages = self
            .client
            .simple_query(sql)
            .await
            .map_err(|e| self.database.error(format!("insert into {}", R::TABLE), e))?;
        Ok(messages
            .iter()
            .map(|message| match message {
                SimpleQueryMessage::CommandComplete(rows) => *rows,
                _ => 0,
            })
            .sum())
    }

    /// Prepared statements of bound rows, each within the parameter and byte caps.
    async fn insert_bound(&mut self, rows: &[R]) -> Result<Vec<u64>, TargetError> {
        let mut statements = Vec::new();
        let mut start = 0;
        while start < rows.len() {
            let end = self.statement_end(rows, start);
            statements.push((self.statement(end - start).await?, &rows[start..end]));
            start = end;
        }
        let this = &*self;
        try_join_all(
            statements
                .iter()
                .map(|(statement, rows)| this.execute_bound(statement, rows)),
        )
        .await
    }

    async fn execute_bound(&self, statement: &Statement, rows: &[R]) -> Result<u64, TargetError> {
        let width = R::COLUMNS.len();
        let mut params = Vec::with_capacity(rows.len() * width);
        for row in rows {
            row.push_params(&mut params);
        }
        let executed = if self.shape.encoding == RowEncoding::Arrays {
            let columns: Vec<ColumnArray> = (0..width)
                .map(|column| ColumnArray::new(&params, width, column))
                .collect();
            let bound: Vec<&(dyn ToSql + Sync)> =
                columns.iter().map(|c| c as &(dyn ToSql + Sync)).collect();
            self.client.execute(statement, &bound).await
        } else {
            self.client.execute(statement, &params).await
        };
        executed.map_err(|e| self.database.error(format!("insert into {}", R::TABLE), e))
    }

    /// Where the statement starting at `start` ends: at the row cap, or before the
    /// row that would take it past the byte cap.
    fn statement_end(&self, rows: &[R], start: usize) -> usize {
        let mut bytes = 0;
        let mut end = start;
        while end < rows.len() && end - start < self.rows_per_statement {
            // Placeholders and punctuation: a generous 16 bytes a value.
            bytes += rows[end].statement_bytes() + 16 * R::COLUMNS.len();
            if bytes > MAX_STATEMENT_BYTES && end > start {
                break;
            }
            end += 1;
        }
        end
    }

    /// The prepared statement for `rows` rows.
    async fn statement(&mut self, rows: usize) -> Result<Statement, TargetError> {
        let arrays = matches!(self.shape.encoding, RowEncoding::Arrays);
        let key = if arrays { 0 } else { rows };
        if let Some(statement) = self.prepared.get(&key) {
            return Ok(statement.clone());
        }
        let statement = if arrays {
            // The one-row VALUES statement tells each column's type, which the arrays'
            // casts name.
            let values = self.prepare(1).await?;
            let sql = arrays::unnest_sql(
                self.database.sql().insert_arrays,
                &self.tables,
                (R::TABLE, R::COLUMNS),
                values.params(),
            );
            self.prepare_sql(&sql).await?
        } else {
            self.prepare(rows).await?
        };
        self.prepared.insert(key, statement.clone());
        Ok(statement)
    }

    /// Prepares `INSERT … VALUES` for `rows` rows.
    async fn prepare(&self, rows: usize) -> Result<Statement, TargetError> {
        let sql = values_sql(
            self.database.sql().insert,
            &self.tables,
            (R::TABLE, R::COLUMNS),
            rows,
        );
        self.prepare_sql(&sql).await
    }

    async fn prepare_sql(&self, sql: &str) -> Result<Statement, TargetError> {
        self.client.prepare(sql).await.map_err(|e| {
            self.database
                .error(format!("prepare insert into {}", R::TABLE), e)
        })
    }
}

impl<R: TableRow> TableSink<R> for Inserter<'_, R> {
    /// Takes rows; inserts every full wave of statements now and keeps the rest.
    async fn push<I: IntoIterator<Item = R>>(&mut self, rows: I) -> Result<()> {
        // One wave's worth at a time, so a long iterator is never held whole.
        let wave = self.rows_per_statement * self.shape.in_flight.max(1);
        for row in rows {
            self.pending.push(row);
            if self.pending.len() == wave {
                let full = std::mem::replace(&mut self.pending, Vec::with_capacity(wave));
                self.insert_now(&full).await?;
            }
        }
        Ok(())
    }

    /// Inserts what is left; gives the rows inserted in all.
    async fn finish(mut self) -> Result<u64> {
        let rest = std::mem::take(&mut self.pending);
        self.insert_now(&rest).await?;
        Ok(self.inserted)
    }
}

/// `INSERT INTO schema.table (columns) VALUES ($1, …), (…)` for `rows` rows.
fn values_sql(
    template: &str,
    tables: &TableSet,
    (table, columns): (&str, &[&str]),
    rows: usize,
) -> String {
    let width = columns.len();
    let tuples: Vec<String> = (0..rows)
        .map(|row| {
            let placeholders: Vec<String> = (1..=width)
                .map(|col| format!("${}", row * width + col))
                .collect();
            format!("({})", placeholders.join(","))
        })
        .collect();
    let rows = tuples.join(",");
    render_insert(template, tables, (table, columns), ("rows", &rows))
}

/// An INSERT template for `columns` of `table`, with the part that carries the rows
/// (`{rows}` or `{arrays}`) given.
pub(super) fn render_insert(
    template: &str,
    tables: &TableSet,
    (table, columns): (&str, &[&str]),
    rows: (&str, &str),
) -> String {
    render(
        template.trim_end(),
        &[
            ("schema", &tables.schema.quoted()),
            ("table", &tables.name(table)),
            ("columns", &columns.join(", ")),
            rows,
        ],
    )
}

#[cfg(test)]
mod tests;
