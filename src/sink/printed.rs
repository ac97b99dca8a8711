//! The dry run's sink: each table's rows kept until the table is finished, then printed as
//! the step that would write them — the table's first INSERT with its first rows and the
//! count of the rest, or with `--sink s3-copy` the parts it would stage and its COPY.
//! Nothing is sent anywhere.

use std::marker::PhantomData;
use std::sync::Mutex;

use super::insert::DEFAULT_ROWS_PER_STATEMENT;
use super::literal::LiteralStatements;
use super::s3_copy::{copy_statement, manifest_url, parts_url, run_prefix};
use super::{RowSink, TableRow, TableSink};
use crate::config::S3Copy;
use crate::db::literal::Literals;
use crate::db::{DialectSql, TableSet};
use crate::error::Result;
use crate::model::{ArtistRow, ObjectRow, SongRow, SongplayRow, TimeRow, UserRow};

/// Rows of each table shown in full; the rest are counted.
const ROWS_SHOWN: usize = 3;

/// The order the plan lists the tables in, whichever finished first.
const TABLE_ORDER: [&str; 6] = [
    SongRow::TABLE,
    ArtistRow::TABLE,
    SongplayRow::TABLE,
    UserRow::TABLE,
    TimeRow::TABLE,
    ObjectRow::TABLE,
];

/// How the printed rows would travel.
pub enum Printed<'a> {
    /// Multi-row INSERTs of SQL literals.
    Inserts(&'static DialectSql),
    /// `--sink s3-copy`: gzip CSV parts under the staging prefix of run `run_id`, then
    /// one COPY a table.
    S3Copy { copy: &'a S3Copy, run_id: &'a str },
}

/// A plan's steps for the rows of a load, each (what it does, SQL), as they are printed.
pub struct PrintedSink<'a> {
    via: Printed<'a>,
    tables: TableSet,
    steps: Mutex<Vec<(&'static str, (String, String))>>,
}

impl<'a> PrintedSink<'a> {
    /// The steps that would write rows into `tables` `via` one route.
    pub fn new(via: Printed<'a>, tables: TableSet) -> PrintedSink<'a> {
        PrintedSink {
            via,
            tables,
            steps: Mutex::new(Vec::new()),
        }
    }

    /// The steps, in the tables' order.
    pub fn into_steps(self) -> Vec<(String, String)> {
        let mut steps = self.steps.into_inner().expect("never poisoned");
        steps.sort_by_key(|(table, _)| TABLE_ORDER.iter().position(|t| t == table));
        steps.into_iter().map(|(_, step)| step).collect()
    }

    /// The step that writes `rows`, whose literal tuples are `tuples`.
    fn step<R: TableRow>(&self, tuples: &[String], rows: &[R]) -> (String, String) {
        match &self.via {
            Printed::Inserts(sql) => inserts::<R>(sql, &self.tables, tuples),
            Printed::S3Copy { copy, run_id } => copies(copy, run_id, &self.tables, rows),
        }
    }
}

impl RowSink for PrintedSink<'_> {
    const EVENTS_STAGE: &'static str = "events";

    fn table<R: TableRow>(&self, _lane: usize) -> impl TableSink<R> {
        PrintedTable {
            sink: self,
            rows: Vec::new(),
            row: PhantomData,
        }
    }
}

/// One table's rows, kept until it is printed.
pub struct PrintedTable<'s, R> {
    sink: &'s PrintedSink<'s>,
    rows: Vec<R>,
    row: PhantomData<fn(R)>,
}

impl<R: TableRow> TableSink<R> for PrintedTable<'_, R> {
    async fn push<I: IntoIterator<Item = R>>(&mut self, rows: I) -> Result<()> {
        self.rows.extend(rows);
        Ok(())
    }

    /// Prints the table's step. The rows are listed in the order of their literals, so
    /// that two dry runs of the same trees print the same plan, whichever object was read
    /// first; each row's literals are written once.
    async fn finish(self) -> Result<u64> {
        let mut keyed: Vec<(String, R)> = self
            .rows
            .into_iter()
            .map(|row| {
                let mut tuple = String::new();
                super::literal::tuple(Literals::REDSHIFT, &mut tuple, |values| {
                    row.write_values(values)
                });
                (tuple, row)
            })
            .collect();
        keyed.sort_by(|(a, _), (b, _)| a.cmp(b));
        let (tuples, rows): (Vec<String>, Vec<R>) = keyed.into_iter().unzip();
        let step = self.sink.step(&tuples, &rows);
        let mut steps = self.sink.steps.lock().expect("never poisoned");
        steps.push((R::TABLE, step));
        Ok(rows.len() as u64)
    }
}

/// The first INSERT of a table with its first rows (as `tuples`); the step says how
/// many more follow.
fn inserts<R: TableRow>(
    sql: &DialectSql,
    tables: &TableSet,
    tuples: &[String],
) -> (String, String) {
    let table = (R::TABLE, R::COLUMNS);
    let count = LiteralStatements::of_tuples(
        sql.insert,
        tables,
        table,
        tuples,
        DEFAULT_ROWS_PER_STATEMENT,
    )
    .count();
    let shown = &tuples[..tuples.len().min(ROWS_SHOWN)];
    let first = LiteralStatements::of_tuples(sql.insert, tables, table, shown, ROWS_SHOWN)
        .next()
        .unwrap_or_else(|| format!("-- no rows for {}", R::TABLE));
    let step = format!(
        "insert into {}: {} rows in {count} statements; the first {} shown, the rest elided",
        R::TABLE,
        tuples.len(),
        shown.len()
    );
    (step, first)
}

/// A table's rows staged as gzip CSV parts, then its COPY.
fn copies<R: TableRow>(
    copy: &S3Copy,
    run_id: &str,
    tables: &TableSet,
    rows: &[R],
) -> (String, String) {
    let prefix = run_prefix(&copy.prefix, run_id);
    let manifest = manifest_url(&copy.bucket, &prefix, R::TABLE);
    let step = format!(
        "stage {}: {} rows as gzip CSV parts under {} (a multiple of the cluster's slices), \
         listed in {manifest}; then COPY them",
        R::TABLE,
        rows.len(),
        parts_url(&copy.bucket, &prefix, R::TABLE)
    );
    let statement = copy_statement(copy, tables, (R::TABLE, R::COLUMNS), &manifest);
    (step, statement)
}
