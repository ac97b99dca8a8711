//! One row's values as a tuple of SQL literals, `(…, …)`, for `INSERT … VALUES` over the
//! simple query protocol: [`Literals`] (how the target reads a literal, `db::literal`)
//! written through the sink's [`Values`].

use crate::db::literal::Literals;
use crate::model::Timestamp;

use super::values::Values;

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
    fn next(&mut self) -> &mut String {
        if !std::mem::take(&mut self.first) {
            self.out.push(',');
        }
        self.out
    }
}

impl Values for Tuple<'_> {
    fn text(&mut self, value: Option<&str>) -> &mut Self {
        let literals = self.literals;
        literals.text(self.next(), value);
        self
    }

    fn int(&mut self, value: Option<i32>) -> &mut Self {
        let literals = self.literals;
        literals.int(self.next(), value);
        self
    }

    fn bigint(&mut self, value: Option<i64>) -> &mut Self {
        let literals = self.literals;
        literals.bigint(self.next(), value);
        self
    }

    fn double(&mut self, value: Option<f64>) -> &mut Self {
        let literals = self.literals;
        literals.double(self.next(), value);
        self
    }

    fn timestamp(&mut self, value: Timestamp) -> &mut Self {
        let literals = self.literals;
        literals.timestamp(self.next(), value);
        self
    }
}
