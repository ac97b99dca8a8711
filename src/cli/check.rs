//! `sparkify-load check`: the quality checks of a loaded star schema, a line each or JSON;
//! exit 6 when an error-level check fails.

use std::path::PathBuf;
use std::process::ExitCode;

use sparkify_load::check::{self, CheckFile, Scope};
use sparkify_load::db::TableSet;
use sparkify_load::Error;

use super::args::{GlobalArgs, TargetArgs};
use super::exit;
use super::target::warehouse;

pub(super) async fn run(
    args: TargetArgs,
    checks: Option<PathBuf>,
    json: bool,
    global: &GlobalArgs,
) -> anyhow::Result<ExitCode> {
    let file = match &checks {
        Some(path) => CheckFile::read(path)?,
        None => CheckFile::default(),
    };
    let (database, schema) = warehouse(&args, global)?;
    let tables = TableSet::plain(schema.clone());
    let all = check::all(database.sql(), &tables, Scope::Whole, None, &file);
    let (one, two) =
        tokio::try_join!(database.connect(), database.connect()).map_err(Error::Target)?;
    database.require_star_schema(&one, &schema).await?;
    let outcomes = check::run(&database, &[&one, &two], &all)
        .await
        .map_err(Error::Target)?;
    if json {
        let document = serde_json::json!({
            "schema": schema.to_string(),
            "checks": outcomes.checks,
            "errors": outcomes.errors,
            "warnings": outcomes.warnings,
        });
        println!(
            "{}",
            serde_json::to_string_pretty(&document).expect("outcomes always serialize")
        );
    } else {
        for outcome in &outcomes.checks {
            say!("{outcome}");
        }
        say!(
            "{} checks on schema {schema}: {} passed, {} failed (errors), {} warnings",
            outcomes.checks.len(),
            outcomes.checks.iter().filter(|c| c.passed).count(),
            outcomes.errors,
            outcomes.warnings
        );
    }
    Ok(if outcomes.errors > 0 {
        ExitCode::from(exit::CHECKS)
    } else {
        ExitCode::SUCCESS
    })
}
