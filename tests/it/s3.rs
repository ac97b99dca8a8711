//! Loads from a real S3-protocol server on loopback: the same tables as from local files,
//! under latency and injected faults, and clear errors for what cannot be read.

use crate::common;

use std::time::Duration;

use crate::common::s3::{Faults, S3Server};
use crate::common::*;
use sparkify_load::source::{Source, SourceUri};
use sparkify_load::Error;

fn s3_config(server: &S3Server, bucket: &str, url: &str) -> sparkify_load::LoadRequest {
    let mut config = config(&tiny(), url);
    config.song_data = format!("s3://{bucket}/data/song_data").parse().unwrap();
    config.log_data = format!("s3://{bucket}/data/log_data").parse().unwrap();
    config.s3 = server.options();
    config
}

async fn load_from_s3(
    faults: Faults,
    tree: &std::path::Path,
) -> (sparkify_load::Report, Vec<Vec<String>>, S3Server) {
    let server = S3Server::start(faults).await;
    server.put_tree("sparkify", "data", tree);
    let url = fresh_database().await;
    let mut config = s3_config(&server, "sparkify", &url);
    config.concurrency = 16;
    let report = load(&config).await.unwrap();
    (report, dump_all(&url, "public").await, server)
}

#[tokio::test]
async fn s3_load_equals_the_local_load() {
    let (report, tables, _) = load_from_s3(Faults::default(), &tiny()).await;
    assert_eq!(tables, expected_tiny_all());
    assert_eq!(report.songs.ignored_keys, vec!["B/_SUCCESS", "notes.txt"]);
    assert_eq!(report.songs.uri, "s3://sparkify/data/song_data/");
    assert_eq!((report.songs.objects, report.logs.objects), (7, 4));

    let Some(data) = real_data() else { return };
    let url = fresh_database().await;
    load(&config(&data, &url)).await.unwrap();
    let local = dump_all(&url, "public").await;
    let (_, from_s3, _) = load_from_s3(Faults::default(), &data).await;
    assert_eq!(from_s3, local);
    assert_eq!(from_s3[0].len(), 6820);
}

#[tokio::test]
async fn latency_and_faults_give_identical_tables() {
    let dir = tempfile::tempdir().unwrap();
    sparkify_fixtures::generate(
        dir.path(),
        &sparkify_fixtures::FixtureSpec {
            songs: 150,
            events: 3_000,
            seed: 3,
        },
    )
    .unwrap();
    let url = fresh_database().await;
    load(&config(dir.path(), &url)).await.unwrap();
    let local = dump_all(&url, "public").await;
    let faults = Faults {
        latency: Duration::from_millis(20),
        slow_down: true,
        cut_bodies: true,
    };
    let (report, tables, server) = load_from_s3(faults, dir.path()).await;
    assert_eq!(tables, local);
    assert!(
        server.injected("503") >= 5 && server.injected("cut") >= 5,
        "{} {}",
        server.injected("503"),
        server.injected("cut")
    );
    assert_eq!(report.bad_records, 0);
}

#[tokio::test]
async fn missing_bucket_prefix_and_wrong_credentials_are_clear_errors() {
    let server = S3Server::start(Faults::default()).await;
    server.put_tree("sparkify", "data", &tiny());
    let url = fresh_database().await;

    let err = load(&s3_config(&server, "nosuchbucket", &url))
        .await
        .expect_err("no bucket");
    let message = err.to_string();
    assert!(matches!(err, Error::Source(_)), "{message}");
    assert!(
        message.contains("s3://nosuchbucket/data/song_data/") && message.contains("NoSuchBucket"),
        "{message}"
    );

    let mut config = s3_config(&server, "sparkify", &url);
    config.log_data = "s3://sparkify/data/no_such_prefix"
        .parse::<SourceUri>()
        .unwrap();
    let err = load(&config).await.expect_err("no prefix");
    assert!(
        err.to_string()
            .contains("s3://sparkify/data/no_such_prefix/: no objects under this prefix"),
        "{err}"
    );

    let mut config = s3_config(&server, "sparkify", &url);
    config.s3.credentials = Some((
        common::s3::ACCESS_KEY.into(),
        sparkify_load::Secret::new("wrong-secret".into()),
    ));
    let err = load(&config).await.expect_err("bad signature");
    let message = format!("{err} {err:?}");
    assert!(message.contains("SignatureDoesNotMatch"), "{message}");
    assert!(
        !message.contains(common::s3::SECRET_KEY) && !message.contains("wrong-secret"),
        "{message}"
    );
    assert_eq!(schemas(&url).await, vec!["public"]);
}

#[tokio::test]
async fn an_object_error_names_the_object_once() {
    let server = S3Server::start(Faults::default()).await;
    server.put_tree("sparkify", "data", &tiny());
    let uri: SourceUri = "s3://sparkify/data/song_data".parse().unwrap();
    let source = Source::open(&uri, &server.options()).await;
    let err = source
        .get("A/missing.json")
        .await
        .expect_err("no such object");
    assert_eq!(
        err.to_string(),
        "cannot read s3://sparkify/data/song_data/A/missing.json: the object does not exist \
         (NoSuchKey)"
    );
}
