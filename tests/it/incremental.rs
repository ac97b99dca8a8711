//! Incremental loads (`--incremental`, `--full`) on real servers: after every run the tables
//! equal one full load of every object loaded so far (SPEC section 3), in both modes; late
//! songs re-match plays already loaded; changed and vanished objects fail the run and
//! change nothing; killed and concurrent runs leave the old state or the new one, exactly.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::common::s3::{Faults, S3Server};
use crate::common::*;
use sparkify_fixtures::{generate, FixtureSpec};
use sparkify_load::{Dialect, Error, LoadRequest, LoadScope, Mode, Report, Secret};

/// A load of `root/song_data` and `root/log_data` into `schema`. These tests grow trees
/// from nothing, a tree at a time, so an empty tree is what they mean (`--allow-empty`).
fn request(root: &Path, url: &str, schema: &str, mode: Mode, scope: LoadScope) -> LoadRequest {
    let mut request = config(root, url);
    request.schema = schema.parse().unwrap();
    request.mode = mode;
    request.scope = scope;
    request.allow_empty = true;
    request
}

async fn run(root: &Path, url: &str, schema: &str, mode: Mode, scope: LoadScope) -> Report {
    load(&request(root, url, schema, mode, scope))
        .await
        .unwrap()
}

/// The tables a rebuild of every object under `root` gives.
async fn full_load(root: &Path, url: &str) -> Vec<Vec<String>> {
    run(root, url, "reference", Mode::Client, LoadScope::Rebuild).await;
    dump_all(url, "reference").await
}

async fn manifest_rows(url: &str, schema: &str) -> Vec<String> {
    texts(
        url,
        &format!(
            "SELECT tree || ' ' || key || ' ' || size || ' ' || version \
             FROM {schema}.sparkify_load_state_objects ORDER BY 1"
        ),
    )
    .await
}

/// Each songplay's id with the columns a later run never changes.
async fn played(url: &str, schema: &str) -> Vec<String> {
    texts(
        url,
        &format!(
            "SELECT songplay_id || ' ' || start_time || ' ' || user_id \
             FROM {schema}.songplays ORDER BY songplay_id"
        ),
    )
    .await
}

/// The log objects of a tree, in key order.
fn log_objects(root: &Path) -> Vec<PathBuf> {
    json_objects(&root.join("log_data"))
}

/// The `.json` objects under a folder, in key order.
fn json_objects(folder: &Path) -> Vec<PathBuf> {
    let mut objects: Vec<PathBuf> = walkdir::WalkDir::new(folder)
        .into_iter()
        .map(|entry| entry.unwrap().into_path())
        .filter(|path| path.is_file() && path.extension().is_some_and(|e| e == "json"))
        .collect();
    objects.sort();
    objects
}

/// A copy of `from` with its songs and none of its logs: logs are added a day at a time.
fn without_logs(from: &Path, to: &Path) {
    copy_tree(&from.join("song_data"), &to.join("song_data"));
    std::fs::create_dir_all(to.join("log_data")).unwrap();
}

fn add_object(from_root: &Path, object: &Path, to_root: &Path) {
    let target = to_root.join(object.strip_prefix(from_root).unwrap());
    std::fs::create_dir_all(target.parent().unwrap()).unwrap();
    std::fs::copy(object, target).unwrap();
}

/// Loads `root` incrementally in both modes, into `inc_client` and `inc_copy`, and checks
/// that each equals a rebuild of it; `step` names the moment in a failure. Gives the client
/// and copy reports.
async fn both_modes_equal_a_full_load(root: &Path, url: &str, step: &str) -> (Report, Report) {
    let client = run(
        root,
        url,
        "inc_client",
        Mode::Client,
        LoadScope::Incremental,
    )
    .await;
    let copy = run(root, url, "inc_copy", Mode::Copy, LoadScope::Incremental).await;
    let expected = full_load(root, url).await;
    assert_eq!(
        dump_all(url, "inc_client").await,
        expected,
        "client, {step}"
    );
    assert_eq!(dump_all(url, "inc_copy").await, expected, "copy, {step}");
    (client, copy)
}

