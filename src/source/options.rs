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

impl S3Options {
    /// The AWS configuration every client of these options starts from (S3 for the trees,
    /// SQS for a watcher's queue): the region given, else the default chain's, else
    /// us-east-1; the endpoint given; the static keys given, else the default chain's, or
    /// (`anonymous`) none at all.
    pub(crate) async fn sdk_config(&self, anonymous: bool) -> aws_config::SdkConfig {
        use aws_config::meta::region::RegionProviderChain;
        use aws_config::{BehaviorVersion, Region};
        let region = RegionProviderChain::first_try(self.region.clone().map(Region::new))
            .or_default_provider()
            .or_else(Region::new("us-east-1"));
        let mut loader = aws_config::defaults(BehaviorVersion::latest()).region(region);
        if let Some(endpoint) = &self.endpoint_url {
            loader = loader.endpoint_url(endpoint);
        }
        if anonymous {
            loader = loader.no_credentials();
        } else if let Some((access_key, secret_key)) = &self.credentials {
            loader = loader.credentials_provider(aws_credential_types::Credentials::new(
                access_key,
                secret_key.expose(),
                None,
                None,
                "sparkify-load",
            ));
        }
        loader.load().await
    }
}
