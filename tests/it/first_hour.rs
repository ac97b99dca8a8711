//! The first hour with the tool (issue 26), on real servers: every command a load prints
//! runs as printed and reaches the same tables; global options go before or after a
//! subcommand; psql's PG* variables and password file; `db url` and the home's one port;
//! `-q`; `gen-fixtures` into a used directory; `next` of an unknown id; the README's
//! examples as written.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use crate::common::*;

/// Runs `args`, with the embedded default in `home` given by flag, not by environment.
fn cli(args: &[&str]) -> Output {
    run_cli(args, None)
}

/// A PATH where `sparkify-load` is this build's binary and `psql` the server's client.
fn path_with_tools() -> String {
    let binary = Path::new(env!("CARGO_BIN_EXE_sparkify-load"));
    let mut dirs = vec![binary.parent().unwrap().to_path_buf()];
    dirs.extend(
        std::fs::read_dir("/usr/lib/postgresql")
            .into_iter()
            .flatten()
            .flatten()
            .map(|entry| entry.path().join("bin")),
    );
    dirs.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    std::env::join_paths(dirs).unwrap().into_string().unwrap()
}

/// Runs a line the tool printed through a shell, exactly as printed, in `dir`.
fn run_printed(line: &str, dir: &Path, stdin: &str) -> Output {
    let mut command = Command::new("sh");
    command
        .args(["-c", line])
        .current_dir(dir)
        .env("PATH", path_with_tools())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for name in TARGET_VARIABLES {
        command.env_remove(name);
    }
    command.env_remove("SPARKIFY_LOAD_HOME");
    let mut child = command.spawn().unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

/// The commands of a load's hint lines (`label:  command`), by label.
fn hints(stdout: &str) -> Vec<(String, String)> {
    stdout
        .lines()
        .filter_map(|line| {
            let (label, command) = line.split_once(':')?;
            let command = command.trim();
            let is_command = command.starts_with("sparkify-load ") || command.starts_with("psql ");
            (!label.starts_with(' ') && is_command).then(|| (label.to_string(), command.into()))
        })
        .collect()
}

#[test]
fn every_hint_a_load_prints_runs_as_printed_on_the_same_tables() {
    let home = EmbeddedHome::new();
    let home_arg = home.path().display().to_string();
    let mut args = vec!["--home", &home_arg, "--schema", "first_hour"];
    let trees = tree_args(&tiny());
    args.extend(trees.iter().map(String::as_str));
    let loaded = cli(&args);
    let (stdout, stderr) = text(&loaded);
    assert!(loaded.status.success(), "{stdout}\n{stderr}");
    let hints = hints(&stdout);
    let labels: Vec<&str> = hints.iter().map(|(label, _)| label.as_str()).collect();
    assert_eq!(labels, ["answers", "query it", "stop it"], "{stdout}");
    let work = tempfile::tempdir().unwrap();
    for (label, command) in &hints {
        let stdin = match label.as_str() {
            "query it" => "SELECT count(*) FROM first_hour.songplays;\n",
            _ => "",
        };
        let ran = run_printed(command, work.path(), stdin);
        let (out, err) = text(&ran);
        assert!(ran.status.success(), "{label}: {command}\n{out}\n{err}");
        match label.as_str() {
            // The report of the load's own schema: 11 plays, as the load said.
            // The report of the load's schema (public, empty here, would be refused).
            "answers" => assert!(out.contains("\n| 11 "), "{command}\n{out}"),
            "query it" => assert!(out.contains("\n    11\n"), "{command}\n{out}"),
            _ => assert_eq!(out.trim(), "stopped", "{command}"),
        }
    }
    // Global options before the subcommand, as after it.
    let status = cli(&["--home", &home_arg, "db", "status"]);
    assert_eq!(status.status.code(), Some(1));
    assert!(text(&status).0.starts_with("not running"), "{status:?}");
}

#[tokio::test]
async fn a_shard_hint_keeps_the_target_and_the_run_id_is_folded() {
    let url = fresh_database().await;
    let mut args = vec![
        "--target", &url, "--schema", "sharded", "--shard", "0/1", "--run-id", "Night7",
    ];
    let trees = tree_args(&tiny());
    args.extend(trees.iter().map(String::as_str));
    let worker = cli(&args);
    let (stdout, stderr) = text(&worker);
    assert!(worker.status.success(), "{stdout}\n{stderr}");
    let hints = hints(&stdout);
    let (label, merge) = &hints[0];
    assert_eq!(label, "merge them");
    assert_eq!(
        merge,
        &format!("sparkify-load merge --run-id night7 --target {url} --schema sharded")
    );
    let work = tempfile::tempdir().unwrap();
    let merged = run_printed(merge, work.path(), "");
    assert!(merged.status.success(), "{merged:?}");
    assert_eq!(dump_all(&url, "sharded").await, expected_tiny_all());
}

/// A role that must give a SCRAM password over TCP, with the grants docs/SECURITY.md
/// documents for a loader (USAGE and CREATE on its schema), and its database URL without
/// a password.
async fn password_role() -> (String, String, &'static str) {
    const PASSWORD: &str = "pa:ss w\\rd";
    let url = fresh_database().await;
    static ROLES: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = ROLES.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let role = format!("ann_{}_{n}", std::process::id());
    let admin = connect(&url).await;
    admin
        .batch_execute(&format!(
            "CREATE ROLE {role} LOGIN PASSWORD 'pa:ss w\\rd';
             CREATE SCHEMA wh; GRANT USAGE, CREATE ON SCHEMA wh TO {role};"
        ))
        .await
        .unwrap();
    let hba: String = admin.query_one("SHOW hba_file", &[]).await.unwrap().get(0);
    let rules = std::fs::read_to_string(&hba).unwrap();
    if !rules.contains(&role) {
        let line = format!("host all {role} 127.0.0.1/32 scram-sha-256\n");
        std::fs::write(&hba, line + &rules).unwrap();
        admin
            .batch_execute("SELECT pg_reload_conf()")
            .await
            .unwrap();
    }
    let database = url.rsplit('/').next().unwrap().to_string();
    (role, database, PASSWORD)
}

#[tokio::test]
async fn psql_variables_and_the_password_file_complete_a_target() {
    let (role, database, password) = password_role().await;
    let port = port().to_string();
    let target = format!("postgresql://{role}@127.0.0.1:{port}/{database}");
    let trees = tree_args(&tiny());
    let load = |extra: &[(&str, &str)], target: Option<&str>| {
        let mut command = cli_command(None);
        command.args(["--schema", "wh", "--no-checks"]).args(&trees);
        if let Some(target) = target {
            command.args(["--target", target]);
        }
        command.envs(extra.iter().copied()).output().unwrap()
    };
    let refused = load(&[], Some(&target));
    assert_eq!(refused.status.code(), Some(5), "{refused:?}");
    assert!(text(&refused).1.contains("password"), "{refused:?}");

    let with_variable = load(&[("PGPASSWORD", password)], Some(&target));
    let (stdout, stderr) = text(&with_variable);
    assert!(with_variable.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("songplays            11 rows"), "{stdout}");

    let dir = tempfile::tempdir().unwrap();
    let pgpass = dir.path().join(".pgpass");
    let escaped = password.replace('\\', "\\\\").replace(':', "\\:");
    std::fs::write(
        &pgpass,
        format!("127.0.0.1:{port}:{database}:{role}:{escaped}\n"),
    )
    .unwrap();
    std::fs::set_permissions(&pgpass, std::fs::Permissions::from_mode(0o600)).unwrap();
    let home = dir.path().display().to_string();
    let from_home = load(&[("HOME", &home)], Some(&target));
    assert!(from_home.status.success(), "~/.pgpass: {from_home:?}");

    // The PG* variables alone name the target, and the summary says which it was.
    let variables = [
        ("PGHOST", "127.0.0.1"),
        ("PGPORT", &port),
        ("PGUSER", &role),
        ("PGDATABASE", &database),
        ("PGPASSFILE", pgpass.to_str().unwrap()),
        ("PGSSLMODE", "disable"),
    ];
    let alone = load(&variables, None);
    let (stdout, stderr) = text(&alone);
    assert!(alone.status.success(), "{stdout}\n{stderr}");
    assert!(
        stdout.contains(&format!(
            "loaded {role}@127.0.0.1:{port}/{database} (client mode"
        )),
        "{stdout}"
    );
    assert!(
        stdout.contains("answers:    sparkify-load report --schema wh\n"),
        "{stdout}"
    );
    let url = format!("postgresql://sparkify@127.0.0.1:{port}/{database}");
    assert_eq!(dump_all(&url, "wh").await, expected_tiny_all());
}

#[test]
fn db_url_keeps_one_port_and_prints_only_a_url() {
    let home = EmbeddedHome::new();
    let home_arg = home.path().display().to_string();
    let url = |expect_running: bool| {
        let out = cli(&["db", "url", "--home", &home_arg]);
        assert_eq!(out.status.success(), expect_running, "{out:?}");
        text(&out)
    };
    let (stdout, stderr) = url(false);
    assert_eq!(stdout, "", "nothing that is not a URL on stdout");
    assert!(stderr.contains("is not running"), "{stderr}");
    let started = cli(&["db", "start", "--home", &home_arg]);
    assert!(started.status.success(), "{started:?}");
    let first = url(true).0;
    assert!(
        first.starts_with("postgresql://sparkify@/sparkify?host="),
        "{first}"
    );
    assert!(cli(&["--home", &home_arg, "db", "stop"]).status.success());
    assert_eq!(url(false).0, "");
    assert!(cli(&["db", "start", "--home", &home_arg]).status.success());
    assert_eq!(url(true).0, first, "the same URL after a restart");

    // Another live process (this test) holds the port's lock: a new port, said, and kept.
    assert!(cli(&["db", "stop", "--home", &home_arg]).status.success());
    let port: u16 = first
        .trim()
        .rsplit("port=")
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let lock = home.path().join(format!("socket/.s.PGSQL.{port}.lock"));
    std::fs::write(&lock, format!("{}\n", std::process::id())).unwrap();
    let moved = cli(&["db", "start", "--home", &home_arg]);
    let (moved_url, said) = text(&moved);
    assert!(moved.status.success(), "{said}");
    assert!(
        said.contains(&format!(
            "warning: the embedded PostgreSQL's port {port} is held by another process"
        )),
        "{said}"
    );
    assert_ne!(moved_url, first);
    std::fs::remove_file(&lock).unwrap();
    assert!(cli(&["db", "stop", "--home", &home_arg]).status.success());
    assert!(cli(&["db", "start", "--home", &home_arg]).status.success());
    assert_eq!(url(true).0, moved_url, "the new port is kept");
}

#[test]
fn quiet_prints_nothing_on_success_and_the_error_on_failure() {
    let home = EmbeddedHome::new();
    let home_arg = home.path().display().to_string();
    let mut args = vec!["-q", "--home", &home_arg];
    let trees = tree_args(&tiny());
    args.extend(trees.iter().map(String::as_str));
    // A shell that asks for TLS everywhere still reaches the embedded default's socket.
    let loaded = cli_command(None)
        .env("PGSSLMODE", "require")
        .args(&args)
        .output()
        .unwrap();
    assert!(loaded.status.success(), "{loaded:?}");
    assert_eq!(text(&loaded), (String::new(), String::new()));
    let report = cli(&["-q", "report", "--home", &home_arg, "--out", "/dev/null/x"]);
    assert_eq!(report.status.code(), Some(1), "{report:?}");
    let (stdout, stderr) = text(&report);
    assert_eq!(stdout, "");
    assert!(
        stderr.starts_with("error: cannot write /dev/null/x"),
        "{stderr}"
    );
}

#[test]
fn gen_fixtures_refuses_a_used_directory_unless_forced() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("set");
    let out_arg = out.display().to_string();
    let generate = |extra: &[&str]| {
        let mut args = vec!["gen-fixtures", &out_arg, "--songs", "5", "--events", "50"];
        args.extend(extra);
        cli(&args)
    };
    assert!(generate(&[]).status.success());
    let first = std::fs::read_dir(out.join("log_data")).unwrap().count();
    let again = generate(&["--seed", "2"]);
    assert_eq!(again.status.code(), Some(2), "{again:?}");
    assert!(text(&again).1.contains("is not empty"), "{again:?}");
    let stray = out.join("log_data/stray.json");
    std::fs::write(&stray, "{}").unwrap();
    let forced = generate(&["--seed", "2", "--force"]);
    assert!(forced.status.success(), "{forced:?}");
    assert!(!stray.exists(), "--force replaces the set whole");
    assert_eq!(
        std::fs::read_dir(out.join("log_data")).unwrap().count(),
        first
    );
    std::fs::write(out.join("notes.txt"), "mine").unwrap();
    let foreign = generate(&["--force"]);
    assert_eq!(foreign.status.code(), Some(2), "{foreign:?}");
    assert!(out.join("notes.txt").exists());
}

