//! `sparkify-load watch`: the flags resolved into a watcher, run until SIGINT or SIGTERM,
//! which finish or roll back the batch in flight and exit 0.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use sparkify_load::metrics::{self, Metrics};
use sparkify_load::source::SourceUri;
use sparkify_load::watch::{self, BatchLimits, Discovery, WatchConfig};
use sparkify_load::{Error, LoadRequest, LoadScope};

use super::args::{GlobalArgs, WatchArgs};
use super::load::{from_to, reject_file};
use super::Runtime;

pub(super) fn run(
    args: WatchArgs,
    global: &GlobalArgs,
    runtime: &Runtime,
) -> anyhow::Result<ExitCode> {
    let config = resolve_watch(&args, global)?;
    let metrics = Arc::new(Metrics::default());
    runtime.0.block_on(async {
        let (stop, stopped) = tokio::sync::watch::channel(None);
        tokio::spawn(async move {
            if let Ok(signal) = signalled().await {
                let _ = stop.send(Some(signal));
            }
        });
        if let Some(addr) = args.metrics_addr {
            // The loop beats at least once a listing or a long poll (20 s), and after
            // each batch.
            let stale_after =
                3 * args.interval.max(Duration::from_secs(20)) + Duration::from_secs(60);
            let bound = metrics::serve(addr, metrics.clone(), stale_after).await?;
            say!("metrics:  http://{bound}/metrics (liveness: http://{bound}/healthz)");
        }
        let how = match &config.discovery {
            Discovery::Listing { every } => format!("listing every {}", seconds(*every)),
            Discovery::Queue(queue) => format!("notifications from {}", queue.url),
        };
        say!(
            "watching {} and {} into schema {} by {how}; stop with Ctrl-C or SIGTERM",
            config.load.song_data(),
            config.load.log_data(),
            config.load.schema()
        );
        let said = |line: &str| say!("{line}");
        let mut asked = stopped.clone();
        let watching = watch::watch(&config, &metrics, stopped, &said);
        tokio::pin!(watching);
        tokio::select! {
            done = &mut watching => done?,
            _ = asked.wait_for(Option::is_some) => {
                // The watcher finishes or rolls back its batch; a target that cannot be
                // reached cannot hold the stop past its deadline.
                match tokio::time::timeout(STOP_DEADLINE, &mut watching).await {
                    Ok(done) => done?,
                    Err(_) => {
                        say!(
                            "stopped after {} s with a batch still in flight: the server rolls \
                             it back when the connection closes, and the next batch or load \
                             loads its objects",
                            STOP_DEADLINE.as_secs_f64()
                        );
                        return Ok(ExitCode::SUCCESS);
                    }
                }
            }
        }
        say!("stopped: every batch begun was committed or rolled back");
        Ok(ExitCode::SUCCESS)
    })
}

/// How long a stopped watcher may take to end: its batch's grace and rollback fit inside.
const STOP_DEADLINE: Duration = Duration::from_millis(9_500);

/// Waits for SIGINT or SIGTERM; gives its name.
async fn signalled() -> std::io::Result<&'static str> {
    use tokio::signal::unix::{signal, SignalKind};
    let (mut sigint, mut sigterm) = (
        signal(SignalKind::interrupt())?,
        signal(SignalKind::terminate())?,
    );
    Ok(tokio::select! {
        _ = sigint.recv() => "SIGINT",
        _ = sigterm.recv() => "SIGTERM",
    })
}

fn seconds(duration: Duration) -> String {
    format!("{} s", duration.as_secs_f64())
}

/// How the watcher finds objects: the queue (both trees on S3), or a listing.
fn discovery(args: &WatchArgs, request: &LoadRequest) -> anyhow::Result<Discovery> {
    Ok(match &args.queue_url {
        Some(url) => {
            let local = [&request.song_data, &request.log_data]
                .iter()
                .any(|uri| matches!(uri, SourceUri::Local(_)));
            if local {
                return Err(Error::Config(
                    "--queue-url carries S3 event notifications: both trees must be s3:// \
                     URIs (a local tree is watched by listing: leave out --queue-url)"
                        .into(),
                )
                .into());
            }
            Discovery::Queue(watch::queue::QueueConfig { url: url.clone() })
        }
        None => Discovery::Listing {
            every: args.interval,
        },
    })
}

/// The watcher the flags ask for, with `dwh.cfg`'s [S3] as the trees' fallback.
fn resolve_watch(args: &WatchArgs, global: &GlobalArgs) -> anyhow::Result<WatchConfig> {
    let (mut request, _, _) = from_to(&args.from_to, global)?;
    request.scope = LoadScope::Incremental;
    request.max_errors = args.max_errors;
    request.reject_file = reject_file(&args.reject_file, args.max_errors);
    request.concurrency = args.concurrency;
    request.checks = args.checks.clone();
    request.no_checks = args.no_checks;
    request.allow_empty = args.allow_empty;
    let discovery = discovery(args, &request)?;
    if args.max_batch_objects == 0 || args.max_batch_mib == 0 {
        return Err(Error::Config(
            "--max-batch-objects and --max-batch-mib must be at least 1".into(),
        )
        .into());
    }
    Ok(WatchConfig {
        load: request.resolve()?,
        discovery,
        reconcile_every: args.reconcile_interval,
        limits: BatchLimits {
            objects: args.max_batch_objects,
            bytes: args.max_batch_mib << 20,
            delay: args.max_batch_delay,
        },
        retry_quarantined: args.retry_quarantined,
    })
}
