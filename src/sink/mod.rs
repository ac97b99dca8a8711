//! Where rows go. Client mode's rows reach a [`RowSink`]: multi-row INSERTs ([`insert`]:
//! one array per column, [`arrays`]; bind parameters; or, on Redshift, SQL literals,
//! [`literal`]), gzip CSV parts under an S3 staging prefix for one COPY a table
//! ([`s3_copy`], [`csv`]), or a printed plan ([`printed`], the dry run). Every sink writes
//! into the load's private tables ([`private`]), whose rows are moved in at the end; copy
//! mode's raw records go to its raw tables in `COPY … FROM STDIN` ([`raw`]).

use std::future::Future;

use tokio_postgres::types::ToSql;

use crate::error::Result;
use crate::report::Stage;

pub mod arrays;
pub mod csv;
pub mod insert;
pub mod literal;
pub mod printed;
pub mod private;
pub mod raw;
mod rows;
pub mod s3_copy;
pub mod values;

use values::Values;

/// A row of one table, as every sink writes it: bound as parameters, written as SQL
/// literals or CSV fields.
pub trait TableRow: Send + Sync + 'static {
    const TABLE: &'static str;
    /// The columns written, in order; columns the database fills are left out.
    const COLUMNS: &'static [&'static str];

    fn push_params<'a>(&'a self, out: &mut Vec<&'a (dyn ToSql + Sync)>);

    /// The row's values, in column order, to a writer of SQL literals or CSV fields.
    fn write_values<W: Values>(&self, row: &mut W);

    /// An upper bound on the bytes the row's values take in a statement.
    fn statement_bytes(&self) -> usize;
}

/// Where a load's rows go, table by table: what the client pipeline (`load::client`)
/// writes through, whichever the sink.
pub trait RowSink: Sync {
    /// The report's name for the stage in which the events are read and the rows
    /// written.
    const EVENTS_STAGE: &'static str;

    /// Writers of one table that may work at once (the INSERT connections); at least 1.
    fn lanes(&self) -> usize {
        1
    }

    /// A writer of `R`'s table on lane `lane` (below [`RowSink::lanes`]).
    fn table<R: TableRow>(&self, lane: usize) -> impl TableSink<R>;

    /// What the sink does once every table is written (the COPY of each staged table),
    /// with its stages.
    fn close(&self) -> impl Future<Output = Result<Vec<Stage>>> {
        async { Ok(Vec::new()) }
    }
}

/// A writer of one table's rows: push them, then finish to learn how many were written.
pub trait TableSink<R> {
    fn push<I>(&mut self, rows: I) -> impl Future<Output = Result<()>>
    where
        I: IntoIterator<Item = R>;

    fn finish(self) -> impl Future<Output = Result<u64>>;
}
