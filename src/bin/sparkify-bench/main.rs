//! `sparkify-bench`: the end-to-end benchmark, a program apart from the loader it times. It
//! runs `sparkify-load` (the one beside it, as `cargo build` puts them) as a child for each
//! route it measures, and times the routes a user would otherwise run itself.

mod bench_sql;
mod classic;
mod cpu;
mod markdown;
mod measure;
mod routes;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Parser;

use measure::{measure, BenchSpec};

/// Time client mode, copy mode, the classic route, a row-by-row baseline and the COPY BINARY
/// sink limit in one run on one generated data set and one private PostgreSQL.
#[derive(Parser)]
#[command(name = "sparkify-bench", version)]
struct BenchArgs {
    /// Song records of the generated data set.
    #[arg(long, default_value_t = 100_000)]
    songs: usize,
    /// Log events of the generated data set.
    #[arg(long, default_value_t = 1_000_000)]
    events: usize,
    /// The data set's random seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Events the row-by-row baseline runs before extrapolating.
    #[arg(long, default_value_t = 5_000)]
    baseline_events: usize,
    /// Where the data and the server go [default: /dev/shm, else the temp directory].
    #[arg(long, value_name = "DIR")]
    work_dir: Option<PathBuf>,
    /// Measure client mode alone (peak RSS at scale).
    #[arg(long)]
    client_only: bool,
    /// Rounds of client mode, the sink limit and the classic route, taken in turn; each
    /// route's figure is its median (the machines are noisy).
    #[arg(long, default_value_t = 3)]
    rounds: usize,
    /// Also load in client mode with each INSERT form (arrays, bind), 1, 2 and 4
    /// connections, and 1 or 4 statements in flight, and print that matrix.
    #[arg(long)]
    insert_matrix: bool,
    /// The sparkify-load program to time [default: the one beside this program, as cargo
    /// builds them].
    #[arg(long, value_name = "PATH")]
    loader: Option<PathBuf>,
    /// Append the results to this Markdown file.
    #[arg(long, value_name = "PATH")]
    doc: Option<PathBuf>,
}

fn main() -> ExitCode {
    let args = BenchArgs::parse();
    let ran = tokio::runtime::Runtime::new()
        .context("cannot start the async runtime")
        .and_then(|runtime| runtime.block_on(run(args)));
    match ran {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

/// Measures, prints the Markdown, and appends it to --doc.
async fn run(args: BenchArgs) -> Result<()> {
    let work_dir = args.work_dir.unwrap_or_else(|| {
        let shm = PathBuf::from("/dev/shm");
        if shm.is_dir() {
            shm
        } else {
            std::env::temp_dir()
        }
    });
    let loader = match args.loader {
        Some(loader) => loader,
        None => std::env::current_exe()
            .context("cannot find this program")?
            .with_file_name("sparkify-load"),
    };
    anyhow::ensure!(
        loader.is_file(),
        "no sparkify-load at {}: build it (cargo build --release) or give --loader",
        loader.display()
    );
    let spec = BenchSpec {
        songs: args.songs,
        events: args.events,
        seed: args.seed,
        baseline_events: args.baseline_events,
        work_dir,
        client_only: args.client_only,
        insert_matrix: args.insert_matrix,
        rounds: args.rounds.max(1),
        loader,
    };
    let report = measure(&spec).await?;
    let markdown = report.markdown();
    println!("{markdown}");
    if let Some(path) = args.doc {
        let mut text = std::fs::read_to_string(&path).unwrap_or_default();
        text.push_str(&format!(
            "\n### `sparkify-bench --songs {} --events {}`\n\n{markdown}",
            spec.songs, spec.events
        ));
        std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use sparkify_load::db::render;

    use crate::bench_sql::*;

    fn name(n: &'static str) -> (&'static str, &'static str) {
        (n, "x")
    }

    /// Every template renders with the names its callers give it.
    #[test]
    fn every_bench_template_renders_with_its_names() {
        for template in [COPY_OUT, COPY_IN] {
            render(template, &[name("schema"), name("table"), name("columns")]);
        }
        for template in [
            INSERT_SONG,
            INSERT_ARTIST,
            FIND_SONG,
            INSERT_SONGPLAY,
            INSERT_USER,
            INSERT_TIME,
            TRUNCATE,
            CLASSIC_PREPARE,
            CLASSIC_TRANSFORM,
        ] {
            render(template, &[name("schema"), name("new")]);
        }
        render(CLASSIC_COPY, &[name("schema"), name("table")]);
        render(FRESH_SCHEMA, &[name("schema")]);
    }
}
