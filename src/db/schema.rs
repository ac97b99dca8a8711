//! `SchemaName`: a target schema's name, checked so that it never needs quoting rules.

use std::fmt;
use std::str::FromStr;

use crate::error::Error;

/// A schema name: lower-case letters, digits and `_`, starting with a letter or `_`,
/// at most 40 bytes, so that it never needs case-sensitive quoting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaName(String);

pub const MAX_SCHEMA_LEN: usize = 40;

impl SchemaName {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The name as a quoted SQL identifier.
    pub fn quoted(&self) -> String {
        format!("\"{}\"", self.0)
    }

    /// `"schema".prefix`: how SQL names this schema's tables whose names begin with
    /// `prefix` (the prefix is one of ours, lower-case letters, digits and `_`).
    pub fn qualify(&self, prefix: &str) -> String {
        format!("{}.{prefix}", self.quoted())
    }
}

/// Every table the tool keeps in a target schema beside the five star tables begins with
/// this; the rest of its name says whose it is (docs/SECURITY.md, "What the tool keeps").
pub const RESERVED: &str = "sparkify_load_";

/// The tables of incremental loads' state: the manifest and what the merge needs.
pub const STATE_PREFIX: &str = "sparkify_load_state_";

/// The registry of sharded loads: which shards finished, which runs were merged.
pub const SHARD_REGISTRY_PREFIX: &str = "sparkify_load_shards_";

/// The private tables of one load (`--run-id`): built, then moved in or merged, then
/// dropped.
pub fn run_prefix(run: &str) -> String {
    format!("{RESERVED}run_{run}_")
}

/// The tables of shard `index` of a sharded run, which wait for the merge.
pub fn shard_prefix(run: &str, index: u32) -> String {
    format!("{RESERVED}shard_{run}_{index}_")
}

impl Default for SchemaName {
    fn default() -> Self {
        SchemaName("public".into())
    }
}

impl FromStr for SchemaName {
    type Err = Error;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        let mut bytes = name.bytes();
        let valid_start = matches!(bytes.next(), Some(b'a'..=b'z' | b'_'));
        let valid_rest = bytes.all(|b| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'_'));
        if valid_start && valid_rest && name.len() <= MAX_SCHEMA_LEN && !name.starts_with("pg_") {
            Ok(SchemaName(name.to_string()))
        } else {
            Err(Error::Config(format!(
                "schema name {name:?} is not allowed: use lower-case letters, digits and _, \
                 starting with a letter or _, at most {MAX_SCHEMA_LEN} bytes, not pg_*"
            )))
        }
    }
}

impl fmt::Display for SchemaName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_names_are_checked() {
        assert_eq!(
            "sparkify_2".parse::<SchemaName>().unwrap().quoted(),
            "\"sparkify_2\""
        );
        for bad in [
            "",
            "Public",
            "1x",
            "a-b",
            "x\"; drop",
            "pg_catalog",
            &"a".repeat(41),
        ] {
            assert!(bad.parse::<SchemaName>().is_err(), "{bad}");
        }
    }
}
