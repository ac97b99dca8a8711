//! Multi-row `INSERT … VALUES (…),(…)`, sized to Redshift's limits, in one of two forms:
//! bind parameters over the extended protocol (PostgreSQL's fastest INSERT), or literals
//! over the simple query protocol (Redshift's; see [`super::literal`]).

use std::collections::HashMap;

use tokio_postgres::types::ToSql;
use tokio_postgres::{Client, SimpleQueryMessage, Statement};

use super::literal::Literals;
use super::TableSet;
use crate::db::{render, Database};
use crate::error::TargetError;

/// How rows travel in an INSERT.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowEncoding {
    /// Prepared statements with binary bind parameters.
    Bind,
    /// SQL literals in the statement's text, sent over the simple query protocol.
    Literal(Literals),
}

/// Bind parameters in one statement: Redshift's cap (the wire protocol allows 65,535).
pub const MAX_PARAMS: usize = 32_767;
/// Bytes in one statement, values included: Redshift's cap.
pub const MAX_STATEMENT_BYTES: usize = 16 * 1024 * 1024;
/// Rows per statement unless the column count or the byte cap says fewer; PostgreSQL
/// ingests fastest at about this size (docs/BENCHMARKS.md).
pub const DEFAULT_ROWS_PER_STATEMENT: usize = 500;

/// A row type of one table, as its INSERT binds it.
pub trait InsertRow: Send + Sync + 'static {
    const TABLE: &'static str;
    /// The columns bound, in order; columns the database fills are left out.
    const COLUMNS: &'static [&'static str];

    fn push_params<'a>(&'a self, out: &mut Vec<&'a (dyn ToSql + Sync)>);

    /// `(value, …)`: the row as SQL literals.
    fn write_literals(&self, literals: &Literals, out: &mut String);

    /// An upper bound on the bytes the row's values take in a statement.
    fn statement_bytes(&self) -> usize;
}

/// Rows per statement for a table: the requested count within the parameter cap.
pub fn rows_per_statement(columns: usize, requested: usize) -> usize {
    requested.min(MAX_PARAMS / columns).max(1)
}

/// Buffers rows of one table and inserts them in full statements over one connection.
pub struct Inserter<'c, R> {
    client: &'c Client,
    database: &'c Database,
    tables: TableSet,
    encoding: RowEncoding,
    rows_per_statement: usize,
    pending: Vec<R>,
    prepared: HashMap<usize, Statement>,
    inserted: u64,
}

impl<'c, R: InsertRow> Inserter<'c, R> {
    pub fn new(
        client: &'c Client,
        database: &'c Database,
        tables: TableSet,
        encoding: RowEncoding,
        requested_rows: usize,
    ) -> Self {
        let rows_per_statement = rows_per_statement(R::COLUMNS.len(), requested_rows);
        Inserter {
            client,
            database,
            tables,
            encoding,
            rows_per_statement,
            pending: Vec::with_capacity(rows_per_statement),
            prepared: HashMap::new(),
            inserted: 0,
        }
    }

    /// Takes rows; inserts every full statement's worth now and keeps the rest.
    pub async fn push(&mut self, rows: impl IntoIterator<Item = R>) -> Result<(), TargetError> {
        // One statement's worth at a time, so a long iterator is never held whole.
        for row in rows {
            self.pending.push(row);
            if self.pending.len() == self.rows_per_statement {
                let full = std::mem::replace(
                    &mut self.pending,
                    Vec::with_capacity(self.rows_per_statement),
                );
                self.insert_now(&full).await?;
            }
        }
        Ok(())
    }

    /// Inserts what is left; gives the rows inserted in all.
    pub async fn finish(mut self) -> Result<u64, TargetError> {
        let rest = std::mem::take(&mut self.pending);
        self.insert_now(&rest).await?;
        Ok(self.inserted)
    }

    async fn insert_now(&mut self, rows: &[R]) -> Result<(), TargetError> {
        match self.encoding {
            RowEncoding::Bind => self.insert_bound(rows).await,
            RowEncoding::Literal(literals) => self.insert_literal(rows, &literals).await,
        }
    }

    /// Statements of literal rows, each within the row and byte caps, over the simple
    /// query protocol.
    async fn insert_literal(&mut self, rows: &[R], literals: &Literals) -> Result<(), TargetError> {
        let statements = LiteralStatements::new(
            self.database.sql().insert,
            &self.tables,
            rows,
            *literals,
            self.rows_per_statement,
        );
        for sql in statements {
            self.execute_literal(&sql).await?;
        }
        Ok(())
    }

    async fn execute_literal(&mut self, sql: &str) -> Result<(), TargetError> {
        let messages = self
            .client
            .simple_query(sql)
            .await
            .map_err(|e| self.database.error(format!("insert into {}", R::TABLE), e))?;
        for message in messages {
            if let SimpleQueryMessage::CommandComplete(rows) = message {
                self.inserted += rows;
            }
        }
        Ok(())
    }

