//! The built-in checks: each table's key, the rules the loader guarantees (errors) or
//! that a reader may not expect (warnings), and the two that reconcile the run's counts.

use std::collections::HashMap;

use super::{Check, Expectation, RunCounts, Severity, TableNames};
use crate::db::sql::checks;
use crate::db::DialectSql;

/// The built-in checks beyond the keys: (name, query, default severity). Invariants the
/// loader guarantees are errors; what the contract loads verbatim but a reader may not
/// expect is a warning, which a check file can make an error.
const RULES: [(&str, &str, Severity); 9] = [
    (
        "songplays_time_known",
        checks::SONGPLAYS_TIME_KNOWN,
        Severity::Error,
    ),
    (
        "songplays_user_known",
        checks::SONGPLAYS_USER_KNOWN,
        Severity::Error,
    ),
    (
        "songplays_song_known",
        checks::SONGPLAYS_SONG_KNOWN,
        Severity::Error,
    ),
    (
        "songplays_artist_known",
        checks::SONGPLAYS_ARTIST_KNOWN,
        Severity::Error,
    ),
    (
        "time_parts_agree",
        checks::TIME_PARTS_AGREE,
        Severity::Error,
    ),
    ("level_accepted", checks::LEVEL_ACCEPTED, Severity::Warning),
    (
        "gender_accepted",
        checks::GENDER_ACCEPTED,
        Severity::Warning,
    ),
    (
        "tables_not_empty",
        checks::TABLES_NOT_EMPTY,
        Severity::Warning,
    ),
    (
        "no_future_plays",
        checks::NO_FUTURE_PLAYS,
        Severity::Warning,
    ),
];

/// The names of the built-in checks, as a check file's `[severity]` table names them.
pub fn built_in_names() -> Vec<String> {
    ["songplays", "users", "songs", "artists", "time"]
        .iter()
        .map(|table| format!("{table}_key"))
        .chain(RULES.iter().map(|(name, ..)| name.to_string()))
        .chain(["songplays_reconcile", "users_reconcile"].map(String::from))
        .collect()
}

/// The built-in checks of the tables in `tables`, severities as `overrides` says; with the
/// run's counts, the two that reconcile them too.
pub(super) fn built_in(
    sql: &DialectSql,
    names: &TableNames,
    run: Option<RunCounts>,
    overrides: &HashMap<String, Severity>,
) -> Vec<Check> {
    let rules = RULES.into_iter().map(|(name, template, severity)| Check {
        name: name.to_string(),
        query: names.render(template, &[]),
        expect: Expectation::NoRows,
        severity,
        primary_key: None,
    });
    let mut built: Vec<Check> = key_checks(sql, names)
        .chain(rules)
        .chain(run.into_iter().flat_map(|run| reconcile_checks(names, run)))
        .collect();
    for check in &mut built {
        if let Some(severity) = overrides.get(&check.name) {
            check.severity = *severity;
        }
    }
    built
}

/// Each table's key is unique and never NULL: an error.
fn key_checks<'a>(sql: &'a DialectSql, names: &'a TableNames) -> impl Iterator<Item = Check> + 'a {
    // (table, key, whether the key is text)
    let keys = [
        ("songplays", "songplay_id", false),
        ("users", "user_id", false),
        ("songs", "song_id", true),
        ("artists", "artist_id", true),
        ("time", "start_time", false),
    ];
    keys.into_iter().map(move |(table, column, text)| {
        let grouping = match text {
            true => format!("{column}{}", sql.exact_text),
            false => column.to_string(),
        };
        let query = names.render(
            checks::KEY,
            &[
                ("table", &names.table(table)),
                ("column", column),
                ("grouping", &grouping),
            ],
        );
        Check {
            name: format!("{table}_key"),
            query,
            expect: Expectation::NoRows,
            severity: Severity::Error,
            primary_key: Some((names.table(table), column)),
        }
    })
}

/// The tables hold the plays and users the run read: an error.
fn reconcile_checks(names: &TableNames, run: RunCounts) -> impl Iterator<Item = Check> + '_ {
    [("songplays", run.plays), ("users", run.users)]
        .into_iter()
        .map(move |(table, expected)| Check {
            name: format!("{table}_reconcile"),
            query: names.render(checks::COUNT, &[("table", &names.table(table))]),
            expect: Expectation::Equals(expected.to_string()),
            severity: Severity::Error,
            primary_key: None,
        })
}
