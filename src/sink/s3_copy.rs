//! `--sink s3-copy` (Redshift): each table's finished rows as gzip CSV parts and a COPY
//! manifest under the user's staging prefix, `<prefix><run id>/<table>/part-….csv.gz` and
//! `<prefix><run id>/<table>.manifest`, for one `COPY … MANIFEST` a table — the route
//! spark-redshift and AWS Glue take (docs/SCALE.md).

use aws_sdk_s3::error::DisplayErrorContext;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::Client;
use serde_json::json;

use super::csv::{part_bytes, CsvParts};
use super::insert::InsertRow;
use crate::error::{Error, Result};
use crate::source::{self, S3Options};

/// The staging prefix of one load.
pub struct S3Stage {
    client: Client,
    bucket: String,
    /// The user's prefix and the run id: empty or ending in `/`.
    prefix: String,
}

impl S3Stage {
    /// The load `run_id`'s place under `s3://bucket/prefix`.
    pub async fn connect(bucket: &str, prefix: &str, run_id: &str, options: &S3Options) -> Self {
        let (client, _) = source::s3_client(options).await;
        S3Stage {
            client,
            bucket: bucket.to_string(),
            prefix: format!("{prefix}{run_id}/"),
        }
    }

    /// Where a table's manifest goes.
    pub fn manifest_url(&self, table: &str) -> String {
        manifest_url(&self.bucket, &self.prefix, table)
    }

    fn url(&self, key: &str) -> String {
        format!("s3://{}/{key}", self.bucket)
    }

    async fn put(&self, key: &str, bytes: Vec<u8>) -> Result<()> {
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .body(ByteStream::from(bytes))
            .send()
            .await
            .map_err(|err| Error::Staging {
                uri: self.url(key),
                reason: DisplayErrorContext(&err).to_string(),
                source: Some(Box::new(err)),
            })?;
        Ok(())
    }
}

/// `s3://bucket/<prefix><table>.manifest`, the prefix holding the run id.
pub fn manifest_url(bucket: &str, prefix: &str, table: &str) -> String {
    format!("s3://{bucket}/{prefix}{table}.manifest")
}

/// One table's rows on their way to the staging prefix: parts are uploaded as their group
/// closes, the manifest last.
pub struct TableParts<'s> {
    stage: &'s S3Stage,
    table: &'static str,
    parts: CsvParts,
    /// (url, bytes) of each part uploaded.
    uploaded: Vec<(String, usize)>,
}

/// What a table's staging wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Staged {
    pub manifest_url: String,
    pub rows: u64,
    pub parts: usize,
}

impl<'s> TableParts<'s> {
    pub fn new<R: InsertRow>(stage: &'s S3Stage, slices: usize) -> Self {
        TableParts {
            stage,
            table: R::TABLE,
            parts: CsvParts::new(slices, part_bytes(slices)),
            uploaded: Vec::new(),
        }
    }

    pub async fn push<R: InsertRow>(&mut self, rows: impl IntoIterator<Item = R>) -> Result<()> {
        for row in rows {
            let closed = self.parts.push(&row).map_err(|e| self.unwritable(e))?;
            self.upload(closed).await?;
        }
        Ok(())
    }

    /// Uploads the last parts and the manifest that lists every part.
    pub async fn finish(mut self) -> Result<Staged> {
        let parts = std::mem::replace(&mut self.parts, CsvParts::new(1, 1));
        let (last, rows) = parts.finish().map_err(|e| self.unwritable(e))?;
        self.upload(last).await?;
        let entries: Vec<serde_json::Value> = self
            .uploaded
            .iter()
            .map(|(url, bytes)| {
                json!({"url": url, "mandatory": true, "meta": {"content_length": bytes}})
            })
            .collect();
        let manifest = json!({ "entries": entries }).to_string();
        let key = format!("{}{}.manifest", self.stage.prefix, self.table);
        self.stage.put(&key, manifest.into_bytes()).await?;
        Ok(Staged {
            manifest_url: self.stage.manifest_url(self.table),
            rows,
            parts: self.uploaded.len(),
        })
    }

    async fn upload(&mut self, parts: Vec<Vec<u8>>) -> Result<()> {
        for part in parts {
            let key = format!(
                "{}{}/part-{:05}.csv.gz",
                self.stage.prefix,
                self.table,
                self.uploaded.len()
            );
            let bytes = part.len();
            self.stage.put(&key, part).await?;
            self.uploaded.push((self.stage.url(&key), bytes));
        }
        Ok(())
    }

    fn unwritable(&self, err: std::io::Error) -> Error {
        Error::Staging {
            uri: self
                .stage
                .url(&format!("{}{}/", self.stage.prefix, self.table)),
            reason: format!("cannot compress a part: {err}"),
            source: Some(Box::new(err)),
        }
    }
}
