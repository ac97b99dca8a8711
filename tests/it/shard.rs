//! Sharded loads (`load --shard K/N`, `merge`) on a real PostgreSQL: workers running at the
//! same time, merged, give the tables of one load of the same objects; a merge missing a
//! shard is refused and changes nothing; a killed worker restarted gives the same result;
//! `--shard auto/N` reads the index Kubernetes and AWS Batch give; `merge --discard` drops
//! a run's shards.

use std::path::Path;
use std::process::{Child, Output, Stdio};
use std::time::Duration;

use crate::common::*;
use sparkify_fixtures::{generate, FixtureSpec};

/// A worker of run `run_id` as its own process.
fn worker(root: &Path, url: &str, schema: &str, shard: &str, run_id: &str) -> Child {
    cli_command(None)
        .args(["load", "-q", "--max-errors", "100", "--target", url])
        .args(["--schema", schema, "--shard", shard, "--run-id", run_id])
        .arg("--reject-file")
        .arg(root.join(format!(
            "rejects-{schema}-{}.jsonl",
            shard.replace('/', "-")
        )))
        .arg("--song-data")
        .arg(root.join("song_data"))
        .arg("--log-data")
        .arg(root.join("log_data"))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn succeeded(child: Child) {
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

fn merge(url: &str, schema: &str, run_id: &str) -> Output {
    run_cli(
        &[
            "merge", "--target", url, "--schema", schema, "--run-id", run_id,
        ],
        None,
    )
}

/// Every worker of an N-shard run at once, then the merge.
fn sharded_load(root: &Path, url: &str, schema: &str, shards: u32, run_id: &str) {
    let workers: Vec<Child> = (0..shards)
        .map(|k| worker(root, url, schema, &format!("{k}/{shards}"), run_id))
        .collect();
    workers.into_iter().for_each(succeeded);
    let merged = merge(url, schema, run_id);
    assert!(
        merged.status.success(),
        "{}",
        String::from_utf8_lossy(&merged.stderr)
    );
}

/// The tables one client-mode load of `root` gives.
async fn one_load(root: &Path, url: &str, schema: &str) -> Vec<Vec<String>> {
    let mut request = config(root, url);
    request.schema = schema.parse().unwrap();
    request.max_errors = 100;
    request.reject_file = Some(root.join(format!("rejects-{schema}.jsonl")));
    load(&request).await.unwrap();
    dump_all(url, schema).await
}

async fn manifest_objects(url: &str, schema: &str) -> Vec<String> {
    texts(
        url,
        &format!("SELECT tree || ' ' || key FROM {schema}.sparkify_load_state_objects ORDER BY 1"),
    )
    .await
}

/// Each songplay's id with its start time, user and session: the ids follow the plays'
/// (object key, line) order, as a `--full` run gives them.
async fn played(url: &str, schema: &str) -> Vec<String> {
    texts(
        url,
        &format!(
            "SELECT songplay_id || ' ' || start_time || ' ' || user_id || ' ' || \
             coalesce(session_id::text, '-') FROM {schema}.songplays ORDER BY songplay_id"
        ),
    )
    .await
}

/// What the target schema still holds of the shards' own tables.
async fn shard_tables(url: &str, schema: &str) -> Vec<String> {
    texts(
        url,
        &format!(
            "SELECT table_name::text FROM information_schema.tables \
             WHERE table_schema = '{schema}' AND table_name LIKE 'sparkify\\_load\\_shard\\_%' \
             ORDER BY 1"
        ),
    )
    .await
}

/// Two and three workers at once, on generated data with every awkward case, on the
/// hostile tree, and on the classic data, equal one load of the same objects; the manifest
/// lists every object and the shards' tables are gone.
#[tokio::test]
async fn workers_at_once_merged_equal_one_load() {
    let url = fresh_database().await;
    let dir = tempfile::tempdir().unwrap();
    let generated = dir.path().join("generated");
    let summary = generate(
        &generated,
        &FixtureSpec {
            songs: 1_500,
            events: 20_000,
            seed: 31,
        },
    )
    .unwrap();
    let (hostile, _) = hostile::hostile_tree();
    let mut trees = vec![
        (generated.clone(), "generated"),
        (hostile.path().to_path_buf(), "hostile"),
    ];
    match real_data() {
        Some(classic) => trees.push((classic, "classic")),
        None => skipped("the classic data is absent: sharded loads of it not run"),
    }
    for (root, name) in &trees {
        let expected = one_load(root, &url, &format!("{name}_one")).await;
        // The ids: a --full run numbers the plays in (key, line) order, as the merge does.
        let mut full = config(root, &url);
        full.schema = format!("{name}_full").parse().unwrap();
        full.scope = sparkify_load::LoadScope::Full;
        full.max_errors = 100;
        full.reject_file = Some(root.join(format!("rejects-{name}-full.jsonl")));
        load(&full).await.unwrap();
        let ids = played(&url, &format!("{name}_full")).await;
        for shards in [2, 3] {
            let schema = format!("{name}_{shards}");
            sharded_load(root, &url, &schema, shards, &format!("{name}{shards}"));
            assert_eq!(
                dump_all(&url, &schema).await,
                expected,
                "{name} in {shards} shards"
            );
            assert_eq!(
                played(&url, &schema).await,
                ids,
                "{name}'s ids in {shards} shards"
            );
            assert!(shard_tables(&url, &schema).await.is_empty());
        }
    }
    let listed = manifest_objects(&url, "generated_3").await;
    assert_eq!(
        listed.len(),
        summary.song_objects + summary.log_objects,
        "one manifest row per object"
    );
    // The merged tables carry a manifest: an incremental run after them finds nothing new.
    let before = dump_all(&url, "generated_2").await;
    let mut request = config(&generated, &url);
    request.schema = "generated_2".parse().unwrap();
    request.scope = sparkify_load::LoadScope::Incremental;
    let report = load(&request).await.unwrap();
    assert_eq!(report.logs.manifest.unwrap().new, 0);
    assert_eq!(dump_all(&url, "generated_2").await, before);
}

/// A merge with a shard missing is refused, names the shard and changes nothing; once the
/// shard has run, the merge replaces the tables. A merged run's id is spent.
#[tokio::test]
async fn a_merge_missing_a_shard_is_refused_and_changes_nothing() {
    let url = fresh_database().await;
    let sample = fixtures().join("sample");
    let expected = one_load(&sample, &url, "expected").await;
    // The target holds another load's tables, which must survive the refused merge.
    let old = one_load(&tiny(), &url, "target").await;
    for shard in ["0/3", "2/3"] {
        succeeded(worker(&sample, &url, "target", shard, "gap"));
    }
    let refused = merge(&url, "target", "gap");
    assert_eq!(refused.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&refused.stderr).trim(),
        "error: run gap misses shard 1 of 3 (numbered from 0): run it (load --shard K/3 \
         --run-id gap), then merge again; nothing was merged"
    );
    assert_eq!(dump_all(&url, "target").await, old);
    assert_eq!(
        shard_tables(&url, "target").await.len(),
        6,
        "two shards wait"
    );

    succeeded(worker(&sample, &url, "target", "1/3", "gap"));
    assert!(merge(&url, "target", "gap").status.success());
    assert_eq!(dump_all(&url, "target").await, expected);

    let again = merge(&url, "target", "gap");
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("run gap was merged already"));
    let late = worker(&sample, &url, "target", "0/3", "gap")
        .wait_with_output()
        .unwrap();
    assert_eq!(late.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&late.stderr).contains("give this load a new --run-id"));
}

