//! Rows as SQL literals for `INSERT … VALUES` over the simple query protocol: one row's
//! values as a tuple, `(…, …)` ([`Literals`], how the target reads a literal,
//! `db::literal`, written through the sink's [`Values`]), and tuples gathered into
//! statements within Redshift's caps ([`LiteralStatements`]).

use crate::db::literal::Literals;
use crate::db::TableSet;
use crate::model::Timestamp;

use super::insert::{render_insert, MAX_STATEMENT_BYTES};
use super::values::Values;
use super::TableRow;

/// Writes one row's values as `(…, …)` into `out`; the tuple closes when `values` returns.
pub fn tuple(literals: Literals, out: &mut String, values: impl FnOnce(&mut Tuple<'_>)) {
    out.push('(');
    let mut tuple = Tuple {
        literals,
        out,
        first: true,
    };
    values(&mut tuple);
    tuple.out.push(')');
}

/// The values of one row, separated by commas.
pub struct Tuple<'a> {
    literals: Literals,
    out: &'a mut String,
    first: bool,
}

impl Tuple<'_> {
    /// Writes the next value with `write`, after a comma unless it is the first.
    fn put(&mut self, write: impl FnOnce(Literals, &mut String)) -> &mut Self {
        if !std::mem::take(&mut self.first) {
            self.out.push(',');
        }
        write(self.literals, self.out);
        self
    }
}

impl Values for Tuple<'_> {
    fn text(&mut self, value: Option<&str>) -> &mut Self {
        self.put(|literals, out| literals.text(out, value))
    }

    fn int(&mut self, value: Option<i32>) -> &mut Self {
        self.put(|literals, out| literals.int(out, value))
    }

    fn bigint(&mut self, value: Option<i64>) -> &mut Self {
        self.put(|literals, out| literals.bigint(out, value))
    }

    fn double(&mut self, value: Option<f64>) -> &mut Self {
        self.put(|literals, out| literals.double(out, value))
    }

    fn timestamp(&mut self, value: Timestamp) -> &mut Self {
        self.put(|literals, out| literals.timestamp(out, value))
    }
}

/// The `INSERT … VALUES (literal, …), (…)` statements of some rows, in order, each within
/// the row cap and Redshift's 16 MB statement cap.
pub struct LiteralStatements<T> {
    /// `INSERT INTO schema.table (columns) VALUES`.
    head: String,
    tuples: T,
    /// The first tuple not yet in a statement.
    next: usize,
    rows_per_statement: usize,
}

/// Rows as SQL literal tuples, each written when its statement is built.
pub trait LiteralTuples {
    fn count(&self) -> usize;

    /// Writes tuple `index` as `(…, …)` into `out`.
    fn write(&self, index: usize, out: &mut String);
}

/// Rows of one table, their literals written as the target reads them.
pub struct RowTuples<'a, R> {
    rows: &'a [R],
    literals: Literals,
}

impl<R: TableRow> LiteralTuples for RowTuples<'_, R> {
    fn count(&self) -> usize {
        self.rows.len()
    }

    fn write(&self, index: usize, out: &mut String) {
        tuple(self.literals, out, |values| {
            self.rows[index].write_values(values)
        });
    }
}

/// Tuples written already (the dry run keeps them to sort the rows it prints).
impl LiteralTuples for &[String] {
    fn count(&self) -> usize {
        self.len()
    }

    fn write(&self, index: usize, out: &mut String) {
        out.push_str(&self[index]);
    }
}

impl<'a, R: TableRow> LiteralStatements<RowTuples<'a, R>> {
    /// The statements of `rows`, with `literals`, at most `requested_rows` rows each.
    pub fn new(
        template: &str,
        tables: &TableSet,
        rows: &'a [R],
        literals: Literals,
        requested_rows: usize,
    ) -> Self {
        let tuples = RowTuples { rows, literals };
        let table = (R::TABLE, R::COLUMNS);
        LiteralStatements::of_tuples(template, tables, table, tuples, requested_rows)
    }
}

impl<T: LiteralTuples> LiteralStatements<T> {
    /// The statements of `tuples` into `table` (its name and columns).
    pub fn of_tuples(
        template: &str,
        tables: &TableSet,
        table: (&str, &[&str]),
        tuples: T,
        requested_rows: usize,
    ) -> Self {
        let head = render_insert(template, tables, table, ("rows", ""));
        LiteralStatements {
            head: head.trim_end().to_string(),
            tuples,
            next: 0,
            rows_per_statement: requested_rows.max(1),
        }
    }
}

impl<T: LiteralTuples> Iterator for LiteralStatements<T> {
    type Item = String;

    fn next(&mut self) -> Option<String> {
        let count = self.tuples.count();
        if self.next >= count {
            return None;
        }
        let mut sql = format!("{} ", self.head);
        let mut row = String::new();
        let mut taken = 0;
        while taken < self.rows_per_statement && self.next + taken < count {
            row.clear();
            self.tuples.write(self.next + taken, &mut row);
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
        self.next += taken;
        sql.push(';');
        Some(sql)
    }
}
