//! `sparkify-load report` and `next`: the analytics answers, in the terminal and as files.

use std::path::PathBuf;
use std::process::ExitCode;

use sparkify_load::{analytics, Error};

use super::args::{GlobalArgs, NextOf, TargetArgs};
use super::target::warehouse;
use super::write_file;

/// Every answer as a table, and in `out` the HTML page, the CSV files and the charts.
pub(super) async fn report(
    args: TargetArgs,
    out: PathBuf,
    global: &GlobalArgs,
) -> anyhow::Result<ExitCode> {
    let (database, schema) = warehouse(&args, global)?;
    let report = analytics::report(&database, &schema).await?;
    for answer in &report.answers {
        println!("{answer}");
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
    println!(
        "wrote {}, {} CSV files and {charts} SVG charts to {}",
        out.join("report.html").display(),
        report.answers.len(),
        out.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// What next after a song, or suggestions for a user.
pub(super) async fn next(
    args: TargetArgs,
    of: NextOf,
    global: &GlobalArgs,
) -> anyhow::Result<ExitCode> {
    let (database, schema) = warehouse(&args, global)?;
    let client = database.connect().await?;
    let answer = match (of.song, of.user) {
        (Some(song), _) => {
            let mut answer = analytics::NEXT_AFTER_SONG
                .run(
                    &database,
                    &client,
                    &schema,
                    Some(analytics::Param::Text(&song)),
                )
                .await?;
            answer.title = format!("What next, after song {song}");
            answer
        }
        (None, Some(user)) => {
            let mut answer = analytics::SUGGEST_FOR_USER
                .run(
                    &database,
                    &client,
                    &schema,
                    Some(analytics::Param::Int(user)),
                )
                .await?;
            answer.title = format!("Suggestions for user {user}");
            answer
        }
        (None, None) => {
            return Err(Error::Config("next needs --song or --user".into()).into());
        }
    };
    print!("{answer}");
    Ok(ExitCode::SUCCESS)
}