/// Loads `source`'s logs one day at a time, incrementally in both modes, and checks after
/// each day that both equal a rebuild of the days so far and that no id already given moved.
async fn day_by_day(source: &Path) {
    let url = fresh_database().await;
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    without_logs(source, root);
    let mut before: Vec<String> = Vec::new();
    for (day, object) in log_objects(source).iter().enumerate() {
        add_object(source, object, root);
        let (client, copy) = both_modes_equal_a_full_load(root, &url, &format!("day {day}")).await;
        let counts = client.logs.manifest.unwrap();
        assert_eq!((counts.new, counts.already_loaded), (1, day as u64));
        assert_eq!(client.tables, copy.tables, "day {day}");
        let now = played(&url, "inc_client").await;
        assert_eq!(now[..before.len()], before[..], "ids moved on day {day}");
        before = now;
    }
    assert!(!before.is_empty());
}

#[tokio::test]
async fn generated_logs_a_day_at_a_time_equal_full_loads() {
    let dir = tempfile::tempdir().unwrap();
    generate(
        dir.path(),
        &FixtureSpec {
            songs: 300,
            events: 4_000,
            seed: 14,
        },
    )
    .unwrap();
    day_by_day(dir.path()).await;
}

#[tokio::test]
async fn classic_logs_a_day_at_a_time_equal_full_loads() {
    let Some(data) = real_data() else {
        skipped("classic_logs_a_day_at_a_time_equal_full_loads: no ../shared/data/sparkify");
        return;
    };
    day_by_day(&data).await;
}

/// Every object of `source` (both trees) in `batches` batches, in reverse key order, so
/// that each batch's records sort before the winners kept from the batches before: after
/// each batch, both modes' incremental tables equal a rebuild of what has arrived.
async fn reversed_batches(source: &Path, batches: usize) {
    let url = fresh_database().await;
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("song_data")).unwrap();
    std::fs::create_dir_all(root.join("log_data")).unwrap();
    let mut objects = json_objects(&source.join("song_data"));
    objects.extend(log_objects(source));
    objects.sort_by(|a, b| b.file_name().cmp(&a.file_name()));
    let per_batch = objects.len().div_ceil(batches);
    for (batch, chunk) in objects.chunks(per_batch).enumerate() {
        for object in chunk {
            add_object(source, object, root);
        }
        both_modes_equal_a_full_load(root, &url, &format!("batch {batch}")).await;
    }
}

/// The hand-written tree: duplicate and conflicting song records, NULL ids, a number as an
/// artist name, plays that match and plays that cannot, users whose level changes.
#[tokio::test]
async fn the_tiny_tree_in_reverse_order_equals_full_loads() {
    reversed_batches(&tiny(), 4).await;
}

/// A generated tree with every awkward case the generator makes.
#[tokio::test]
async fn a_generated_tree_in_reverse_order_equals_full_loads() {
    let dir = tempfile::tempdir().unwrap();
    generate(
        dir.path(),
        &FixtureSpec {
            songs: 200,
            events: 3_000,
            seed: 15,
        },
    )
    .unwrap();
    reversed_batches(dir.path(), 5).await;
}

fn write(root: &Path, key: &str, json: &str) {
    let path = root.join(key);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, json).unwrap();
}

fn song(song_id: &str, title: &str, artist_id: &str, artist_name: &str, duration: f64) -> String {
    format!(
        r#"{{"song_id": "{song_id}", "title": "{title}", "artist_id": "{artist_id}", "artist_name": "{artist_name}", "artist_location": "", "artist_latitude": null, "artist_longitude": null, "duration": {duration}, "year": 2000, "num_songs": 1}}"#
    )
}

fn play(user: u32, ts: u64, song: &str, artist: &str, length: f64) -> String {
    format!(
        r#"{{"artist": "{artist}", "auth": "Logged In", "firstName": "F{user}", "gender": "F", "itemInSession": 0, "lastName": "L", "length": {length}, "level": "free", "location": "X", "method": "PUT", "page": "NextSong", "registration": null, "sessionId": 1, "song": "{song}", "status": 200, "ts": {ts}, "userAgent": "A", "userId": "{user}"}}"#
    )
}

