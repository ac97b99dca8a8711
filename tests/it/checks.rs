//! Data quality checks on real servers: each built-in check fails on a table broken by
//! hand and on nothing else; none fails on the classic, generated or hostile data; user
//! checks of each kind pass and fail; a load whose gate fails keeps the old tables.

use crate::common;

use std::collections::HashMap;
use std::path::Path;

use crate::common::*;
use sparkify_load::check::{self, CheckFile, RunCounts};
use sparkify_load::db::TableSet;
use sparkify_load::db::{Database, Dialect};
use sparkify_load::{LoadScope, Mode, Secret};

/// Every check's outcome on `schema`: (name, passed, examples).
async fn outcomes(
    url: &str,
    schema: &str,
    run: Option<RunCounts>,
    file: &CheckFile,
) -> check::Outcomes {
    let database = Database::new(&Secret::new(url.to_string()), Dialect::Postgres).unwrap();
    let tables = TableSet::plain(schema.parse().unwrap());
    let checks = check::all(database.sql(), &tables, check::Scope::Whole, run, file);
    let client = database.connect().await.unwrap();
    check::run(&database, &[&client], &checks).await.unwrap()
}

/// The names of the checks that failed.
fn failed(outcomes: &check::Outcomes) -> Vec<&str> {
    outcomes
        .checks
        .iter()
        .filter(|c| !c.passed)
        .map(|c| c.name.as_str())
        .collect()
}

async fn load_tiny(url: &str) {
    load(&config(&tiny(), url)).await.unwrap();
}

/// Each built-in check, made to fail by a hand-broken table: the check fails, names the
/// rows that break it, and (but where one break must break two checks) nothing else fails.
#[tokio::test]
async fn each_built_in_check_fails_on_a_table_broken_by_hand() {
    let cases: [(&str, &str, &[&str], &str); 14] = [
        (
            "songplays_key",
            "ALTER TABLE songplays DROP CONSTRAINT songplays_pkey;
             INSERT INTO songplays OVERRIDING SYSTEM VALUE SELECT * FROM songplays WHERE songplay_id = 2",
            &["songplays_key"],
            "2",
        ),
        (
            "users_key",
            "ALTER TABLE users DROP CONSTRAINT users_pkey; ALTER TABLE users ALTER user_id DROP NOT NULL;
             INSERT INTO users (user_id, level) VALUES (NULL, 'free')",
            &["users_key"],
            "NULL",
        ),
        (
            "songs_key",
            "ALTER TABLE songs DROP CONSTRAINT songs_pkey;
             INSERT INTO songs SELECT * FROM songs WHERE song_id = 'SOAAA'",
            &["songs_key"],
            "SOAAA",
        ),
        (
            "artists_key",
            "ALTER TABLE artists DROP CONSTRAINT artists_pkey;
             INSERT INTO artists SELECT * FROM artists WHERE artist_id = 'AR1'",
            &["artists_key"],
            "AR1",
        ),
        (
            "time_key",
            "ALTER TABLE time DROP CONSTRAINT time_pkey;
             INSERT INTO time SELECT * FROM time ORDER BY start_time LIMIT 1",
            &["time_key"],
            "1969-12-31 23:59:59.999",
        ),
        (
            "songplays_time_known",
            "DELETE FROM time WHERE start_time = (SELECT start_time FROM songplays WHERE songplay_id = 3)",
            &["songplays_time_known"],
            "3",
        ),
        (
            "songplays_user_known",
            "DELETE FROM users WHERE user_id = (SELECT user_id FROM songplays WHERE songplay_id = 1)",
            &["songplays_user_known"],
            "1",
        ),
        (
            "songplays_song_known",
            "UPDATE songplays SET song_id = 'NO SUCH SONG' WHERE songplay_id = 4",
            &["songplays_song_known"],
            "4",
        ),
        (
            "songplays_artist_known",
            "UPDATE songplays SET artist_id = 'NO SUCH ARTIST' WHERE songplay_id = 5",
            &["songplays_artist_known"],
            "5",
        ),
        (
            "time_parts_agree",
            "UPDATE time SET weekday = (weekday + 1) % 7 WHERE start_time = (SELECT min(start_time) FROM time)",
            &["time_parts_agree"],
            "1969-12-31",
        ),
        (
            "level_accepted",
            "UPDATE users SET level = 'gold' WHERE user_id = (SELECT min(user_id) FROM users)",
            &["level_accepted"],
            "user ",
        ),
        (
            "gender_accepted",
            "UPDATE users SET gender = 'X' WHERE user_id = (SELECT min(user_id) FROM users)",
            &["gender_accepted"],
            ": X",
        ),
        (
            "tables_not_empty",
            "UPDATE songplays SET artist_id = NULL; DELETE FROM artists",
            &["tables_not_empty"],
            "artists",
        ),
        (
            "no_future_plays",
            "INSERT INTO time SELECT t, extract(hour FROM t), extract(day FROM t),
                 extract(week FROM t), extract(month FROM t), extract(year FROM t), extract(dow FROM t)
             FROM (SELECT timestamp '2999-01-01 00:00:00' AS t) future;
             UPDATE songplays SET start_time = '2999-01-01 00:00:00' WHERE songplay_id = 6",
            &["no_future_plays"],
            "6 at 2999-01-01 00:00:00",
        ),
    ];
    for (check, breaking, expected, example) in cases {
        let url = fresh_database().await;
        load_tiny(&url).await;
        let before = outcomes(&url, "public", None, &CheckFile::default()).await;
        assert!(failed(&before).is_empty(), "{check}: {:?}", failed(&before));
        connect(&url).await.batch_execute(breaking).await.unwrap();
        let after = outcomes(&url, "public", None, &CheckFile::default()).await;
        assert_eq!(failed(&after), expected, "{check}");
        let outcome = after.checks.iter().find(|c| c.name == check).unwrap();
        assert!(
            outcome.examples.iter().any(|e| e.contains(example)),
            "{check}: {outcome}"
        );
        let warning = matches!(
            check,
            "level_accepted" | "gender_accepted" | "tables_not_empty" | "no_future_plays"
        );
        assert_eq!(
            (after.errors, after.warnings),
            if warning { (0, 1) } else { (1, 0) },
            "{check}"
        );
    }
}

