//! How S3 sources are reached: region, endpoint, signing, credentials and retries.

use std::time::Duration;

use crate::secret::Secret;

/// How S3 sources are reached.
#[derive(Debug, Clone)]
pub struct S3Options {
    /// The bucket's region; default: the AWS default chain, else us-east-1.
    pub region: Option<String>,
    /// An S3-compatible endpoint (MinIO, Ceph, R2); addressed path-style.
    pub endpoint_url: Option<String>,
    /// Anonymous requests, for public buckets.
    pub no_sign_request: bool,
    /// Explicit (access key, secret key); default: the AWS default chain.
    pub credentials: Option<(String, Secret<String>)>,
    /// Tries per request (and per body read) before a source error.
    pub attempts: u32,
    /// The first retry's backoff ceiling; it doubles per try, with full jitter.
    pub backoff: Duration,
}

impl Default for S3Options {
    fn default() -> Self {
        S3Options {
            region: None,
            endpoint_url: None,
            no_sign_request: false,
            credentials: None,
            attempts: 5,
            backoff: Duration::from_millis(200),
        }
    }
}
