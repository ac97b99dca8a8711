//! `sparkify-load watch`, run as a user runs it: objects arriving while it runs end in the
//! tables a full load of them gives; a bad object and a changed one are quarantined while
//! the others keep flowing, and load once fixed; a `--full` run by hand meanwhile, a second
//! watcher, `kill -9` at random moments and SIGTERM lose nothing and duplicate nothing; the
//! queue route reads S3 event notifications from SQS (moto) and deletes each message once
//! its objects are committed.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::common::moto::Moto;
use crate::common::*;
use crate::warehouse::Warehouse;
use sparkify_fixtures::{generate, FixtureSpec};

/// A watcher process, its standard output gathered line by line.
struct Watching {
    child: Child,
    lines: Arc<Mutex<Vec<String>>>,
}

impl Watching {
    fn start(args: &[&str], env: &[(&str, &str)]) -> Watching {
        let mut command = cli_command(Some(&std::env::temp_dir().join("sparkify-no-home")));
        command.arg("watch").args(args).envs(env.iter().copied());
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let lines: Arc<Mutex<Vec<String>>> = Arc::default();
        let gather = |stream: Box<dyn Read + Send>, prefix: &'static str| {
            let gathered = lines.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    gathered.lock().unwrap().push(format!("{prefix}{line}"));
                }
            });
        };
        gather(Box::new(child.stdout.take().unwrap()), "");
        gather(Box::new(child.stderr.take().unwrap()), "stderr: ");
        Watching { child, lines }
    }

    /// Everything it printed, standard error's lines marked `stderr: `.
    fn said(&self) -> String {
        self.lines.lock().unwrap().join("\n")
    }

    /// What it printed on standard output.
    fn stdout(&self) -> String {
        let lines = self.lines.lock().unwrap();
        let out: Vec<&str> = lines
            .iter()
            .filter(|l| !l.starts_with("stderr: "))
            .map(String::as_str)
            .collect();
        out.join("\n")
    }

    /// Waits (up to three minutes) until a line contains `text`.
    fn wait_for(&self, text: &str) {
        wait_until(&format!("a line with {text:?}"), || {
            self.lines.lock().unwrap().iter().any(|l| l.contains(text))
        });
        let _ = self;
    }

    /// SIGTERM; gives the exit code and how long the exit took.
    fn terminate(mut self) -> (Option<i32>, Duration, String) {
        let asked = Instant::now();
        nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(self.child.id() as i32),
            nix::sys::signal::Signal::SIGTERM,
        )
        .unwrap();
        let status = self.child.wait().unwrap();
        let took = asked.elapsed();
        std::thread::sleep(Duration::from_millis(100));
        (status.code(), took, self.stdout())
    }
}

