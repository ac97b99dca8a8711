//! `sparkify-load history`: the last runs recorded in a schema's history table (loads,
//! merges, watch batches), newest first, as a table or JSON.

use std::process::ExitCode;

use sparkify_load::history::{self, HistoryRow};
use sparkify_load::Error;

use super::args::{GlobalArgs, TargetArgs};
use super::target::warehouse;

pub(super) async fn run(
    args: TargetArgs,
    last: u64,
    json: bool,
    global: &GlobalArgs,
) -> anyhow::Result<ExitCode> {
    let (database, schema) = warehouse(&args, global)?;
    let client = database.connect().await.map_err(Error::Target)?;
    let rows = history::last(&database, &client, &schema, last).await?;
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&rows).expect("history rows always serialize")
        );
        return Ok(ExitCode::SUCCESS);
    }
    if rows.is_empty() {
        say!("no run has been recorded in schema {schema} yet");
        return Ok(ExitCode::SUCCESS);
    }
    say!("{}", table(&rows));
    Ok(ExitCode::SUCCESS)
}

/// The rows as a terminal table: one line a run, the error (if any) last.
fn table(rows: &[HistoryRow]) -> comfy_table::Table {
    let mut table = comfy_table::Table::new();
    table.load_preset(comfy_table::presets::NOTHING);
    table.set_header([
        "ended (UTC)",
        "run",
        "route",
        "status",
        "seconds",
        "objects",
        "songplays",
        "users",
        "songs",
        "artists",
        "time",
        "bad",
        "error",
    ]);
    for row in rows {
        let count = |pick: fn(&sparkify_load::report::TableCounts) -> u64| {
            row.tables
                .as_ref()
                .map_or("-".to_string(), |t| pick(t).to_string())
        };
        table.add_row([
            row.ended_at.clone(),
            row.run_id.clone(),
            row.route.clone(),
            row.status.clone(),
            seconds(row).map_or("-".to_string(), |s| format!("{s:.1}")),
            row.objects.map_or("-".to_string(), |n| n.to_string()),
            count(|t| t.songplays),
            count(|t| t.users),
            count(|t| t.songs),
            count(|t| t.artists),
            count(|t| t.time),
            row.bad_records.to_string(),
            row.error.clone().unwrap_or_default(),
        ]);
    }
    table
}

/// How long the run took.
fn seconds(row: &HistoryRow) -> Option<f64> {
    let parse = |text: &str| chrono::DateTime::parse_from_rfc3339(text).ok();
    let (started, ended) = (parse(&row.started_at)?, parse(&row.ended_at)?);
    Some((ended - started).num_milliseconds() as f64 / 1000.0)
}