/// The two checks that reconcile a load's tables with what it read.
#[tokio::test]
async fn reconciliation_compares_the_tables_with_the_run() {
    let url = fresh_database().await;
    load_tiny(&url).await;
    let plays = texts(&url, "SELECT count(*)::text FROM songplays").await[0]
        .parse()
        .unwrap();
    let users = texts(&url, "SELECT count(*)::text FROM users").await[0]
        .parse()
        .unwrap();
    let right = outcomes(
        &url,
        "public",
        Some(RunCounts { plays, users }),
        &CheckFile::default(),
    )
    .await;
    assert!(failed(&right).is_empty());
    let wrong = RunCounts {
        plays: plays + 1,
        users,
    };
    let wrong = outcomes(&url, "public", Some(wrong), &CheckFile::default()).await;
    assert_eq!(failed(&wrong), ["songplays_reconcile"]);
    let outcome = wrong.checks.iter().find(|c| !c.passed).unwrap().to_string();
    assert_eq!(
        outcome,
        format!(
            "FAIL  songplays_reconcile: found {plays}, expected {}",
            plays + 1
        )
    );
}

/// No error-level check fails on the classic, generated and hostile data (warnings may:
/// the contract loads hostile values verbatim).
#[tokio::test]
async fn no_error_on_classic_generated_and_hostile_data() {
    let url = fresh_database().await;
    let generated = tempfile::tempdir().unwrap();
    sparkify_fixtures::generate(
        generated.path(),
        &sparkify_fixtures::FixtureSpec {
            songs: 300,
            events: 5_000,
            seed: 9,
        },
    )
    .unwrap();
    let (hostile, _) = common::hostile::hostile_tree();
    // Values the contract accepts that a check could misread: the ends of PostgreSQL's
    // timestamps, the year 1 BC, an ISO week 53, NULL and padded levels and genders.
    let extreme = tempfile::tempdir().unwrap();
    copy_tree(&tiny().join("song_data"), &extreme.path().join("song_data"));
    let event = |user: u32, ts: i64, level: &str, gender: &str| {
        format!(
            r#"{{"artist": null, "firstName": "F", "gender": {gender}, "itemInSession": 0, "lastName": "L", "length": null, "level": {level}, "location": "X", "page": "NextSong", "sessionId": 1, "song": null, "ts": {ts}, "userAgent": "A", "userId": "{user}"}}"#
        )
    };
    let events = [
        event(1, 9_224_318_015_999_999, "\"paid\"", "\"F\""),
        event(2, -210_866_803_200_000, "null", "null"),
        event(3, -62_135_596_800_001, "\"paid \"", "\"M \""),
        event(4, 1_609_632_000_000, "\"free\"", "\"\""),
        event(5, 0, "\"FREE\"", "\"f\""),
    ];
    std::fs::create_dir_all(extreme.path().join("log_data")).unwrap();
    std::fs::write(
        extreme.path().join("log_data/extreme.json"),
        events.join("\n"),
    )
    .unwrap();
    let mut trees = vec![
        ("generated", generated.path().to_path_buf()),
        ("hostile", hostile.path().to_path_buf()),
    ];
    match real_data() {
        Some(data) => trees.push(("classic", data)),
        None => skipped("no_error_on_…: the classic data (../shared/data/sparkify) is absent"),
    }
    for (name, tree) in trees {
        let routes = [
            (Mode::Client, LoadScope::Rebuild, "c"),
            (Mode::Copy, LoadScope::Rebuild, "k"),
            (Mode::Client, LoadScope::Incremental, "ci"),
            (Mode::Copy, LoadScope::Full, "kf"),
        ];
        for (mode, scope, schema) in routes {
            let mut request = config(&tree, &url);
            request.mode = mode;
            request.scope = scope;
            request.schema = format!("{schema}_{name}").parse().unwrap();
            request.max_errors = 1_000;
            request.reject_file = Some(tree.join("rejects.jsonl"));
            let report = load(&request).await.unwrap();
            assert!(report.stages.iter().any(|s| s.name == "checks"), "{name}");
            let found = outcomes(
                &url,
                &request.schema.to_string(),
                None,
                &CheckFile::default(),
            )
            .await;
            assert_eq!(found.errors, 0, "{name} {mode:?}: {:?}", failed(&found));
        }
    }
}

