//! A real company's warehouse on a real PostgreSQL: a loader role with exactly the grants
//! docs/SECURITY.md documents runs every command; readers' grants, comments and views (an
//! ordinary one and a materialized one, owned by the reader) survive every route, and
//! readers see only whole loads; no wrong path wipes a table; SIGINT and SIGTERM leave
//! nothing running on the server. A superuser only creates the roles and the schemas.

use std::path::Path;
use std::process::{Child, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::common::*;
use sparkify_fixtures::{generate, FixtureSpec};

/// Rows of songplays, users, songs, artists and time in the tiny fixture and in the
/// sample (README): known answers, counted independently of the loader.
const TINY: [i64; 5] = [11, 6, 6, 4, 7];
const SAMPLE: [i64; 5] = [3669, 62, 199, 66, 3600];

static NEXT_ROLE: AtomicUsize = AtomicUsize::new(0);

/// A database with a loader and a reader, each granted exactly what docs/SECURITY.md
/// gives: the loader `CONNECT` and `USAGE, CREATE` on the schemas it loads; the reader
/// `CONNECT`, `USAGE` on the warehouse schema, `SELECT` on its tables (and on the tables
/// the loader makes later), and a schema of its own for its views. PUBLIC keeps nothing
/// on the database (no CONNECT, no TEMP) and no schema but its defaults.
pub(crate) struct Warehouse {
    pub(crate) admin: String,
    pub(crate) loader: String,
    reader: String,
    reader_role: String,
}

impl Warehouse {
    pub(crate) async fn new(schemas: &[&str]) -> Warehouse {
        let admin = fresh_database().await;
        let n = NEXT_ROLE.fetch_add(1, Ordering::SeqCst);
        let id = format!("{}_{n}", std::process::id());
        let (loader_role, reader_role) = (format!("loader_{id}"), format!("reader_{id}"));
        let database = admin.rsplit('/').next().unwrap().to_string();
        let mut sql = format!(
            "CREATE ROLE {loader_role} LOGIN;
             CREATE ROLE {reader_role} LOGIN;
             REVOKE ALL ON DATABASE {database} FROM PUBLIC;
             REVOKE CREATE ON SCHEMA public FROM PUBLIC;
             GRANT CONNECT ON DATABASE {database} TO {loader_role}, {reader_role};
             CREATE SCHEMA analyst AUTHORIZATION {reader_role};"
        );
        for schema in schemas {
            sql.push_str(&format!(
                "CREATE SCHEMA {schema};
                 GRANT USAGE, CREATE ON SCHEMA {schema} TO {loader_role};"
            ));
        }
        sql.push_str(&format!(
            "GRANT USAGE ON SCHEMA wh TO {reader_role};
             ALTER DEFAULT PRIVILEGES FOR ROLE {loader_role} IN SCHEMA wh
                 GRANT SELECT ON TABLES TO {reader_role};"
        ));
        connect(&admin).await.batch_execute(&sql).await.unwrap();
        let as_role = |role: &str| admin.replacen("sparkify@", &format!("{role}@"), 1);
        Warehouse {
            loader: as_role(&loader_role),
            reader: as_role(&reader_role),
            reader_role,
            admin,
        }
    }

    /// Runs the binary as the loader, into schema `wh` unless the arguments say otherwise.
    fn run(&self, args: &[&str]) -> Output {
        let home = tempfile::tempdir().unwrap();
        let mut all = args.to_vec();
        all.extend(["--target", &self.loader]);
        if !args.iter().any(|a| a.starts_with("--schema")) {
            all.extend(["--schema", "wh"]);
        }
        run_cli(&all, Some(home.path()))
    }

    /// As [`Warehouse::run`], and it must succeed.
    pub(crate) fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        let (stdout, stderr) = (
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
        );
        assert_eq!(out.status.code(), Some(0), "{args:?}\n{stdout}\n{stderr}");
        stdout.into_owned()
    }

    /// Rows in each of the five tables, as the reader counts them.
    async fn counts(&self) -> [i64; 5] {
        let reader = connect(&self.reader).await;
        let mut counts = [0; 5];
        for (count, table) in counts.iter_mut().zip(TABLES) {
            *count = reader
                .query_one(&format!("SELECT count(*) FROM wh.{table}"), &[])
                .await
                .unwrap()
                .get(0);
        }
        counts
    }
}

fn trees(root: &Path) -> [String; 2] {
    ["song_data", "log_data"].map(|tree| root.join(tree).to_str().unwrap().to_string())
}

