//! Client-mode loads into a real PostgreSQL: exact tables for known inputs, atomicity,
//! idempotence and bad input.

use crate::common::*;
use sparkify_fixtures::{generate, FixtureSpec};
use sparkify_load::Error;

#[tokio::test]
async fn tiny_fixture_gives_the_hand_derived_tables() {
    let url = fresh_database().await;
    let report = load(&config(&tiny(), &url)).await.unwrap();
    assert_eq!(dump_all(&url, "public").await, expected_tiny_all());
    let t = report.tables;
    assert_eq!(
        (t.songplays, t.users, t.songs, t.artists, t.time),
        (11, 6, 6, 4, 7)
    );
    assert_eq!(report.songs.ignored_keys, vec!["B/_SUCCESS", "notes.txt"]);
    assert_eq!(report.logs.ignored_keys, vec!["_SUCCESS"]);
    assert_eq!((report.songs.objects, report.songs.records), (7, 7));
    assert_eq!((report.logs.objects, report.logs.records), (4, 13));
    assert_eq!(schemas(&url).await, vec!["public"], "no schema is made");
    assert_eq!(
        tables_in(&url, "public").await,
        LOADED_TABLES,
        "no private table is left"
    );
}

#[tokio::test]
async fn classic_data_set_gives_the_known_tables() {
    let Some(data) = real_data() else { return };
    let url = fresh_database().await;
    let report = load(&config(&data, &url)).await.unwrap();
    let t = report.tables;
    assert_eq!(
        (t.songplays, t.users, t.songs, t.artists, t.time),
        (6820, 96, 71, 69, 6813)
    );
    let client = connect(&url).await;
    let counted: Vec<i64> = client
        .query_one("SELECT (SELECT count(*) FROM songplays), (SELECT count(*) FROM users), (SELECT count(*) FROM songs), (SELECT count(*) FROM artists), (SELECT count(*) FROM time)", &[])
        .await
        .map(|row| (0..5).map(|i| row.get(i)).collect())
        .unwrap();
    assert_eq!(counted, vec![6820, 96, 71, 69, 6813]);
    // The one play in the set whose song is in the song data: Elena's "Setanta matins".
    let plays = dump(&url, "public", "songplays").await;
    let matched: Vec<&String> = plays
        .iter()
        .filter(|row| !row.contains("\t\\N\t\\N\t"))
        .collect();
    assert_eq!(
        matched,
        vec!["2018-11-21 21:56:47.796\t15\tpaid\tSOZCTXZ12AB0182364\tAR5KOSW1187FB35FF4\t818\tChicago-Naperville-Elgin, IL-IN-WI\t\"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Ubuntu Chromium/36.0.1985.125 Chrome/36.0.1985.125 Safari/537.36\""]
    );
    let users = dump(&url, "public", "users").await;
    assert!(users.contains(&"15\tLily\tKoch\tF\tpaid".to_string()));
    let levels = client
        .query(
            "SELECT level, count(*) FROM users GROUP BY 1 ORDER BY 1",
            &[],
        )
        .await
        .unwrap();
    let levels: Vec<(String, i64)> = levels.iter().map(|r| (r.get(0), r.get(1))).collect();
    assert_eq!(
        levels,
        vec![("free".to_string(), 74), ("paid".to_string(), 22)]
    );
    assert!(dump(&url, "public", "time")
        .await
        .contains(&"2018-11-30 19:54:24.796\t19\t30\t48\t11\t2018\t5".to_string()));
    assert!(dump(&url, "public", "artists")
        .await
        .contains(&"AR5KOSW1187FB35FF4\tElena\tDubai UAE\t49.80388\t15.47491".to_string()));
}

#[tokio::test]
async fn a_rerun_gives_the_same_tables() {
    let url = fresh_database().await;
    load(&config(&tiny(), &url)).await.unwrap();
    let first = dump_all(&url, "public").await;
    load(&config(&tiny(), &url)).await.unwrap();
    assert_eq!(dump_all(&url, "public").await, first);
    assert_eq!(first, expected_tiny_all());
}