fn write_checks(dir: &Path, text: &str) -> String {
    let path = dir.join("checks.toml");
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_string()
}

const USER_CHECKS: &str = r#"
[severity]
gender_accepted = "error"

[[check]]
name = "equals passes"
sql = "SELECT COUNT(*) FROM {users}"
equals = USERS

[[check]]
name = "equals fails"
sql = "SELECT COUNT(*) FROM {users}"
equals = 1

[[check]]
name = "between passes"
sql = "SELECT COUNT(*) FROM {songplays}"
between = [1, 1000]

[[check]]
name = "between fails"
sql = "SELECT COUNT(*) FROM {songplays}"
between = [1000, 2000]
severity = "warning"

[[check]]
name = "no rows passes"
sql = "SELECT song_id FROM {songs} WHERE song_id IS NULL"
no_rows = true

[[check]]
name = "no rows fails"
sql = """
SELECT title FROM {songs} s JOIN {artists} a ON a.artist_id = s.artist_id
ORDER BY 1 -- a comment at the end
"""
no_rows = true
"#;

/// A user file with each kind of expectation, passing and failing, through the CLI: a line
/// each, the JSON's shape, exit 6 for a failed error-level check, 0 without one.
#[tokio::test]
async fn user_checks_of_each_kind_pass_and_fail() {
    let url = fresh_database().await;
    load_tiny(&url).await;
    let users = texts(&url, "SELECT count(*)::text FROM users").await[0].clone();
    let dir = tempfile::tempdir().unwrap();
    let file = write_checks(dir.path(), &USER_CHECKS.replace("USERS", &users));
    let out = run_cli(
        &["check", "--target", &url, "--checks", &file, "--json"],
        None,
    );
    assert_eq!(
        out.status.code(),
        Some(6),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["schema"], "public");
    let status: HashMap<String, (bool, String)> = json["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let name = c["name"].as_str().unwrap().to_string();
            (
                name,
                (
                    c["passed"].as_bool().unwrap(),
                    c["severity"].as_str().unwrap().to_string(),
                ),
            )
        })
        .collect();
    for (name, passed, severity) in [
        ("equals passes", true, "error"),
        ("equals fails", false, "error"),
        ("between passes", true, "error"),
        ("between fails", false, "warning"),
        ("no rows passes", true, "error"),
        ("no rows fails", false, "error"),
        ("gender_accepted", true, "error"),
        ("songplays_key", true, "error"),
    ] {
        assert_eq!(status[name], (passed, severity.to_string()), "{name}");
    }
    assert_eq!(
        (json["errors"].as_u64(), json["warnings"].as_u64()),
        (Some(2), Some(1))
    );
    let no_rows = json["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "no rows fails")
        .unwrap();
    assert_eq!(no_rows["examples"].as_array().unwrap().len(), 5);
    assert!(no_rows["found"].as_str().unwrap().ends_with(" rows"));

    let missing = dir.path().join("missing.toml");
    let out = run_cli(
        &[
            "check",
            "--target",
            &url,
            "--checks",
            missing.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read the check file"));

    let out = run_cli(&["check", "--target", &url], None);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains(
            "pass  songplays_key: found 0 rows (the primary key enforces it), expected no rows"
        ),
        "{text}"
    );
    assert!(
        text.ends_with("14 checks on schema public: 14 passed, 0 failed (errors), 0 warnings\n"),
        "{text}"
    );
}

/// A load whose gate fails swaps nothing in: the old tables stay, exit 6 and the check
/// named; in client and copy mode, rebuilt or incremental. `--no-checks` skips the gate.
#[tokio::test]
async fn a_load_whose_gate_fails_keeps_the_old_tables() {
    let url = fresh_database().await;
    let dir = tempfile::tempdir().unwrap();
    let file = write_checks(
        dir.path(),
        "[[check]]\nname = \"at most ten plays\"\nsql = \"SELECT COUNT(*) FROM {songplays}\"\nbetween = [0, 10]\n",
    );
    let path = |p: std::path::PathBuf| p.to_str().unwrap().to_string();
    let load_args = |schema: &str, mode: &str, scope: &str, tree: &Path, checks: Option<&str>| {
        let mut args: Vec<String> = ["load", "--target", &url, "--schema", schema, "--mode", mode]
            .map(String::from)
            .to_vec();
        args.extend(["--song-data".into(), path(tree.join("song_data"))]);
        args.extend(["--log-data".into(), path(tree.join("log_data"))]);
        if !scope.is_empty() {
            args.push(scope.into());
        }
        if let Some(file) = checks {
            args.extend(["--checks".into(), file.into()]);
        }
        args
    };
    let cli =
        |args: Vec<String>| run_cli(&args.iter().map(String::as_str).collect::<Vec<_>>(), None);
    for (mode, scope) in [
        ("client", ""),
        ("copy", ""),
        ("client", "--incremental"),
        ("copy", "--full"),
    ] {
        let schema = format!("gate_{mode}{}", scope.replace('-', "_"));
        // The tiny tree, then more: what an incremental run finds new.
        let tree = dir.path().join(&schema);
        copy_tree(&tiny(), &tree);
        let out = cli(load_args(&schema, mode, scope, &tree, None));
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let old = dump_all(&url, &schema).await;

        for part in ["song_data", "log_data"] {
            copy_tree(
                &fixtures().join("sample").join(part),
                &tree.join(part).join("more"),
            );
        }
        let out = cli(load_args(&schema, mode, scope, &tree, Some(&file)));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(6), "{mode} {scope}: {stderr}");
        assert!(
            stderr.contains("1 quality check(s) failed: FAIL  at most ten plays: found "),
            "{stderr}"
        );
        assert!(stderr.contains("expected between 0 and 10"), "{stderr}");
        assert_eq!(dump_all(&url, &schema).await, old, "{mode} {scope}");
    }
    let sample = fixtures().join("sample");
    let mut args = load_args("nogate", "client", "--no-checks", &sample, None);
    args.extend(["--report".into(), path(dir.path().join("r.json"))]);
    let out = cli(args);
    assert!(out.status.success());
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("r.json")).unwrap()).unwrap();
    let stages: Vec<&str> = report["stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert!(!stages.contains(&"checks"), "{stages:?}");
}

