//! Errors as a user reads them: one sentence that says what failed and what to do, the
//! causes beneath it only at -v, the documented exit code, and no colour codes when
//! standard error is not a terminal.

use std::path::Path;
use std::process::Output;

use crate::common::s3::{Faults, S3Server};
use crate::common::*;

fn stderr_of(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// A port on loopback where nothing listens.
fn closed_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A load into `url` of trees behind `endpoint`, with the AWS environment emptied: no
/// keys, no profile, no instance metadata (which would be a request off this machine).
fn s3_load(endpoint: &str, url: &str, extra: &[&str], home: &Path) -> Output {
    cli_command(Some(home))
        .args([
            "--song-data",
            "s3://sparkify/data/song_data",
            "--log-data",
            "s3://sparkify/data/log_data",
            "--endpoint-url",
            endpoint,
            "--region",
            "us-west-2",
            "--s3-attempts",
            "1",
            "--target",
            url,
        ])
        .args(extra)
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .env_remove("AWS_SESSION_TOKEN")
        .env_remove("AWS_PROFILE")
        .env("AWS_CONFIG_FILE", home.join("no-aws-config"))
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            home.join("no-aws-credentials"),
        )
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .output()
        .expect("the binary runs")
}

fn assert_plain(stderr: &str) {
    assert!(!stderr.contains('\u{1b}'), "colour codes: {stderr:?}");
    for dump in ["DispatchFailure", "ConnectorError", "{ ", "WARN"] {
        assert!(!stderr.contains(dump), "{dump} in: {stderr}");
    }
}

#[tokio::test]
async fn an_unreachable_s3_endpoint_is_named_with_what_to_check() {
    let home = tempfile::tempdir().unwrap();
    let url = fresh_database().await;
    let endpoint = format!("http://127.0.0.1:{}", closed_port());
    let out = s3_load(&endpoint, &url, &["--no-sign-request"], home.path());
    let stderr = stderr_of(&out);
    assert_eq!(out.status.code(), Some(4), "{stderr}");
    assert_eq!(
        stderr.trim(),
        format!(
            "error: cannot read source s3://sparkify/data/song_data/: listing failed: cannot \
             reach the S3 endpoint {endpoint}: connection refused; check the network, \
             --endpoint-url and --region"
        )
    );
    assert_plain(&stderr);

    // At -v, the causes follow, one a line.
    let out = s3_load(&endpoint, &url, &["--no-sign-request", "-v"], home.path());
    let stderr = stderr_of(&out);
    assert!(stderr.contains("\n  caused by: "), "{stderr}");
    assert_eq!(out.status.code(), Some(4));
}

// Multi-threaded: the S3 server runs on this runtime while the child process runs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_credentials_at_all_says_so_and_names_no_sign_request() {
    let server = S3Server::start(Faults::default()).await;
    server.put_tree("sparkify", "data", &tiny());
    let home = tempfile::tempdir().unwrap();
    let endpoint = server.endpoint.clone();
    let url = fresh_database().await;
    let out = tokio::task::spawn_blocking(move || s3_load(&endpoint, &url, &[], home.path()))
        .await
        .unwrap();
    let stderr = stderr_of(&out);
    assert_eq!(out.status.code(), Some(4), "{stderr}");
    assert!(
        stderr.contains(
            "no AWS credentials were found (environment variables, the AWS profile, the \
             instance role); give some, or --no-sign-request for a public bucket"
        ),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert_plain(&stderr);
}

#[test]
fn a_redshift_dry_run_without_a_target_is_a_usage_error() {
    let home = tempfile::tempdir().unwrap();
    let out = run_cli(
        &[
            "--mode",
            "copy",
            "--dialect",
            "redshift",
            "--dry-run",
            "--song-data",
            "s3://bkt/song_data",
            "--log-data",
            "s3://bkt/log_data",
        ],
        Some(home.path()),
    );
    let stderr = stderr_of(&out);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert_eq!(
        stderr.trim(),
        "error: invalid configuration: the embedded default is PostgreSQL: --dialect redshift \
         needs a Redshift --target (or the cluster of --config)"
    );
}
