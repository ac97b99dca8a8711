//! An S3 (or S3-compatible) prefix as a source: paginated ListObjectsV2 fanned out over the
//! first level of sub-prefixes, and GETs whose bodies are retried when cut mid-read.

use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_sdk_s3::config::retry::RetryConfig;
use aws_sdk_s3::config::timeout::TimeoutConfig;
use aws_sdk_s3::config::{
    Credentials, Region, RequestChecksumCalculation, ResponseChecksumValidation,
};
use aws_sdk_s3::Client;
use bytes::Bytes;
use futures::stream::{self, BoxStream, StreamExt, TryStreamExt};
use rand::RngExt;

use super::s3_errors::{describe, Described};
use super::S3Options;
use crate::error::SourceError;

/// Listings of sub-prefixes under way at once.
const LIST_CONCURRENCY: usize = 8;

#[derive(Debug, Clone)]
pub struct S3Source {
    client: Client,
    bucket: String,
    /// Empty, or ending in `/`.
    prefix: String,
    attempts: u32,
    backoff: Duration,
    /// How messages name the endpoint: `--endpoint-url`, else `s3.REGION.amazonaws.com`.
    endpoint: String,
}

impl S3Source {
    pub async fn connect(bucket: &str, prefix: &str, options: &S3Options) -> S3Source {
        let mut loader = aws_config::defaults(BehaviorVersion::latest());
        if let Some(region) = &options.region {
            loader = loader.region(Region::new(region.clone()));
        }
        if options.no_sign_request {
            loader = loader.no_credentials();
        }
        let sdk = loader.load().await;
        let mut config = aws_sdk_s3::config::Builder::from(&sdk)
            // S3-compatible stores often lack the newer default checksums.
            .request_checksum_calculation(RequestChecksumCalculation::WhenRequired)
            .response_checksum_validation(ResponseChecksumValidation::WhenRequired)
            .retry_config(
                RetryConfig::standard()
                    .with_max_attempts(options.attempts)
                    .with_initial_backoff(options.backoff),
            )
            .timeout_config(
                TimeoutConfig::builder()
                    .connect_timeout(Duration::from_secs(10))
                    .operation_attempt_timeout(Duration::from_secs(60))
                    .build(),
            );
        let region = sdk.region().map_or("us-east-1", |r| r.as_ref()).to_string();
        if sdk.region().is_none() {
            config = config.region(Region::new("us-east-1"));
        }
        if let Some(endpoint) = &options.endpoint_url {
            config = config.endpoint_url(endpoint).force_path_style(true);
        }
        if let Some((access_key, secret_key)) = &options.credentials {
            config = config.credentials_provider(Credentials::new(
                access_key,
                secret_key.expose(),
                None,
                None,
                "sparkify-load",
            ));
        }
        S3Source {
            client: Client::from_conf(config.build()),
            bucket: bucket.to_string(),
            prefix: prefix.to_string(),
            attempts: options.attempts.max(1),
            backoff: options.backoff,
            endpoint: options
                .endpoint_url
                .clone()
                .unwrap_or_else(|| format!("s3.{region}.amazonaws.com")),
        }
    }

    pub fn uri(&self) -> String {
        format!("s3://{}/{}", self.bucket, self.prefix)
    }

    pub fn describe(&self, key: &str) -> String {
        format!("s3://{}/{}{}", self.bucket, self.prefix, key)
    }

    fn unreadable(&self, reason: String) -> SourceError {
        SourceError::Unreadable {
            uri: self.uri(),
            reason,
            source: None,
        }
    }

    fn failed(&self, described: Described) -> SourceError {
        SourceError::Unreadable {
            uri: self.uri(),
            reason: format!("listing failed: {}", described.reason),
            source: Some(described.source),
        }
    }

