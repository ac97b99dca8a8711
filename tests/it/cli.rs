//! The `sparkify-load` command as a user runs it: the usage the design names, the
//! embedded default, exit codes, and secrets kept out of every output.

use crate::common;

use std::path::Path;
use std::process::{Command, Output};

use crate::common::*;

fn sparkify_load(args: &[&str], home: &Path) -> Output {
    run_cli(args, Some(home))
}

#[tokio::test]
async fn the_embedded_default_loads_keeps_its_data_and_stops() {
    let home = EmbeddedHome::new();
    let home_path = home.path();
    let mut args = vec!["--mode".to_string(), "client".to_string()];
    args.extend(tree_args(&tiny()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = sparkify_load(&args, &home_path);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("songplays            11 rows"), "{stdout}");
    let socket_dir = home_path.join("socket");
    let url_out = sparkify_load(&["db", "url"], &home_path);
    let url = text(&url_out).0.trim().to_string();
    let prefix = format!(
        "postgresql://sparkify@/sparkify?host={}&port=",
        socket_dir.display()
    );
    assert!(url.starts_with(&prefix), "{url}");
    assert!(
        stdout.contains(&format!("query it:   psql '{url}'")),
        "{stdout}"
    );
    assert_eq!(dump_all(&url, "public").await, expected_tiny_all());
    only_the_owner_can_connect(&url, &socket_dir);

    // `load` is the same command; the data stays between runs.
    let mut again = vec!["load"];
    again.extend(&args);
    assert!(sparkify_load(&again, &home_path).status.success());
    assert_eq!(dump_all(&url, "public").await, expected_tiny_all());

    let stopped = sparkify_load(&["db", "stop"], &home_path);
    assert_eq!(text(&stopped).0.trim(), "stopped");
    let status = sparkify_load(&["db", "status"], &home_path);
    assert_eq!(status.status.code(), Some(1));
    assert!(text(&status).0.starts_with("not running"));

    let started = sparkify_load(&["db", "start"], &home_path);
    let restarted_url = text(&started).0.trim().to_string();
    assert_eq!(
        dump_all(&restarted_url, "public").await,
        expected_tiny_all(),
        "data kept across restarts"
    );
}

/// The embedded default listens on no TCP port, and its socket's directory lets only its
/// owner in: psql works as printed for the owner and is refused to another local user.
fn only_the_owner_can_connect(url: &str, socket_dir: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let port: u16 = url.rsplit("port=").next().unwrap().parse().unwrap();
    assert!(
        std::net::TcpStream::connect(("127.0.0.1", port)).is_err(),
        "nothing listens on TCP port {port}"
    );
    let mode = std::fs::metadata(socket_dir).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o700, "{}", socket_dir.display());

    let count = ["-tAc", "SELECT count(*) FROM public.songplays"];
    let owner = Command::new("psql").arg(url).args(count).output().unwrap();
    assert_eq!(
        String::from_utf8_lossy(&owner.stdout).trim(),
        "11",
        "{owner:?}"
    );

    if !nix::unistd::geteuid().is_root() {
        skipped("another local user's connection needs root to switch user (runuser)");
        return;
    }
    let other = Command::new("runuser")
        .args(["-u", "nobody", "--", "psql", url])
        .args(count)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&other.stderr);
    assert!(!other.status.success(), "another user connected: {stderr}");
    assert!(stderr.contains("Permission denied"), "{stderr}");
}

