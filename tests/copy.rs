//! Copy mode (raw records COPY'd in, checks and transforms in SQL) against known answers,
//! and parity with client mode: two independent routes to the same tables.

mod common;

use common::*;
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
    let database = Database::new(&Secret::new(url.clone()), Dialect::Postgres).unwrap();
    let (a, b) = ("client".parse().unwrap(), "copy".parse().unwrap());
    let report = parity(
        &Side {
            database: &database,
            schema: &a,
        },
        &Side {
            database: &database,
            schema: &b,
        },
    )
    .await
    .unwrap();
    (url, report)
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

/// Each kind of bad record, one a line, with a good event between each.
fn bad_tree() -> (tempfile::TempDir, Vec<u64>) {
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
    ];
    let mut text = String::new();
    let mut lines = Vec::new();
    for (i, record) in bad.iter().enumerate() {
        text.push_str(&GOOD.replace("1546400000000", &(1546400000000i64 + i as i64).to_string()));
        text.push('\n');
        text.push_str(record);
        text.push('\n');
        lines.push(2 * i as u64 + 2);
    }
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&tiny(), dir.path());
    std::fs::write(
        dir.path().join("log_data/2019/01/2019-01-03-events.json"),
        text,
    )
    .unwrap();
    (dir, lines)
}

#[tokio::test]
async fn both_modes_find_the_same_bad_records_and_load_the_same_rest() {
    let (tree, lines) = bad_tree();
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
            11 + lines.len(),
            "{schema}"
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
    assert_eq!(
        dump(&url, "copy", "songplays").await.len(),
        11 + lines.len()
    );
    assert_eq!(schemas(&url).await, vec!["client", "copy", "public"]);
}