/// `merge --discard` drops an unmerged run's finished shards and merges nothing: the old
/// tables and another run's shard stay, a merge of the run then finds no shard, and
/// discarding again is harmless.
#[tokio::test]
async fn a_discarded_run_leaves_no_shard_and_merges_nothing() {
    let url = fresh_database().await;
    let sample = fixtures().join("sample");
    let old = one_load(&tiny(), &url, "target").await;
    for shard in ["0/3", "2/3"] {
        succeeded(worker(&sample, &url, "target", shard, "dud"));
    }
    succeeded(worker(&sample, &url, "target", "1/2", "keep"));
    let discard = || {
        run_cli(
            &[
                "merge",
                "--target",
                &url,
                "--schema",
                "target",
                "--run-id",
                "dud",
                "--discard",
            ],
            None,
        )
    };
    let stdout = |out: &Output| String::from_utf8_lossy(&out.stdout).trim().to_string();

    let discarded = discard();
    assert!(
        discarded.status.success(),
        "{}",
        String::from_utf8_lossy(&discarded.stderr)
    );
    assert_eq!(
        stdout(&discarded),
        "discarded run dud of schema target: dropped the tables of shards 0 and 2 of 3; \
         nothing was merged"
    );
    assert_eq!(dump_all(&url, "target").await, old);
    assert_eq!(
        shard_tables(&url, "target").await,
        [
            "sparkify_load_shard_keep_1_new_objects",
            "sparkify_load_shard_keep_1_new_plays",
            "sparkify_load_shard_keep_1_new_songs"
        ]
    );
    let refused = merge(&url, "target", "dud");
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("run dud has no finished shard"));

    let again = discard();
    assert!(again.status.success());
    assert_eq!(
        stdout(&again),
        "run dud has no finished shard in schema target; nothing to discard"
    );
}