/// Songs that arrive after the plays they match: a play that matched nothing now matches,
/// a play's match moves to a record that sorts first, and a song's and an artist's row move
/// to a record that sorts before their winner; nothing else changes.
#[tokio::test]
async fn late_songs_rematch_the_plays_already_loaded() {
    for mode in [Mode::Client, Mode::Copy] {
        let url = fresh_database().await;
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(
            root,
            "song_data/a/S2.json",
            &song("S2", "T", "A2", "N", 200.0),
        );
        write(
            root,
            "song_data/a/S5.json",
            &song("S5", "V", "A5", "P", 50.0),
        );
        let plays = [
            play(1, 1_541_000_000_000, "T", "N", 200.0),
            play(2, 1_541_000_001_000, "U", "M", 100.0),
            play(3, 1_541_000_002_000, "V", "P", 50.0),
        ];
        write(root, "log_data/day1.json", &plays.join("\n"));
        run(root, &url, "public", mode, LoadScope::Incremental).await;
        let matches = "SELECT songplay_id || ' ' || coalesce(song_id, '-') || ' ' || \
                       coalesce(artist_id, '-') FROM songplays ORDER BY songplay_id";
        assert_eq!(texts(&url, matches).await, ["1 S2 A2", "2 - -", "3 S5 A5"]);

        // S1 sorts before S2 for (T, N, 200); S3 is the first match for (U, M, 100); the
        // second S2 record sorts before the first (artist A0 < A2).
        write(
            root,
            "song_data/b/S1.json",
            &song("S1", "T", "A9", "N", 200.0),
        );
        write(
            root,
            "song_data/b/S3.json",
            &song("S3", "U", "A2", "M", 100.0),
        );
        write(
            root,
            "song_data/b/S2b.json",
            &song("S2", "T2", "A0", "Q", 1.0),
        );
        let report = run(root, &url, "public", mode, LoadScope::Incremental).await;
        let songs = report.songs.manifest.unwrap();
        assert_eq!((songs.new, songs.already_loaded), (3, 2));
        assert_eq!(
            texts(&url, matches).await,
            ["1 S1 A9", "2 S3 A2", "3 S5 A5"],
            "{mode:?}"
        );
        assert_eq!(
            texts(
                &url,
                "SELECT song_id || ' ' || title || ' ' || artist_id FROM songs ORDER BY 1"
            )
            .await,
            ["S1 T A9", "S2 T2 A0", "S3 U A2", "S5 V A5"]
        );
        assert_eq!(
            texts(
                &url,
                "SELECT artist_id || ' ' || name FROM artists ORDER BY 1"
            )
            .await,
            ["A0 Q", "A2 N", "A5 P", "A9 N"]
        );
        assert_eq!(dump_all(&url, "public").await, full_load(root, &url).await);
    }
}