fn load_args<'a>(trees: &'a [String; 2], more: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec!["load", "--song-data", &trees[0], "--log-data", &trees[1]];
    args.extend(more);
    args
}

/// Every command, as a role with only `USAGE, CREATE` on its schemas: rebuilds in both
/// modes, `--full`, `--incremental`, a sharded load and its merge, `merge --discard`,
/// `check`, `report`, `next` and `parity`. Each gives the known answers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_loader_with_only_its_schema_grants_runs_every_command() {
    let warehouse = Warehouse::new(&["wh", "pa", "pb"]).await;
    let (tiny, sample) = (trees(&tiny()), trees(&fixtures().join("sample")));

    warehouse.ok(&load_args(&sample, &[]));
    assert_eq!(warehouse.counts().await, SAMPLE);
    warehouse.ok(&load_args(&tiny, &["--mode", "copy"]));
    assert_eq!(dump_all(&warehouse.admin, "wh").await, expected_tiny_all());
    warehouse.ok(&load_args(&sample, &["--full"]));
    assert_eq!(warehouse.counts().await, SAMPLE);
    let incremental = warehouse.ok(&load_args(&sample, &["--incremental"]));
    assert!(
        incremental.contains("objects: 0 new, 16 already loaded, 0 changed"),
        "{incremental}"
    );
    for shard in ["0/2", "1/2"] {
        warehouse.ok(&load_args(&tiny, &["--shard", shard, "--run-id", "sh"]));
    }
    warehouse.ok(&["merge", "--run-id", "sh"]);
    assert_eq!(dump_all(&warehouse.admin, "wh").await, expected_tiny_all());
    warehouse.ok(&load_args(&tiny, &["--shard", "0/2", "--run-id", "dud"]));
    warehouse.ok(&["merge", "--run-id", "dud", "--discard"]);

    let checked = warehouse.ok(&["check"]);
    assert!(checked.contains(" failed (errors), "), "{checked}");
    let out = tempfile::tempdir().unwrap();
    warehouse.ok(&["report", "--out", out.path().to_str().unwrap()]);
    assert!(out.path().join("report.html").is_file());
    let next = warehouse.ok(&["next", "--user", "10"]);
    assert!(!next.is_empty());
    let parity = warehouse.ok(&[
        "parity",
        "--schema-a",
        "pa",
        "--schema-b",
        "pb",
        "--song-data",
        &tiny[0],
        "--log-data",
        &tiny[1],
    ]);
    assert!(
        parity.ends_with("parity: the tables are the same\n"),
        "{parity}"
    );

    // Nothing of the tool's outside its schemas, and nothing left behind in them but the
    // five tables and the manifest.
    let tables = texts(
        &warehouse.admin,
        "SELECT schemaname || '.' || tablename FROM pg_tables \
         WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1",
    )
    .await;
    let mut expected = Vec::new();
    for schema in ["pa", "pb", "wh"] {
        for table in LOADED_TABLES {
            expected.push(format!("{schema}.{table}"));
        }
    }
    expected.extend(["finished", "merged"].map(|t| format!("wh.sparkify_load_shards_{t}")));
    expected.sort();
    let expected_state: Vec<String> = ["plays", "song_records", "user_latest"]
        .iter()
        .map(|t| format!("wh.sparkify_load_state_{t}"))
        .collect();
    let mut with_state = expected.clone();
    with_state.extend(expected_state);
    with_state.sort();
    assert_eq!(tables, with_state, "the merge keeps the incremental state");
}

/// A role that cannot create the schema it is given is told what to ask for.
#[tokio::test]
async fn a_missing_schema_names_what_the_administrator_must_do() {
    let warehouse = Warehouse::new(&["wh"]).await;
    let tiny = trees(&tiny());
    let out = warehouse.run(&load_args(&tiny, &["--schema", "elsewhere"]));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(5), "{stderr}");
    assert!(
        stderr.contains("schema elsewhere does not exist")
            && stderr.contains("GRANT USAGE, CREATE ON SCHEMA elsewhere"),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
}

/// A warehouse with the tiny fixture loaded, and the two trees the reader tests alternate.
async fn loaded_warehouse() -> (Warehouse, [String; 2], [String; 2]) {
    let warehouse = Warehouse::new(&["wh"]).await;
    let (tiny, sample) = (trees(&tiny()), trees(&fixtures().join("sample")));
    warehouse.ok(&load_args(&tiny, &[]));
    (warehouse, tiny, sample)
}