#[tokio::test]
async fn bad_input_exits_3_naming_key_and_line_and_hides_the_password() {
    let home = tempfile::tempdir().unwrap();
    let url = fresh_database().await;
    let with_password = url.replace("sparkify@", "sparkify:hunter2secret@");
    let tree = tempfile::tempdir().unwrap();
    copy_tree(&tiny(), tree.path());
    std::fs::write(
        tree.path().join("log_data/bad.json"),
        "{\"ts\": 1, \"page\": \"Home\"}\n{\"ts\": [1]}\n",
    )
    .unwrap();
    let mut args = vec![
        "--target".to_string(),
        with_password.clone(),
        "-vv".to_string(),
    ];
    args.extend(tree_args(tree.path()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = sparkify_load(&args, home.path());
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(3), "{stdout}\n{stderr}");
    assert!(
        stderr.contains("log_data/bad.json line 2: ts: an array cannot load into a scalar column"),
        "{stderr}"
    );
    assert!(!stdout.contains("hunter2secret") && !stderr.contains("hunter2secret"));

    let mut good = vec![
        "--target".to_string(),
        with_password,
        "-vv".to_string(),
        "--report".to_string(),
    ];
    let report = tree.path().join("report.json");
    good.push(report.display().to_string());
    good.extend(tree_args(&tiny()));
    let good: Vec<&str> = good.iter().map(String::as_str).collect();
    let out = sparkify_load(&good, home.path());
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    let report_text = std::fs::read_to_string(&report).unwrap();
    for output in [&stdout, &stderr, &report_text] {
        assert!(!output.contains("hunter2secret"), "{output}");
    }
    let report: serde_json::Value = serde_json::from_str(&report_text).unwrap();
    assert_eq!(report["tables"]["songplays"], 11);
    assert_eq!(report["tables"]["time"], 7);
}

#[test]
fn unreachable_target_and_missing_tree_exit_with_their_codes() {
    let home = tempfile::tempdir().unwrap();
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let target = format!("postgresql://u:hunter2secret@127.0.0.1:{closed}/db");
    let mut args = vec!["--target".to_string(), target];
    args.extend(tree_args(&tiny()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = sparkify_load(&args, home.path());
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(5), "{stderr}");
    assert!(
        stderr.contains(&format!("target u@127.0.0.1:{closed}/db: connect")),
        "{stderr}"
    );
    assert!(!stdout.contains("hunter2secret") && !stderr.contains("hunter2secret"));

    let out = sparkify_load(
        &[
            "--song-data",
            "/no/such/songs",
            "--log-data",
            "/no/such/logs",
        ],
        home.path(),
    );
    assert_eq!(out.status.code(), Some(4));
    assert!(text(&out).1.contains("/no/such/"), "{}", text(&out).1);

    let out = sparkify_load(&["--log-data", "x"], home.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).1.contains("--song-data is required"));
}

#[test]
fn create_tables_prints_each_dialects_ddl() {
    let home = tempfile::tempdir().unwrap();
    let out = sparkify_load(
        &["create-tables", "--print", "--schema", "dwh"],
        home.path(),
    );
    let ddl = text(&out).0;
    assert!(ddl.contains("CREATE TABLE \"dwh\".songplays (\n    songplay_id bigint GENERATED ALWAYS AS IDENTITY,"), "{ddl}");
    assert!(
        ddl.contains("ALTER TABLE \"dwh\".users ADD PRIMARY KEY (user_id);"),
        "{ddl}"
    );
    let out = sparkify_load(
        &["create-tables", "--print", "--dialect", "redshift"],
        home.path(),
    );
    let ddl = text(&out).0;
    assert!(
        ddl.contains(") DISTKEY (start_time) SORTKEY (start_time);")
            && ddl.contains(") DISTSTYLE ALL SORTKEY (user_id);"),
        "{ddl}"
    );
    let out = sparkify_load(
        &["create-tables", "--print", "--schema", "x\"; DROP"],
        home.path(),
    );
    assert_eq!(out.status.code(), Some(2));
}

#[tokio::test]
async fn create_tables_makes_the_empty_star_schema() {
    let home = tempfile::tempdir().unwrap();
    let url = fresh_database().await;
    let out = sparkify_load(
        &["create-tables", "--target", &url, "--schema", "dwh"],
        home.path(),
    );
    assert!(out.status.success(), "{}", text(&out).1);
    for table in TABLES {
        assert!(dump(&url, "dwh", table).await.is_empty());
    }
}

// Multi-threaded: the S3 server runs on this runtime while the child process is awaited.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dwh_cfg_gives_the_s3_sources_and_flags_override_its_cluster() {
    let server = common::s3::S3Server::start(common::s3::Faults::default()).await;
    server.put_tree("udacity-test", "", &tiny());
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("dwh.cfg");
    std::fs::write(
        &cfg,
        "[CLUSTER]\nHOST=unreachable.example\nDB_NAME=dwh\nDB_USER=dwhuser\nDB_PASSWORD=cfg-pass-4242\nDB_PORT=5439\n\n\
         [IAM_ROLE]\nARN=arn:aws:iam::123456789012:role/dwhRole\n\n\
         [S3]\nLOG_DATA='s3://udacity-test/log_data'\nLOG_JSONPATH='s3://udacity-test/log_json_path.json'\nSONG_DATA='s3://udacity-test/song_data'\n",
    )
    .unwrap();
    let url = fresh_database().await;
    let output = tokio::process::Command::from(cli_command(Some(dir.path())))
        .args([
            "--config",
            cfg.to_str().unwrap(),
            "--target",
            &url,
            "--region",
            "us-west-2",
        ])
        .args(["--endpoint-url", &server.endpoint, "-vv"])
        .env("AWS_ACCESS_KEY_ID", common::s3::ACCESS_KEY)
        .env("AWS_SECRET_ACCESS_KEY", common::s3::SECRET_KEY)
        .output()
        .await
        .unwrap();
    let (stdout, stderr) = text(&output);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("from s3://udacity-test/song_data/"),
        "{stdout}"
    );
    assert_eq!(dump_all(&url, "public").await, expected_tiny_all());
    for secret in [common::s3::SECRET_KEY, "cfg-pass-4242"] {
        assert!(
            !stdout.contains(secret) && !stderr.contains(secret),
            "{secret} leaked"
        );
    }
}

