//! The `sparkify-load` command: parses arguments, hands them to the command that resolves
//! and runs them (`cli/`), and maps errors to exit codes and sentences on standard error.

mod cli;

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use clap::Parser;
use sparkify_load::error::Error;

use cli::args::{Cli, Command};
use cli::exit;

// Records are many small strings; mimalloc allocates and frees them about twice as fast as
// glibc's malloc (docs/BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    // Like other Unix filters, end quietly when the reader of stdout goes away (`| head`).
    // SAFETY: called first thing, before any other thread exists; SIG_DFL installs no
    // handler of ours.
    unsafe {
        let _ = nix::sys::signal::signal(
            nix::sys::signal::Signal::SIGPIPE,
            nix::sys::signal::SigHandler::SigDfl,
        );
    }
    let cli = Cli::parse();
    let verbose = match &cli.command {
        Some(
            Command::Load { global, .. }
            | Command::CreateTables { global, .. }
            | Command::Parity { global, .. }
            | Command::Report { global, .. }
            | Command::Merge { global, .. }
            | Command::Check { global, .. }
            | Command::Next { global, .. }
            | Command::Db { global, .. },
        ) => global.verbose,
        _ => cli.global.verbose,
    };
    init_logging(verbose);
    match cli::run(cli) {
        Ok(code) => code,
        Err(err) => {
            report_error(&err, verbose);
            ExitCode::from(exit_code(&err))
        }
    }
}

/// Log lines on standard error: this crate's at WARN (INFO with -v, DEBUG with -vv), other
/// crates' one level quieter, so their warnings do not drown ours; no colour unless
/// standard error is a terminal; written past the progress bars without tearing them.
fn init_logging(verbose: u8) {
    let default = match verbose {
        0 => "error,sparkify_load=warn",
        1 => "warn,sparkify_load=info",
        _ => "info,sparkify_load=debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("SPARKIFY_LOAD_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(|| LogLine(Vec::new()))
        .init();
}

/// One log line, written when it is complete, with the progress bars set aside.
struct LogLine(Vec<u8>);

impl Write for LogLine {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for LogLine {
    fn drop(&mut self) {
        sparkify_load::suspend_progress_bars(|| {
            let _ = std::io::stderr().write_all(&self.0);
        });
    }
}

/// `error: …` and, at -v, every cause beneath it. The library's errors are sentences that
/// stand alone; a command's own context (`cannot read …`) is shown with its cause.
fn report_error(err: &anyhow::Error, verbose: u8) {
    if err.downcast_ref::<Error>().is_some() || verbose > 0 {
        eprintln!("error: {err}");
    } else {
        eprintln!("error: {err:#}");
    }
    if verbose == 0 {
        return;
    }
    for cause in err.chain().skip(1) {
        eprintln!("  caused by: {cause}");
    }
}

fn exit_code(err: &anyhow::Error) -> u8 {
    match err.downcast_ref::<Error>() {
        Some(Error::Config(_) | Error::Manifest(_) | Error::Refused(_)) => exit::USAGE,
        Some(Error::BadInput { .. }) => exit::BAD_INPUT,
        Some(Error::Source(_)) => exit::SOURCE,
        Some(Error::Target(_) | Error::Embedded(_) | Error::Staging { .. }) => exit::TARGET,
        Some(Error::Check(_)) => exit::CHECKS,
        Some(Error::Interrupted { signal }) => exit::interrupted(signal),
        _ => exit::FAILURE,
    }
}