/// The cases the merge decides across runs, each loaded in the order that tests it: a
/// users tie broken by an object that arrives later but sorts first, a new event older than
/// the kept winner, song records that lose to the kept winner, identical records, a NULL
/// song id, -0.0 against 0.0, and plays that cannot match.
#[tokio::test]
async fn cross_run_rules_hold_whatever_order_objects_arrive_in() {
    let url = fresh_database().await;
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let ts = 1_541_000_000_000;
    let tie = |first_name: &str| play(7, ts, "T", "N", 200.0).replace("F7", first_name);
    let batches: [&[(&str, String)]; 3] = [
        &[
            ("song_data/b/S2.json", song("S2", "T", "A2", "N", 200.0)),
            ("song_data/b/Z.json", song("S9", "Z", "A9", "N", -0.0)),
            ("log_data/b.json", [tie("Later"), play(8, ts + 5_000, "Z", "N", 0.0)].join("\n")),
        ],
        &[
            // Sorts before b.json: its event ties with the kept winner and wins on the key.
            ("log_data/a.json", [tie("Earlier"), play(8, ts, "U", "M", 1.0)].join("\n")),
            // Lose to S2's kept record; one identical to it.
            ("song_data/c/S2.json", song("S2", "T", "A3", "N", 200.0)),
            ("song_data/c/S2copy.json", song("S2", "T", "A2", "N", 200.0)),
            (
                "song_data/c/nulls.json",
                r#"{"song_id": null, "title": "T", "artist_id": null, "artist_name": "N", "duration": 200.0}"#.to_string(),
            ),
        ],
        &[(
            "log_data/c.json",
            [
                r#"{"artist": null, "firstName": "X", "itemInSession": 1, "length": null, "level": "paid", "page": "NextSong", "sessionId": 1, "song": null, "ts": 1541000000000, "userId": "9"}"#.to_string(),
                play(9, ts - 1, "T", "N", 200.0),
            ]
            .join("\n"),
        )],
    ];
    for (batch, objects) in batches.iter().enumerate() {
        for (key, json) in objects.iter() {
            write(root, key, json);
        }
        both_modes_equal_a_full_load(root, &url, &format!("batch {batch}")).await;
    }
    let users = "SELECT user_id || ' ' || first_name FROM inc_client.users ORDER BY 1";
    assert_eq!(texts(&url, users).await, ["7 Earlier", "8 F8", "9 X"]);
    let matches = "SELECT coalesce(song_id, '-') || ' ' || coalesce(artist_id, '-') \
                   FROM inc_client.songplays ORDER BY songplay_id";
    assert_eq!(
        texts(&url, matches).await,
        ["S2 A2", "S9 A9", "S2 A2", "- -", "- -", "S2 A2"]
    );
}

/// A second run with nothing new changes nothing: no new ids, no new manifest rows.
#[tokio::test]
async fn a_run_with_nothing_new_changes_nothing() {
    let url = fresh_database().await;
    let root = fixtures().join("sample");
    run(&root, &url, "public", Mode::Client, LoadScope::Incremental).await;
    let (tables, ids, manifest) = (
        dump_all(&url, "public").await,
        played(&url, "public").await,
        manifest_rows(&url, "public").await,
    );
    assert_eq!(manifest.len(), json_objects(&root).len());
    let again = run(&root, &url, "public", Mode::Client, LoadScope::Incremental).await;
    let counts = again.logs.manifest.unwrap();
    assert_eq!((counts.new, counts.changed), (0, 0));
    let songs = json_objects(&root.join("song_data")).len() as u64;
    assert_eq!(again.songs.manifest.unwrap().already_loaded, songs);
    assert_eq!(dump_all(&url, "public").await, tables);
    assert_eq!(played(&url, "public").await, ids);
    assert_eq!(manifest_rows(&url, "public").await, manifest);
}

/// A copy of the sample in `root`, loaded by one incremental run into `url`'s `public`: the
/// tables and the manifest it left.
async fn sample_loaded_incrementally(root: &Path, url: &str) -> (Vec<Vec<String>>, Vec<String>) {
    copy_tree(&fixtures().join("sample"), root);
    run(root, url, "public", Mode::Client, LoadScope::Incremental).await;
    (
        dump_all(url, "public").await,
        manifest_rows(url, "public").await,
    )
}

