//! Data quality: the built-in checks of the star schema, the user's own from a TOML file,
//! run by `sparkify-load check` and, as a gate, by every load on its new tables before
//! their rows are moved (or merged) in, inside that transaction (docs/CHECKS.md).

mod built_in;
mod file;
mod run;

use std::fmt;

use serde::Serialize;

use crate::db::TableSet;
use crate::db::{number_at, render, DialectSql};
use crate::error::Error;

use built_in::built_in;
pub use built_in::built_in_names;
pub use file::{CheckFile, UserCheck};
pub use run::run;

/// How many of the rows that break a check its line shows.
const EXAMPLES: usize = 5;

/// What a failing check means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// A failing check fails the command (exit 6) or the load (nothing moved in).
    Error,
    /// A failing check is printed and counted.
    Warning,
}

impl Severity {
    pub fn name(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// What a check's query must give.
#[derive(Debug, Clone, PartialEq)]
pub enum Expectation {
    /// No rows: each row is something that breaks the check (its first column names it).
    NoRows,
    /// The first column of the first row, as text; numbers compare as numbers.
    Equals(String),
    /// The first column of the first row, a number within both bounds.
    Between(f64, f64),
}

impl fmt::Display for Expectation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expectation::NoRows => f.write_str("no rows"),
            Expectation::Equals(value) => write!(f, "{value}"),
            Expectation::Between(low, high) => write!(f, "between {low} and {high}"),
        }
    }
}

/// One check: a name, one SQL query over the tables, what it must give, and its severity.
#[derive(Debug, Clone, PartialEq)]
pub struct Check {
    pub name: String,
    pub query: String,
    pub expect: Expectation,
    pub severity: Severity,
    /// A key check's table and column: where PostgreSQL enforces that key as the primary
    /// key, there is nothing to look for.
    pub primary_key: Option<(String, &'static str)>,
}

/// What a check found.
#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    pub name: String,
    pub severity: Severity,
    pub passed: bool,
    /// What the query gave: the count of rows that break it, or its value.
    pub found: String,
    pub expected: String,
    /// The first rows that break a `no rows` check.
    pub examples: Vec<String>,
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let status = match (self.passed, self.severity) {
            (true, _) => "pass",
            (false, Severity::Error) => "FAIL",
            (false, Severity::Warning) => "warn",
        };
        write!(
            f,
            "{status:<4}  {}: found {}, expected {}",
            self.name, self.found, self.expected
        )?;
        if !self.examples.is_empty() {
            write!(f, " (first: {})", self.examples.join(", "))?;
        }
        Ok(())
    }
}

/// Every check's outcome, in order.
#[derive(Debug, Clone, Serialize)]
pub struct Outcomes {
    pub checks: Vec<Outcome>,
    /// Error-level checks that failed.
    pub errors: usize,
    /// Warning-level checks that failed.
    pub warnings: usize,
}

impl Outcomes {
    fn of(checks: Vec<Outcome>) -> Outcomes {
        let failed = |severity| {
            checks
                .iter()
                .filter(|c| !c.passed && c.severity == severity)
                .count()
        };
        Outcomes {
            errors: failed(Severity::Error),
            warnings: failed(Severity::Warning),
            checks,
        }
    }

    /// The error-level checks that failed, as the error a gate fails with; `None` when
    /// none did.
    pub fn failure(&self) -> Option<Error> {
        let failed: Vec<String> = self
            .checks
            .iter()
            .filter(|c| !c.passed && c.severity == Severity::Error)
            .map(Outcome::to_string)
            .collect();
        (!failed.is_empty()).then(|| Error::Check(failed))
    }
}

/// What a load read, for the checks that reconcile the new tables with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunCounts {
    /// NextSong events with a user: one songplay each.
    pub plays: u64,
    /// Distinct users among them: one row of `users` each.
    pub users: u64,
}

/// Which rows the checks of songplays and of `time` read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Every row.
    Whole,
    /// An incremental run's: the songplays after this id, and their start times; the rows
    /// earlier runs checked are left to `sparkify-load check`, so that a run's cost grows
    /// with its data, not with the warehouse.
    PlaysAfter(u64),
}

impl RunCounts {
    /// The counts from a query's one row of two numbers.
    pub fn from_rows(rows: &[Vec<Option<String>>]) -> Result<RunCounts, Error> {
        match (number_at(rows, 0), number_at(rows, 1)) {
            (Some(plays), Some(users)) => Ok(RunCounts { plays, users }),
            _ => Err(Error::UnexpectedRows {
                query: "count the plays read",
            }),
        }
    }
}

/// Every check of the tables in `tables`: the built-ins (with the run's counts, the two
/// that reconcile with it), severities as the file says, then the file's own.
pub fn all(
    sql: &DialectSql,
    tables: &TableSet,
    scope: Scope,
    run: Option<RunCounts>,
    file: &CheckFile,
) -> Vec<Check> {
    let names = TableNames::of(sql, tables, scope);
    let mut checks = built_in(sql, &names, run, &file.severity);
    checks.extend(user_checks(&names, file));
    checks
}

/// Checks as a `--dry-run` prints them: each query, under a comment with its name,
/// severity and expectation.
pub fn printed(checks: &[Check]) -> String {
    checks
        .iter()
        .map(|c| {
            format!(
                "-- {} ({}): {}\n{};",
                c.name,
                c.severity.name(),
                c.expect,
                c.query.trim_end()
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The user's checks, their queries' table names filled in.
fn user_checks(names: &TableNames, file: &CheckFile) -> Vec<Check> {
    file.checks
        .iter()
        .map(|check| Check {
            name: check.name.clone(),
            query: names.render(&check.query, &[]),
            expect: check.expectation.clone(),
            severity: check.severity,
            primary_key: None,
        })
        .collect()
}

/// The qualified names of the five tables a check reads, and the dialect's bits.
struct TableNames {
    tables: TableSet,
    scope: Scope,
    exact_text: &'static str,
    utc_now: &'static str,
}

impl TableNames {
    fn of(sql: &DialectSql, tables: &TableSet, scope: Scope) -> TableNames {
        TableNames {
            tables: tables.clone(),
            scope,
            exact_text: sql.exact_text,
            utc_now: sql.utc_now,
        }
    }

    /// A table's qualified name.
    fn table(&self, table: &str) -> String {
        format!(
            "{}.{}",
            self.tables.schema.quoted(),
            self.tables.name(table)
        )
    }

    fn render(&self, template: &str, extra: &[(&str, &str)]) -> String {
        let [songplays, users, songs, artists, time] =
            ["songplays", "users", "songs", "artists", "time"].map(|t| self.table(t));
        let (plays, times) = match self.scope {
            Scope::Whole => (songplays.clone(), time.clone()),
            Scope::PlaysAfter(id) => (
                format!("(SELECT * FROM {songplays} WHERE songplay_id > {id})"),
                format!(
                    "(SELECT * FROM {time} WHERE start_time IN \
                     (SELECT start_time FROM {songplays} WHERE songplay_id > {id}))"
                ),
            ),
        };
        let mut values: Vec<(&str, &str)> = vec![
            ("plays", &plays),
            ("times", &times),
            ("songplays", &songplays),
            ("users", &users),
            ("songs", &songs),
            ("artists", &artists),
            ("time", &time),
            ("eq", self.exact_text),
            ("utc_now", self.utc_now),
        ];
        values.extend_from_slice(extra);
        render(template, &values)
    }
}

#[cfg(test)]
mod tests;
