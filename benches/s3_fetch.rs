//! List and fetch many small song objects from a real S3 server on loopback, with 0 ms and
//! 20 ms of injected latency per request, side by side in one run; prints objects/s.
//! `cargo bench --bench s3_fetch` runs 15,000 objects; under `cargo test` a 300-object smoke run.

// The tests' helpers, for their S3 server; the rest of them this bench does not use.
#[allow(dead_code)]
#[path = "../tests/it/common/mod.rs"]
mod common;

use std::time::{Duration, Instant};

use common::s3::{Faults, S3Server};
use futures::{StreamExt, TryStreamExt};
use sparkify_fixtures::{generate, FixtureSpec};
use sparkify_load::source::{Entry, Source, SourceUri};

async fn fetch_all(server: &S3Server, concurrency: usize) -> (usize, Duration) {
    let uri: SourceUri = "s3://bench/song_data".parse().unwrap();
    let source = Source::open(&uri, &server.options()).await;
    let started = Instant::now();
    let fetched = source
        .keys()
        .map_ok(|batch| futures::stream::iter(batch.into_iter().map(Ok)))
        .try_flatten()
        .map(|entry: Result<Entry, _>| {
            let source = &source;
            async move { source.get(&entry?.key).await.map(|bytes| bytes.len()) }
        })
        .buffered(concurrency)
        .try_fold(0usize, |n, _| async move { Ok(n + 1) })
        .await
        .unwrap();
    (fetched, started.elapsed())
}

#[tokio::main]
async fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let objects = if full { 15_000 } else { 300 };
    let tree = tempfile::tempdir_in("/dev/shm").unwrap();
    generate(
        tree.path(),
        &FixtureSpec {
            songs: objects,
            events: 0,
            seed: 1,
        },
    )
    .unwrap();
    let mut results = Vec::new();
    for latency_ms in [0, 20] {
        let server = S3Server::start(Faults {
            latency: Duration::from_millis(latency_ms),
            ..Faults::default()
        })
        .await;
        server.put_tree("bench", "", tree.path());
        let (count, took) = fetch_all(&server, 64).await;
        let rate = count as f64 / took.as_secs_f64();
        println!("s3 list+fetch, {latency_ms:>2} ms latency: {count} objects in {:.2} s = {rate:.0} objects/s", took.as_secs_f64());
        results.push(took.as_secs_f64());
    }
    println!(
        "20 ms / 0 ms wall time: {:.2}x (goal: at most 1.5x)",
        results[1] / results[0]
    );
}