/// A local file whose modification time moved but whose bytes did not (touch, a plain
/// re-copy) is already loaded, as an S3 object re-uploaded with the same bytes keeps its
/// ETag; one of the same size whose bytes changed is changed.
#[tokio::test]
async fn touched_and_recopied_files_are_judged_by_content() {
    let (url, dir) = (fresh_database().await, tempfile::tempdir().unwrap());
    let root = dir.path();
    let (tables, manifest) = sample_loaded_incrementally(root, &url).await;
    let objects = log_objects(root);
    let later = std::time::SystemTime::now() + std::time::Duration::from_secs(60);
    let touched = std::fs::File::options()
        .append(true)
        .open(&objects[1])
        .unwrap();
    touched.set_modified(later).unwrap();
    let bytes = std::fs::read(&objects[3]).unwrap();
    std::fs::remove_file(&objects[3]).unwrap();
    std::fs::write(&objects[3], &bytes).unwrap(); // a plain re-copy: a new file, new time
    for mode in [Mode::Client, Mode::Copy] {
        let again = run(root, &url, "public", mode, LoadScope::Incremental).await;
        let counts = again.logs.manifest.unwrap();
        assert_eq!(
            (counts.new, counts.already_loaded, counts.changed),
            (0, objects.len() as u64, 0)
        );
        assert_eq!(dump_all(&url, "public").await, tables);
        assert_eq!(manifest_rows(&url, "public").await, manifest);
    }
    // A rebuild in copy mode keeps the content's fingerprints too (its own read path).
    run(root, &url, "public", Mode::Copy, LoadScope::Rebuild).await;
    let file = std::fs::File::options()
        .append(true)
        .open(&objects[5])
        .unwrap();
    file.set_modified(later + std::time::Duration::from_secs(30))
        .unwrap();
    let again = run(root, &url, "public", Mode::Client, LoadScope::Incremental).await;
    assert_eq!(again.logs.manifest.unwrap().changed, 0);
    assert!(manifest_rows(&url, "public")
        .await
        .iter()
        .all(|row| row.contains(" xxh3:")));
    // The same size, one byte other: changed, though only its content says so.
    let mut edited = std::fs::read(&objects[1]).unwrap();
    let at = edited.iter().position(|b| b.is_ascii_digit()).unwrap();
    edited[at] = if edited[at] == b'9' {
        b'8'
    } else {
        edited[at] + 1
    };
    std::fs::write(&objects[1], &edited).unwrap();
    let file = std::fs::File::options()
        .append(true)
        .open(&objects[1])
        .unwrap();
    file.set_modified(later + std::time::Duration::from_secs(60))
        .unwrap();
    let err = load(&request(
        root,
        &url,
        "public",
        Mode::Client,
        LoadScope::Incremental,
    ))
    .await
    .unwrap_err();
    assert!(
        err.to_string().contains(&format!(
            "1 log object(s) changed since they were loaded (other size or content): {}",
            objects[1].display()
        )),
        "{err}"
    );
}

/// An object changed or gone since it was loaded fails the run with a message naming it
/// and `--full`, and nothing is written; `--full` then rebuilds from what is there.
#[tokio::test]
async fn changed_and_vanished_objects_fail_the_run_and_change_nothing() {
    let (url, dir) = (fresh_database().await, tempfile::tempdir().unwrap());
    let root = dir.path();
    let (tables, manifest) = sample_loaded_incrementally(root, &url).await;
    let objects = log_objects(root);
    let changed = &objects[2];
    let mut text = std::fs::read_to_string(changed).unwrap();
    text.push('\n');
    std::fs::write(changed, text).unwrap();
    std::fs::remove_file(&objects[4]).unwrap();
    // A new day too: it must not be loaded either.
    write(root, "log_data/2019/zz-events.json", "");
    for mode in [Mode::Client, Mode::Copy] {
        let err = load(&request(root, &url, "public", mode, LoadScope::Incremental))
            .await
            .unwrap_err();
        let message = err.to_string();
        assert!(matches!(err, Error::Manifest(_)), "{message}");
        assert!(
            message.contains(&format!(
                "1 log object(s) changed since they were loaded (other size or content): {}",
                changed.display()
            )),
            "{message}"
        );
        assert!(
            message.contains(&format!(
                "1 log object(s) loaded earlier are gone: {}",
                objects[4].display()
            )),
            "{message}"
        );
        assert!(message.contains("run with --full"), "{message}");
        assert_eq!(dump_all(&url, "public").await, tables);
        assert_eq!(manifest_rows(&url, "public").await, manifest);
    }
    let rebuilt = run(root, &url, "public", Mode::Client, LoadScope::Full).await;
    assert_eq!(rebuilt.logs.manifest.unwrap().new, objects.len() as u64);
    assert_eq!(dump_all(&url, "public").await, full_load(root, &url).await);
    run(root, &url, "public", Mode::Client, LoadScope::Incremental).await;
}

