//! A check file (TOML): the user's own checks, each a name, one SQL query and what it must
//! give, and the severity of any built-in check the user wants otherwise.

use std::collections::HashMap;
use std::path::Path;

use serde::Deserialize;

use super::{built_in_names, Expectation, Severity};
use crate::error::Error;

/// The tables a user's query may name, as `{songplays}` and so on.
const TABLES: [&str; 5] = ["songplays", "users", "songs", "artists", "time"];

/// A check file, read and checked.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CheckFile {
    pub checks: Vec<UserCheck>,
    /// Built-in checks whose severity the file sets.
    pub severity: HashMap<String, Severity>,
}

/// One of the user's checks.
#[derive(Debug, Clone, PartialEq)]
pub struct UserCheck {
    pub name: String,
    /// The query, with `{songplays}`, `{users}`, `{songs}`, `{artists}`, `{time}` where a
    /// table is named.
    pub query: String,
    pub expectation: Expectation,
    pub severity: Severity,
}

/// The file as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Written {
    #[serde(default)]
    severity: HashMap<String, Severity>,
    #[serde(default)]
    check: Vec<WrittenCheck>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WrittenCheck {
    name: String,
    sql: String,
    equals: Option<toml::Value>,
    between: Option<[f64; 2]>,
    no_rows: Option<bool>,
    severity: Option<Severity>,
}

impl CheckFile {
    /// Reads and checks a check file.
    pub fn read(path: &Path) -> Result<CheckFile, Error> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            Error::Config(format!(
                "cannot read the check file {}: {e}",
                path.display()
            ))
        })?;
        CheckFile::parse(&text)
            .map_err(|message| Error::Config(format!("check file {}: {message}", path.display())))
    }

    /// Parses a check file's text; the error says what is wrong and where.
    pub fn parse(text: &str) -> Result<CheckFile, String> {
        let written: Written = toml::from_str(text).map_err(|e| e.message().to_string())?;
        let known = built_in_names();
        for name in written.severity.keys() {
            if !known.contains(name) {
                return Err(format!(
                    "[severity] names {name:?}, which is no built-in check (they are: {})",
                    known.join(", ")
                ));
            }
        }
        let checks = written
            .check
            .into_iter()
            .map(UserCheck::of)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(CheckFile {
            checks,
            severity: written.severity,
        })
    }
}

impl UserCheck {
    fn of(written: WrittenCheck) -> Result<UserCheck, String> {
        let name = written.name;
        let expectation = match (written.equals, written.between, written.no_rows) {
            (Some(value), None, None) => Expectation::Equals(match value {
                toml::Value::String(text) => text,
                toml::Value::Integer(number) => number.to_string(),
                toml::Value::Float(number) => number.to_string(),
                _ => return Err(format!("check {name:?}: equals takes a string or a number")),
            }),
            (None, Some([low, high]), None) if low <= high => Expectation::Between(low, high),
            (None, None, Some(true)) => Expectation::NoRows,
            _ => {
                return Err(format!(
                    "check {name:?}: give exactly one of equals = V, between = [LOW, HIGH] \
                     (LOW <= HIGH) or no_rows = true"
                ))
            }
        };
        let query = written.sql.trim().trim_end_matches(';').to_string();
        if let Some(unknown) = placeholders(&query).find(|p| !TABLES.contains(p)) {
            return Err(format!(
                "check {name:?}: {{{unknown}}} is not a table; name them as {{songplays}}, \
                 {{users}}, {{songs}}, {{artists}}, {{time}}"
            ));
        }
        Ok(UserCheck {
            name,
            query,
            expectation,
            severity: written.severity.unwrap_or(Severity::Error),
        })
    }
}

/// The `{name}` placeholders of a query, as the SQL renderer reads them.
fn placeholders(query: &str) -> impl Iterator<Item = &str> {
    query.split('{').skip(1).filter_map(|after| {
        let name_len = after
            .bytes()
            .take_while(|b| b.is_ascii_lowercase() || *b == b'_')
            .count();
        (name_len > 0 && after[name_len..].starts_with('}')).then(|| &after[..name_len])
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_with_each_kind_of_expectation_parses() {
        let file = CheckFile::parse(
            r#"
            [severity]
            gender_accepted = "error"

            [[check]]
            name = "plays"
            sql = "SELECT COUNT(*) FROM {songplays};"
            between = [1, 10000]

            [[check]]
            name = "paid users"
            sql = "SELECT COUNT(*) FROM {users} WHERE level = 'paid'"
            equals = 22
            severity = "warning"

            [[check]]
            name = "no anonymous plays"
            sql = "SELECT songplay_id FROM {songplays} WHERE user_id IS NULL"
            no_rows = true
            "#,
        )
        .unwrap();
        assert_eq!(file.severity["gender_accepted"], Severity::Error);
        let expectations: Vec<_> = file.checks.iter().map(|c| c.expectation.clone()).collect();
        assert_eq!(
            expectations,
            [
                Expectation::Between(1.0, 10000.0),
                Expectation::Equals("22".into()),
                Expectation::NoRows
            ]
        );
        assert_eq!(file.checks[0].query, "SELECT COUNT(*) FROM {songplays}");
        assert_eq!(file.checks[1].severity, Severity::Warning);
        assert_eq!(file.checks[2].severity, Severity::Error);
    }

    #[test]
    fn mistakes_are_named() {
        let err = |text: &str| CheckFile::parse(text).unwrap_err();
        assert!(err("[severity]\nno_such = \"error\"").contains("no built-in check"));
        assert!(err("[[check]]\nname = \"x\"\nsql = \"SELECT 1\"")
            .contains("give exactly one of equals"));
        assert!(
            err("[[check]]\nname = \"x\"\nsql = \"SELECT 1\"\nequals = 1\nno_rows = true")
                .contains("exactly one")
        );
        assert!(
            err("[[check]]\nname = \"x\"\nsql = \"SELECT * FROM {plays}\"\nno_rows = true")
                .contains("{plays} is not a table")
        );
        assert!(
            err("[[check]]\nname = \"x\"\nsql = \"SELECT 1\"\nbetween = [2, 1]")
                .contains("LOW <= HIGH")
        );
        assert!(err("[severity]\nlevel_accepted = \"fatal\"").contains("unknown variant"));
    }
}