#[tokio::test]
async fn parity_passes_on_equal_schemas_and_names_the_rows_that_differ() {
    let home = tempfile::tempdir().unwrap();
    let url = fresh_database().await;
    for schema in ["a", "b"] {
        let mut config = config(&tiny(), &url);
        config.schema = schema.parse().unwrap();
        load(&config).await.unwrap();
    }
    let args = [
        "parity",
        "--target",
        &url,
        "--schema-a",
        "a",
        "--schema-b",
        "b",
    ];
    let out = sparkify_load(&args, home.path());
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("songplays  same      A 11 rows, B 11 rows, only in A 0, only in B 0"),
        "{stdout}"
    );
    assert!(
        stdout.ends_with("parity: the tables are the same\n"),
        "{stdout}"
    );

    let client = connect(&url).await;
    client
        .batch_execute(
            "UPDATE b.users SET level = 'free' WHERE user_id = 10;
             DELETE FROM b.songs WHERE song_id = 'SOEEE';
             INSERT INTO b.songplays (start_time, user_id, level, song_id, artist_id, session_id, location, user_agent)
               SELECT start_time, user_id, level, song_id, artist_id, session_id, location, user_agent
               FROM b.songplays WHERE user_id = 60;",
        )
        .await
        .unwrap();
    let report = home.path().join("parity.json");
    let mut with_report = args.to_vec();
    with_report.extend(["--report", report.to_str().unwrap()]);
    let out = sparkify_load(&with_report, home.path());
    let (stdout, _) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("users      DIFFERENT A 6 rows, B 6 rows, only in A 1, only in B 1"),
        "{stdout}"
    );
    assert!(
        stdout.contains("    A: 10\tAlice\tFree\tF\tpaid\n    B: 10\tAlice\tFree\tF\tfree"),
        "{stdout}"
    );
    assert!(
        stdout.contains("songs      DIFFERENT A 6 rows, B 5 rows, only in A 1, only in B 0"),
        "{stdout}"
    );
    assert!(
        stdout.contains("    A: SOEEE\tCafé 🎸\tAR4\t1997\t240.5\n    B: \n"),
        "{stdout}"
    );
    assert!(
        stdout.contains("songplays  DIFFERENT A 11 rows, B 12 rows, only in A 0, only in B 1"),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "    B: 1969-12-31 23:59:59.999\t60\tfree\t\\N\t\\N\t\\N\t\\N\t\"Mozilla/5.0\""
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains("artists    same") && stdout.contains("time       same"),
        "{stdout}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(json["tables"][0]["only_in_b"], 1);
}

