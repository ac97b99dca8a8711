//! `--dry-run`: a rebuild into Redshift printed instead of run, from the same plan the
//! runner runs (`load::rebuild`). Client mode reads and transforms the sources in full (a
//! bad record fails the dry run as it would the load), and its fill is printed by the
//! printing sink: each table's first INSERT with its first rows and the count of the
//! rest, or its staged parts and COPY. Nothing is sent anywhere.

use super::client::{self, Trees};
use super::manifest::objects_read;
use super::rebuild::{self, private_tables, Builder};
use super::rejects::Rejects;
use super::step::Step;
use super::{open_trees, Loaded};
use crate::check::{self, Scope};
use crate::config::{Fill, LoadConfig, Route};
use crate::db::{DialectSql, TableSet};
use crate::error::{Error, Result};
use crate::sink::printed::{Printed, PrintedSink};
use crate::sink::RowSink;

/// Every statement a rebuild into Redshift sends, in order: (what it does, SQL).
pub async fn dry_run(config: &LoadConfig) -> Result<Vec<(String, String)>> {
    let builder = match &config.route {
        Route::Rebuild(fill) => Builder::Fill(fill),
        Route::RedshiftCopy(sources) => Builder::RedshiftCopy(sources),
        Route::Merge { .. } | Route::Shard(_) => {
            return Err(Error::Config(
                "--dry-run prints a rebuild's plan: leave out --incremental, --full and \
                 --shard"
                    .into(),
            ))
        }
    };
    let sql = DialectSql::of(config.dialect);
    let mut printed = Vec::new();
    let mut filled: Option<Loaded> = None;
    for (step, script) in rebuild::plan(config, builder, sql) {
        match (step, builder) {
            (Step::Fill, Builder::Fill(fill)) => {
                let (loaded, steps) = fill_printed(config, fill, sql).await?;
                printed.extend(steps);
                filled = Some(loaded);
            }
            (Step::RecordObjects, _) => {
                let Some(loaded) = &filled else { continue };
                let objects = objects_read(
                    (&loaded.songs.listed, &loaded.songs),
                    (&loaded.logs.listed, &loaded.logs),
                );
                let sink = PrintedSink::new(Printed::Inserts(sql), private_tables(config));
                client::write_all(sink.table(0), objects).await?;
                printed.extend(sink.into_steps());
            }
            (Step::Checks, _) => {
                // The reconciling counts are known after a client-mode fill; the cluster's
                // COPY counts them only when it runs.
                let Some(file) = config.gate() else { continue };
                let run = filled.as_ref().and_then(|loaded| loaded.run);
                let target = TableSet::plain(config.schema.clone());
                let checks = check::all(sql, &target, Scope::Whole, run, file);
                printed.push((step.label().to_string(), check::printed(&checks)));
            }
            _ => printed.push((step.label().to_string(), script)),
        }
    }
    Ok(printed)
}

/// Client mode's fill through the printing sink: what it read, and its steps.
async fn fill_printed(
    config: &LoadConfig,
    fill: &Fill,
    sql: &'static DialectSql,
) -> Result<(Loaded, Vec<(String, String)>)> {
    let via = match fill {
        Fill::Inserts => Printed::Inserts(sql),
        Fill::S3Copy(copy) => Printed::S3Copy {
            copy,
            run_id: &config.run_id,
        },
        Fill::RawCopy => return Err(Error::Config("--dry-run is for loads into Redshift".into())),
    };
    let (songs, logs) = open_trees(config).await;
    let trees = Trees::all(&songs, &logs);
    let mut rejects = Rejects::new(config.max_errors, None);
    let sink = PrintedSink::new(via, private_tables(config));
    let loaded = client::fill(config, &sink, &trees, &mut rejects).await?;
    Ok((loaded, sink.into_steps()))
}
