//! `sparkify-load parity`: two loaded schemas compared table by table; with trees given,
//! first loaded in client mode into one and copy mode into the other.

use std::process::ExitCode;

use sparkify_load::db::Database;
use sparkify_load::parity::{parity, Side};
use sparkify_load::source::SourceUri;
use sparkify_load::{Dialect, Error, LoadRequest, Mode, SchemaName, Secret, Target};

use super::args::{GlobalArgs, ParityArgs};
use super::load::s3_options;
use super::target::url_of;
use super::{exit, home, write_file};

pub(super) async fn run(args: ParityArgs, global: &GlobalArgs) -> anyhow::Result<ExitCode> {
    let url_a = match args.target.clone() {
        Some(url) => Secret::new(url),
        None => url_of(Target::Embedded(home(global)))?,
    };
    let url_b = args
        .target_b
        .clone()
        .map(Secret::new)
        .unwrap_or_else(|| url_a.clone());
    let (schema_a, schema_b): (SchemaName, SchemaName) =
        (args.schema_a.parse()?, args.schema_b.parse()?);
    if let (Some(song_data), Some(log_data)) = (&args.song_data, &args.log_data) {
        let (song_data, log_data): (SourceUri, SourceUri) = (
            song_data.parse().map_err(Error::from)?,
            log_data.parse().map_err(Error::from)?,
        );
        for (mode, url, schema) in [
            (Mode::Client, &url_a, &schema_a),
            (Mode::Copy, &url_b, &schema_b),
        ] {
            let mut request = LoadRequest::new(
                song_data.clone(),
                log_data.clone(),
                Target::Url(url.clone()),
            );
            request.mode = mode;
            request.schema = schema.clone();
            request.max_errors = args.max_errors;
            request.s3 = s3_options(&args.s3);
            let report = sparkify_load::load(&request.resolve()?).await?;
            say!("{report}\n");
        }
    }
    let (a, b) = (
        Database::new(&url_a, Dialect::Postgres)?,
        Database::new(&url_b, Dialect::Postgres)?,
    );
    let side = |database, schema| Side { database, schema };
    let comparison = parity(&side(&a, &schema_a), &side(&b, &schema_b)).await?;
    say!("{comparison}");
    if let Some(path) = &args.report {
        let json =
            serde_json::to_string_pretty(&comparison).expect("a comparison always serializes");
        write_file(path, json)?;
    }
    Ok(if comparison.is_equal() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(exit::FAILURE)
    })
}