#[test]
fn next_of_an_unknown_id_says_so_and_a_missing_schema_is_one_sentence() {
    let home = EmbeddedHome::new();
    let home_arg = home.path().display().to_string();
    let mut args = vec!["--home", &home_arg, "-q"];
    let trees = tree_args(&tiny());
    args.extend(trees.iter().map(String::as_str));
    assert!(cli(&args).status.success());
    for (ask, said) in [
        (
            ["--song", "SONOSUCHSONG"],
            "song \"SONOSUCHSONG\" is not in the songs",
        ),
        (["--user", "999999"], "user 999999 is not in the users"),
    ] {
        let out = cli(&["next", "--home", &home_arg, ask[0], ask[1]]);
        let (stdout, stderr) = text(&out);
        assert_eq!(out.status.code(), Some(1), "{stderr}");
        assert_eq!(stdout, "");
        assert!(stderr.contains(said), "{stderr}");
    }
    for command in [["report", "--out"], ["next", "--user"], ["check", "--json"]] {
        let mut args = vec![command[0], "--home", &home_arg, "--schema", "nope"];
        match command[1] {
            "--out" => args.extend(["--out", "/tmp"]),
            "--user" => args.extend(["--user", "1"]),
            _ => {}
        }
        let out = cli(&args);
        let (stdout, stderr) = text(&out);
        assert_eq!(out.status.code(), Some(2), "{command:?}: {stderr}");
        assert_eq!(stdout, "");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(
            stderr.starts_with("error: schema nope of ") && stderr.contains("holds no star schema"),
            "{stderr}"
        );
    }
}

