//! Tests of `sql`.

use super::*;

#[test]
fn placeholders_are_filled_once_and_other_braces_kept() {
    let sql = render(
        "SELECT '{1,3}', '{}' FROM {schema}.{table}",
        &[("schema", "\"{table}\""), ("table", "t")],
    );
    assert_eq!(sql, "SELECT '{1,3}', '{}' FROM \"{table}\".t");
}

#[test]
#[should_panic(expected = "the placeholder {schema}")]
fn a_placeholder_without_a_value_is_refused() {
    render("SELECT * FROM {schema}.t", &[]);
}

fn name(n: &'static str) -> (&'static str, &'static str) {
    (n, "x")
}

/// Every dialect's template renders with the names its callers give it.
#[test]
fn every_dialect_template_renders_with_its_names() {
    let schema = [name("schema"), name("new")];
    let private = [name("private")];
    for dialect in [&POSTGRES, &REDSHIFT] {
        for template in [dialect.create_tables, dialect.drop_tables]
            .into_iter()
            .chain(dialect.add_keys)
        {
            render(template, &schema);
        }
        render(dialect.drop_functions, &private);
        render(dialect.sync_identity, &[name("schema")]);
        render(dialect.referencing, &[name("schema_name")]);
        render(dialect.leftovers, &[name("schema_name")]);
        render(dialect.state_objects, &[name("state")]);
        render(dialect.state, &[name("state"), name("state_bare")]);
        render(
            dialect.insert,
            &[name("schema"), name("table"), name("columns"), name("rows")],
        );
        render(
            dialect.create_star_schema,
            &[
                name("schema"),
                name("drop_tables"),
                name("create_tables"),
                name("add_keys"),
                name("state"),
            ],
        );
    }
}

/// Every other template renders with the names its callers give it.
#[test]
fn every_route_template_renders_with_its_names() {
    let schema = [name("schema"), name("new")];
    let private = [name("private")];
    for template in [
        postgres_copy::PREPARE,
        postgres_copy::TYPED,
        postgres_copy::BAD_RECORDS,
        postgres_copy::TRANSFORM,
    ] {
        render(template, &private);
    }
    for template in [
        redshift_copy::PREPARE,
        redshift_copy::TRANSFORM,
        redshift_copy::LEAVE_OUT_REFUSED,
        redshift_copy::PLAYS,
        redshift::PREPARE,
        private::NONEMPTY,
    ] {
        render(template, &schema);
    }
    render(private::SCHEMA_EXISTS, &[name("schema_name")]);
    render(private::NEW_OBJECTS, &[name("work"), name("text")]);
    render(private::DROP_RUN, &private);
    render(private::FORGET_MANIFEST, &[name("state")]);
    render(
        private::MOVE_IN,
        &[name("schema"), name("work"), name("overriding")],
    );
    render(
        private::MANIFEST,
        &[
            name("work"),
            name("state"),
            name("state_tables"),
            name("run_id"),
            name("now"),
        ],
    );
    render(
        redshift_copy::REFUSED,
        &[name("schema"), name("new"), name("log_data")],
    );
    render(postgres_copy::COPY_RAW, &[name("private"), name("table")]);
    render(postgres_copy::WORK, &private);
    render(postgres_copy::PLAYS, &private);
    let analytics = [
        analytics::SUMMARY,
        analytics::TOP_SONGS,
        analytics::TOP_ARTISTS,
        analytics::TOP_USERS,
        analytics::PLAYS_BY_HOUR,
        analytics::PLAYS_BY_WEEKDAY,
        analytics::PLAYS_BY_REGION,
        analytics::PAID_VS_FREE,
        analytics::TOP_ARTISTS_BY_LEVEL,
        analytics::LEVEL_CHANGES,
        analytics::NEXT_AFTER_SONG,
        analytics::SUGGEST_FOR_USER,
        analytics::KNOWN_SONG,
        analytics::KNOWN_USER,
    ];
    for template in PARITY.iter().map(|(_, sql)| *sql) {
        render(template, &[name("schema")]);
    }
    for template in analytics {
        render(
            template,
            &[name("schema"), name("param"), name("exact"), name("order")],
        );
    }
    render(COUNTS, &[name("tables")]);
    render(STAR_TABLES, &[name("schema_name")]);
}
