//! The commands behind the arguments: each resolves its flags (with `dwh.cfg` and the
//! environment) into the library's settings, runs it, and prints what a user reads.

/// `println!` for what a person reads (summaries, hints, tables): nothing under `-q`.
/// What a command exists to print for scripts (a URL, `--json`, `--print`) uses
/// `println!` itself.
macro_rules! say {
    ($($arg:tt)*) => {
        if !$crate::cli::quiet() {
            println!($($arg)*);
        }
    };
}

mod answers;
pub(crate) mod args;
mod check;
mod db;
mod dwh;
mod history;
pub(crate) mod hoist;
mod load;
mod merge;
mod parity;
mod target;
mod watch;

use std::future::Future;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use sparkify_fixtures::{generate, FixtureSpec};
use sparkify_load::db::cancel::interrupted_by;
use sparkify_load::report::{Report, RunRecord};
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

    /// A command stopped by a signal exits as shells report one: 128 + its number.
    pub fn interrupted(signal: &str) -> u8 {
        match signal {
            "SIGTERM" => 143,
            _ => 130,
        }
    }
}

static QUIET: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Whether `-q` asked for nothing but errors.
pub(crate) fn quiet() -> bool {
    QUIET.load(std::sync::atomic::Ordering::Relaxed)
}

/// Runs the command the arguments name; SIGINT or SIGTERM stops it cleanly
/// ([`interruptible`]). Longer than 60 lines by design: one arm per subcommand, each only
/// handing its arguments on.
pub(crate) fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    QUIET.store(cli.global().quiet, std::sync::atomic::Ordering::Relaxed);
    let runtime = Runtime(
        tokio::runtime::Runtime::new()
            .map_err(|e| anyhow::anyhow!("cannot start the async runtime: {e}"))?,
    );
    match cli.command {
        None => load::run(cli.load, &cli.global, &runtime),
        Some(Command::Load { load: args, global }) => load::run(args, &global, &runtime),
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
            force,
        }) => gen_fixtures(&out, (songs, events, seed), force),
        Some(Command::Db { action, global }) => {
            let home = home(&global);
            db::run(action, &home, &target::Reach::of_home(&home).home())
        }
        Some(Command::Report {
            target,
            out,
            json,
            global,
        }) => runtime.block_on(answers::report(target, out, json, &global)),
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
            allow_empty,
            report,
            discard,
            global,
        }) => merge::run(
            target,
            merge::MergeArgs {
                run_id,
                checks,
                no_checks,
                allow_empty,
                report,
                discard,
            },
            &global,
            &runtime,
        ),
        Some(Command::Next {
            target,
            of,
            json,
            global,
        }) => runtime.block_on(answers::next(target, of, json, &global)),
        Some(Command::Parity { args, global }) => runtime.block_on(parity::run(args, &global)),
        Some(Command::Watch {
            watch: args,
            global,
        }) => watch::run(args, &global, &runtime),
        Some(Command::History {
            target,
            last,
            json,
            global,
        }) => runtime.block_on(history::run(target, last, json, &global)),
    }
}

/// The async runtime, whose `block_on` runs a command [`interruptible`].
pub(crate) struct Runtime(tokio::runtime::Runtime);

impl Runtime {
    fn block_on<T>(&self, command: impl Future<Output = anyhow::Result<T>>) -> anyhow::Result<T> {
        self.0.block_on(interruptible(command))
    }
}

/// How long a command stopped by a signal may take to roll back and drop its private
/// tables, once its statements are cancelled; then it is dropped, and its connections
/// with it (the server rolls back what they held; the next load drops what is left).
const WIND_DOWN: Duration = Duration::from_secs(4);

/// Runs `command` until it ends, or until SIGINT or SIGTERM: then every statement the
/// process has in flight on a server is cancelled (again every quarter second, for any
/// the command sends while it winds down), the command's own failure path rolls back and
/// drops its private tables, and the command ends with [`Error::Interrupted`] (exit 130
/// or 143). A command that finishes despite the signal (its commit was already on its
/// way) gives its own result.
async fn interruptible<T>(command: impl Future<Output = anyhow::Result<T>>) -> anyhow::Result<T> {
    use tokio::signal::unix::{signal, SignalKind};
    let listen = |kind| signal(kind).map_err(|e| anyhow::anyhow!("cannot listen for signals: {e}"));
    let (mut sigint, mut sigterm) = (
        listen(SignalKind::interrupt())?,
        listen(SignalKind::terminate())?,
    );
    tokio::pin!(command);
    let signal = tokio::select! {
        done = &mut command => return done,
        _ = sigint.recv() => "SIGINT",
        _ = sigterm.recv() => "SIGTERM",
    };
    let deadline = tokio::time::Instant::now() + WIND_DOWN;
    loop {
        sparkify_load::db::cancel::cancel_all(signal).await;
        tokio::select! {
            done = &mut command => {
                return match done {
                    Ok(value) => Ok(value),
                    Err(_) => Err(Error::Interrupted { signal }.into()),
                };
            }
            _ = tokio::time::sleep(Duration::from_millis(250)) => {}
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(Error::Interrupted { signal }.into());
        }
    }
}