#[tokio::test]
async fn schemas_keep_loads_apart() {
    let url = fresh_database().await;
    let mut into_other = config(&tiny(), &url);
    into_other.schema = "warehouse".parse().unwrap();
    load(&into_other).await.unwrap();
    assert_eq!(dump_all(&url, "warehouse").await, expected_tiny_all());
    assert_eq!(schemas(&url).await, vec!["public", "warehouse"]);
}

/// A tree: the tiny fixture plus one log object with the given text.
fn tiny_with_log(name: &str, text: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&tiny(), dir.path());
    std::fs::write(dir.path().join("log_data/2019/01").join(name), text).unwrap();
    dir
}

const GOOD: &str = r#"{"artist":null,"auth":"Logged In","firstName":"Zed","gender":"M","itemInSession":0,"lastName":"Z","length":null,"level":"free","location":null,"method":"GET","page":"Home","registration":null,"sessionId":99,"song":null,"status":200,"ts":1546400000000,"userAgent":null,"userId":"99"}"#;

#[tokio::test]
async fn each_kind_of_bad_record_fails_the_load_and_keeps_the_old_tables() {
    let url = fresh_database().await;
    load(&config(&tiny(), &url)).await.unwrap();
    let cases = [
        (
            "not JSON",
            format!("{GOOD}\nthis is not json\n{GOOD}\n"),
            2,
            "invalid JSON",
        ),
        (
            "cut off",
            format!("{GOOD}\n{GOOD}\n{{\"ts\": 15464"),
            3,
            "invalid JSON",
        ),
        (
            "uncoercible",
            format!(
                "{GOOD}\n\n{}\n",
                GOOD.replace("\"sessionId\":99", "\"sessionId\":\"ninety\"")
            ),
            3,
            "sessionId",
        ),
        (
            "missing ts",
            GOOD.replace("\"ts\":1546400000000,", ""),
            1,
            "ts: missing",
        ),
        (
            "missing page",
            GOOD.replace("\"page\":\"Home\",", ""),
            1,
            "page: missing",
        ),
        (
            "array",
            format!("{GOOD}\n[{GOOD}]"),
            2,
            "an array, not a JSON object",
        ),
    ];
    for (kind, text, line, reason) in cases {
        let tree = tiny_with_log("2019-01-03-events.json", &text);
        let err = load(&config(tree.path(), &url)).await.expect_err(kind);
        let Error::BadInput {
            first,
            count,
            max_errors,
        } = &err
        else {
            panic!("{kind}: {err}")
        };
        assert_eq!((*count, *max_errors), (1, 0), "{kind}");
        assert!(
            first
                .key
                .ends_with("log_data/2019/01/2019-01-03-events.json"),
            "{kind}: {}",
            first.key
        );
        assert_eq!(first.line, line, "{kind}");
        assert!(first.reason.contains(reason), "{kind}: {}", first.reason);
        let message = err.to_string();
        assert!(
            message.contains(&format!("2019-01-03-events.json line {line}:")),
            "{kind}: {message}"
        );
        assert_eq!(
            dump_all(&url, "public").await,
            expected_tiny_all(),
            "{kind}: old tables kept"
        );
        assert_eq!(
            schemas(&url).await,
            vec!["public"],
            "{kind}: staging dropped"
        );
    }
}