/// `no_future_plays` compares with the current time in UTC, whatever time zone the database
/// or the user gives a session (Redshift's GETDATE() is the session's: AWS, "GETDATE"): a
/// play an hour ago passes under a session 12 hours behind UTC, a play an hour ahead fails.
#[tokio::test]
async fn no_future_plays_compares_in_utc_whatever_the_sessions_time_zone() {
    let url = fresh_database().await;
    load_tiny(&url).await;
    let client = connect(&url).await;
    client
        .batch_execute(
            "DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET timezone = %L', \
             current_database(), 'Etc/GMT+12'); END $$",
        )
        .await
        .unwrap();
    let play_at = |offset: &str| {
        format!(
            "INSERT INTO time SELECT t, extract(hour FROM t), extract(day FROM t), \
                 extract(week FROM t), extract(month FROM t), extract(year FROM t), \
                 extract(dow FROM t) \
             FROM (SELECT date_trunc('second', now() AT TIME ZONE 'UTC') \
                   + interval '{offset}' AS t) moment; \
             UPDATE songplays SET start_time = (SELECT max(start_time) FROM time) \
             WHERE songplay_id = 6"
        )
    };
    let local = connect(&url).await;
    let zone: String = local.query_one("SHOW timezone", &[]).await.unwrap().get(0);
    assert_eq!(zone, "Etc/GMT+12", "new sessions start 12 hours behind UTC");
    local.batch_execute(&play_at("-1 hour")).await.unwrap();
    let outcome = outcomes(&url, "public", None, &CheckFile::default()).await;
    assert!(failed(&outcome).is_empty(), "{:?}", failed(&outcome));
    local.batch_execute(&play_at("1 hour")).await.unwrap();
    let outcome = outcomes(&url, "public", None, &CheckFile::default()).await;
    assert_eq!(failed(&outcome), ["no_future_plays"]);
}
