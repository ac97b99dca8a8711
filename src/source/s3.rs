//! An S3 (or S3-compatible) prefix as a source: paginated ListObjectsV2 fanned out over the
//! first level of sub-prefixes, and GETs whose bodies are retried when cut mid-read.

use std::time::Duration;

use aws_sdk_s3::config::retry::RetryConfig;
use aws_sdk_s3::config::timeout::TimeoutConfig;
use aws_sdk_s3::config::{RequestChecksumCalculation, ResponseChecksumValidation};
use aws_sdk_s3::Client;
use bytes::Bytes;
use futures::stream::{self, BoxStream, StreamExt, TryStreamExt};
use rand::RngExt;

use super::s3_errors::{describe, Described};
use super::{Entry, S3Options};
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
        let (client, region) = client(options).await;
        S3Source {
            client,
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

    fn failed(&self, described: Described) -> SourceError {
        SourceError::Unreadable {
            uri: self.uri(),
            reason: format!("listing failed: {}", described.reason),
            source: Some(described.source),
        }
    }

    /// Keys below the prefix (relative to it), in byte order, in batches as listings
    /// arrive: the top level first, then each sub-prefix listed concurrently with others.
    pub fn keys(&self) -> BoxStream<'_, Result<Vec<Entry>, SourceError>> {
        let top = async move {
            let (files, folders) = self.list(&self.prefix, Some("/")).await?;
            if files.is_empty() && folders.is_empty() {
                return Err(SourceError::EmptyPrefix { uri: self.uri() });
            }
            // Merge direct keys and sub-prefixes into one byte order.
            let mut entries: Vec<(String, Option<Entry>)> = files
                .into_iter()
                .map(|file| (file.key.clone(), Some(file)))
                .chain(folders.into_iter().map(|folder| (folder, None)))
                .collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            Ok(stream::iter(entries).map(move |(name, file)| async move {
                match file {
                    Some(file) => Ok(vec![file]),
                    None => Ok(self.list(&name, None).await?.0),
                }
            }))
        };
        stream::once(top)
            .map_ok(|listings| listings.buffered(LIST_CONCURRENCY))
            .try_flatten()
            .map_ok(|listed: Vec<Entry>| {
                listed
                    .into_iter()
                    .map(|entry| Entry {
                        key: entry.key[self.prefix.len()..].to_string(),
                        ..entry
                    })
                    .collect()
            })
            .boxed()
    }

    /// Every key (and, with a delimiter, every sub-prefix) under `prefix`, all pages.
    async fn list(
        &self,
        prefix: &str,
        delimiter: Option<&str>,
    ) -> Result<(Vec<Entry>, Vec<String>), SourceError> {
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
            keys.extend(page.contents().iter().filter_map(|o| {
                Some(Entry {
                    key: o.key()?.to_string(),
                    size: o.size().map_or(0, |size| size.max(0) as u64),
                    version: version_of(o.e_tag(), o.last_modified()),
                    modified: o
                        .last_modified()
                        .and_then(|t| std::time::SystemTime::try_from(*t).ok()),
                })
            }));
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
                    match self.get_from(&reading.key, reading.offset).await {
                        Ok(body) => reading.body = Some(body),
                        Err(error) => {
                            reading.done = true;
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
                        tokio::time::sleep(self.pause_before(reading.attempt)).await;
                        reading.attempt += 1;
                        reading.body = None;
                    }
                }
            }
        })
        .boxed()
    }

    /// The body of the object `full_key` (with the prefix) from byte `offset` on.
    async fn get_from(
        &self,
        full_key: &str,
        offset: u64,
    ) -> Result<aws_sdk_s3::primitives::ByteStream, SourceError> {
        let mut request = self.client.get_object().bucket(&self.bucket).key(full_key);
        if offset > 0 {
            request = request.range(format!("bytes={offset}-"));
        }
        match request.send().await {
            Ok(response) => Ok(response.body),
            Err(e) => {
                let described = describe(e, &self.endpoint);
                Err(self.object_error(full_key, described.reason, Some(described.source)))
            }
        }
    }

    /// How long to wait before resuming a body for the `attempt`th time: exponential
    /// backoff with full jitter.
    fn pause_before(&self, attempt: u32) -> Duration {
        let ceiling = self.backoff.as_millis() as u64 * (1 << attempt.min(6));
        Duration::from_millis(rand::rng().random_range(0..=ceiling))
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

/// An object's version as listed: its ETag, which S3 always lists; an S3-compatible server
/// that lists none (s3s-fs) gives its last-modified time instead.
fn version_of(
    e_tag: Option<&str>,
    last_modified: Option<&aws_sdk_s3::primitives::DateTime>,
) -> String {
    match (e_tag, last_modified) {
        (Some(e_tag), _) if !e_tag.is_empty() => e_tag.to_string(),
        (_, Some(modified)) => format!("last-modified {modified}"),
        _ => String::new(),
    }
}

/// An S3 client as `options` say (region, endpoint, credentials, retries), and the region
/// it signs for.
pub(crate) async fn client(options: &S3Options) -> (Client, String) {
    let sdk = options.sdk_config(options.no_sign_request).await;
    let config = aws_sdk_s3::config::Builder::from(&sdk)
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
        )
        // An S3-compatible endpoint is addressed path-style.
        .force_path_style(options.endpoint_url.is_some());
    let region = sdk.region().map_or("us-east-1", |r| r.as_ref()).to_string();
    (Client::from_conf(config.build()), region)
}

#[cfg(test)]
mod version_tests {
    use super::*;

    #[test]
    fn the_etag_versions_an_object_and_last_modified_stands_in() {
        let modified = aws_sdk_s3::primitives::DateTime::from_secs(1_700_000_000);
        assert_eq!(version_of(Some("\"abc\""), Some(&modified)), "\"abc\"");
        assert_eq!(
            version_of(None, Some(&modified)),
            "last-modified 2023-11-14T22:13:20Z"
        );
        assert_eq!(version_of(Some(""), None), "");
    }
}