#[tokio::test]
async fn parity_with_sources_loads_both_modes_and_compares_them() {
    let home = tempfile::tempdir().unwrap();
    let url = fresh_database().await;
    let mut args = vec!["parity".to_string(), "--target".to_string(), url.clone()];
    args.extend(tree_args(&tiny()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = sparkify_load(&args, home.path());
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("(client mode, schema parity_client)")
            && stdout.contains("(copy mode, schema parity_copy)"),
        "{stdout}"
    );
    assert!(
        stdout.ends_with("parity: the tables are the same\n"),
        "{stdout}"
    );
    assert_eq!(dump_all(&url, "parity_copy").await, expected_tiny_all());
}

#[test]
fn redshift_copy_dry_run_prints_the_classic_statements_exactly() {
    let home = tempfile::tempdir().unwrap();
    let cfg = home.path().join("dwh.cfg");
    std::fs::write(
        &cfg,
        "[CLUSTER]\nHOST=dwhcluster.abc123.us-west-2.redshift.amazonaws.com\nDB_NAME=dwh\nDB_USER=dwhuser\n\
         DB_PASSWORD=Secr3t-Passw0rd\nDB_PORT=5439\n\n[IAM_ROLE]\nARN='arn:aws:iam::123456789012:role/dwhRole'\n\n\
         [S3]\nLOG_DATA='s3://udacity-dend/log_data'\nLOG_JSONPATH='s3://udacity-dend/log_json_path.json'\n\
         SONG_DATA='s3://udacity-dend/song_data'\n",
    )
    .unwrap();
    let cfg = cfg.to_str().unwrap();
    let args = [
        "--mode",
        "copy",
        "--config",
        cfg,
        "--region",
        "us-west-2",
        "--dry-run",
        "--max-errors",
        "10",
        "--schema",
        "dwh",
        "--run-id",
        "r1",
    ];
    let out = sparkify_load(&args, home.path());
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    let expected = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/expected/redshift_copy_dry_run.sql"),
    )
    .unwrap();
    assert_eq!(stdout, expected);
    assert!(!stdout.contains("Secr3t") && !stderr.contains("Secr3t"));

    let out = sparkify_load(
        &["--mode", "copy", "--config", cfg, "--dry-run"],
        home.path(),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out).1.contains("needs the bucket's --region"),
        "{}",
        text(&out).1
    );
    assert!(text(&out).0.is_empty());

    // Without a jsonpaths file, 'auto' would load every event without its user: refused.
    let out = sparkify_load(
        &[
            "--mode",
            "copy",
            "--target",
            "postgresql://u@cluster:5439/dwh",
            "--song-data",
            "s3://bkt/song_data",
            "--log-data",
            "s3://bkt/log_data",
            "--iam-role",
            "arn:aws:iam::123456789012:role/dwhRole",
            "--region",
            "us-west-2",
            "--dry-run",
        ],
        home.path(),
    );
    let stderr = text(&out).1;
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("needs a jsonpaths file")
            && stderr.contains("s3://udacity-dend/log_json_path.json"),
        "{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bench_measures_every_route_on_the_data_it_generates() {
    let home = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let args = [
        "--songs",
        "60",
        "--events",
        "900",
        "--baseline-events",
        "100",
        "--rounds",
        "2",
        "--insert-matrix",
        "--work-dir",
        work.path().to_str().unwrap(),
    ];
    let out = Command::new(env!("CARGO_BIN_EXE_sparkify-bench"))
        .args(args)
        .env("SPARKIFY_LOAD_HOME", home.path())
        .output()
        .unwrap();
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("the median of 2 rounds taken in turn"),
        "{stdout}"
    );
    assert_eq!(stderr.matches(": the classic route").count(), 2, "{stderr}");
    // The insert matrix: each form, connection count and pipeline depth, a row each.
    for insert in ["arrays", "bind"] {
        for connections in [1, 2, 4] {
            for in_flight in [1, 4] {
                let row = format!("| {insert} | {connections} | {in_flight} | ");
                assert!(stdout.contains(&row), "{row} missing:\n{stdout}");
            }
        }
    }
    for route in [
        "| client mode |",
        "| classic route (COPY to jsonb, INSERT … SELECT, no checks) |",
        "| client ≥ 4x faster than the classic route |",
        "| copy mode |",
        "| row-by-row baseline",
        "| sink limit: COPY BINARY",
    ] {
        assert!(stdout.contains(route), "{route} missing:\n{stdout}");
    }
    // The final rows it counts are those a load of the same generated data gives.
    let data = tempfile::tempdir().unwrap();
    sparkify_fixtures::generate(
        data.path(),
        &sparkify_fixtures::FixtureSpec {
            songs: 60,
            events: 900,
            seed: 1,
        },
    )
    .unwrap();
    let url = fresh_database().await;
    let t = load(&config(data.path(), &url)).await.unwrap().tables;
    let rows = t.songplays + t.users + t.songs + t.artists + t.time;
    assert!(
        stdout.contains(&format!(" {rows} final star-schema rows.")),
        "{rows}:\n{stdout}"
    );
    // The anchor builds the same tables (row counts) as the loader.
    assert!(
        stdout.contains("The classic route's tables hold as many rows as client mode's."),
        "{stdout}"
    );
    assert_eq!(
        std::fs::read_dir(work.path()).unwrap().count(),
        0,
        "the work directory is cleaned up"
    );
}
