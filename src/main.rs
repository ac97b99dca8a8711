//! The `sparkify-load` command: parses arguments, hands them to the command that resolves
//! and runs them (`cli/`), and maps errors to exit codes and sentences on standard error.

mod cli;

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use clap::Parser;
use sparkify_load::error::Error;

use cli::args::Cli;
use cli::exit;
use cli::hoist::hoist_global_options;

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
    let cli = Cli::parse_from(hoist_global_options(std::env::args_os().collect()));
    let (verbose, quiet) = (cli.global().verbose, cli.global().quiet);
    init_logging(verbose, quiet);
    match cli::run(cli) {
        Ok(code) => code,
        Err(err) => {
            report_error(&err, verbose);
            ExitCode::from(exit_code(&err))
        }
    }
}

/// Log lines on standard error. By default only this crate's warnings, each a plain
/// sentence (`warning: …`); `-q` leaves errors alone. `-v` shows log lines (time, level,
/// module) of this crate at INFO and others' at WARN, `-vv` DEBUG and INFO. No colour
/// unless standard error is a terminal; written past the progress bars without tearing them.
fn init_logging(verbose: u8, quiet: bool) {
    let default = match (verbose, quiet) {
        (_, true) => "error",
        (0, _) => "error,sparkify_load=warn",
        (1, _) => "warn,sparkify_load=info",
        _ => "info,sparkify_load=debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("SPARKIFY_LOAD_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(|| LogLine(Vec::new()));
    if verbose == 0 {
        builder.event_format(Sentence).init();
    } else {
        builder.init();
    }
}

/// A log event as a sentence: `warning: the message`, and its fields, if any, after it.
struct Sentence;

impl<S, N> tracing_subscriber::fmt::FormatEvent<S, N> for Sentence
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
    N: for<'a> tracing_subscriber::fmt::FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        context: &tracing_subscriber::fmt::FmtContext<'_, S, N>,
        mut writer: tracing_subscriber::fmt::format::Writer<'_>,
        event: &tracing::Event<'_>,
    ) -> std::fmt::Result {
        let level = match *event.metadata().level() {
            tracing::Level::ERROR => "error",
            tracing::Level::WARN => "warning",
            tracing::Level::INFO => "info",
            _ => "debug",
        };
        write!(writer, "{level}: ")?;
        context
            .field_format()
            .format_fields(writer.by_ref(), event)?;
        writeln!(writer)
    }
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
    let mut shown = err.to_string();
    for cause in err.chain().skip(1) {
        let text = cause.to_string();
        // A cause already said above, or a library's value dump (`Error { code: … }`),
        // adds nothing a reader can use.
        if shown.contains(&text) || is_value_dump(&text) {
            continue;
        }
        eprintln!("  caused by: {text}");
        shown = text;
    }
}

/// Whether a message is a `Debug`-style dump of a value (`Error { code: "…", … }`,
/// `Os { code: 2, … }`, `Schema(SchemaName("x"))`) rather than a sentence.
fn is_value_dump(text: &str) -> bool {
    let name_end = text
        .find(|c: char| !c.is_ascii_alphanumeric() && c != '_')
        .unwrap_or(text.len());
    let rest = &text[name_end..];
    name_end > 0
        && text.starts_with(|c: char| c.is_ascii_uppercase())
        && (rest.starts_with(" { ") || rest.starts_with('('))
}

fn exit_code(err: &anyhow::Error) -> u8 {
    match err.downcast_ref::<Error>() {
        Some(
            Error::Config(_) | Error::Manifest(_) | Error::Refused(_) | Error::NotLoaded { .. },
        ) => exit::USAGE,
        Some(Error::BadInput { .. }) => exit::BAD_INPUT,
        Some(Error::Source(_)) => exit::SOURCE,
        Some(
            Error::Target(_)
            | Error::Embedded(_)
            | Error::StagingPrefix { .. }
            | Error::CopyCount { .. },
        ) => exit::TARGET,
        Some(Error::Check(_)) => exit::CHECKS,
        Some(Error::Interrupted { signal }) => exit::interrupted(signal),
        _ => exit::FAILURE,
    }
}

#[cfg(test)]
mod tests {
    use super::is_value_dump;

    #[test]
    fn value_dumps_are_told_from_sentences() {
        for dump in [
            r#"Error { code: "NoSuchBucket", message: "gone" }"#,
            "Os { code: 2, kind: NotFound }",
            r#"Schema(SchemaName("x"))"#,
        ] {
            assert!(is_value_dump(dump), "{dump}");
        }
        for sentence in [
            "ERROR: relation \"x\" does not exist",
            "Connection refused (os error 111)",
            "error connecting to server",
            "dns error",
        ] {
            assert!(!is_value_dump(sentence), "{sentence}");
        }
    }
}
