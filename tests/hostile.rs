//! Hostile text and secrets: strings load verbatim or are refused per SPEC in both modes,
//! never executed; secrets appear in no output, report or reject file.

mod common;

use common::*;
use sparkify_load::Mode;

/// Text that must load exactly as decoded from JSON.
fn hostile_strings() -> Vec<String> {
    vec![
        "'); DROP TABLE songs;--".to_string(),
        "Robert\"); DROP TABLE users; --".to_string(),
        "back\\slash \\N \\\\ and \"quotes\" and 'single'".to_string(),
        "tab\tnewline\ncarriage\rbell\u{7}escape\u{1b}".to_string(),
        "emoji \u{1F600}\u{1F3B8} and \u{e9}\u{301} and \u{202e}rtl".to_string(),
        "$1 $$ dollar $tag$ {schema} %s %d".to_string(),
        "x".repeat(100_000),
    ]
}

fn hostile_tree() -> (tempfile::TempDir, Vec<String>) {
    let strings = hostile_strings();
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("song_data")).unwrap();
    std::fs::create_dir_all(dir.path().join("log_data")).unwrap();
    let mut events = String::new();
    for (i, text) in strings.iter().enumerate() {
        let song = serde_json::json!({
            "song_id": format!("SO{i}"), "title": text, "artist_id": format!("AR{i}"),
            "artist_name": text, "artist_location": text, "duration": 100.5, "year": 2000,
        });
        std::fs::write(
            dir.path().join(format!("song_data/{i}.json")),
            song.to_string(),
        )
        .unwrap();
        let event = serde_json::json!({
            "artist": text, "song": text, "length": 100.5, "page": "NextSong", "ts": 1_541_105_830_796i64 + i as i64,
            "userId": (i + 1).to_string(), "firstName": text, "lastName": "L", "gender": "F", "level": "free",
            "sessionId": 1, "itemInSession": i, "location": text, "userAgent": text,
        });
        events.push_str(&event.to_string());
        events.push('\n');
    }
    // Refused in both modes: NUL and unpaired surrogate escapes.
    for (i, bad) in ["\\u0000", "\\ud800", "\\udfff"].iter().enumerate() {
        events.push_str(&format!(
            "{{\"page\":\"NextSong\",\"ts\":1,\"userId\":\"{}\",\"firstName\":\"a{bad}b\"}}\n",
            100 + i
        ));
    }
    std::fs::write(dir.path().join("log_data/events.json"), events).unwrap();
    (dir, strings)
}