    /// Keys below the prefix (relative to it), in byte order, in batches as listings
    /// arrive: the top level first, then each sub-prefix listed concurrently with others.
    pub fn keys(&self) -> BoxStream<'_, Result<Vec<String>, SourceError>> {
        let top = async move {
            let (files, folders) = self.list(&self.prefix, Some("/")).await?;
            if files.is_empty() && folders.is_empty() {
                return Err(self.unreadable("no objects under this prefix".into()));
            }
            // Merge direct keys and sub-prefixes into one byte order.
            let mut entries: Vec<(String, bool)> = files
                .into_iter()
                .map(|k| (k, false))
                .chain(folders.into_iter().map(|p| (p, true)))
                .collect();
            entries.sort();
            Ok(
                stream::iter(entries).map(move |(name, is_folder)| async move {
                    if is_folder {
                        Ok(self.list(&name, None).await?.0)
                    } else {
                        Ok(vec![name])
                    }
                }),
            )
        };
        stream::once(top)
            .map_ok(|listings| listings.buffered(LIST_CONCURRENCY))
            .try_flatten()
            .map_ok(|full_keys: Vec<String>| {
                full_keys
                    .into_iter()
                    .map(|k| k[self.prefix.len()..].to_string())
                    .collect()
            })
            .boxed()
    }

    /// Every key (and, with a delimiter, every sub-prefix) under `prefix`, all pages.
    async fn list(
        &self,
        prefix: &str,
        delimiter: Option<&str>,
    ) -> Result<(Vec<String>, Vec<String>), SourceError> {
        let mut pages = self
            .client
            .list_objects_v2()
            .bucket(&self.bucket)
            .prefix(prefix)
            .set_delimiter(delimiter.map(str::to_string))
            .into_paginator()
            .send();
        let (mut keys, mut folders) = (Vec::new(), Vec::new());
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| self.failed(describe(e, &self.endpoint)))?;
            keys.extend(
                page.contents()
                    .iter()
                    .filter_map(|o| o.key().map(str::to_string)),
            );
            folders.extend(
                page.common_prefixes()
                    .iter()
                    .filter_map(|p| p.prefix().map(str::to_string)),
            );
        }
        Ok((keys, folders))
    }

    /// The object's body in chunks as they arrive. The SDK retries failed requests; a
    /// body cut off mid-read is resumed here from where it broke (a ranged GET), with
    /// exponential backoff and full jitter.
    pub fn chunks(&self, key: &str) -> BoxStream<'_, Result<Bytes, SourceError>> {
        struct Reading {
            key: String,
            offset: u64,
            attempt: u32,
            body: Option<aws_sdk_s3::primitives::ByteStream>,
            done: bool,
        }
        let start = Reading {
            key: format!("{}{}", self.prefix, key),
            offset: 0,
            attempt: 1,
            body: None,
            done: false,
        };
        stream::unfold(start, move |mut reading| async move {
            loop {
                if reading.done {
                    return None;
                }
                if reading.body.is_none() {
                    let mut request = self
                        .client
                        .get_object()
                        .bucket(&self.bucket)
                        .key(&reading.key);
                    if reading.offset > 0 {
                        request = request.range(format!("bytes={}-", reading.offset));
                    }
                    match request.send().await {
                        Ok(response) => reading.body = Some(response.body),
                        Err(e) => {
                            reading.done = true;
                            let described = describe(e, &self.endpoint);
                            let error = self.object_error(
                                &reading.key,
                                described.reason,
                                Some(described.source),
                            );
                            return Some((Err(error), reading));
                        }
                    }
                }
                let body = reading.body.as_mut().expect("a body was just set");
                match body.try_next().await {
                    Ok(Some(chunk)) => {
                        reading.offset += chunk.len() as u64;
                        return Some((Ok(chunk), reading));
                    }
                    Ok(None) => return None,
                    Err(e) => {
                        let failure =
                            format!("the body was cut off at byte {}: {e}", reading.offset);
                        if reading.attempt >= self.attempts {
                            reading.done = true;
                            let message = format!("{failure} (after {} attempts)", reading.attempt);
                            let error = self.object_error(&reading.key, message, Some(Box::new(e)));
                            return Some((Err(error), reading));
                        }
                        tracing::debug!("resuming s3://{}/{}: {failure}", self.bucket, reading.key);
                        let ceiling =
                            self.backoff.as_millis() as u64 * (1 << reading.attempt.min(6));
                        let pause = Duration::from_millis(rand::rng().random_range(0..=ceiling));
                        tokio::time::sleep(pause).await;
                        reading.attempt += 1;
                        reading.body = None;
                    }
                }
            }
        })
        .boxed()
    }

    /// The error of one object; `full_key` already includes the prefix.
    fn object_error(
        &self,
        full_key: &str,
        reason: String,
        source: Option<crate::error::BoxError>,
    ) -> SourceError {
        SourceError::Object {
            object: format!("s3://{}/{full_key}", self.bucket),
            reason,
            source,
        }
    }
}
