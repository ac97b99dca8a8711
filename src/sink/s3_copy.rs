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
            prefix: run_prefix(prefix, run_id),
        }
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

/// The load `run_id`'s place under the user's prefix: `<prefix><run id>/`.
pub fn run_prefix(prefix: &str, run_id: &str) -> String {
    format!("{prefix}{run_id}/")
}

/// `s3://bucket/<run prefix><table>.manifest`.
pub fn manifest_url(bucket: &str, run_prefix: &str, table: &str) -> String {
    format!("s3://{bucket}/{}", manifest_key(run_prefix, table))
}

/// `s3://bucket/<run prefix><table>/`, the folder of a table's parts.
pub fn parts_url(bucket: &str, run_prefix: &str, table: &str) -> String {
    format!("s3://{bucket}/{}", parts_key(run_prefix, table))
}

fn manifest_key(run_prefix: &str, table: &str) -> String {
    format!("{run_prefix}{table}.manifest")
}

fn parts_key(run_prefix: &str, table: &str) -> String {
    format!("{run_prefix}{table}/")
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
            let closed = self
                .parts
                .push(&row)
                .map_err(|e| unwritable(self.stage, self.table, e))?;
            upload(self.stage, self.table, &mut self.uploaded, closed).await?;
        }
        Ok(())
    }

    /// Uploads the last parts and the manifest that lists every part.
    pub async fn finish(self) -> Result<Staged> {
        let TableParts {
            stage,
            table,
            parts,
            mut uploaded,
        } = self;
        let (last, rows) = parts.finish().map_err(|e| unwritable(stage, table, e))?;
        upload(stage, table, &mut uploaded, last).await?;
        let entries: Vec<serde_json::Value> = uploaded
            .iter()
            .map(|(url, bytes)| {
                json!({"url": url, "mandatory": true, "meta": {"content_length": bytes}})
            })
            .collect();
        let manifest = json!({ "entries": entries }).to_string();
        let key = manifest_key(&stage.prefix, table);
        stage.put(&key, manifest.into_bytes()).await?;
        Ok(Staged {
            manifest_url: stage.url(&key),
            rows,
            parts: uploaded.len(),
        })
    }
}

/// Uploads closed parts, numbered after those of the table already uploaded.
async fn upload(
    stage: &S3Stage,
    table: &str,
    uploaded: &mut Vec<(String, usize)>,
    parts: Vec<Vec<u8>>,
) -> Result<()> {
    for part in parts {
        let key = format!(
            "{}part-{:05}.csv.gz",
            parts_key(&stage.prefix, table),
            uploaded.len()
        );
        let bytes = part.len();
        stage.put(&key, part).await?;
        uploaded.push((stage.url(&key), bytes));
    }
    Ok(())
}

/// A part that could not be compressed, named by its table's folder.
fn unwritable(stage: &S3Stage, table: &str, err: std::io::Error) -> Error {
    Error::Staging {
        uri: parts_url(&stage.bucket, &stage.prefix, table),
        reason: format!("cannot compress a part: {err}"),
        source: Some(Box::new(err)),
    }
}