    /// Prepared statements of bound rows, each within the parameter and byte caps.
    async fn insert_bound(&mut self, rows: &[R]) -> Result<(), TargetError> {
        let mut start = 0;
        while start < rows.len() {
            let end = self.statement_end(rows, start);
            let statement = self.statement(end - start).await?;
            let mut params = Vec::with_capacity((end - start) * R::COLUMNS.len());
            for row in &rows[start..end] {
                row.push_params(&mut params);
            }
            let inserted = self
                .client
                .execute(&statement, &params)
                .await
                .map_err(|e| self.database.error(format!("insert into {}", R::TABLE), e))?;
            self.inserted += inserted;
            start = end;
        }
        Ok(())
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

    async fn statement(&mut self, rows: usize) -> Result<Statement, TargetError> {
        if let Some(statement) = self.prepared.get(&rows) {
            return Ok(statement.clone());
        }
        let sql = insert_sql(
            self.database.sql().insert,
            &self.tables,
            R::TABLE,
            R::COLUMNS,
            rows,
        );
        let statement = self.client.prepare(&sql).await.map_err(|e| {
            self.database
                .error(format!("prepare insert into {}", R::TABLE), e)
        })?;
        self.prepared.insert(rows, statement.clone());
        Ok(statement)
    }
}

/// The `INSERT … VALUES (literal, …), (…)` statements of some rows, in order, each within
/// the row cap and Redshift's 16 MB statement cap.
pub struct LiteralStatements<'a, R> {
    /// `INSERT INTO schema.table (columns) VALUES`.
    head: String,
    rows: &'a [R],
    literals: Literals,
    rows_per_statement: usize,
}

impl<'a, R: InsertRow> LiteralStatements<'a, R> {
    pub fn new(
        template: &str,
        tables: &TableSet,
        rows: &'a [R],
        literals: Literals,
        requested_rows: usize,
    ) -> Self {
        let head = render(
            template,
            &[
                ("schema", &tables.schema.quoted()),
                ("table", &tables.name(R::TABLE)),
                ("columns", &R::COLUMNS.join(", ")),
                ("rows", ""),
            ],
        );
        LiteralStatements {
            head: head.trim_end().to_string(),
            rows,
            literals,
            rows_per_statement: requested_rows.max(1),
        }
    }
}

impl<R: InsertRow> Iterator for LiteralStatements<'_, R> {
    type Item = String;

    fn next(&mut self) -> Option<String> {
        if self.rows.is_empty() {
            return None;
        }
        let mut sql = format!("{} ", self.head);
        let mut row = String::new();
        let mut taken = 0;
        for record in self.rows.iter().take(self.rows_per_statement) {
            row.clear();
            record.write_literals(&self.literals, &mut row);
            // The row, its comma and the closing semicolon must fit.
            if taken > 0 && sql.len() + row.len() + 2 > MAX_STATEMENT_BYTES {
                break;
            }
            if taken > 0 {
                sql.push(',');
            }
            sql.push_str(&row);
            taken += 1;
        }
        self.rows = &self.rows[taken..];
        sql.push(';');
        Some(sql)
    }
}

/// `INSERT INTO schema.table (columns) VALUES ($1, …), (…)` for `rows` rows.
fn insert_sql(
    template: &str,
    tables: &TableSet,
    table: &str,
    columns: &[&str],
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
    render(
        template.trim_end(),
        &[
            ("schema", &tables.schema.quoted()),
            ("table", &tables.name(table)),
            ("columns", &columns.join(", ")),
            ("rows", &tuples.join(",")),
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::UserRow;

    #[test]
    fn statements_stay_within_the_parameter_cap() {
        assert_eq!(rows_per_statement(8, 1_000), 1_000);
        assert_eq!(rows_per_statement(8, 10_000), 4_095);
        assert!(rows_per_statement(7, 100_000) * 7 <= MAX_PARAMS);
        assert_eq!(rows_per_statement(5, 0), 1);
    }

    #[test]
    fn literal_statements_split_at_the_row_cap_and_end_in_a_semicolon() {
        let tables = TableSet::plain("s".parse().unwrap());
        let rows: Vec<UserRow> = (1..=5)
            .map(|user_id| UserRow {
                user_id,
                first_name: Some("O'Neil".into()),
                last_name: None,
                gender: Some("F".into()),
                level: Some("free".into()),
            })
            .collect();
        let literals = Literals::REDSHIFT;
        let statements: Vec<String> = LiteralStatements::new(
            "INSERT INTO {schema}.{table} ({columns}) VALUES {rows}\n",
            &tables,
            &rows,
            literals,
            2,
        )
        .collect();
        assert_eq!(statements.len(), 3);
        assert_eq!(
            statements[2],
            "INSERT INTO \"s\".users (user_id, first_name, last_name, gender, level) VALUES \
             (5,'O''Neil',NULL,'F','free');"
        );
        assert!(statements[0].contains("(1,'O''Neil',NULL,'F','free'),(2,"));
    }

    #[test]
    fn insert_sql_numbers_placeholders_row_by_row() {
        let tables = TableSet {
            schema: "s".parse().unwrap(),
            prefix: "new_".into(),
        };
        let sql = insert_sql(
            "INSERT INTO {schema}.{table} ({columns}) VALUES {rows}\n",
            &tables,
            "t",
            &["a", "b"],
            2,
        );
        assert_eq!(sql, "INSERT INTO \"s\".new_t (a, b) VALUES ($1,$2),($3,$4)");
    }
}