#[tokio::test]
async fn hostile_text_loads_verbatim_in_both_modes_and_bad_escapes_are_refused() {
    let (tree, strings) = hostile_tree();
    let url = fresh_database().await;
    for (mode, schema) in [(Mode::Client, "client"), (Mode::Copy, "copy")] {
        let mut config = config(tree.path(), &url);
        config.mode = mode;
        config.schema = schema.parse().unwrap();
        config.max_errors = 3;
        config.reject_file = Some(tree.path().join(format!("{schema}.jsonl")));
        let report = load(&config)
            .await
            .unwrap_or_else(|e| panic!("{schema}: {e}"));
        assert_eq!(report.bad_records, 3, "{schema}");
        let titles = texts(
            &url,
            &format!("SELECT title FROM {schema}.songs ORDER BY song_id"),
        )
        .await;
        assert_eq!(titles, strings, "{schema}");
        let names = texts(
            &url,
            &format!("SELECT first_name FROM {schema}.users ORDER BY user_id"),
        )
        .await;
        assert_eq!(names, strings, "{schema}");
        let client = connect(&url).await;
        let matched: i64 = client
            .query_one(
                &format!("SELECT count(song_id) FROM {schema}.songplays"),
                &[],
            )
            .await
            .unwrap()
            .get(0);
        assert_eq!(
            matched,
            strings.len() as i64,
            "{schema}: every play matches its song"
        );
    }
    let client = connect(&url).await;
    let tables: i64 = client
        .query_one(
            "SELECT count(*) FROM pg_tables WHERE schemaname IN ('client', 'copy')",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(tables, 10, "nothing was dropped by the text");
}

const PASSWORD: &str = "pw-Secr3t-4711";
const AWS_SECRET: &str = "aws-Secr3t-0815";

fn run(args: &[&str], home: &std::path::Path) -> String {
    let out = cli_command(Some(home))
        .args(args)
        .arg("-vv")
        .env("AWS_ACCESS_KEY_ID", "AKIAEXAMPLEEXAMPLE")
        .env("AWS_SECRET_ACCESS_KEY", AWS_SECRET)
        .env("AWS_REGION", "us-west-2")
        .output()
        .unwrap();
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_appear_in_no_output_report_or_reject_file() {
    let home = tempfile::tempdir().unwrap();
    let url = fresh_database()
        .await
        .replace("sparkify@", &format!("sparkify:{PASSWORD}@"));
    let tiny_dir = tiny();
    let (songs, logs) = (tiny_dir.join("song_data"), tiny_dir.join("log_data"));
    let (songs, logs) = (songs.to_str().unwrap(), logs.to_str().unwrap());
    let (bad_tree, _) = hostile_tree();
    let (bad_songs, bad_logs) = (
        bad_tree.path().join("song_data"),
        bad_tree.path().join("log_data"),
    );
    let files = home.path();
    let report = files.join("report.json");
    let rejects = files.join("rejects.jsonl");
    let cfg = files.join("dwh.cfg");
    std::fs::write(
        &cfg,
        format!("[CLUSTER]\nHOST=127.0.0.1\nDB_NAME=x\nDB_USER=u\nDB_PASSWORD={PASSWORD}\nDB_PORT=1\n[IAM_ROLE]\nARN=arn:aws:iam::1:role/r\n[S3]\nLOG_DATA=s3://b/l\nSONG_DATA=s3://b/s\n"),
    )
    .unwrap();
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let unreachable = format!("postgresql://u:{PASSWORD}@127.0.0.1:{closed}/x");
    let endpoint = format!("http://127.0.0.1:{closed}");
    let analytics = files.join("analytics");
    let (report_s, rejects_s, cfg_s, analytics_s) = (
        report.to_str().unwrap(),
        rejects.to_str().unwrap(),
        cfg.to_str().unwrap(),
        analytics.to_str().unwrap(),
    );
    let runs: Vec<Vec<&str>> = vec![
        vec![
            "--target",
            &url,
            "--song-data",
            songs,
            "--log-data",
            logs,
            "--report",
            report_s,
        ],
        vec![
            "--mode",
            "copy",
            "--target",
            &url,
            "--song-data",
            songs,
            "--log-data",
            logs,
        ],
        vec![
            "--target",
            &url,
            "--song-data",
            bad_songs.to_str().unwrap(),
            "--log-data",
            bad_logs.to_str().unwrap(),
            "--max-errors",
            "3",
            "--reject-file",
            rejects_s,
        ],
        vec![
            "--target",
            &url,
            "--song-data",
            bad_songs.to_str().unwrap(),
            "--log-data",
            bad_logs.to_str().unwrap(),
        ],
        vec![
            "--target",
            &unreachable,
            "--song-data",
            songs,
            "--log-data",
            logs,
        ],
        vec!["--config", cfg_s],
        vec![
            "--config",
            cfg_s,
            "--mode",
            "copy",
            "--dry-run",
            "--dialect",
            "redshift",
        ],
        vec![
            "--target",
            &url,
            "--song-data",
            "s3://bucket/songs",
            "--log-data",
            logs,
            "--endpoint-url",
            &endpoint,
            "--s3-attempts",
            "1",
        ],
        vec!["create-tables", "--target", &url, "--schema", "made"],
        vec!["create-tables", "--target", &unreachable],
        vec![
            "parity",
            "--target",
            &url,
            "--schema-a",
            "public",
            "--schema-b",
            "made",
        ],
        vec![
            "parity",
            "--target",
            &unreachable,
            "--schema-a",
            "a",
            "--schema-b",
            "b",
        ],
        vec!["report", "--target", &url, "--out", analytics_s],
        vec!["report", "--target", &unreachable, "--out", analytics_s],
        vec!["next", "--target", &url, "--user", "10"],
    ];
    for args in &runs {
        let output = run(args, home.path());
        assert!(
            !output.contains(PASSWORD) && !output.contains(AWS_SECRET),
            "{args:?} leaked:\n{output}"
        );
    }
    for file in [&report, &rejects, &analytics.join("report.html")] {
        let text = std::fs::read_to_string(file).unwrap();
        assert!(
            !text.contains(PASSWORD) && !text.contains(AWS_SECRET),
            "{}",
            file.display()
        );
    }
}
