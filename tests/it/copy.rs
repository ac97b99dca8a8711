//! Copy mode (raw records COPY'd in, checks and transforms in SQL) against known answers,
//! and parity with client mode: two independent routes to the same tables.

use crate::common::*;
use sparkify_fixtures::{generate, FixtureSpec};
use sparkify_load::db::Database;
use sparkify_load::parity::{parity, Side};
use sparkify_load::{Dialect, Error, LoadRequest, Mode, Secret};

fn in_mode(mut config: LoadRequest, mode: Mode, schema: &str) -> LoadRequest {
    config.mode = mode;
    config.schema = schema.parse().unwrap();
    config
}

/// Loads `root` in both modes into two schemas and compares them.
async fn both_modes(
    root: &std::path::Path,
    max_errors: u64,
) -> (String, sparkify_load::parity::ParityReport) {
    let url = fresh_database().await;
    let mut base = config(root, &url);
    base.max_errors = max_errors;
    load(&in_mode(base.clone(), Mode::Client, "client"))
        .await
        .unwrap();
    load(&in_mode(base, Mode::Copy, "copy")).await.unwrap();
    let report = schemas_compared(&url, "client", "copy").await;
    (url, report)
}

/// `parity` between two schemas of one database.
async fn schemas_compared(url: &str, a: &str, b: &str) -> sparkify_load::parity::ParityReport {
    let database = Database::new(&Secret::new(url.to_string()), Dialect::Postgres).unwrap();
    let (a, b) = (a.parse().unwrap(), b.parse().unwrap());
    let side = |schema| Side {
        database: &database,
        schema,
    };
    parity(&side(&a), &side(&b)).await.unwrap()
}

#[tokio::test]
async fn copy_mode_gives_the_hand_derived_tables() {
    let url = fresh_database().await;
    let report = load(&in_mode(config(&tiny(), &url), Mode::Copy, "public"))
        .await
        .unwrap();
    assert_eq!(report.mode, "copy");
    assert_eq!(dump_all(&url, "public").await, expected_tiny_all());
    assert_eq!(report.songs.ignored_keys, vec!["B/_SUCCESS", "notes.txt"]);
    assert_eq!((report.logs.objects, report.logs.records), (4, 13));
    assert_eq!(schemas(&url).await, vec!["public"], "no staging left");
}

#[tokio::test]
async fn parity_holds_on_generated_and_classic_data() {
    let dir = tempfile::tempdir().unwrap();
    generate(
        dir.path(),
        &FixtureSpec {
            songs: 400,
            events: 6_000,
            seed: 11,
        },
    )
    .unwrap();
    let (_, report) = both_modes(dir.path(), 0).await;
    assert!(report.is_equal(), "{report}");
    assert!(report.tables[0].rows_a > 4_000, "{report}");

    let Some(data) = real_data() else { return };
    let (_, report) = both_modes(&data, 0).await;
    assert!(report.is_equal(), "{report}");
    assert_eq!(
        report.tables.iter().map(|t| t.rows_b).collect::<Vec<_>>(),
        vec![6820, 96, 71, 69, 6813]
    );
}

const GOOD: &str = r#"{"artist":"A","auth":"Logged In","firstName":"Zed","gender":"M","itemInSession":0,"lastName":"Z","length":1.5,"level":"free","location":"X, CA","method":"PUT","page":"NextSong","registration":null,"sessionId":99,"song":"S","status":200,"ts":1546400000000,"userAgent":null,"userId":"99"}"#;