/// The embedded default's home: --home or SPARKIFY_LOAD_HOME, else the default; made
/// absolute, as the server's socket directory and data directory must be.
fn home(global: &GlobalArgs) -> PathBuf {
    global.home.clone().map_or_else(default_home, absolute)
}

/// The default home, made absolute as [`home`] makes every home.
fn default_home() -> PathBuf {
    absolute(sparkify_load::embedded::default_home())
}

fn absolute(path: PathBuf) -> PathBuf {
    std::path::absolute(&path).unwrap_or(path)
}

/// Writes a file a command produces; the error names it and says why.
fn write_file(path: &Path, text: impl AsRef<[u8]>) -> Result<(), Error> {
    std::fs::write(path, text).map_err(|source| Error::Output {
        path: path.to_path_buf(),
        source,
    })
}

/// Writes `--report FILE` for a load or merge that ended, loaded or failed (a failure
/// after a signal, or a command the signal's wind-down gave up on, is named as the
/// interruption it is).
fn write_run_record(
    path: &Path,
    run_id: &str,
    started_at: String,
    ended: &anyhow::Result<Report>,
) -> Result<(), Error> {
    let outcome = match ended {
        Ok(report) => Ok(report),
        Err(err) => Err(match interrupted_by() {
            Some(signal) => Error::Interrupted { signal }.to_string(),
            None => err.to_string(),
        }),
    };
    write_file(path, RunRecord::new(run_id, started_at, outcome).to_json())
}

/// The trees `gen-fixtures` writes into OUT, which `--force` replaces.
const FIXTURE_TREES: [&str; 2] = ["song_data", "log_data"];

/// Refuses an OUT that is not empty, unless `force` and it holds only a generated set.
fn refuse_used_directory(out: &Path, force: bool) -> Result<(), Error> {
    let mut held: Vec<String> = match std::fs::read_dir(out) {
        Ok(entries) => entries
            .map(|entry| entry.map(|e| e.file_name().to_string_lossy().into_owned()))
            .collect::<Result<_, _>>()
            .map_err(|source| Error::Output {
                path: out.to_path_buf(),
                source,
            })?,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(source) => {
            return Err(Error::Output {
                path: out.to_path_buf(),
                source,
            })
        }
    };
    held.sort();
    let others: Vec<&str> = held
        .iter()
        .map(String::as_str)
        .filter(|name| !FIXTURE_TREES.contains(name))
        .collect();
    let named = |names: &[&str]| names.iter().take(5).copied().collect::<Vec<_>>().join(", ");
    let all: Vec<&str> = held.iter().map(String::as_str).collect();
    let out = out.display();
    match (held.is_empty(), force, others.is_empty()) {
        (true, ..) | (false, true, true) => Ok(()),
        (false, false, _) => Err(Error::Refused(format!(
            "{out} is not empty ({}); writing into it would mix two sets: choose an empty or \
             new directory, or give --force to replace the set there whole",
            named(&all)
        ))),
        (false, true, false) => Err(Error::Refused(format!(
            "{out} holds more than a generated set ({}); --force replaces only song_data/ and \
             log_data/: choose an empty or new directory",
            named(&others)
        ))),
    }
}

/// Writes a generated set into `out`: refused when `out` holds anything, unless `force`,
/// which replaces a set written earlier whole (and still refuses a directory that holds
/// anything else: a mistyped OUT must not cost a home directory).
fn gen_fixtures(
    out: &Path,
    (songs, events, seed): (usize, usize, u64),
    force: bool,
) -> anyhow::Result<ExitCode> {
    refuse_used_directory(out, force)?;
    for tree in FIXTURE_TREES {
        let path = out.join(tree);
        if path.exists() {
            std::fs::remove_dir_all(&path).map_err(|source| Error::Output {
                path: path.clone(),
                source,
            })?;
        }
    }
    let summary = generate(
        out,
        &FixtureSpec {
            songs,
            events,
            seed,
        },
    )?;
    say!(
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
