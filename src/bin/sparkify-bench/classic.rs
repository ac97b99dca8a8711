//! The classic route, the bench's anchor: what a user would otherwise run on PostgreSQL.
//! Every raw JSON record is COPY'd (text format) into a jsonb staging table, then the
//! star-schema rules run as INSERT … SELECT (`sql/postgres/bench/classic_transform.sql`),
//! into tables made with their keys, as the classic pipeline's create_tables step does.

use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result};
use bytes::Bytes;
use futures::SinkExt;
use sparkify_load::db::{render, Database, DialectSql};
use sparkify_load::parse::{decode_object, RawJson};
use sparkify_load::{Dialect, SchemaName};
use tokio_postgres::Client;

use crate::bench_sql;
use crate::cpu::CpuClock;
use crate::measure::{json_files, Measured};

/// Bytes buffered before a COPY chunk is sent.
const CHUNK_BYTES: usize = 1 << 20;

pub(crate) async fn classic(client: &Client, database: &Database, data: &Path) -> Result<Measured> {
    let schema: SchemaName = "bench_classic".parse()?;
    let sql = DialectSql::of(Dialect::Postgres);
    let prepare = render(bench_sql::FRESH_SCHEMA, &[("schema", &schema.quoted())])
        + &sql.star_schema_script(&schema)
        + &render(bench_sql::CLASSIC_PREPARE, &[("schema", &schema.quoted())]);
    client
        .batch_execute(&prepare)
        .await
        .map_err(|e| database.error("prepare the classic route", e))?;
    let started = Instant::now();
    let cpu = CpuClock::own();
    for (table, tree) in [
        ("staging_songs", "song_data"),
        ("staging_events", "log_data"),
    ] {
        copy_tree(client, database, &schema, table, &data.join(tree)).await?;
    }
    let transform = render(
        bench_sql::CLASSIC_TRANSFORM,
        &[("schema", &schema.quoted())],
    );
    client
        .batch_execute(&transform)
        .await
        .map_err(|e| database.error("the classic route's INSERT … SELECT", e))?;
    let (classic, loaded) = (
        database.count_rows(client, &schema).await?,
        database
            .count_rows(client, &"bench_client".parse()?)
            .await?,
    );
    if classic != loaded {
        anyhow::bail!(
            "the classic route's tables ({classic:?}) differ from client mode's ({loaded:?})"
        );
    }
    Ok(Measured {
        name: "classic route (COPY to jsonb, INSERT … SELECT, no checks)",
        seconds: started.elapsed().as_secs_f64(),
        extrapolated: false,
        peak_rss_mib: None,
        cpu_seconds: Some(cpu.seconds()),
    })
}

/// Every record of a tree, one line of COPY text each.
async fn copy_tree(
    client: &Client,
    database: &Database,
    schema: &SchemaName,
    table: &str,
    tree: &Path,
) -> Result<()> {
    let copy = render(
        bench_sql::CLASSIC_COPY,
        &[("schema", &schema.quoted()), ("table", table)],
    );
    let step = "the classic route's COPY";
    let sink = client
        .copy_in::<_, Bytes>(copy.trim_end())
        .await
        .map_err(|e| database.error(step, e))?;
    futures::pin_mut!(sink);
    let mut buffer = String::with_capacity(CHUNK_BYTES);
    for path in json_files(tree) {
        let bytes =
            std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
        for (_, RawJson(record)) in decode_object::<RawJson>("", &bytes).records {
            copy_text_line(&mut buffer, &record);
            if buffer.len() >= CHUNK_BYTES {
                let chunk = Bytes::from(std::mem::take(&mut buffer));
                sink.send(chunk)
                    .await
                    .map_err(|e| database.error(step, e))?;
            }
        }
    }
    sink.send(Bytes::from(buffer))
        .await
        .map_err(|e| database.error(step, e))?;
    sink.finish().await.map_err(|e| database.error(step, e))?;
    Ok(())
}

/// A value as one line of COPY's text format: backslash, newline, carriage return and tab
/// escaped.
fn copy_text_line(out: &mut String, value: &str) {
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            _ => out.push(c),
        }
    }
    out.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_text_escapes_what_copy_reads_specially() {
        let mut out = String::new();
        copy_text_line(&mut out, "{\"a\": \"x\\\"y\",\n\t\"b\": 1}\r");
        assert_eq!(out, "{\"a\": \"x\\\\\"y\",\\n\\t\"b\": 1}\\r\n");
    }
}
