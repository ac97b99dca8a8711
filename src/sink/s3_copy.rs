//! `--sink s3-copy` (Redshift): each table's finished rows as gzip CSV parts and a COPY
//! manifest under the user's staging prefix, `<prefix><run id>/<table>/part-….csv.gz` and
//! `<prefix><run id>/<table>.manifest`, then one `COPY … MANIFEST` a table into the load's
//! private tables — the route spark-redshift and AWS Glue take (docs/SCALE.md).

use std::marker::PhantomData;
use std::sync::Mutex;
use std::time::Instant;

use aws_sdk_s3::error::DisplayErrorContext;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::Client;
use serde_json::json;

use super::csv::{part_bytes, CsvParts};
use super::private::PrivateTables;
use super::{RowSink, TableRow, TableSink};
use crate::config::S3Copy;
use crate::db::literal::Literals;
use crate::db::sql::redshift;
use crate::db::{number_at, render, TableSet};
use crate::error::{Error, Result};
use crate::report::{stage, Stage};
use crate::source::{self, S3Options};

/// The rows of a client-mode load through the staging prefix: each table staged whole,
/// then, once every table is, copied into the private tables.
pub struct S3CopySink<'c> {
    stage: S3Stage,
    slices: usize,
    copy: &'c S3Copy,
    private: &'c PrivateTables<'c>,
    /// The tables staged so far, in order.
    staged: Mutex<Vec<StagedTable>>,
}

/// One table's parts, ready for its COPY.
struct StagedTable {
    table: &'static str,
    columns: &'static [&'static str],
    staged: Staged,
}

impl<'c> S3CopySink<'c> {
    /// The staging prefix of the load `run_id`, into `private`'s tables, in parts of a
    /// multiple of the cluster's slices (given, or asked of the cluster).
    pub async fn connect(
        copy: &'c S3Copy,
        private: &'c PrivateTables<'c>,
        run_id: &str,
        options: &S3Options,
    ) -> Result<S3CopySink<'c>> {
        let slices = match copy.slices {
            Some(slices) => slices as usize,
            None => cluster_slices(private).await?,
        };
        Ok(S3CopySink {
            stage: S3Stage::connect(&copy.bucket, &copy.prefix, run_id, options).await,
            slices,
            copy,
            private,
            staged: Mutex::new(Vec::new()),
        })
    }

    /// Runs one table's COPY and checks it loaded every staged row. An empty table has
    /// no parts and no COPY: COPY fails on a manifest that lists no file.
    async fn copy_and_count(&self, table: &StagedTable) -> Result<()> {
        let staged = &table.staged;
        if staged.rows == 0 {
            return Ok(());
        }
        let (database, client) = (self.private.database, self.private.client);
        let sql = copy_statement(
            self.copy,
            &self.private.tables,
            (table.table, table.columns),
            &staged.manifest_url,
        );
        let step = format!("copy {} from its staged parts", table.table);
        database.run(client, &step, &sql).await?;
        let rows = database
            .text_rows(client, &step, "SELECT pg_last_copy_count();")
            .await?;
        let loaded = number_at(&rows, 0).unwrap_or(0);
        if loaded != staged.rows {
            return Err(Error::CopyCount {
                table: table.table,
                loaded,
                staged: staged.rows,
                manifest: staged.manifest_url.clone(),
            });
        }
        Ok(())
    }
}

impl RowSink for S3CopySink<'_> {
    const EVENTS_STAGE: &'static str = "events and staging";

    fn table<R: TableRow>(&self, _lane: usize) -> impl TableSink<R> {
        S3Table {
            parts: TableParts::new::<R>(&self.stage, self.slices),
            staged: &self.staged,
            row: PhantomData,
        }
    }

    async fn close(&self) -> Result<Vec<Stage>> {
        let started = Instant::now();
        let staged = std::mem::take(&mut *self.staged.lock().expect("never poisoned"));
        for table in &staged {
            tracing::info!(
                table = table.table,
                rows = table.staged.rows,
                parts = table.staged.parts,
                slices = self.slices,
                "rows staged as gzip CSV parts"
            );
            self.copy_and_count(table).await?;
        }
        Ok(vec![stage("copy", started.elapsed())])
    }
}

/// One table's writer into the staging prefix.
pub struct S3Table<'s, R> {
    parts: TableParts<'s>,
    staged: &'s Mutex<Vec<StagedTable>>,
    row: PhantomData<fn(R)>,
}

impl<R: TableRow> TableSink<R> for S3Table<'_, R> {
    async fn push<I: IntoIterator<Item = R>>(&mut self, rows: I) -> Result<()> {
        self.parts.push(rows).await
    }

    async fn finish(self) -> Result<u64> {
        let staged = self.parts.finish().await?;
        let rows = staged.rows;
        self.staged
            .lock()
            .expect("never poisoned")
            .push(StagedTable {
                table: R::TABLE,
                columns: R::COLUMNS,
                staged,
            });
        Ok(rows)
    }
}

/// The cluster's slices, from `stv_slices`.
async fn cluster_slices(private: &PrivateTables<'_>) -> Result<usize> {
    let rows = private
        .database
        .text_rows(
            private.client,
            "count the cluster's slices",
            redshift::SLICES,
        )
        .await?;
    match number_at(&rows, 0) {
        Some(slices) if slices > 0 => Ok(slices as usize),
        _ => Err(Error::Config(
            "stv_slices shows this user no slices: give the cluster's slice count with \
             --slices"
                .into(),
        )),
    }
}

/// One table's `COPY … MANIFEST` from its staged parts into `tables`.
pub fn copy_statement(
    copy: &S3Copy,
    tables: &TableSet,
    (table, columns): (&str, &[&str]),
    manifest_url: &str,
) -> String {
    let quote = |text: &str| Literals::REDSHIFT.quote(text);
    render(
        redshift::S3_COPY,
        &[
            ("schema", &tables.schema.quoted()),
            ("table", &tables.name(table)),
            ("columns", &columns.join(", ")),
            ("manifest", &quote(manifest_url)),
            ("iam_role", &quote(&copy.iam_role_arn)),
            ("region", &quote(&copy.region)),
        ],
    )
}

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
            .map_err(|err| Error::StagingPrefix {
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
    pub fn new<R: TableRow>(stage: &'s S3Stage, slices: usize) -> Self {
        TableParts {
            stage,
            table: R::TABLE,
            parts: CsvParts::new(slices, part_bytes(slices)),
            uploaded: Vec::new(),
        }
    }

    pub async fn push<R: TableRow>(&mut self, rows: impl IntoIterator<Item = R>) -> Result<()> {
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
    Error::StagingPrefix {
        uri: parts_url(&stage.bucket, &stage.prefix, table),
        reason: format!("cannot compress a part: {err}"),
        source: Some(Box::new(err)),
    }
}
