//! `parity`: whether two loaded star schemas hold the same tables, as SPEC's parity rule
//! says — per table, the same multiset of rows over every column but `songplay_id`,
//! doubles exact, timestamps to the millisecond.

use std::collections::HashMap;
use std::fmt;

use serde::Serialize;

use crate::db::{render, sql, Database, SchemaName};
use crate::error::Result;

/// The five tables with the query that renders each row as one line of text.
pub const TABLES: [(&str, &str); 5] = sql::PARITY;

/// The columns of each table's parity query that hold doubles. They are read back as the
/// double their text stands for, so that one double printed by two servers (PostgreSQL's
/// shortest text, Redshift's 17 digits) is one value, and two doubles are never one text.
const DOUBLES: [(&str, &[usize]); 2] = [("songs", &[4]), ("artists", &[3, 4])];

/// How many differing rows a report shows per side and table.
const EXAMPLES: usize = 5;

/// One side of a comparison: a database and a schema in it.
pub struct Side<'a> {
    pub database: &'a Database,
    pub schema: &'a SchemaName,
}

/// How one table differs.
#[derive(Debug, Clone, Serialize)]
pub struct TableParity {
    pub table: &'static str,
    pub rows_a: u64,
    pub rows_b: u64,
    /// Rows in A beyond their count in B (a multiset difference), and the reverse.
    pub only_in_a: u64,
    pub only_in_b: u64,
    pub examples_a: Vec<String>,
    pub examples_b: Vec<String>,
}

/// The comparison of all five tables.
#[derive(Debug, Clone, Serialize)]
pub struct ParityReport {
    pub a: String,
    pub b: String,
    pub tables: Vec<TableParity>,
}

impl ParityReport {
    pub fn is_equal(&self) -> bool {
        self.tables
            .iter()
            .all(|t| t.only_in_a == 0 && t.only_in_b == 0)
    }
}

/// Every row of `schema.table` as parity's text lines, sorted.
pub async fn table_rows(side: &Side<'_>, table: &str) -> Result<Vec<String>> {
    let (_, template) = TABLES
        .iter()
        .find(|(name, _)| *name == table)
        .expect("a star-schema table");
    let sql = render(template, &[("schema", &side.schema.quoted())]);
    let client = side.database.connect().await?;
    let step = format!("read {table}");
    // Redshift prints 15 significant digits by default, so doubles that differ in the 16th
    // or 17th would read alike (docs/REDSHIFT.md rule 28).
    let exact_floats = side.database.sql().exact_floats;
    if !exact_floats.is_empty() {
        side.database.run(&client, &step, exact_floats).await?;
    }
    let rows = side.database.text_rows(&client, &step, &sql).await?;
    let doubles = DOUBLES
        .iter()
        .find(|(name, _)| *name == table)
        .map_or(&[][..], |(_, columns)| *columns);
    // One line per row: the values joined by tabs, NULL as \N.
    let mut lines: Vec<String> = rows
        .iter()
        .map(|row| {
            row.iter()
                .enumerate()
                .map(|(column, value)| match value {
                    None => "\\N".to_string(),
                    Some(text) if doubles.contains(&column) => exact_double(text),
                    Some(text) => text.clone(),
                })
                .collect::<Vec<_>>()
                .join("\t")
        })
        .collect();
    lines.sort_unstable();
    Ok(lines)
}

/// A double's text as the shortest text that reads back as the same double, written as
/// PostgreSQL writes it (an exponent only for the very small and the very large); a text
/// that is not a number (which no double column holds) as it is.
fn exact_double(text: &str) -> String {
    match text.parse::<f64>() {
        Ok(value) if value == 0.0 || (1e-4..1e15).contains(&value.abs()) => format!("{value}"),
        Ok(value) => format!("{value:e}"),
        Err(_) => text.to_string(),
    }
}

/// Compares the five tables of two schemas.
pub async fn parity(a: &Side<'_>, b: &Side<'_>) -> Result<ParityReport> {
    let mut tables = Vec::new();
    for (table, _) in TABLES {
        let (rows_a, rows_b) = tokio::try_join!(table_rows(a, table), table_rows(b, table))?;
        tables.push(compare(table, &rows_a, &rows_b));
    }
    Ok(ParityReport {
        a: format!("{} schema {}", a.database.label(), a.schema),
        b: format!("{} schema {}", b.database.label(), b.schema),
        tables,
    })
}

fn compare(table: &'static str, rows_a: &[String], rows_b: &[String]) -> TableParity {
    let mut balance: HashMap<&str, i64> = HashMap::new();
    for row in rows_a {
        *balance.entry(row).or_default() += 1;
    }
    for row in rows_b {
        *balance.entry(row).or_default() -= 1;
    }
    let mut extra_a: Vec<(&str, i64)> = balance
        .iter()
        .filter(|(_, n)| **n > 0)
        .map(|(r, n)| (*r, *n))
        .collect();
    let mut extra_b: Vec<(&str, i64)> = balance
        .iter()
        .filter(|(_, n)| **n < 0)
        .map(|(r, n)| (*r, -*n))
        .collect();
    extra_a.sort_unstable();
    extra_b.sort_unstable();
    let examples = |extra: &[(&str, i64)]| -> Vec<String> {
        extra
            .iter()
            .take(EXAMPLES)
            .map(|(row, n)| {
                if *n > 1 {
                    format!("{row}  (x{n})")
                } else {
                    row.to_string()
                }
            })
            .collect()
    };
    TableParity {
        table,
        rows_a: rows_a.len() as u64,
        rows_b: rows_b.len() as u64,
        only_in_a: extra_a.iter().map(|(_, n)| *n as u64).sum(),
        only_in_b: extra_b.iter().map(|(_, n)| *n as u64).sum(),
        examples_a: examples(&extra_a),
        examples_b: examples(&extra_b),
    }
}

impl fmt::Display for ParityReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "A: {}\nB: {}", self.a, self.b)?;
        for t in &self.tables {
            let verdict = if t.only_in_a == 0 && t.only_in_b == 0 {
                "same"
            } else {
                "DIFFERENT"
            };
            writeln!(
                f,
                "  {:<10} {verdict:<9} A {} rows, B {} rows, only in A {}, only in B {}",
                t.table, t.rows_a, t.rows_b, t.only_in_a, t.only_in_b
            )?;
            for i in 0..t.examples_a.len().max(t.examples_b.len()) {
                let a = t.examples_a.get(i).map_or("", String::as_str);
                let b = t.examples_b.get(i).map_or("", String::as_str);
                writeln!(f, "    A: {a}\n    B: {b}")?;
            }
        }
        write!(
            f,
            "{}",
            if self.is_equal() {
                "parity: the tables are the same"
            } else {
                "parity: the tables differ"
            }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compares_multisets() {
        let a: Vec<String> = ["x", "x", "y", "z"].map(String::from).to_vec();
        let b: Vec<String> = ["x", "y", "y", "w"].map(String::from).to_vec();
        let t = compare("t", &a, &b);
        assert_eq!((t.only_in_a, t.only_in_b), (2, 2));
        assert_eq!(t.examples_a, vec!["x", "z"]);
        assert_eq!(t.examples_b, vec!["w", "y"]);
        assert_eq!(compare("t", &a, &a).only_in_a, 0);
    }
}
