//! Where rows go: new tables built apart (under a load's private names) and moved
//! in at the end ([`staging`]); client mode's rows arrive in multi-row INSERTs ([`insert`]),
//! as one array per column ([`arrays`]), bind parameters or, on Redshift, SQL literals
//! ([`literal`]); copy mode's raw records
//! in `COPY … FROM STDIN` ([`raw`]).

pub mod arrays;
pub mod csv;
pub mod insert;
pub mod literal;
pub mod raw;
mod rows;
pub mod s3_copy;
pub mod staging;
pub mod values;

use crate::db::SchemaName;

/// Where a load writes its tables: a schema, and a prefix on each table's name (a load's
/// private names in the target schema; none for the five tables themselves).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableSet {
    pub schema: SchemaName,
    pub prefix: String,
}

impl TableSet {
    /// The tables of `schema` under their own names.
    pub fn plain(schema: SchemaName) -> TableSet {
        TableSet {
            schema,
            prefix: String::new(),
        }
    }

    /// A table's name within the schema, unquoted: the prefix and the star schema's name.
    pub fn name(&self, table: &str) -> String {
        format!("{}{table}", self.prefix)
    }

    /// `"schema".prefix`: what goes before a table's name in SQL that names several.
    pub fn qualifier(&self) -> String {
        format!("{}.{}", self.schema.quoted(), self.prefix)
    }
}