/// Tables `create-tables` made have no manifest, even over a schema a load had filled: an
/// incremental run refuses them.
#[tokio::test]
async fn tables_without_a_manifest_are_refused() {
    let url = fresh_database().await;
    let root = fixtures().join("sample");
    run(&root, &url, "public", Mode::Client, LoadScope::Rebuild).await;
    let schema = "public".parse().unwrap();
    sparkify_load::create_tables(&Secret::new(url.clone()), Dialect::Postgres, &schema)
        .await
        .unwrap();
    let err = load(&request(
        &root,
        &url,
        "public",
        Mode::Client,
        LoadScope::Incremental,
    ))
    .await
    .unwrap_err();
    assert!(
        err.to_string()
            .contains("built, so which objects they hold is unknown; run once with --full"),
        "{err}"
    );
}

/// A plain rebuild leaves the manifest equal to the objects it read, in either mode: an
/// incremental run after it with nothing new changes nothing, and one with a new object
/// reads every object once (a rebuild keeps no merge state) and equals a full load.
#[tokio::test]
async fn an_incremental_run_can_follow_a_plain_rebuild() {
    let url = fresh_database().await;
    let source = fixtures().join("sample");
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    copy_tree(&source.join("song_data"), &root.join("song_data"));
    let logs = log_objects(&source);
    let (last, first) = logs.split_last().unwrap();
    for object in first {
        add_object(&source, object, root);
    }
    for mode in [Mode::Client, Mode::Copy] {
        run(root, &url, "public", mode, LoadScope::Rebuild).await;
        let (tables, ids, manifest) = (
            dump_all(&url, "public").await,
            played(&url, "public").await,
            manifest_rows(&url, "public").await,
        );
        assert_eq!(manifest.len(), json_objects(root).len(), "{mode:?}");
        let again = run(root, &url, "public", Mode::Client, LoadScope::Incremental).await;
        let counts = again.logs.manifest.unwrap();
        assert_eq!((counts.new, counts.changed), (0, 0), "{mode:?}");
        assert_eq!(counts.already_loaded, first.len() as u64, "{mode:?}");
        assert_eq!(dump_all(&url, "public").await, tables, "{mode:?}");
        assert_eq!(played(&url, "public").await, ids, "{mode:?}");
        assert_eq!(manifest_rows(&url, "public").await, manifest, "{mode:?}");
    }
    add_object(&source, last, root);
    run(root, &url, "public", Mode::Client, LoadScope::Incremental).await;
    assert_eq!(dump_all(&url, "public").await, full_load(root, &url).await);
    assert_eq!(
        manifest_rows(&url, "public").await.len(),
        json_objects(root).len()
    );
    // The run kept the merge's state: the next one merges only what is new.
    let again = run(root, &url, "public", Mode::Client, LoadScope::Incremental).await;
    assert_eq!(again.logs.manifest.unwrap().new, 0);
}