/// What readers and dashboards hold on the five tables: the reader's grants (given by
/// default privileges), the loader's comment, the tables themselves (their oids), and
/// the reader's ordinary and materialized views.
async fn readers_hold(warehouse: &Warehouse) -> Vec<String> {
    texts(
        &warehouse.admin,
        "SELECT c.relname || ' ' || c.oid || ' ' || pg_get_userbyid(c.relowner) || ' ' || \
                coalesce(obj_description(c.oid, 'pg_class'), '-') || ' ' || \
                coalesce(array_to_string(c.relacl, ','), '-') \
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE n.nspname IN ('wh', 'analyst') \
           AND c.relkind IN ('r', 'v', 'm') AND c.relname NOT LIKE 'sparkify\\_load\\_%' \
         ORDER BY 1",
    )
    .await
}

/// Three loads of every route, the trees alternating so that every load changes rows:
/// after each, the reader's grants, the comment, the tables and both views are as before,
/// and the views answer with the new rows (the materialized one once its owner refreshes
/// it).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readers_grants_and_views_survive_three_loads_of_every_route() {
    let (warehouse, tiny, sample) = loaded_warehouse().await;
    connect(&warehouse.loader)
        .await
        .batch_execute("COMMENT ON TABLE wh.songplays IS 'one row per play'")
        .await
        .unwrap();
    let reader = connect(&warehouse.reader).await;
    reader
        .batch_execute(
            "CREATE VIEW analyst.plays_per_level AS
                 SELECT level, count(*) AS plays FROM wh.songplays GROUP BY level;
             CREATE MATERIALIZED VIEW analyst.plays AS SELECT count(*) AS plays FROM wh.songplays;",
        )
        .await
        .unwrap();
    let held = readers_hold(&warehouse).await;
    assert!(
        held.iter()
            .any(|t| t.starts_with("songplays ") && t.contains(&warehouse.reader_role)),
        "{held:?}"
    );

    let routes: [&[&str]; 4] = [&[], &["--mode", "copy"], &["--full"], &["--shard", "0/1"]];
    let mut round = 0;
    for route in routes {
        for _ in 0..3 {
            round += 1;
            let (tree, expected) = if round % 2 == 1 {
                (&sample, SAMPLE)
            } else {
                (&tiny, TINY)
            };
            let run_id = format!("r{round}");
            let mut args = load_args(tree, route);
            if route.contains(&"--shard") {
                args.extend(["--run-id", &run_id]);
                warehouse.ok(&args);
                warehouse.ok(&["merge", "--run-id", &run_id]);
            } else {
                warehouse.ok(&args);
            }
            assert_eq!(warehouse.counts().await, expected, "{route:?} {round}");
            assert_eq!(readers_hold(&warehouse).await, held, "{route:?} {round}");
            let by_level: i64 = reader
                .query_one(
                    "SELECT sum(plays)::bigint FROM analyst.plays_per_level",
                    &[],
                )
                .await
                .unwrap()
                .get(0);
            assert_eq!(by_level, expected[0], "{route:?} {round}");
            reader
                .batch_execute("REFRESH MATERIALIZED VIEW analyst.plays")
                .await
                .unwrap();
            let plays: i64 = reader
                .query_one("SELECT plays FROM analyst.plays", &[])
                .await
                .unwrap()
                .get(0);
            assert_eq!(plays, expected[0], "{route:?} {round}");
        }
    }
    // Three runs, each with one more log object, --full then --incremental: the view
    // follows.
    let dir = tempfile::tempdir().unwrap();
    let source = fixtures().join("sample");
    copy_tree(&source.join("song_data"), &dir.path().join("song_data"));
    std::fs::create_dir_all(dir.path().join("log_data")).unwrap();
    let grown = trees(dir.path());
    let mut last = 0;
    for (n, object) in log_files(&source).iter().take(3).enumerate() {
        let to = dir.path().join(object.strip_prefix(&source).unwrap());
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(object, to).unwrap();
        // The first run replaces the tiny tree's objects (which this tree lacks) whole.
        let scope = if n == 0 { "--full" } else { "--incremental" };
        warehouse.ok(&load_args(&grown, &[scope]));
        assert_eq!(readers_hold(&warehouse).await, held);
        let plays: i64 = reader
            .query_one(
                "SELECT sum(plays)::bigint FROM analyst.plays_per_level",
                &[],
            )
            .await
            .unwrap()
            .get(0);
        assert!(
            plays > last,
            "the view follows the new rows: {plays} after {last}"
        );
        last = plays;
    }
}