/// The README's `report` and `next` examples, run as written after the README's load of
/// the shipped sample: each answers, with rows.
#[test]
fn the_readmes_examples_answer_on_the_data_they_name() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let section = readme.split("## Answers").nth(1).unwrap();
    let block = section.split("```sh\n").nth(1).unwrap();
    let block = block.split("```").next().unwrap();
    let examples: Vec<&str> = block
        .lines()
        .map(|line| line.split('#').next().unwrap().trim())
        .filter(|line| !line.is_empty())
        .collect();
    assert!(examples.len() >= 3, "{examples:?}");
    let home = EmbeddedHome::new();
    let home_arg = home.path().display().to_string();
    let sample = fixtures().join("sample");
    let mut load = vec!["-q", "--home", &home_arg];
    let trees = tree_args(&sample);
    load.extend(trees.iter().map(String::as_str));
    assert!(cli(&load).status.success());
    let work = tempfile::tempdir().unwrap();
    for example in examples {
        let mut command = Command::new("sh");
        command
            .args(["-c", example])
            .current_dir(work.path())
            .env("PATH", path_with_tools())
            .env("SPARKIFY_LOAD_HOME", home.path());
        for name in TARGET_VARIABLES {
            command.env_remove(name);
        }
        let out = command.output().unwrap();
        let (stdout, stderr) = text(&out);
        assert!(out.status.success(), "{example}\n{stderr}");
        assert!(!stdout.contains("(no rows)"), "{example}\n{stdout}");
    }
}