/// A run killed at any moment leaves the old tables and manifest, or the new ones, exactly;
/// the next run completes it.
#[tokio::test]
async fn killed_runs_leave_the_old_state_or_the_new_one() {
    let url = fresh_database().await;
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("source");
    generate(
        &source,
        &FixtureSpec {
            songs: 2_000,
            events: 60_000,
            seed: 21,
        },
    )
    .unwrap();
    let root = dir.path().join("root");
    without_logs(&source, &root);
    let objects = log_objects(&source);
    let (first, rest) = objects.split_at(objects.len() / 2);
    for object in first {
        add_object(&source, object, &root);
    }
    run(&root, &url, "public", Mode::Client, LoadScope::Incremental).await;
    let old = (
        dump_all(&url, "public").await,
        manifest_rows(&url, "public").await,
    );
    for object in rest {
        add_object(&source, object, &root);
    }
    let new_tables = full_load(&root, &url).await;

    // Kills at growing delays, until one lands after the commit.
    let mut outcomes = Vec::new();
    for delay_ms in [100, 300, 600, 1_000, 1_500, 2_500, 4_000, 8_000] {
        let mut child = cli_command(None)
            .args(["load", "-q", "--incremental", "--target", &url])
            .arg("--song-data")
            .arg(root.join("song_data"))
            .arg("--log-data")
            .arg(root.join("log_data"))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        let finished = child.try_wait().unwrap().is_some();
        let _ = child.kill();
        child.wait().unwrap();
        let (tables, manifest) = (
            dump_all(&url, "public").await,
            manifest_rows(&url, "public").await,
        );
        if tables == old.0 {
            assert_eq!(
                manifest, old.1,
                "old tables with a new manifest after {delay_ms} ms"
            );
            outcomes.push("old");
        } else {
            assert_eq!(
                tables, new_tables,
                "neither old nor new after {delay_ms} ms"
            );
            assert_eq!(manifest.len(), old.1.len() + rest.len());
            outcomes.push(if finished { "finished" } else { "new" });
            break;
        }
    }
    assert!(
        outcomes.contains(&"old"),
        "no run was killed before it committed: {outcomes:?}"
    );
    // Whatever the kills left, one more run ends in the new state.
    run(&root, &url, "public", Mode::Client, LoadScope::Incremental).await;
    assert_eq!(dump_all(&url, "public").await, new_tables);
}

/// Two runs at once over the same new objects: they take turns, the objects load once.
#[tokio::test]
async fn two_runs_at_once_load_each_object_once() {
    let url = fresh_database().await;
    let root = fixtures().join("sample");
    let spawn = || {
        cli_command(None)
            .args(["load", "-q", "--incremental", "--target", &url])
            .arg("--song-data")
            .arg(root.join("song_data"))
            .arg("--log-data")
            .arg(root.join("log_data"))
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap()
    };
    let (mut a, mut b) = (spawn(), spawn());
    assert!(a.wait().unwrap().success() && b.wait().unwrap().success());
    assert_eq!(dump_all(&url, "public").await, full_load(&root, &url).await);
    assert_eq!(
        manifest_rows(&url, "public").await.len(),
        json_objects(&root).len()
    );
}

/// From S3 the version is the ETag: an object rewritten with other bytes of the same size
/// is a changed object.
#[tokio::test]
async fn s3_objects_are_versioned_by_etag() {
    let server = S3Server::start(Faults::default()).await;
    server.put_tree("sparkify", "data", &tiny());
    let url = fresh_database().await;
    let mut request = request(
        &tiny(),
        &url,
        "public",
        Mode::Client,
        LoadScope::Incremental,
    );
    request.song_data = "s3://sparkify/data/song_data".parse().unwrap();
    request.log_data = "s3://sparkify/data/log_data".parse().unwrap();
    request.s3 = server.options();
    load(&request).await.unwrap();
    assert_eq!(dump_all(&url, "public").await, expected_tiny_all());
    // s3s-fs lists no ETag, so its last-modified time versions the objects here (the
    // ETag, which S3 always lists, is preferred: a unit test in source/s3.rs).
    let versions = manifest_rows(&url, "public").await;
    assert!(
        versions.iter().all(|row| row.contains(" last-modified 20")),
        "{versions:?}"
    );

    let logs = server.root.path().join("sparkify/data/log_data");
    let object = log_objects(&server.root.path().join("sparkify/data"))[0].clone();
    let text = std::fs::read_to_string(&object).unwrap();
    // Same size, other bytes, written a minute later.
    std::fs::write(&object, text.replacen("NextSong", "NextSonG", 1)).unwrap();
    let later = std::time::SystemTime::now() + Duration::from_secs(60);
    std::fs::File::options()
        .write(true)
        .open(&object)
        .unwrap()
        .set_modified(later)
        .unwrap();
    let err = load(&request).await.unwrap_err().to_string();
    let key = object.strip_prefix(&logs).unwrap().display().to_string();
    assert!(
        err.contains(&format!(
            "1 log object(s) changed since they were loaded (other size or ETag (last-modified time where none is listed)): s3://sparkify/data/log_data/{key}"
        )),
        "{err}"
    );
    assert_eq!(dump_all(&url, "public").await, expected_tiny_all());
}
