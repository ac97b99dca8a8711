//! Client mode into Redshift, printed instead of run: the sources are read and transformed
//! in full (a bad record fails the dry run as it would the load), then every statement
//! the load would send is given in order, each INSERT with its first rows and the count
//! of the rest. Nothing is sent anywhere. (At run time a load also looks for, and drops,
//! the tables of loads killed over a day ago; that depends on the cluster, so it is not
//! printed.)

use tokio::sync::mpsc;

use super::client::{read_events, read_songs};
use super::manifest::{fingerprinted, object_rows, TreeObjects};
use super::move_in;
use super::progress::Progress;
use super::rejects::Rejects;
use super::s3_copy::copy_statement;
use super::step::Step;
use crate::check::{self, RunCounts, Scope};
use crate::config::{LoadConfig, S3Copy};
use crate::cpu::on_rayon;
use crate::db::literal::Literals;
use crate::db::merge::MergeSql;
use crate::db::TableSet;
use crate::db::{self, DialectSql};
use crate::error::Result;
use crate::model::{ObjectRow, TimeRow};
use crate::sink::insert::{InsertRow, LiteralStatements, DEFAULT_ROWS_PER_STATEMENT};
use crate::sink::s3_copy::{manifest_url, parts_url, run_prefix};
use crate::sink::staging::{self, Contents};
use crate::transform::NewRows;

/// Rows of each table shown in full; the rest are counted.
const ROWS_SHOWN: usize = 3;

/// Every statement a client-mode load into Redshift sends, in order: (what it does, SQL).
pub async fn client_dry_run(config: &LoadConfig) -> Result<Vec<(String, String)>> {
    let request = &config.request;
    let (songs_source, logs_source) = super::open_trees(request).await;
    let progress = Progress::new(request.progress);
    let mut rejects = Rejects::new(request.max_errors);
    let (catalog, songs) = read_songs(
        request,
        &songs_source,
        &TreeObjects::All,
        &progress,
        &mut rejects,
    )
    .await?;

    let (new_rows_tx, mut new_rows_rx) = mpsc::channel::<NewRows>(16);
    let collect = async {
        let (mut songplays, mut times) = (Vec::new(), Vec::new());
        while let Some(mut batch) = new_rows_rx.recv().await {
            songplays.append(&mut batch.songplays);
            times.append(&mut batch.times);
        }
        // The plan lists time in order, whichever object saw a time first.
        times.sort_unstable();
        (songplays, times)
    };
    let read = read_events(
        request,
        &logs_source,
        &TreeObjects::All,
        &catalog,
        &progress,
        &mut rejects,
        new_rows_tx,
    );
    let (read, (songplays, times)) = tokio::join!(read, collect);
    let (fold, logs) = read?;
    let users = on_rayon(move || fold.finish()).await?;
    let time: Vec<TimeRow> = times.iter().map(|&t| TimeRow::at(t)).collect();

    let sql = DialectSql::of(request.dialect);
    let target = &request.schema;
    let tables = TableSet {
        schema: target.clone(),
        prefix: db::run_prefix(&config.run_id),
    };
    let literals = Literals::REDSHIFT;
    let mut plan: Vec<(String, String)> = staging::creation(sql, &tables, Contents::StarSchema)
        .into_iter()
        .map(|(step, script)| (step.to_string(), script))
        .collect();
    match &config.s3_copy {
        Some(copy) => {
            plan.push(copies(copy, config, &tables, &catalog.songs));
            plan.push(copies(copy, config, &tables, &catalog.artists));
            plan.push(copies(copy, config, &tables, &songplays));
            plan.push(copies(copy, config, &tables, &users));
            plan.push(copies(copy, config, &tables, &time));
        }
        None => {
            plan.push(inserts(sql, &tables, &catalog.songs, literals));
            plan.push(inserts(sql, &tables, &catalog.artists, literals));
            plan.push(inserts(sql, &tables, &songplays, literals));
            plan.push(inserts(sql, &tables, &users, literals));
            plan.push(inserts(sql, &tables, &time, literals));
        }
    }
    let song_objects = fingerprinted(&songs.listed, &songs);
    let log_objects = fingerprinted(&logs.listed, &logs);
    let objects: Vec<ObjectRow> = object_rows("song", &song_objects)
        .chain(object_rows("log", &log_objects))
        .collect();
    plan.push(inserts(sql, &tables, &objects, literals));
    let gate = config.gate().map(|file| {
        let run = RunCounts {
            plays: songplays.len() as u64,
            users: users.len() as u64,
        };
        let target = TableSet::plain(target.clone());
        let checks = check::all(sql, &target, Scope::Whole, Some(run), file);
        (Step::Checks, check::printed(&checks))
    });
    let merge = MergeSql::new(sql, target, &tables, &config.run_id);
    plan.extend(
        move_in::printed(&merge, true, gate)
            .into_iter()
            .map(|(step, script)| (step.to_string(), script)),
    );
    plan.push((
        "drop the new tables".to_string(),
        staging::cleanup(sql, &tables),
    ));
    Ok(plan)
}

/// `--sink s3-copy`: a table's rows staged as gzip CSV parts, then its COPY.
fn copies<R: InsertRow>(
    copy: &S3Copy,
    config: &LoadConfig,
    tables: &TableSet,
    rows: &[R],
) -> (String, String) {
    let prefix = run_prefix(&copy.prefix, &config.run_id);
    let manifest = manifest_url(&copy.bucket, &prefix, R::TABLE);
    let step = format!(
        "stage {}: {} rows as gzip CSV parts under {} (a multiple of the cluster's slices), \
         listed in {manifest}; then COPY them",
        R::TABLE,
        rows.len(),
        parts_url(&copy.bucket, &prefix, R::TABLE)
    );
    (
        step,
        copy_statement(copy, tables, R::TABLE, R::COLUMNS, &manifest),
    )
}

/// The first INSERT of a table with its first rows; the step says how many more follow.
fn inserts<R: InsertRow>(
    sql: &DialectSql,
    tables: &TableSet,
    rows: &[R],
    literals: Literals,
) -> (String, String) {
    let statements = LiteralStatements::new(
        sql.insert,
        tables,
        rows,
        literals,
        DEFAULT_ROWS_PER_STATEMENT,
    )
    .count();
    let shown = &rows[..rows.len().min(ROWS_SHOWN)];
    let first = LiteralStatements::new(sql.insert, tables, shown, literals, ROWS_SHOWN)
        .next()
        .unwrap_or_else(|| format!("-- no rows for {}", R::TABLE));
    let step = format!(
        "insert into {}: {} rows in {statements} statements; the first {} shown, the rest elided",
        R::TABLE,
        rows.len(),
        shown.len()
    );
    (step, first)
}
