//! The values of one row as a sink writes them, column by column: SQL literals for an
//! INSERT ([`super::literal`]) or CSV fields for a COPY ([`super::csv`]). Each row type
//! says its values once (`TableRow::write_values`), for every writer.

use crate::model::Timestamp;

/// A writer of one row's values, in column order.
pub trait Values {
    fn text(&mut self, value: Option<&str>) -> &mut Self;
    fn int(&mut self, value: Option<i32>) -> &mut Self;
    fn bigint(&mut self, value: Option<i64>) -> &mut Self;
    fn double(&mut self, value: Option<f64>) -> &mut Self;
    fn timestamp(&mut self, value: Timestamp) -> &mut Self;
}
