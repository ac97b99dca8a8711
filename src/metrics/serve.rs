//! `--metrics-addr`: the metrics over HTTP for Prometheus to scrape (`/metrics`), and
//! `/healthz` for a liveness probe: 200 while the watcher's loop runs lately, a batch or a
//! listing is under way (30 minutes at most), or it stands by for another watcher.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{header, Request, Response, StatusCode};
use http_body_util::Full;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;

use super::{Health, Metrics};
use crate::error::{Error, Result};

/// The content type of the text format.
const TEXT_FORMAT: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Listens on `addr` and serves the metrics until the process ends; gives the address
/// bound (port 0 picks a free one). A watcher whose loop has not run for `stale_after`
/// is reported unhealthy.
pub async fn serve(
    addr: SocketAddr,
    metrics: Arc<Metrics>,
    stale_after: Duration,
) -> Result<SocketAddr> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| Error::Listen { addr, source })?;
    let bound = listener
        .local_addr()
        .map_err(|source| Error::Listen { addr, source })?;
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let metrics = metrics.clone();
            let service = service_fn(move |request| {
                let answer = answer(&metrics, &request, stale_after);
                async move { Ok::<_, Infallible>(answer) }
            });
            tokio::spawn(async move {
                let served = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
                if let Err(err) = served {
                    tracing::debug!("a metrics connection ended: {err}");
                }
            });
        }
    });
    tracing::info!(%bound, "metrics served");
    Ok(bound)
}

fn answer<B>(
    metrics: &Metrics,
    request: &Request<B>,
    stale_after: Duration,
) -> Response<Full<Bytes>> {
    let (status, kind, body) = match request.uri().path() {
        "/metrics" => (StatusCode::OK, TEXT_FORMAT, metrics.render()),
        "/healthz" => match metrics.health(stale_after) {
            Health::Alive(said) => (StatusCode::OK, "text/plain", format!("{said}\n")),
            Health::Stale(said) => (
                StatusCode::SERVICE_UNAVAILABLE,
                "text/plain",
                format!("{said}\n"),
            ),
        },
        _ => (
            StatusCode::NOT_FOUND,
            "text/plain",
            "not found: /metrics or /healthz\n".into(),
        ),
    };
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, kind)
        .body(Full::new(Bytes::from(body)))
        .expect("a valid response")
}
