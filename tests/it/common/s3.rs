//! A real S3-protocol server on loopback for tests: `s3s` over a directory on /dev/shm,
//! with SigV4 checks, and optional injected latency and faults.

use std::collections::HashSet;
use std::convert::Infallible;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{combinators::BoxBody, BodyExt, Full, StreamBody};
use hyper::body::{Frame, Incoming};
use hyper::service::Service;
use hyper::{Request, Response};
use s3s::service::S3Service;

pub const ACCESS_KEY: &str = "AKIASPARKIFYTEST";
pub const SECRET_KEY: &str = "sparkify-test-secret-key-0123456789";

type Body = BoxBody<Bytes, Box<dyn std::error::Error + Send + Sync>>;

/// What the server does wrong, deterministically: each request whose method and URI
/// hash into a faulty tenth fails once (the first time it is seen).
#[derive(Clone, Copy, Default)]
pub struct Faults {
    pub latency: Duration,
    /// Answer 503 SlowDown to one request in ten, once.
    pub slow_down: bool,
    /// Cut one GET body in ten off mid-way, once.
    pub cut_bodies: bool,
}

pub struct S3Server {
    pub endpoint: String,
    pub root: tempfile::TempDir,
    failed: Arc<Mutex<HashSet<String>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for S3Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl S3Server {
    /// Serves the buckets under a fresh directory (one folder per bucket).
    pub async fn start(faults: Faults) -> S3Server {
        let root = tempfile::Builder::new()
            .prefix("sparkify-s3")
            .tempdir_in("/dev/shm")
            .unwrap();
        let fs = s3s_fs::FileSystem::new(root.path()).unwrap();
        let mut builder = s3s::service::S3ServiceBuilder::new(fs);
        builder.set_auth(s3s::auth::SimpleAuth::from_single(ACCESS_KEY, SECRET_KEY));
        let failed: Arc<Mutex<HashSet<String>>> = Arc::default();
        let service = FaultyService {
            inner: builder.build(),
            faults,
            failed: failed.clone(),
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let service = service.clone();
                tokio::spawn(async move {
                    let io = hyper_util::rt::TokioIo::new(stream);
                    let _ = hyper_util::server::conn::auto::Builder::new(
                        hyper_util::rt::TokioExecutor::new(),
                    )
                    .serve_connection(io, service)
                    .await;
                });
            }
        });
        S3Server {
            endpoint,
            root,
            failed,
            task,
        }
    }

    /// How many requests were failed on purpose, by kind ("503", "cut").
    pub fn injected(&self, kind: &str) -> usize {
        self.failed
            .lock()
            .unwrap()
            .iter()
            .filter(|f| f.starts_with(&format!("{kind} ")))
            .count()
    }

    /// Copies a local tree into `bucket` under `prefix`.
    pub fn put_tree(&self, bucket: &str, prefix: &str, tree: &Path) {
        super::copy_tree(tree, &self.root.path().join(bucket).join(prefix));
    }

    pub fn options(&self) -> sparkify_load::source::S3Options {
        sparkify_load::source::S3Options {
            endpoint_url: Some(self.endpoint.clone()),
            region: Some("us-west-2".into()),
            credentials: Some((
                ACCESS_KEY.into(),
                sparkify_load::Secret::new(SECRET_KEY.into()),
            )),
            backoff: Duration::from_millis(10),
            attempts: 5,
            ..Default::default()
        }
    }
}

#[derive(Clone)]
struct FaultyService {
    inner: S3Service,
    faults: Faults,
    failed: Arc<Mutex<HashSet<String>>>,
}

impl FaultyService {
    /// Whether this request is in the faulty tenth for `kind`, and not yet failed.
    fn fails_now(&self, kind: &str, request: &str) -> bool {
        use std::hash::{Hash, Hasher};
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        (kind, request).hash(&mut hasher);
        hasher.finish().is_multiple_of(10)
            && self
                .failed
                .lock()
                .unwrap()
                .insert(format!("{kind} {request}"))
    }
}

impl Service<Request<Incoming>> for FaultyService {
    type Response = Response<Body>;
    type Error = Infallible;
    type Future = std::pin::Pin<
        Box<dyn std::future::Future<Output = Result<Self::Response, Infallible>> + Send>,
    >;

    fn call(&self, request: Request<Incoming>) -> Self::Future {
        let this = self.clone();
        Box::pin(async move {
            if !this.faults.latency.is_zero() {
                tokio::time::sleep(this.faults.latency).await;
            }
            let id = format!("{} {}", request.method(), request.uri());
            if this.faults.slow_down && this.fails_now("503", &id) {
                let body = "<?xml version=\"1.0\"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>";
                let response = Response::builder()
                    .status(503)
                    .header("content-type", "application/xml")
                    .body(Full::new(Bytes::from(body)).map_err(|e| match e {}).boxed())
                    .unwrap();
                return Ok(response);
            }
            let is_get = request.method() == http::Method::GET
                && !request.uri().query().unwrap_or("").contains("list-type");
            let cut = is_get && this.faults.cut_bodies && this.fails_now("cut", &id);
            let response = match hyper::service::Service::call(&this.inner, request).await {
                Ok(response) => response,
                Err(e) => panic!("s3s failed: {e:?}"),
            };
            let (parts, body) = response.into_parts();
            let bytes = body
                .collect()
                .await
                .map(|c| c.to_bytes())
                .unwrap_or_default();
            let body: Body = if cut && bytes.len() > 1 {
                let half = bytes.slice(..bytes.len() / 2);
                let frames: Vec<Result<Frame<Bytes>, Box<dyn std::error::Error + Send + Sync>>> = vec![
                    Ok(Frame::data(half)),
                    Err("connection cut by the test".into()),
                ];
                StreamBody::new(futures::stream::iter(frames)).boxed()
            } else {
                Full::new(bytes).map_err(|e| match e {}).boxed()
            };
            Ok(Response::from_parts(parts, body))
        })
    }
}