impl Drop for Watching {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Polls `done` until it holds, failing after three minutes (two cores shared with the
/// rest of the suite).
fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(180);
    while !done() {
        assert!(Instant::now() < deadline, "waited three minutes for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A free loopback port for `--metrics-addr`.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `GET path` on the metrics server: (status line, body).
fn get(port: u16, path: &str) -> (String, String) {
    let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", port)) else {
        return (String::new(), String::new());
    };
    write!(stream, "GET {path} HTTP/1.0\r\nHost: x\r\n\r\n").unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
    (
        head.lines().next().unwrap_or("").to_string(),
        body.to_string(),
    )
}

/// One sample's value in the metrics text (`name` with its labels).
fn metric(port: u16, name: &str) -> Option<f64> {
    let (_, body) = get(port, "/metrics");
    body.lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
}

fn wait_for_metric(port: u16, name: &str, value: f64) {
    wait_until(&format!("{name} = {value}"), || {
        metric(port, name) == Some(value)
    });
}

/// The log objects of a generated tree, in key order.
fn log_objects(root: &Path) -> Vec<PathBuf> {
    let mut objects: Vec<PathBuf> = walkdir::WalkDir::new(root.join("log_data"))
        .into_iter()
        .map(|e| e.unwrap().into_path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    objects.sort();
    objects
}

/// Copies one object of `from` (a path in it) to the same key under `to`, written whole
/// under another name first and renamed, as a writer that publishes objects does.
fn arrive(from: &Path, object: &Path, to: &Path) {
    let target = to.join(object.strip_prefix(from).unwrap());
    std::fs::create_dir_all(target.parent().unwrap()).unwrap();
    let partial = target.with_extension("partial");
    std::fs::copy(object, &partial).unwrap();
    std::fs::rename(&partial, &target).unwrap();
}

/// A generated set, and a root holding its songs and no log yet.
fn source_and_root(dir: &Path, events: usize, seed: u64) -> (PathBuf, PathBuf) {
    let source = dir.join("source");
    generate(
        &source,
        &FixtureSpec {
            songs: 120,
            events,
            seed,
        },
    )
    .unwrap();
    let root = dir.join("root");
    copy_tree(&source.join("song_data"), &root.join("song_data"));
    std::fs::create_dir_all(root.join("log_data")).unwrap();
    (source, root)
}

/// The five tables a rebuild of `root` gives, in a schema of their own.
async fn full_load_of(root: &Path, url: &str, schema: &str, max_errors: u64) -> Vec<Vec<String>> {
    let mut request = config(root, url);
    request.schema = schema.parse().unwrap();
    request.max_errors = max_errors;
    load(&request).await.unwrap();
    dump_all(url, schema).await
}

/// Objects arrive while the watcher runs, as a loader role with only the documented
/// grants: the tables end equal to a full load of what arrived. A bad object is
/// quarantined while the others flow, and loads once fixed; an object changed after it was
/// loaded is quarantined until a `--full` run by hand (which takes its turn with the
/// watcher's batches) loads it as it is now. SIGTERM stops the watcher with exit 0 in under
/// 10 s and leaves nothing behind.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn objects_arriving_while_it_runs_end_as_a_full_load_gives() {
    let warehouse = Warehouse::new(&["wh", "reference"]).await;
    let dir = tempfile::tempdir().unwrap();
    let (source, root) = source_and_root(dir.path(), 3_000, 5);
    let objects = log_objects(&source);
    assert!(objects.len() >= 6, "{} log objects", objects.len());
    let port = free_port();
    let (songs, logs) = (root.join("song_data"), root.join("log_data"));
    let address = format!("127.0.0.1:{port}");
    let watcher = Watching::start(
        &[
            "--song-data",
            songs.to_str().unwrap(),
            "--log-data",
            logs.to_str().unwrap(),
            "--target",
            &warehouse.loader,
            "--schema",
            "wh",
            "--interval",
            "300ms",
            "--allow-empty",
            "--metrics-addr",
            &address,
        ],
        &[],
    );
    watcher.wait_for("batch loaded: 121 song");
    assert_eq!(get(port, "/healthz").0, "HTTP/1.0 200 OK");

    // The held-back object arrives bad first: one line that is not JSON.
    let (held_back, rest) = objects.split_last().unwrap();
    let held_key = held_back.strip_prefix(source.join("log_data")).unwrap();
    let bad = logs.join(held_key);
    std::fs::create_dir_all(bad.parent().unwrap()).unwrap();
    std::fs::write(&bad, "{\"ts\": 1541105830796, \"userId\": \n").unwrap();
    for object in rest {
        arrive(&source, object, &root);
        std::thread::sleep(Duration::from_millis(150));
    }
    let good = rest.len() as f64;
    wait_for_metric(
        port,
        "sparkify_load_objects_loaded_total{tree=\"log\"}",
        good,
    );
    wait_for_metric(port, "sparkify_load_quarantined_objects", 1.0);
    let held_name = held_key.to_str().unwrap();
    assert!(
        watcher.said().contains(&format!("quarantined {held_name}")),
        "{}",
        watcher.said()
    );
    let admin = connect(&warehouse.admin).await;
    let quarantined = admin
        .query_one(
            "SELECT key, reason, attempts FROM wh.sparkify_load_quarantine",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(quarantined.get::<_, String>(0), held_name);
    let reason: String = quarantined.get(1);
    assert!(reason.contains("line 1"), "{reason}");
    // What was loaded so far is what a load of the good objects gives (the bad object's
    // one record skipped).
    assert_eq!(
        dump_all(&warehouse.admin, "wh").await,
        full_load_of(&root, &warehouse.admin, "reference", 1).await
    );

    // Fixed: the object's real content arrives, and loads.
    arrive(&source, held_back, &root);
    wait_for_metric(port, "sparkify_load_quarantined_objects", 0.0);
    wait_for_metric(
        port,
        "sparkify_load_objects_loaded_total{tree=\"log\"}",
        good + 1.0,
    );

    // Changed after it was loaded: quarantined, not loaded twice.
    let changed = logs.join(rest[0].strip_prefix(source.join("log_data")).unwrap());
    let first_line = std::fs::read_to_string(&changed)
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .to_string();
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(&changed)
        .unwrap();
    writeln!(file, "{first_line}").unwrap();
    drop(file);
    wait_for_metric(port, "sparkify_load_quarantined_objects", 1.0);
    assert!(
        watcher.said().contains("changed after it was loaded"),
        "{}",
        watcher.said()
    );

    // A --full by hand while the watcher runs loads the object as it is now; the watcher
    // then finds it loaded and lets it out of the quarantine.
    let full = warehouse.ok(&[
        "load",
        "--full",
        "--song-data",
        songs.to_str().unwrap(),
        "--log-data",
        logs.to_str().unwrap(),
    ]);
    assert!(full.contains("songplays"), "{full}");
    wait_for_metric(port, "sparkify_load_quarantined_objects", 0.0);
    let expected = full_load_of(&root, &warehouse.admin, "reference", 0).await;
    assert_eq!(dump_all(&warehouse.admin, "wh").await, expected);

    // The history: every batch and the --full, newest first.
    let history = warehouse.ok(&["history", "--json", "--last", "100"]);
    let rows: Vec<serde_json::Value> = serde_json::from_str(&history).unwrap();
    assert_eq!(rows[0]["route"], "client full", "{history}");
    let batches = metric(port, "sparkify_load_batches_total{status=\"loaded\"}").unwrap();
    let watch_rows = rows.iter().filter(|r| r["route"] == "client watch").count();
    let failed: Vec<&serde_json::Value> = rows.iter().filter(|r| r["status"] == "failed").collect();
    assert_eq!(watch_rows - failed.len(), batches as usize, "{history}");
    // The batch that held the bad object failed, and (if it held others) the bad object
    // alone; nothing else failed.
    assert!((1..=2).contains(&failed.len()), "{history}");
    let file_name = held_back.file_name().unwrap().to_str().unwrap();
    for row in failed {
        let error = row["error"].as_str().unwrap();
        assert!(
            error.contains(file_name) && error.contains("line 1"),
            "{error}"
        );
    }

    let (code, took, said) = watcher.terminate();
    assert_eq!(code, Some(0), "{said}");
    assert!(took < Duration::from_secs(10), "{took:?}");
    assert!(said.ends_with("committed or rolled back"), "{said}");
    let left = texts(
        &warehouse.admin,
        "SELECT tablename FROM pg_tables WHERE tablename LIKE 'sparkify\\_load\\_run\\_%'",
    )
    .await;
    assert!(left.is_empty(), "{left:?}");
}

/// Two watchers on one schema: the second waits for the first and says so. The active one
/// is killed with SIGKILL at random moments while objects arrive, and the waiting one
/// takes over each time: the tables end as a full load gives, every object loaded once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_watchers_lose_nothing_and_duplicate_nothing() {
    let url = fresh_database().await;
    let dir = tempfile::tempdir().unwrap();
    let (source, root) = source_and_root(dir.path(), 20_000, 9);
    let objects = log_objects(&source);
    let (songs, logs) = (root.join("song_data"), root.join("log_data"));
    let args = [
        "--song-data",
        songs.to_str().unwrap(),
        "--log-data",
        logs.to_str().unwrap(),
        "--target",
        &url,
        "--interval",
        "200ms",
        "--max-batch-objects",
        "3",
        "--allow-empty",
    ];
    let mut active = Watching::start(&args, &[]);
    active.wait_for("batch loaded");
    let mut kills = Vec::new();
    let mut arriving = objects.iter();
    for _ in 0..4 {
        let waiting = Watching::start(&args, &[]);
        waiting.wait_for("another watcher is loading into schema public; waiting");
        for object in arriving.by_ref().take(objects.len() / 5) {
            arrive(&source, object, &root);
        }
        let delay = Duration::from_millis(rand::random_range(50..1_500));
        std::thread::sleep(delay);
        kills.push(delay);
        let _ = active.child.kill();
        let _ = active.child.wait();
        waiting.wait_for("this one now watches schema public");
        active = waiting;
    }
    for object in arriving {
        arrive(&source, object, &root);
    }
    let client = connect(&url).await;
    wait_until("every log object in the manifest", || {
        let count = futures::executor::block_on(client.query_one(
            "SELECT count(*) FROM sparkify_load_state_objects WHERE tree = 'log'",
            &[],
        ));
        count.is_ok_and(|row| row.get::<_, i64>(0) == objects.len() as i64)
    });
    let (code, _, said) = active.terminate();
    assert_eq!(code, Some(0), "{said}");
    let watched = dump_all(&url, "public").await;
    assert_eq!(
        watched,
        full_load_of(&root, &url, "reference", 0).await,
        "killed after {kills:?}"
    );
}

/// The queue route: S3 event notifications delivered by SQS (moto's S3 and SQS, the
/// notifications set up as on AWS). Objects there before the watcher starts are found by
/// its first listing; those put while it runs, by their notifications; a repeated PUT of
/// the same bytes loads nothing twice. Every message is deleted once its objects commit.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_queue_route_loads_notified_objects_exactly_once() {
    let Some(moto) = Moto::start() else {
        return;
    };
    let sdk = moto.sdk().await;
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&sdk)
            .force_path_style(true)
            .build(),
    );
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    s3.create_bucket().bucket("sparkify").send().await.unwrap();
    let queue_url = sqs
        .create_queue()
        .queue_name("s3-events")
        .send()
        .await
        .unwrap()
        .queue_url()
        .unwrap()
        .to_string();
    let arn = sqs
        .get_queue_attributes()
        .queue_url(&queue_url)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
        .send()
        .await
        .unwrap()
        .attributes()
        .unwrap()[&aws_sdk_sqs::types::QueueAttributeName::QueueArn]
        .clone();
    use aws_sdk_s3::types::{Event, NotificationConfiguration, QueueConfiguration};
    s3.put_bucket_notification_configuration()
        .bucket("sparkify")
        .notification_configuration(
            NotificationConfiguration::builder()
                .queue_configurations(
                    QueueConfiguration::builder()
                        .queue_arn(arn)
                        .events(Event::from("s3:ObjectCreated:*"))
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (source, _) = source_and_root(dir.path(), 3_000, 11);
    let put = |path: PathBuf| {
        let s3 = s3.clone();
        let key = path
            .strip_prefix(&source)
            .unwrap()
            .to_str()
            .unwrap()
            .to_string();
        async move {
            let body = std::fs::read(&path).unwrap();
            s3.put_object()
                .bucket("sparkify")
                .key(key)
                .body(body.into())
                .send()
                .await
                .unwrap();
        }
    };
    let song_objects: Vec<PathBuf> = walkdir::WalkDir::new(source.join("song_data"))
        .into_iter()
        .map(|e| e.unwrap().into_path())
        .filter(|p| p.is_file())
        .collect();
    for object in song_objects {
        put(object).await;
    }
    let objects = log_objects(&source);
    let (before, after) = objects.split_at(objects.len() / 2);
    for object in before {
        put(object.clone()).await;
    }
    let url = fresh_database().await;
    let port = free_port();
    let address = format!("127.0.0.1:{port}");
    let watcher = Watching::start(
        &[
            "--song-data",
            "s3://sparkify/song_data",
            "--log-data",
            "s3://sparkify/log_data",
            "--queue-url",
            &queue_url,
            "--endpoint-url",
            &moto.endpoint,
            "--region",
            "us-east-1",
            "--target",
            &url,
            "--max-batch-delay",
            "200ms",
            "--metrics-addr",
            &address,
        ],
        &[
            ("AWS_ACCESS_KEY_ID", "test"),
            ("AWS_SECRET_ACCESS_KEY", "test"),
        ],
    );
    let log_metric = "sparkify_load_objects_loaded_total{tree=\"log\"}";
    wait_for_metric(port, log_metric, before.len() as f64);
    for object in after {
        put(object.clone()).await;
    }
    // The same bytes again: another notification, the same ETag, nothing loaded twice.
    put(after[0].clone()).await;
    wait_for_metric(port, log_metric, objects.len() as f64);
    let waiting = || async {
        let attributes = sqs
            .get_queue_attributes()
            .queue_url(&queue_url)
            .attribute_names(aws_sdk_sqs::types::QueueAttributeName::All)
            .send()
            .await
            .unwrap();
        let count = |name: &str| -> u64 {
            let name = aws_sdk_sqs::types::QueueAttributeName::from(name);
            attributes.attributes().unwrap()[&name].parse().unwrap()
        };
        count("ApproximateNumberOfMessages") + count("ApproximateNumberOfMessagesNotVisible")
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    while waiting().await > 0 {
        assert!(Instant::now() < deadline, "messages stay on the queue");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let (code, took, said) = watcher.terminate();
    assert_eq!(code, Some(0), "{said}");
    assert!(took < Duration::from_secs(10), "{took:?}");

    let mut request = sparkify_load::LoadRequest::new(
        "s3://sparkify/song_data".parse().unwrap(),
        "s3://sparkify/log_data".parse().unwrap(),
        sparkify_load::Target::Url(sparkify_load::Secret::new(url.clone())),
    );
    request.schema = "reference".parse().unwrap();
    request.s3.endpoint_url = Some(moto.endpoint.clone());
    request.s3.region = Some("us-east-1".into());
    request.s3.credentials = Some(("test".into(), sparkify_load::Secret::new("test".into())));
    load(&request).await.unwrap();
    assert_eq!(
        dump_all(&url, "public").await,
        dump_all(&url, "reference").await
    );
    let loaded = texts(
        &url,
        "SELECT count(*)::text FROM sparkify_load_state_objects WHERE tree = 'log'",
    )
    .await;
    assert_eq!(loaded, [objects.len().to_string()]);
}
