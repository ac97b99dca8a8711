//! Faults that must never lose data or leave a half-written warehouse: the loader killed
//! at any moment, the database restarted mid-load, and two loads into one schema at once.

use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use crate::common::*;
use sparkify_fixtures::{generate, FixtureSpec};
use sparkify_load::embedded::AttachedServer;

fn spawn_load(tree: &Path, url: &str) -> Child {
    cli_command(None)
        .args(["--target", url])
        .arg("--song-data")
        .arg(tree.join("song_data"))
        .arg("--log-data")
        .arg(tree.join("log_data"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// A generated tree big enough that a load takes about a second or two.
fn big_tree(seed: u64) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    generate(
        dir.path(),
        &FixtureSpec {
            songs: 2_000,
            events: 40_000,
            seed,
        },
    )
    .unwrap();
    dir
}

/// The tables of `tree` as a load gives them, loaded into a database of their own.
async fn tables_of(tree: &Path) -> Vec<Vec<String>> {
    let url = fresh_database().await;
    load(&config(tree, &url)).await.unwrap();
    dump_all(&url, "public").await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_at_any_moment_leaves_the_old_tables_or_the_whole_new_ones() {
    let tree = big_tree(21);
    let new_tables = tables_of(tree.path()).await;
    let url = fresh_database().await;
    load(&config(&tiny(), &url)).await.unwrap();
    let old_tables = expected_tiny_all();

    // How long a whole load takes here, to spread the kills over it.
    let timing_url = fresh_database().await;
    let began = Instant::now();
    assert!(spawn_load(tree.path(), &timing_url)
        .wait()
        .unwrap()
        .success());
    let whole = began.elapsed();

    let kills = 24;
    let mut kept_old = 0;
    for i in 0..kills {
        // Over the first 80%: parse, inserts and keys, and the swap on a fast run.
        let at = whole.mul_f64(0.8 * (i as f64 + 0.5) / kills as f64);
        let mut child = spawn_load(tree.path(), &url);
        std::thread::sleep(at);
        let _ = child.kill();
        let _ = child.wait();
        let tables = dump_all(&url, "public").await;
        // A kill after the swap's COMMIT reached the server leaves the new load, whole.
        assert!(
            tables == old_tables || tables == new_tables,
            "kill {i} at {at:?} left a mixed state"
        );
        if tables == old_tables {
            kept_old += 1;
        } else {
            // Start again from the old tables.
            load(&config(&tiny(), &url)).await.unwrap();
        }
        // A killed load's private tables stay until the next load into the schema.
        let star: Vec<String> = tables_in(&url, "public")
            .await
            .into_iter()
            .filter(|t| !t.starts_with("sparkify_load_"))
            .collect();
        assert_eq!(
            star,
            vec!["artists", "songplays", "songs", "time", "users"],
            "kill {i}"
        );
    }
    // Timing on a shared machine varies; most kills must still land before the swap.
    assert!(
        kept_old >= kills / 2,
        "only {kept_old} of {kills} kills came before the swap"
    );

    let out = spawn_load(tree.path(), &url).wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(dump_all(&url, "public").await, new_tables);
    assert_eq!(schemas(&url).await, vec!["public"]);
    assert_eq!(
        tables_in(&url, "public").await,
        LOADED_TABLES,
        "the next load drops what the killed loads left"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_restart_mid_load_fails_clearly_and_a_rerun_succeeds() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = AttachedServer::start(&dir.path().join("data"), &[("fsync", "off")]).unwrap();
    let url = server.url();
    load(&config(&tiny(), &url)).await.unwrap();
    let tree = big_tree(23);

    let child = spawn_load(tree.path(), &url);
    std::thread::sleep(Duration::from_millis(500));
    server.restart().unwrap();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(5), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "error: target sparkify@127.0.0.1:{}/sparkify",
            server.port
        )),
        "{stderr}"
    );
    assert_eq!(
        dump_all(&url, "public").await,
        expected_tiny_all(),
        "nothing half written"
    );

    let out = spawn_load(tree.path(), &url).wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(dump_all(&url, "public").await, tables_of(tree.path()).await);
    assert_eq!(schemas(&url).await, vec!["public"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_loads_into_one_schema_wait_for_each_other() {
    let (a, b) = (big_tree(31), tiny());
    let (tables_a, tables_b) = (tables_of(a.path()).await, tables_of(&b).await);
    let url = fresh_database().await;
    let first = spawn_load(a.path(), &url);
    std::thread::sleep(Duration::from_millis(300));
    let second = spawn_load(&b, &url);
    let (first, second) = (
        first.wait_with_output().unwrap(),
        second.wait_with_output().unwrap(),
    );
    assert!(first.status.success() && second.status.success());
    let waited = String::from_utf8_lossy(&second.stderr);
    assert!(
        waited.contains("waiting for another load into schema public to finish"),
        "{waited}"
    );
    // The second load started after the first had swapped: its tables, whole.
    assert_eq!(dump_all(&url, "public").await, tables_b);
    assert_ne!(tables_a, tables_b);
}