#[tokio::test]
async fn max_errors_skips_bad_records_into_the_reject_file() {
    let url = fresh_database().await;
    let text = format!(
        "{GOOD}\n{{\"ts\": oops}}\n{}\n{GOOD}\n",
        GOOD.replace("\"ts\":1546400000000", "\"ts\":null")
    );
    let tree = tiny_with_log("2019-01-03-events.json", &text);
    let rejects = tree.path().join("rejects.jsonl");
    let mut config = config(tree.path(), &url);
    config.max_errors = 2;
    config.reject_file = Some(rejects.clone());
    let report = load(&config).await.unwrap();
    assert_eq!(report.bad_records, 2);
    assert_eq!(report.reject_file.as_deref(), Some(rejects.as_path()));
    // The good lines are Home pages: the tables are the tiny fixture's.
    assert_eq!(dump_all(&url, "public").await, expected_tiny_all());
    let lines: Vec<serde_json::Value> = std::fs::read_to_string(&rejects)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["line"], 2);
    assert_eq!(lines[0]["raw"], "{\"ts\": oops}");
    assert_eq!(lines[1]["line"], 3);
    assert!(lines[1]["reason"].as_str().unwrap().contains("ts: missing"));
    assert_eq!(
        lines[1]["raw"],
        GOOD.replace("\"ts\":1546400000000", "\"ts\":null")
    );
    assert!(lines[1]["key"]
        .as_str()
        .unwrap()
        .ends_with("log_data/2019/01/2019-01-03-events.json"));

    config.max_errors = 1;
    let err = load(&config)
        .await
        .expect_err("two bad records, one allowed");
    assert!(
        matches!(
            err,
            Error::BadInput {
                count: 2,
                max_errors: 1,
                ..
            }
        ),
        "{err}"
    );
}

#[tokio::test]
async fn a_load_that_fails_midway_leaves_the_old_tables() {
    let url = fresh_database().await;
    load(&config(&tiny(), &url)).await.unwrap();
    // Arm a fault: any INSERT into the next staged songplays table raises.
    let client = connect(&url).await;
    client
        .batch_execute(
            r#"
            CREATE FUNCTION fail_insert() RETURNS trigger LANGUAGE plpgsql AS
              $$ BEGIN RAISE EXCEPTION 'injected failure'; END $$;
            CREATE FUNCTION arm_fault() RETURNS event_trigger LANGUAGE plpgsql AS $$
            DECLARE r record;
            BEGIN
              FOR r IN SELECT * FROM pg_event_trigger_ddl_commands()
                       WHERE command_tag = 'CREATE TABLE' AND object_identity LIKE 'public.sparkify\_load\_run\_%\_songplays'
              LOOP
                EXECUTE format('CREATE TRIGGER fail AFTER INSERT ON %s FOR EACH STATEMENT EXECUTE FUNCTION fail_insert()', r.object_identity);
              END LOOP;
            END $$;
            CREATE EVENT TRIGGER arm_fault ON ddl_command_end EXECUTE FUNCTION arm_fault();
            "#,
        )
        .await
        .unwrap();
    let data = real_data().unwrap_or_else(tiny);
    let err = load(&config(&data, &url))
        .await
        .expect_err("the insert fails");
    let message = err.to_string();
    assert!(
        message.contains("insert into songplays") && message.contains("injected failure"),
        "{message}"
    );
    assert!(matches!(err, Error::Target(_)), "{err:?}");
    assert_eq!(dump_all(&url, "public").await, expected_tiny_all());
    assert_eq!(schemas(&url).await, vec!["public"]);

    client
        .batch_execute("DROP EVENT TRIGGER arm_fault")
        .await
        .unwrap();
    load(&config(&tiny(), &url)).await.unwrap();
    assert_eq!(dump_all(&url, "public").await, expected_tiny_all());
}

#[tokio::test]
async fn unreadable_source_and_unreachable_target_are_named() {
    let url = fresh_database().await;
    let missing = tiny().join("no-such-tree");
    let err = load(&config(&missing, &url))
        .await
        .expect_err("no such directory");
    let message = err.to_string();
    assert!(matches!(err, Error::Source(_)), "{message}");
    assert!(
        message.contains("no-such-tree/song_data") && message.contains("no such directory"),
        "{message}"
    );

    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let unreachable = format!("postgresql://sparkify:hunter2secret@127.0.0.1:{closed}/x");
    let err = load(&config(&tiny(), &unreachable))
        .await
        .expect_err("nothing listens");
    let message = format!("{err} {err:?}");
    assert!(matches!(err, Error::Target(_)), "{message}");
    assert!(
        message.contains(&format!("sparkify@127.0.0.1:{closed}/x: connect")),
        "{message}"
    );
    assert!(!message.contains("hunter2secret"), "{message}");
}