fn log_files(root: &Path) -> Vec<std::path::PathBuf> {
    let mut files: Vec<_> = walkdir::WalkDir::new(root.join("log_data"))
        .into_iter()
        .map(|e| e.unwrap().into_path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    files
}

/// A reader counting songplays in a loop, straight and through a view, while five
/// rebuilds alternate two trees: it never sees an error, and only the counts of whole
/// loads.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reader_in_a_loop_sees_only_whole_loads_through_five_rebuilds() {
    let (warehouse, tiny, sample) = loaded_warehouse().await;
    connect(&warehouse.reader)
        .await
        .batch_execute("CREATE VIEW analyst.plays AS SELECT count(*) AS n FROM wh.songplays")
        .await
        .unwrap();
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let reading = {
        let (url, done) = (warehouse.reader.clone(), done.clone());
        tokio::spawn(async move {
            let reader = connect(&url).await;
            let mut seen = std::collections::BTreeMap::<(i64, i64), usize>::new();
            while !done.load(Ordering::SeqCst) {
                let row = reader
                    .query_one(
                        "SELECT (SELECT count(*) FROM wh.songplays), (SELECT n FROM analyst.plays)",
                        &[],
                    )
                    .await
                    .expect("a reader never sees an error");
                *seen.entry((row.get(0), row.get(1))).or_default() += 1;
            }
            seen
        })
    };
    for round in 0..5 {
        let tree = if round % 2 == 0 { &sample } else { &tiny };
        warehouse.ok(&load_args(tree, &[]));
    }
    done.store(true, Ordering::SeqCst);
    let seen = reading.await.unwrap();
    let whole = [(TINY[0], TINY[0]), (SAMPLE[0], SAMPLE[0])];
    assert!(
        seen.keys().all(|counts| whole.contains(counts)),
        "only whole loads: {seen:?}"
    );
    assert!(seen.len() == 2, "the reader saw both loads: {seen:?}");
}

