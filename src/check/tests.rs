//! Tests of `check`.

use std::collections::HashMap;

use super::*;
use crate::db::sql::{POSTGRES, REDSHIFT};

/// Every built-in renders for both dialects and for both kinds of table set.
#[test]
fn built_ins_render_for_each_dialect() {
    let tables = TableSet {
        schema: "dwh".parse().unwrap(),
        prefix: "sparkify_load_r1_".into(),
    };
    let run = Some(RunCounts {
        plays: 6820,
        users: 96,
    });
    let mut overrides = HashMap::new();
    overrides.insert("gender_accepted".to_string(), Severity::Error);
    for sql in [&POSTGRES, &REDSHIFT] {
        let names = TableNames::of(sql, &tables, Scope::Whole);
        let checks = built_in(sql, &names, run, &overrides);
        assert_eq!(checks.len(), 16);
        assert!(checks
            .iter()
            .all(|c| c.query.contains("\"dwh\".sparkify_load_r1_")));
        let gender = checks.iter().find(|c| c.name == "gender_accepted").unwrap();
        assert_eq!(gender.severity, Severity::Error);
    }
}

/// An incremental run's gate reads the plays after the last id before it, and their
/// start times; the rest of the tables as they are.
#[test]
fn an_incremental_scope_reads_the_new_plays() {
    let tables = TableSet::plain("public".parse().unwrap());
    let names = TableNames::of(&POSTGRES, &tables, Scope::PlaysAfter(690));
    let checks = built_in(&POSTGRES, &names, None, &HashMap::new());
    let query = |name: &str| &checks.iter().find(|c| c.name == name).unwrap().query;
    let new_plays = "(SELECT * FROM \"public\".songplays WHERE songplay_id > 690) sp";
    assert!(query("songplays_time_known").contains(new_plays));
    assert!(query("no_future_plays").contains(new_plays));
    assert!(query("time_parts_agree").contains(
        "start_time IN (SELECT start_time FROM \"public\".songplays WHERE songplay_id > 690)"
    ));
    assert!(query("users_key").contains("FROM \"public\".users WHERE"));
}