#[tokio::test]
async fn generated_fixtures_load_cleanly_and_are_deterministic() {
    let dir = tempfile::tempdir().unwrap();
    let spec = FixtureSpec {
        songs: 300,
        events: 4_000,
        seed: 7,
    };
    let summary = generate(&dir.path().join("a"), &spec).unwrap();
    generate(&dir.path().join("b"), &spec).unwrap();
    generate(
        &dir.path().join("c"),
        &FixtureSpec {
            seed: 8,
            ..spec.clone()
        },
    )
    .unwrap();
    let listing = |tree: &str| -> Vec<(String, Vec<u8>)> {
        let root = dir.path().join(tree);
        let mut files: Vec<(String, Vec<u8>)> = walkdir::WalkDir::new(&root)
            .into_iter()
            .map(Result::unwrap)
            .filter(|e| e.file_type().is_file())
            .map(|e| {
                (
                    e.path().strip_prefix(&root).unwrap().display().to_string(),
                    std::fs::read(e.path()).unwrap(),
                )
            })
            .collect();
        files.sort();
        files
    };
    assert_eq!(listing("a"), listing("b"), "same seed, same bytes");
    assert_ne!(listing("a"), listing("c"), "another seed, other data");

    let url = fresh_database().await;
    let report = load(&config(&dir.path().join("a"), &url)).await.unwrap();
    assert_eq!(report.bad_records, 0);
    assert_eq!(report.songs.objects as usize, summary.song_objects);
    assert_eq!(report.songs.records as usize, summary.song_records);
    assert_eq!(report.logs.objects as usize, summary.log_objects);
    assert_eq!(report.logs.records as usize, summary.events);
    assert_eq!(
        report.songs.ignored_keys.len() + report.logs.ignored_keys.len(),
        summary.ignored_files
    );
    let t = report.tables;
    assert!(
        t.songplays > 2_000 && t.songs < 300 && t.artists <= 100,
        "{t:?}"
    );
    // Plays of catalogue songs are matched; the generator plays them about half the time.
    let client = connect(&url).await;
    let matched: i64 = client
        .query_one("SELECT count(song_id) FROM songplays", &[])
        .await
        .unwrap()
        .get(0);
    assert!(
        matched * 3 > t.songplays as i64,
        "{matched} of {}",
        t.songplays
    );
}

#[test]
fn the_shipped_sample_is_what_the_generator_makes() {
    let dir = tempfile::tempdir().unwrap();
    generate(
        dir.path(),
        &FixtureSpec {
            songs: 200,
            events: 5_000,
            seed: 1,
        },
    )
    .unwrap();
    let shipped = fixtures().join("sample");
    let mut compared = 0;
    for entry in walkdir::WalkDir::new(dir.path()) {
        let entry = entry.unwrap();
        if entry.file_type().is_file() {
            let relative = entry.path().strip_prefix(dir.path()).unwrap();
            let ours = std::fs::read(entry.path()).unwrap();
            let theirs = std::fs::read(shipped.join(relative))
                .unwrap_or_else(|_| panic!("fixtures/sample lacks {}", relative.display()));
            assert!(ours == theirs, "fixtures/sample/{} differs: regenerate with `sparkify-load gen-fixtures fixtures/sample --songs 200 --events 5000 --seed 1 --force`", relative.display());
            compared += 1;
        }
    }
    let shipped_files = walkdir::WalkDir::new(&shipped)
        .into_iter()
        .filter(|e| e.as_ref().unwrap().file_type().is_file())
        .count();
    assert_eq!(compared, shipped_files);
    assert_eq!(compared, 222);
}