/// Wrong paths change nothing and exit 2 with a sentence naming the path: an empty song
/// or log tree, the two trees swapped (with and without --max-errors); `--allow-empty`
/// lets an empty tree through. A failed load's --report says so.
#[tokio::test]
async fn empty_or_swapped_trees_change_nothing() {
    let warehouse = Warehouse::new(&["wh"]).await;
    let sample = trees(&fixtures().join("sample"));
    warehouse.ok(&load_args(&sample, &[]));
    let before = dump_all(&warehouse.admin, "wh").await;
    let (empty, out) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let empty_path = empty.path().to_str().unwrap().to_string();
    let report = out.path().join("report.json");
    let report_path = report.to_str().unwrap().to_string();

    let cases: [(Vec<&str>, i32, &str); 5] = [
        (
            vec![
                "load",
                "--song-data",
                &empty_path,
                "--log-data",
                &sample[1],
                "--report",
                &report_path,
            ],
            2,
            "holds no .json object",
        ),
        (
            vec!["load", "--song-data", &sample[0], "--log-data", &empty_path],
            2,
            "holds no .json object",
        ),
        (
            vec![
                "load",
                "--song-data",
                &sample[1],
                "--log-data",
                &sample[0],
                "--max-errors",
                "100000",
            ],
            2,
            "gave no song and no artist",
        ),
        (
            vec!["load", "--song-data", &sample[1], "--log-data", &sample[0]],
            3,
            "ts: missing",
        ),
        (
            vec![
                "load",
                "--song-data",
                &sample[0],
                "--log-data",
                &sample[0],
                "--max-errors",
                "100000",
            ],
            2,
            "gave no songplay",
        ),
    ];
    for (args, code, says) in &cases {
        let out = warehouse.run(args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(*code), "{args:?}: {stderr}");
        assert!(stderr.contains(says), "{args:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert_eq!(dump_all(&warehouse.admin, "wh").await, before, "{args:?}");
    }
    assert!(
        String::from_utf8_lossy(&warehouse.run(&cases[0].0).stderr).contains(&empty_path),
        "the message names the path"
    );
    let record: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(record["status"], "failed");
    assert!(record["error"]
        .as_str()
        .unwrap()
        .contains("holds no .json object"));
    assert_eq!(record["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(record["run_id"].as_str().unwrap().len(), 8);
    for time in ["started_at", "finished_at"] {
        let text = record[time].as_str().unwrap();
        assert!(
            chrono::DateTime::parse_from_rfc3339(text).is_ok() && text.ends_with('Z'),
            "{text}"
        );
    }

    warehouse.ok(&[
        "load",
        "--song-data",
        &sample[0],
        "--log-data",
        &empty_path,
        "--allow-empty",
    ]);
    assert_eq!(warehouse.counts().await, [0, 0, SAMPLE[2], SAMPLE[3], 0]);
}

/// A foreign key from a user's table to one of the five refuses every load with a sentence
/// naming it, before anything changes: a rebuild's `DELETE` would cascade into its rows.
#[tokio::test]
async fn a_foreign_key_to_the_five_tables_refuses_the_load() {
    let warehouse = Warehouse::new(&["wh"]).await;
    let tiny = trees(&tiny());
    warehouse.ok(&load_args(&tiny, &[]));
    connect(&warehouse.admin)
        .await
        .batch_execute(
            "CREATE TABLE analyst.favourites (user_id integer \
                 REFERENCES wh.users (user_id) ON DELETE CASCADE);
             INSERT INTO analyst.favourites VALUES (10);",
        )
        .await
        .unwrap();
    for route in [&[][..], &["--full"], &["--mode", "copy"]] {
        let out = warehouse.run(&load_args(&tiny, route));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{route:?}: {stderr}");
        assert!(
            stderr.contains(
                "analyst.favourites (constraint favourites_user_id_fkey) references wh.users"
            ),
            "{stderr}"
        );
        assert_eq!(dump_all(&warehouse.admin, "wh").await, expected_tiny_all());
        assert_eq!(
            texts(
                &warehouse.admin,
                "SELECT user_id::text FROM analyst.favourites"
            )
            .await,
            ["10"]
        );
    }
}

/// A generated tree whose load takes a few seconds here.
fn big_tree() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let spec = FixtureSpec {
        songs: 4_000,
        events: 150_000,
        seed: 24,
    };
    generate(dir.path(), &spec).unwrap();
    dir
}

/// The statements of other sessions in the loader's database that are not idle.
async fn busy(admin: &str) -> Vec<String> {
    texts(
        admin,
        "SELECT coalesce(state, '-') || ': ' || left(query, 60) FROM pg_stat_activity \
         WHERE datname = current_database() AND pid <> pg_backend_pid() \
           AND backend_type = 'client backend'",
    )
    .await
}

/// SIGINT and SIGTERM while the loader's statements run: the exit code a shell gives the
/// signal, one line saying the old tables stand, nothing of the tool's left on the server
/// within 5 s, the old tables whole, and a re-run gives the right tables.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigint_and_sigterm_cancel_the_load_on_the_server() {
    let warehouse = Warehouse::new(&["wh"]).await;
    let tiny_trees = trees(&tiny());
    warehouse.ok(&load_args(&tiny_trees, &[]));
    let tree = big_tree();
    let big = trees(tree.path());
    for (signal, name, code) in [
        (libc::SIGINT, "SIGINT", 130),
        (libc::SIGTERM, "SIGTERM", 143),
    ] {
        let report = tree.path().join(format!("{name}.json"));
        let child: Child = cli_command(None)
            .args(load_args(
                &big,
                &[
                    "--target",
                    &warehouse.loader,
                    "--schema",
                    "wh",
                    "-q",
                    "--report",
                    report.to_str().unwrap(),
                ],
            ))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Wait for a statement of the load to be running on the server.
        let began = Instant::now();
        loop {
            let running = busy(&warehouse.admin).await;
            if running.iter().any(|s| s.starts_with("active: INSERT")) {
                break;
            }
            assert!(began.elapsed() < Duration::from_secs(60), "no INSERT ran");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        // SAFETY: kill(2) on the pid of a child this test spawned and has not waited for.
        unsafe {
            libc::kill(child.id() as i32, signal);
        }
        let signalled = Instant::now();
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(code), "{stderr}");
        assert_eq!(
            stderr.trim_end(),
            format!(
                "error: interrupted by {name}: the statements in flight were cancelled and \
                 rolled back, and the tables stand as they were before this command"
            )
        );
        loop {
            let left = busy(&warehouse.admin).await;
            if left.is_empty() {
                break;
            }
            assert!(
                signalled.elapsed() < Duration::from_secs(5),
                "{name}: still on the server 5 s after the signal: {left:?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(dump_all(&warehouse.admin, "wh").await, expected_tiny_all());
        let record: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
        assert_eq!(record["status"], "failed");
        assert!(
            record["error"]
                .as_str()
                .unwrap()
                .starts_with(&format!("interrupted by {name}")),
            "{record}"
        );
        let private = texts(
            &warehouse.admin,
            "SELECT tablename::text FROM pg_tables WHERE tablename LIKE 'sparkify\\_load\\_run\\_%'",
        )
        .await;
        assert!(private.is_empty(), "{name}: {private:?}");
    }
    warehouse.ok(&load_args(&tiny_trees, &[]));
    assert_eq!(dump_all(&warehouse.admin, "wh").await, expected_tiny_all());
}