/// A `dwh.cfg` with keys in lower case, as Python's configparser reads it, and an SSLMODE
/// that lets a PostgreSQL without TLS be its cluster; without SSLMODE, TLS is required.
#[tokio::test]
async fn a_lower_case_dwh_cfg_with_sslmode_loads() {
    let url = fresh_database().await;
    let database = url.rsplit('/').next().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let tiny = tiny();
    let cfg = |sslmode: &str| {
        format!(
            "[CLUSTER]\nhost = 127.0.0.1\ndb_name = {database}\ndb_user = sparkify\n\
             db_password = unused\ndb_port = {}\n{sslmode}\n[S3]\nsong_data = {}\n\
             log_data = {}\n",
            port(),
            tiny.join("song_data").display(),
            tiny.join("log_data").display()
        )
    };
    let path = dir.path().join("dwh.cfg");
    std::fs::write(&path, cfg("sslmode = disable")).unwrap();
    let config = path.display().to_string();
    let loaded = cli(&["--config", &config, "--schema", "classic"]);
    let (stdout, stderr) = text(&loaded);
    assert!(loaded.status.success(), "{stdout}\n{stderr}");
    assert!(
        stdout.contains(&format!(
            "answers:    sparkify-load report --config {config} --schema classic"
        )),
        "{stdout}"
    );
    assert_eq!(dump_all(&url, "classic").await, expected_tiny_all());
    std::fs::write(&path, cfg("")).unwrap();
    let required = cli(&["--config", &config, "--schema", "classic"]);
    assert_eq!(required.status.code(), Some(5), "{required:?}");
    assert!(text(&required).1.contains("TLS"), "{required:?}");
}

/// A password file others may read is not used, as libpq does not use it, and the warning
/// is a plain sentence: no time stamp, no module path.
#[tokio::test]
async fn a_readable_password_file_is_skipped_with_a_plain_warning() {
    let (role, database, password) = password_role().await;
    let dir = tempfile::tempdir().unwrap();
    let pgpass = dir.path().join("pgpass");
    let escaped = password.replace('\\', "\\\\").replace(':', "\\:");
    std::fs::write(&pgpass, format!("*:*:*:{role}:{escaped}\n")).unwrap();
    std::fs::set_permissions(&pgpass, std::fs::Permissions::from_mode(0o644)).unwrap();
    let target = format!("postgresql://{role}@127.0.0.1:{}/{database}", port());
    let out = cli_command(None)
        .args(["check", "--target", &target, "--schema", "wh"])
        .env("PGPASSFILE", &pgpass)
        .output()
        .unwrap();
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(5), "{stderr}");
    let first = stderr.lines().next().unwrap();
    assert_eq!(
        first,
        format!(
            "warning: the password file {} is not used: others may read it (chmod 0600 it, as \
             psql asks)",
            pgpass.display()
        )
    );
}
