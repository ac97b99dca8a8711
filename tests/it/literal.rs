//! `--insert literal`, the Redshift insert path, against a PostgreSQL that reads string
//! literals as Redshift does (`standard_conforming_strings = off`, a stand-in for that one
//! rule, not for Redshift): every value comes back byte for byte, and a literal load
//! equals a bind load, table for table.

use crate::common::hostile::hostile_tree;
use crate::common::*;
use proptest::prelude::*;
use sparkify_fixtures::{generate, FixtureSpec};
use sparkify_load::db::literal::Literals;
use sparkify_load::db::Database;
use sparkify_load::parity::{parity, Side};
use sparkify_load::sink::values::Values;
use sparkify_load::{Dialect, InsertMethod, SchemaName, Secret};

/// Loads `tree` into `url` twice, with literals and with binds, and compares the two.
async fn literal_equals_bind(tree: &std::path::Path, url: &str, max_errors: u64) {
    for (insert, schema) in [
        (InsertMethod::Literal, "literal"),
        (InsertMethod::Bind, "bind"),
    ] {
        let mut request = config(tree, url);
        request.insert = Some(insert);
        request.schema = schema.parse().unwrap();
        request.max_errors = max_errors;
        request.reject_file = Some(tree.join(format!("{schema}.jsonl")));
        load(&request)
            .await
            .unwrap_or_else(|e| panic!("{schema}: {e}"));
    }
    let database = Database::new(&Secret::new(url.to_string()), Dialect::Postgres).unwrap();
    let (a, b): (SchemaName, SchemaName) = ("literal".parse().unwrap(), "bind".parse().unwrap());
    let side = |schema| Side {
        database: &database,
        schema,
    };
    let comparison = parity(&side(&a), &side(&b)).await.unwrap();
    assert!(comparison.is_equal(), "{comparison}");
}

#[tokio::test]
async fn the_server_reads_literals_as_redshift_does() {
    let url = fresh_database_on(Flavour::RedshiftLiterals).await;
    let database = Database::new(&Secret::new(url.clone()), Dialect::Postgres).unwrap();
    let client = database.connect().await.unwrap();
    let literals = Literals::of(&database, &client).await.unwrap();
    assert!(literals.backslash_escapes);
    // The same server, read the standard way, is asked and answered too.
    client
        .batch_execute("SET standard_conforming_strings = on")
        .await
        .unwrap();
    assert!(
        !Literals::of(&database, &client)
            .await
            .unwrap()
            .backslash_escapes
    );
}

#[tokio::test]
async fn hostile_text_loads_verbatim_with_literals() {
    let (tree, strings) = hostile_tree();
    let url = fresh_database_on(Flavour::RedshiftLiterals).await;
    literal_equals_bind(tree.path(), &url, 3).await;
    let titles = texts(&url, "SELECT title FROM literal.songs ORDER BY song_id").await;
    assert_eq!(titles, strings);
    let agents = texts(
        &url,
        "SELECT user_agent FROM literal.songplays ORDER BY start_time",
    )
    .await;
    assert_eq!(agents, strings);
}

#[tokio::test]
async fn generated_data_loads_the_same_with_literals_and_binds() {
    let data = tempfile::tempdir().unwrap();
    generate(
        data.path(),
        &FixtureSpec {
            songs: 300,
            events: 4_000,
            seed: 13,
        },
    )
    .unwrap();
    let url = fresh_database_on(Flavour::RedshiftLiterals).await;
    literal_equals_bind(data.path(), &url, 0).await;
}

#[tokio::test]
async fn the_tiny_fixture_loads_with_literals_as_derived_by_hand() {
    let url = fresh_database_on(Flavour::RedshiftLiterals).await;
    let mut request = config(&tiny(), &url);
    request.insert = Some(InsertMethod::Literal);
    load(&request).await.unwrap();
    assert_eq!(dump_all(&url, "public").await, expected_tiny_all());
}

/// Random text, doubles and timestamps: written as literals, inserted, read back
/// (binary, so nothing is lost to a text rendering), identical.
#[test]
fn any_value_survives_a_literal_round_trip() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let url = runtime.block_on(fresh_database_on(Flavour::RedshiftLiterals));
    let client = runtime.block_on(connect(&url));
    runtime
        .block_on(
            client.batch_execute(
                "CREATE TABLE round_trip (t text, d double precision, ts timestamp)",
            ),
        )
        .unwrap();
    let config = ProptestConfig {
        cases: 400,
        ..ProptestConfig::default()
    };
    let text = proptest::collection::vec(
        prop_oneof![
            Just('\'').boxed(),
            Just('\\').boxed(),
            any::<char>()
                .prop_filter("PostgreSQL text holds no NUL", |c| *c != '\0')
                .boxed(),
        ],
        0..40,
    )
    .prop_map(|chars| chars.into_iter().collect::<String>());
    let timestamps = -210_866_803_200_000i64..9_224_318_015_999_999i64;
    proptest!(config, |(text in text, bits in any::<u64>(), millis in timestamps)| {
        let double = f64::from_bits(bits);
        prop_assume!(double.is_finite());
        let timestamp = sparkify_load::model::Timestamp::from_epoch_millis(millis).unwrap();
        let literals = Literals { backslash_escapes: true };
        let mut sql = String::from("INSERT INTO round_trip VALUES ");
        sparkify_load::sink::literal::tuple(literals, &mut sql, |row| {
            row.text(Some(&text)).double(Some(double)).timestamp(timestamp);
        });
        runtime.block_on(async {
            client.batch_execute("TRUNCATE round_trip").await.unwrap();
            client.simple_query(&sql).await.unwrap();
            let row = client.query_one("SELECT t, d, ts FROM round_trip", &[]).await.unwrap();
            let (back_text, back_double, back_ts): (String, f64, sparkify_load::model::Timestamp) =
                (row.get(0), row.get(1), row.get(2));
            prop_assert_eq!(&back_text, &text);
            prop_assert_eq!(back_double.to_bits(), double.to_bits());
            prop_assert_eq!(back_ts, timestamp);
            Ok(())
        })?;
    });
}
