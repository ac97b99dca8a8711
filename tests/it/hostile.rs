//! Hostile text and secrets: strings load verbatim or are refused per SPEC in both modes,
//! never executed; secrets appear in no output, report or reject file.

use crate::common::hostile::hostile_tree;
use crate::common::*;
use sparkify_load::Mode;

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
            "SELECT count(*) FROM pg_tables WHERE schemaname IN ('client', 'copy') \
             AND tablename NOT LIKE 'sparkify\\_load\\_%'",
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
