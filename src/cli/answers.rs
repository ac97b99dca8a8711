//! `sparkify-load report` and `next`: the analytics answers, in the terminal and as files.

use std::path::PathBuf;
use std::process::ExitCode;

use sparkify_load::{analytics, Error};

use super::args::{GlobalArgs, NextOf, TargetArgs};
use super::target::warehouse;
use super::{quiet, write_file};

/// Every answer as a table (or, with `--json`, as one JSON document), and in `out` the
/// HTML page, the CSV files and the charts.
pub(super) async fn report(
    args: TargetArgs,
    out: PathBuf,
    json: bool,
    global: &GlobalArgs,
) -> anyhow::Result<ExitCode> {
    let (database, schema) = warehouse(&args, global)?;
    let report = analytics::report(&database, &schema).await?;
    if json {
        println!("{:#}", report.to_json());
    } else {
        for answer in &report.answers {
            say!("{answer}");
        }
    }
    std::fs::create_dir_all(&out).map_err(|source| Error::Output {
        path: out.clone(),
        source,
    })?;
    let mut charts = 0;
    for answer in &report.answers {
        write_file(
            &out.join(format!("{}.csv", answer.query.name)),
            answer.to_csv(),
        )?;
        if let Some(svg) = analytics::chart::of_answer(answer) {
            write_file(&out.join(format!("{}.svg", answer.query.name)), svg)?;
            charts += 1;
        }
    }
    write_file(&out.join("report.html"), analytics::html::page(&report))?;
    if !json {
        say!(
            "wrote {}, {} CSV files and {charts} SVG charts to {}",
            out.join("report.html").display(),
            report.answers.len(),
            out.display()
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// What next after a song, or suggestions for a user, as a table or (`--json`) JSON.
pub(super) async fn next(
    args: TargetArgs,
    of: NextOf,
    json: bool,
    global: &GlobalArgs,
) -> anyhow::Result<ExitCode> {
    let (database, schema) = warehouse(&args, global)?;
    let asked = match (&of.song, of.user) {
        (Some(song), _) => analytics::NextOf::Song(song),
        (None, Some(user)) => analytics::NextOf::User(user),
        (None, None) => unreachable!("clap requires --song or --user"),
    };
    let answer = analytics::next(&database, &schema, asked).await?;
    if json {
        println!("{:#}", answer.to_json());
    } else if !quiet() {
        print!("{answer}");
    }
    Ok(ExitCode::SUCCESS)
}
