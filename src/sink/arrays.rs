//! The unnested-arrays INSERT: each column of a batch of rows bound as one binary
//! PostgreSQL array, `INSERT … SELECT * FROM unnest($1::type[], …)`. Each element is
//! encoded by the row's own bind parameter, so the rows' types serve both INSERT forms.

use std::error::Error;

use bytes::BytesMut;
use postgres_protocol::types::{array_to_sql, ArrayDimension};
use postgres_protocol::IsNull as ElementIsNull;
use tokio_postgres::types::{to_sql_checked, IsNull, Kind, ToSql, Type};

use super::insert::render_insert;
use crate::db::TableSet;

/// One column of a batch of rows: every `width`-th bind parameter from `column` on.
#[derive(Debug)]
pub struct ColumnArray<'a> {
    params: &'a [&'a (dyn ToSql + Sync)],
    width: usize,
    column: usize,
}

impl<'a> ColumnArray<'a> {
    /// The column `column` of rows whose parameters lie in `params`, `width` to a row.
    pub fn new(params: &'a [&'a (dyn ToSql + Sync)], width: usize, column: usize) -> Self {
        ColumnArray {
            params,
            width,
            column,
        }
    }
}

impl ToSql for ColumnArray<'_> {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut BytesMut,
    ) -> Result<IsNull, Box<dyn Error + Sync + Send>> {
        let Kind::Array(member) = ty.kind() else {
            return Err(format!("a column array binds to an array, not {ty}").into());
        };
        let elements = self.params.iter().skip(self.column).step_by(self.width);
        let dimension = ArrayDimension {
            len: i32::try_from(elements.len())?,
            lower_bound: 1,
        };
        array_to_sql(
            Some(dimension),
            member.oid(),
            elements,
            |element, out| match element.to_sql_checked(member, out)? {
                IsNull::No => Ok(ElementIsNull::No),
                IsNull::Yes => Ok(ElementIsNull::Yes),
            },
            out,
        )?;
        Ok(IsNull::No)
    }

    fn accepts(ty: &Type) -> bool {
        matches!(ty.kind(), Kind::Array(_))
    }

    to_sql_checked!();
}

/// `INSERT INTO schema.table (columns) SELECT * FROM unnest($1::type[], …)`, each cast
/// naming the column's type as a one-row `VALUES` statement's parameters gave it.
pub fn unnest_sql(
    template: &str,
    tables: &TableSet,
    (table, columns): (&str, &[&str]),
    types: &[Type],
) -> String {
    let arrays: Vec<String> = types
        .iter()
        .enumerate()
        .map(|(index, ty)| format!("${}::{}[]", index + 1, ty.name()))
        .collect();
    let arrays = arrays.join(", ");
    render_insert(template, tables, (table, columns), ("arrays", &arrays))
}
