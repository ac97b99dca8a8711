//! `sparkify-load merge --run-id ID`: a sharded load's finished shards into the five
//! tables, in one transaction, or with `--discard` dropped unmerged (docs/SCALE.md).

use std::path::PathBuf;
use std::process::ExitCode;

use sparkify_load::report;
use sparkify_load::{MergeConfig, MergeRequest};

use super::args::{GlobalArgs, TargetArgs};
use super::target::resolve;
use super::{write_run_record, Runtime};

/// The merge's own flags.
pub(super) struct MergeArgs {
    pub run_id: String,
    pub checks: Option<PathBuf>,
    pub no_checks: bool,
    pub allow_empty: bool,
    pub report: Option<PathBuf>,
    pub discard: bool,
}

/// Resolves and runs a merge (or a discard); its `--report` is written outside the merge's
/// own future, so that a merge a signal stopped has one too.
pub(super) fn run(
    target: TargetArgs,
    args: MergeArgs,
    global: &GlobalArgs,
    runtime: &Runtime,
) -> anyhow::Result<ExitCode> {
    let resolved = resolve(&target, global)?;
    let config = MergeConfig::resolve(MergeRequest {
        target: resolved.target,
        dialect: resolved.dialect,
        schema: resolved.schema,
        run_id: args.run_id,
        checks: args.checks,
        no_checks: args.no_checks,
        allow_empty: args.allow_empty,
    })?;
    if args.discard {
        let discarded = runtime.block_on(async { Ok(sparkify_load::discard(&config).await?) })?;
        say!("{discarded}");
        return Ok(ExitCode::SUCCESS);
    }
    let started_at = report::now();
    let merged = runtime.block_on(async { Ok(sparkify_load::merge(&config).await?) });
    if let Some(path) = &args.report {
        write_run_record(path, config.run_id(), started_at, &merged)?;
    }
    let report = merged?;
    say!("{report}");
    Ok(ExitCode::SUCCESS)
}
