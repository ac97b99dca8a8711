//! The commands behind the arguments: each resolves its flags (with `dwh.cfg` and the
//! environment) into the library's settings, runs it, and prints what a user reads.

pub(crate) mod args;
mod bench;
mod check;
mod db;
mod dwh;
mod load;
mod merge;
mod parity;
mod report;
mod target;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use sparkify_fixtures::{generate, FixtureSpec};
use sparkify_load::Error;

use args::{Cli, Command, GlobalArgs};

/// Exit codes, one per kind of failure (README, "Exit codes").
pub(crate) mod exit {
    pub const FAILURE: u8 = 1;
    pub const USAGE: u8 = 2;
    pub const BAD_INPUT: u8 = 3;
    pub const SOURCE: u8 = 4;
    pub const TARGET: u8 = 5;
    pub const CHECKS: u8 = 6;
}

/// Runs the command the arguments name.
pub(crate) fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Runtime::new()
        .map_err(|e| anyhow::anyhow!("cannot start the async runtime: {e}"))?;
    match cli.command {
        None => runtime.block_on(load::run(cli.load, &cli.global)),
        Some(Command::Load { load: args, global }) => runtime.block_on(load::run(args, &global)),
        Some(Command::CreateTables {
            target,
            print,
            global,
        }) => runtime.block_on(target::create_tables(target, print, &global)),
        Some(Command::GenFixtures {
            out,
            songs,
            events,
            seed,
        }) => gen_fixtures(&out, songs, events, seed),
        Some(Command::Db { action, global }) => db::run(action, &home(&global)),
        Some(Command::Report {
            target,
            out,
            global,
        }) => runtime.block_on(report::report(target, out, &global)),
        Some(Command::Check {
            target,
            checks,
            json,
            global,
        }) => runtime.block_on(check::run(target, checks, json, &global)),
        Some(Command::Merge {
            target,
            run_id,
            checks,
            no_checks,
            report,
            discard,
            global,
        }) => runtime.block_on(merge::run(
            target,
            merge::MergeArgs {
                run_id,
                checks,
                no_checks,
                report,
                discard,
            },
            &global,
        )),
        Some(Command::Next { target, of, global }) => {
            runtime.block_on(report::next(target, of, &global))
        }
        Some(Command::Parity { args, global }) => runtime.block_on(parity::run(args, &global)),
        Some(Command::Bench(args)) => runtime.block_on(bench::run(args)),
    }
}

/// The embedded default's home: --home or SPARKIFY_LOAD_HOME, else the default; made
/// absolute, as the server's socket directory and data directory must be.
fn home(global: &GlobalArgs) -> PathBuf {
    let home = global
        .home
        .clone()
        .unwrap_or_else(sparkify_load::embedded::default_home);
    std::path::absolute(&home).unwrap_or(home)
}

/// Writes a file a command produces; the error names it and says why.
fn write_file(path: &Path, text: impl AsRef<[u8]>) -> Result<(), Error> {
    std::fs::write(path, text).map_err(|source| Error::Output {
        path: path.to_path_buf(),
        source,
    })
}

fn gen_fixtures(out: &Path, songs: usize, events: usize, seed: u64) -> anyhow::Result<ExitCode> {
    let summary = generate(
        out,
        &FixtureSpec {
            songs,
            events,
            seed,
        },
    )?;
    println!(
        "wrote {} song objects ({} records) and {} log objects ({} events) to {}, plus {} files to ignore",
        summary.song_objects,
        summary.song_records,
        summary.log_objects,
        summary.events,
        out.display(),
        summary.ignored_files
    );
    Ok(ExitCode::SUCCESS)
}