/// Each kind of bad record, one a line, with a good event before each: the tree, the lines
/// of the bad records, and the number of good events.
fn bad_tree() -> (tempfile::TempDir, Vec<u64>, usize) {
    let bad = [
        "this is not json".to_string(),
        GOOD.replace("\"sessionId\":99", "\"sessionId\":\"ninety\""),
        GOOD.replace("\"sessionId\":99", "\"sessionId\":1.5"),
        GOOD.replace("\"sessionId\":99", "\"sessionId\":3000000000"),
        GOOD.replace("\"length\":1.5", "\"length\":1e400"),
        GOOD.replace("\"length\":1.5", "\"length\":\"nan\""),
        GOOD.replace("\"length\":1.5", "\"length\":true"),
        GOOD.replace("\"ts\":1546400000000,", ""),
        GOOD.replace("\"ts\":1546400000000", "\"ts\":\"\""),
        GOOD.replace("\"ts\":1546400000000", "\"ts\":9223372036854775807"),
        GOOD.replace("\"page\":\"NextSong\",", ""),
        GOOD.replace("\"page\":\"NextSong\"", "\"page\":null"),
        format!("[{GOOD}]"),
        GOOD.replace("\"status\":200", "\"status\":200,\"status\":201"),
        GOOD.replace("\"Zed\"", "\"Z\\u0000ed\""),
        GOOD.replace("\"Zed\"", "\"Z\\ud800ed\""),
        GOOD.replace("\"method\"", "\"m\\udc00ethod\""),
        GOOD.replace("\"userId\":\"99\"", "\"userId\":{\"id\":99}"),
        // Raw control characters in a key are not JSON (SPEC section 1).
        GOOD.replace("\"method\"", "\"me\tthod\""),
        GOOD.replace("\"firstName\"", "\"first\u{0}Name\""),
        GOOD.replace("\"method\"", "\"me\u{1f}thod\""),
        GOOD.replace("\"method\"", "\"me\rthod\""),
        // A string cut by a raw line break: the record ends with its line, and its rest
        // on the next line is bad too (a number, then half a string).
        GOOD.replace("\"userId\":\"99\"", "\"userId\":\"9\n9\""),
        GOOD.replace("\"method\"", "\"me\r\nthod\""),
    ];
    let mut text = String::new();
    let mut lines = Vec::new();
    let mut line = 1;
    for (i, record) in bad.iter().enumerate() {
        text.push_str(&GOOD.replace("1546400000000", &(1546400000000i64 + i as i64).to_string()));
        text.push('\n');
        text.push_str(record);
        text.push('\n');
        line += 1;
        lines.push(line);
        if let Some(rest) = record.split('\n').nth(1) {
            line += 1;
            // `9"}…` is a number and then a broken string; `thod"…` is not JSON at all.
            lines.extend(std::iter::repeat_n(
                line,
                1 + usize::from(rest.starts_with('9')),
            ));
        }
        line += 1;
    }
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&tiny(), dir.path());
    std::fs::write(
        dir.path().join("log_data/2019/01/2019-01-03-events.json"),
        text,
    )
    .unwrap();
    (dir, lines, bad.len())
}

#[tokio::test]
async fn both_modes_find_the_same_bad_records_and_load_the_same_rest() {
    let (tree, lines, good) = bad_tree();
    let url = fresh_database().await;
    let mut lines_seen = Vec::new();
    for (mode, schema) in [(Mode::Client, "client"), (Mode::Copy, "copy")] {
        let rejects = tree.path().join(format!("{schema}.jsonl"));
        let mut config = in_mode(config(tree.path(), &url), mode, schema);
        config.max_errors = lines.len() as u64;
        config.reject_file = Some(rejects.clone());
        let report = load(&config)
            .await
            .unwrap_or_else(|e| panic!("{schema}: {e}"));
        assert_eq!(report.bad_records, lines.len() as u64, "{schema}");
        let found: Vec<u64> = std::fs::read_to_string(&rejects)
            .unwrap()
            .lines()
            .map(|l| {
                serde_json::from_str::<serde_json::Value>(l).unwrap()["line"]
                    .as_u64()
                    .unwrap()
            })
            .collect();
        lines_seen.push(found);
        // The good events between the bad ones are plays of user 99.
        let users = dump(&url, schema, "users").await;
        assert!(
            users.contains(&"99\tZed\tZ\tM\tfree".to_string()),
            "{schema}: {users:?}"
        );
        assert_eq!(
            dump(&url, schema, "songplays").await.len(),
            11 + good,
            "{schema}: every good line between the bad ones is a play"
        );
    }
    assert_eq!(lines_seen[0], lines);
    assert_eq!(lines_seen[1], lines);

    // One bad record over the limit fails copy mode too, keeping the tables it had.
    let mut config = in_mode(config(tree.path(), &url), Mode::Copy, "copy");
    config.max_errors = lines.len() as u64 - 1;
    let err = load(&config).await.expect_err("too many bad records");
    assert!(matches!(err, Error::BadInput { .. }), "{err}");
    assert!(
        err.to_string()
            .contains("2019-01-03-events.json line 2: invalid JSON"),
        "{err}"
    );
    assert_eq!(dump(&url, "copy", "songplays").await.len(), 11 + good);
    assert_eq!(schemas(&url).await, vec!["client", "copy", "public"]);
}