/// A worker killed while it writes, and started again with the same shard, gives the same
/// tables as if it had never been killed.
#[tokio::test]
async fn a_killed_worker_restarted_gives_the_same_result() {
    let url = fresh_database().await;
    let dir = tempfile::tempdir().unwrap();
    generate(
        dir.path(),
        &FixtureSpec {
            songs: 2_000,
            events: 60_000,
            seed: 33,
        },
    )
    .unwrap();
    let expected = one_load(dir.path(), &url, "expected").await;
    // Killed inside its transaction: held there first, as a slow worker would be.
    let holder = hold_shard_tables(&url, "target", "restart").await;
    let mut killed = worker(dir.path(), &url, "target", "0/2", "restart");
    held_worker(&url).await;
    killed.kill().unwrap();
    killed.wait().unwrap();
    holder.batch_execute("ROLLBACK").await.unwrap();
    let refused = merge(&url, "target", "restart");
    assert_eq!(
        refused.status.code(),
        Some(2),
        "a killed shard is not finished"
    );

    succeeded(worker(dir.path(), &url, "target", "1/2", "restart"));
    succeeded(worker(dir.path(), &url, "target", "0/2", "restart"));
    assert!(merge(&url, "target", "restart").status.success());
    assert_eq!(dump_all(&url, "target").await, expected);
}

/// `--shard auto/N` takes the shard from Kubernetes's JOB_COMPLETION_INDEX or AWS Batch's
/// AWS_BATCH_JOB_ARRAY_INDEX: one worker of each makes a whole two-shard run.
#[tokio::test]
async fn shard_auto_reads_the_job_runners_index() {
    let url = fresh_database().await;
    let sample = fixtures().join("sample");
    let expected = one_load(&sample, &url, "expected").await;
    for (variable, index) in [
        ("JOB_COMPLETION_INDEX", "1"),
        ("AWS_BATCH_JOB_ARRAY_INDEX", "0"),
    ] {
        let output = cli_command(None)
            .env_remove("JOB_COMPLETION_INDEX")
            .env_remove("AWS_BATCH_JOB_ARRAY_INDEX")
            .env(variable, index)
            .args(["load", "--target", &url, "--schema", "target"])
            .args(["--shard", "auto/2", "--run-id", "auto"])
            .arg("--song-data")
            .arg(sample.join("song_data"))
            .arg("--log-data")
            .arg(sample.join("log_data"))
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(String::from_utf8_lossy(&output.stdout)
            .starts_with(&format!("shard {index} of 2 (numbered from 0) of run auto")));
    }
    assert!(merge(&url, "target", "auto").status.success());
    assert_eq!(dump_all(&url, "target").await, expected);
}

/// Holds shard 0 of run `run` inside its transaction: another session creates, and does not
/// commit, a table of the name the worker creates first, so the worker waits there. The
/// session rolls back to let it go on.
async fn hold_shard_tables(url: &str, schema: &str, run: &str) -> tokio_postgres::Client {
    let holder = connect(url).await;
    holder
        .batch_execute(&format!("CREATE SCHEMA {schema}"))
        .await
        .unwrap();
    holder
        .batch_execute(&format!(
            "BEGIN; CREATE TABLE {schema}.sparkify_load_shard_{run}_0_new_objects (x integer)"
        ))
        .await
        .unwrap();
    holder
}

/// The backend of the worker held by `hold_shard_tables`, once it waits there.
async fn held_worker(url: &str) -> i32 {
    let watcher = connect(url).await;
    for _ in 0..600 {
        // Only the held worker can wait on a lock: on the holder's table.
        let row = watcher
            .query_opt(
                "SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock'",
                &[],
            )
            .await
            .unwrap();
        if let Some(row) = row {
            return row.get(0);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the worker never reached its shard's tables");
}

/// Workers share one table, the registry of finished shards; Redshift holds a table's write
/// lock until the commit, so a worker that wrote it inside its long transaction would make
/// every other worker wait (docs/REDSHIFT.md rule 27). Worker 0 is held inside its
/// transaction (another session is creating a table of the same name): it holds no lock on
/// the registry, and worker 1 runs from start to finish meanwhile.
#[tokio::test]
async fn a_worker_inside_its_transaction_holds_nothing_another_worker_writes() {
    let url = fresh_database().await;
    let root = tiny();
    let holder = hold_shard_tables(&url, "held", "r").await;
    let first = worker(&root, &url, "held", "0/2", "r");
    let held_pid = held_worker(&url).await;
    let watcher = connect(&url).await;
    let registry_locks: Vec<String> = watcher
        .query(
            "SELECT c.relname::text || ' ' || l.mode FROM pg_locks l \
             JOIN pg_class c ON c.oid = l.relation \
             WHERE l.pid = $1 AND c.relname LIKE 'sparkify\\_load\\_shards\\_%'",
            &[&held_pid],
        )
        .await
        .unwrap()
        .iter()
        .map(|row| row.get(0))
        .collect();
    assert_eq!(registry_locks, Vec::<String>::new());
    // The other worker of the run, start to finish, while worker 0 is held.
    succeeded(worker(&root, &url, "held", "1/2", "r"));
    holder.batch_execute("ROLLBACK").await.unwrap();
    succeeded(first);
    let merged = merge(&url, "held", "r");
    assert!(
        merged.status.success(),
        "{}",
        String::from_utf8_lossy(&merged.stderr)
    );
    let songplays = texts(&url, "SELECT count(*)::text FROM held.songplays").await;
    assert_eq!(songplays, vec!["11"]);
}
