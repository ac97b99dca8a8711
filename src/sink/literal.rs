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