/// Copy mode's own check of a record is PostgreSQL's JSON parser, and what it refuses is a bad
/// record, never a failed load: the splitter refuses these first, so they are asked directly.
#[tokio::test]
async fn copy_modes_sql_finds_a_record_that_is_not_json_bad() {
    let url = fresh_database().await;
    let client = connect(&url).await;
    client
        .batch_execute(&format!(
            "CREATE SCHEMA t; {}",
            sparkify_load::db::sql::postgres_copy::PREPARE.replace("{private}", "t.")
        ))
        .await
        .unwrap();
    for (record, problem) in [
        (
            "{\"a\tb\": 1}",
            Some("invalid JSON: Character with value 0x09 must be escaped."),
        ),
        (
            "{\"a\": \"x\ny\"}",
            Some("invalid JSON: Character with value 0x0a must be escaped."),
        ),
        ("{\"a\" : 1}", None),
        ("{\n\t\"a\":\r\n 1\n}", None),
        ("[1]", Some("the record is array, not a JSON object")),
    ] {
        let found: Option<String> = client
            .query_one("SELECT t.record_problem($1)", &[&record])
            .await
            .unwrap()
            .get(0);
        assert_eq!(found.as_deref(), problem, "{record:?}");
    }
}

/// Parity compares doubles exactly even where the server prints 15 significant digits, as
/// Redshift does by default (AWS, "extra_float_digits"): 0.1 and the next double, both
/// printed "0.1" there, are two values.
#[tokio::test]
async fn parity_tells_apart_doubles_that_differ_in_their_last_digit() {
    let url = fresh_database().await;
    let client = connect(&url).await;
    client
        .batch_execute(
            "DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET extra_float_digits = 0', \
             current_database()); END $$",
        )
        .await
        .unwrap();
    for schema in ["a", "b"] {
        load(&in_mode(config(&tiny(), &url), Mode::Client, schema))
            .await
            .unwrap();
    }
    assert!(schemas_compared(&url, "a", "b").await.is_equal());
    let next_after_a_tenth = 0.1f64.next_up();
    let fresh = connect(&url).await;
    fresh
        .batch_execute(&format!(
            "UPDATE a.artists SET latitude = 0.1; UPDATE b.artists SET latitude = {next_after_a_tenth:?}"
        ))
        .await
        .unwrap();
    let printed: String = fresh
        .query_one("SELECT min(latitude)::text FROM b.artists", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(
        printed, "0.1",
        "the session prints 15 digits, as Redshift does"
    );
    let report = schemas_compared(&url, "a", "b").await;
    let artists = report.tables.iter().find(|t| t.table == "artists").unwrap();
    assert_eq!(
        (artists.only_in_a, artists.only_in_b),
        (artists.rows_a, artists.rows_b)
    );
    assert!(!report.is_equal());
}
