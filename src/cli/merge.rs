//! `sparkify-load merge --run-id ID`: a sharded load's finished shards into the five
//! tables, in one transaction, or with `--discard` dropped unmerged (docs/SCALE.md).

use std::path::PathBuf;
use std::process::ExitCode;

use sparkify_load::{MergeConfig, MergeRequest};

use super::args::{GlobalArgs, TargetArgs};
use super::target::resolve;
use super::write_file;

/// The merge's own flags.
pub(super) struct MergeArgs {
    pub run_id: String,
    pub checks: Option<PathBuf>,
    pub no_checks: bool,
    pub report: Option<PathBuf>,
    pub discard: bool,
}

pub(super) async fn run(
    target: TargetArgs,
    args: MergeArgs,
    global: &GlobalArgs,
) -> anyhow::Result<ExitCode> {
    let resolved = resolve(&target, global)?;
    let config = MergeConfig::resolve(MergeRequest {
        target: resolved.target,
        dialect: resolved.dialect,
        schema: resolved.schema,
        run_id: args.run_id,
        checks: args.checks,
        no_checks: args.no_checks,
    })?;
    if args.discard {
        println!("{}", sparkify_load::discard(&config).await?);
        return Ok(ExitCode::SUCCESS);
    }
    let report = sparkify_load::merge(&config).await?;
    println!("{report}");
    if let Some(path) = &args.report {
        write_file(path, report.to_json())?;
    }
    Ok(ExitCode::SUCCESS)
}
