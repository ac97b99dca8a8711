//! Tests of `insert`.

use super::*;
use crate::model::UserRow;
use crate::sink::arrays::unnest_sql;
use tokio_postgres::types::Type;

#[test]
fn statements_stay_within_the_parameter_cap() {
    assert_eq!(rows_per_statement(8, 1_000), 1_000);
    assert_eq!(rows_per_statement(8, 10_000), 4_095);
    assert!(rows_per_statement(7, 100_000) * 7 <= MAX_PARAMS);
    assert_eq!(rows_per_statement(5, 0), 1);
}

#[test]
fn literal_statements_split_at_the_row_cap_and_end_in_a_semicolon() {
    let tables = TableSet::plain("s".parse().unwrap());
    let rows: Vec<UserRow> = (1..=5)
        .map(|user_id| UserRow {
            user_id,
            first_name: Some("O'Neil".into()),
            last_name: None,
            gender: Some("F".into()),
            level: Some("free".into()),
        })
        .collect();
    let literals = Literals::REDSHIFT;
    let statements: Vec<String> = LiteralStatements::new(
        "INSERT INTO {schema}.{table} ({columns}) VALUES {rows}\n",
        &tables,
        &rows,
        literals,
        2,
    )
    .collect();
    assert_eq!(statements.len(), 3);
    assert_eq!(
        statements[2],
        "INSERT INTO \"s\".users (user_id, first_name, last_name, gender, level) VALUES \
         (5,'O''Neil',NULL,'F','free');"
    );
    assert!(statements[0].contains("(1,'O''Neil',NULL,'F','free'),(2,"));
}

/// Tables of schema `s` under the prefix `new_`.
fn new_tables() -> TableSet {
    TableSet {
        schema: "s".parse().unwrap(),
        prefix: "new_".into(),
    }
}

#[test]
fn values_sql_numbers_placeholders_row_by_row() {
    let template = "INSERT INTO {schema}.{table} ({columns}) VALUES {rows}\n";
    let sql = values_sql(template, &new_tables(), ("t", &["a", "b"]), 2);
    assert_eq!(sql, "INSERT INTO \"s\".new_t (a, b) VALUES ($1,$2),($3,$4)");
}

#[test]
fn unnest_sql_casts_one_array_per_column() {
    let template = "INSERT INTO {schema}.{table} ({columns}) SELECT * FROM unnest({arrays})\n";
    let types = [Type::INT8, Type::VARCHAR];
    let sql = unnest_sql(template, &new_tables(), ("t", &["a", "b"]), &types);
    assert_eq!(
        sql,
        "INSERT INTO \"s\".new_t (a, b) SELECT * FROM unnest($1::int8[], $2::varchar[])"
    );
}
