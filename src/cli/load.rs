//! `sparkify-load [load]`: the flags, `dwh.cfg` and the environment resolved into one
//! checked load, run or (into Redshift, either mode) printed as a dry run.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use sparkify_load::db::Database;
use sparkify_load::embedded::Server;
use sparkify_load::metrics::Metrics;
use sparkify_load::report::{self, Report, Shards};
use sparkify_load::source::{S3Options, SourceUri};
use sparkify_load::{
    CopyOptions, Error, InsertMethod, LoadConfig, LoadRequest, LoadScope, Mode, S3CopyRequest,
    Secret, Shard, Target,
};

use super::args::{FromToArgs, GlobalArgs, InsertArg, LoadArgs, ModeArg, S3Args, SinkArg};
use super::dwh::DwhConfig;
use super::target::{resolve, Reach};
use super::{write_run_record, Runtime};

/// Resolves and runs a load. Its `--report` is written here, outside the load's own
/// future, so that a load a signal stopped has one too.
pub(super) fn run(
    args: LoadArgs,
    global: &GlobalArgs,
    runtime: &Runtime,
) -> anyhow::Result<ExitCode> {
    let (config, reach) = resolve_load(&args, global)?;
    if config.dry_run() {
        return runtime.block_on(dry_run(&config));
    }
    let started_at = report::now();
    let started = std::time::Instant::now();
    let loaded = runtime.block_on(async { Ok(sparkify_load::load(&config).await?) });
    if let Some(path) = &args.report {
        write_run_record(path, config.run_id(), started_at, &loaded)?;
    }
    if let Some(path) = &args.metrics_file {
        let metrics = Metrics::default();
        match &loaded {
            Ok(report) => metrics.loaded(report),
            Err(_) => metrics.failed(started.elapsed().as_secs_f64()),
        }
        metrics.write_file(path)?;
    }
    let report = loaded?;
    say!("{report}");
    print_hints(&config, &report, &reach)?;
    Ok(ExitCode::SUCCESS)
}

/// The commands to run next, each reaching the tables this load wrote, as printed.
fn print_hints(config: &LoadConfig, report: &Report, reach: &Reach) -> anyhow::Result<()> {
    let tables = reach.tables();
    match &report.shards {
        Some(Shards {
            run_id,
            shard: Some(_),
            ..
        }) => say!("merge them: sparkify-load merge --run-id {run_id}{tables}"),
        _ => say!("answers:    sparkify-load report{tables}"),
    }
    if config.s3().credentials.is_some() {
        say!(
            "note:       S3 was read with the static keys of dwh.cfg's [AWS] section; an IAM \
             role or an AWS profile (AWS_PROFILE) keeps keys out of files (docs/SECURITY.md)"
        );
    }
    if reach.password_left_out {
        say!(
            "            (the target's password is not printed: give it in PGPASSWORD or \
             ~/.pgpass)"
        );
    }
    if let Target::Embedded(home) = config.target() {
        if let Some(server) = Server::running(home).map_err(Error::from)? {
            say!("query it:   psql '{}'", server.url());
            say!("stop it:    sparkify-load db stop{}", reach.home());
        }
    }
    Ok(())
}

/// The load the flags ask for, with `dwh.cfg`'s [S3] and [IAM_ROLE] as fallbacks, and the
/// flags that reach its tables again.
fn resolve_load(args: &LoadArgs, global: &GlobalArgs) -> anyhow::Result<(LoadConfig, Reach)> {
    let (mut request, dwh, reach) = from_to(&args.from_to, global)?;
    let dwh = dwh.as_ref();
    let from_dwh = |pick: fn(&DwhConfig) -> Option<&String>| dwh.and_then(pick).cloned();
    request.mode = mode(args.mode);
    request.copy = CopyOptions {
        iam_role_arn: args
            .iam_role
            .clone()
            .or_else(|| from_dwh(|c| c.iam_role_arn.as_ref())),
        log_jsonpath: args
            .log_jsonpath
            .clone()
            .or_else(|| from_dwh(|c| c.log_jsonpath.as_ref())),
    };
    request.dry_run = args.dry_run;
    request.max_errors = args.max_errors;
    request.reject_file = reject_file(&args.reject_file, args.max_errors);
    request.concurrency = args.concurrency;
    request.run_id = args.run_id.clone();
    request.checks = args.checks.clone();
    request.no_checks = args.no_checks;
    request.allow_empty = args.allow_empty;
    request.scope = scope(args)?;
    request.insert = args.insert.map(insert_method);
    request.s3_copy = s3_copy(args)?;
    request.insert_connections = args.insert_connections;
    request.statements_in_flight = args.statements_in_flight;
    request.progress = !global.quiet && std::io::stderr().is_terminal();
    Ok((request.resolve()?, reach))
}

/// A request for the trees and the warehouse `args` name, every other setting at its
/// default: dwh.cfg's [S3] the trees' fallback and its [AWS] keys S3's, where the
/// environment names none; with the dwh.cfg read and the flags that reach the tables.
pub(super) fn from_to(
    args: &FromToArgs,
    global: &GlobalArgs,
) -> anyhow::Result<(LoadRequest, Option<DwhConfig>, Reach)> {
    let resolved = resolve(&args.target, global)?;
    let dwh = resolved.dwh;
    let (song_data, log_data) = trees((&args.song_data, &args.log_data), dwh.as_ref())?;
    let mut request = LoadRequest::new(song_data, log_data, resolved.target);
    request.s3 = s3_options(&args.s3);
    request.s3.credentials = dwh_keys(dwh.as_ref(), &request, args.s3.no_sign_request);
    request.dialect = resolved.dialect;
    request.schema = resolved.schema;
    Ok((request, dwh, resolved.reach))
}

/// The two trees, from the flags or else dwh.cfg's [S3].
fn trees(
    (song_data, log_data): (&Option<String>, &Option<String>),
    dwh: Option<&DwhConfig>,
) -> Result<(SourceUri, SourceUri), Error> {
    let tree = |flag: &Option<String>, fallback: Option<&String>, name: &str| {
        let text = flag
            .clone()
            .or(fallback.cloned())
            .ok_or_else(|| Error::Config(format!("{name} is required (or [S3] in --config)")))?;
        text.parse::<SourceUri>().map_err(Error::from)
    };
    Ok((
        tree(
            song_data,
            dwh.and_then(|c| c.song_data.as_ref()),
            "--song-data",
        )?,
        tree(
            log_data,
            dwh.and_then(|c| c.log_data.as_ref()),
            "--log-data",
        )?,
    ))
}

/// `--reject-file`, or its default when `--max-errors` lets bad records be skipped.
pub(super) fn reject_file(given: &Option<PathBuf>, max_errors: u64) -> Option<PathBuf> {
    given
        .clone()
        .or_else(|| (max_errors > 0).then(|| PathBuf::from("sparkify-load-rejects.jsonl")))
}

fn mode(mode: ModeArg) -> Mode {
    match mode {
        ModeArg::Client => Mode::Client,
        ModeArg::Copy => Mode::Copy,
    }
}

fn insert_method(insert: InsertArg) -> InsertMethod {
    match insert {
        InsertArg::Arrays => InsertMethod::Arrays,
        InsertArg::Bind => InsertMethod::Bind,
        InsertArg::Literal => InsertMethod::Literal,
    }
}

/// What the load does with what the target holds: `--shard`, `--incremental`, `--full`,
/// or a rebuild.
fn scope(args: &LoadArgs) -> Result<LoadScope, Error> {
    Ok(match (&args.shard, args.incremental, args.full) {
        (Some(shard), ..) => LoadScope::Shard(parse_shard(shard, |name| std::env::var(name).ok())?),
        (None, true, _) => LoadScope::Incremental,
        (None, _, true) => LoadScope::Full,
        _ => LoadScope::Rebuild,
    })
}

/// `--sink s3-copy` with its staging prefix and slices; those two alone are refused.
fn s3_copy(args: &LoadArgs) -> Result<Option<S3CopyRequest>, Error> {
    match args.sink {
        SinkArg::Insert if args.staging_prefix.is_some() || args.slices.is_some() => Err(
            Error::Config("--staging-prefix and --slices go with --sink s3-copy".into()),
        ),
        SinkArg::Insert => Ok(None),
        SinkArg::S3Copy => Ok(Some(S3CopyRequest {
            staging: args.staging_prefix.clone().unwrap_or_default(),
            slices: args.slices,
        })),
    }
}

/// The environment variables that name AWS credentials (keys, a profile, a web identity
/// as on EKS, a container's role as on ECS): any of them overrides dwh.cfg's keys.
const AWS_CREDENTIAL_VARIABLES: [&str; 5] = [
    "AWS_ACCESS_KEY_ID",
    "AWS_PROFILE",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
];

/// The classic notebook's static keys (`[AWS] KEY`, `SECRET`), for a load that reads S3
/// signed and whose environment names no credentials.
fn dwh_keys(
    dwh: Option<&DwhConfig>,
    request: &LoadRequest,
    no_sign_request: bool,
) -> Option<(String, Secret<String>)> {
    let environment = AWS_CREDENTIAL_VARIABLES
        .iter()
        .any(|name| std::env::var_os(name).is_some());
    let reads_s3 = [&request.song_data, &request.log_data]
        .iter()
        .any(|uri| matches!(uri, SourceUri::S3 { .. }));
    if !reads_s3 || no_sign_request || environment {
        return None;
    }
    dwh.and_then(|cfg| cfg.aws_keys.clone())
}

/// The environment variables `--shard auto/N` reads its index from, in the order tried.
const SHARD_INDEX_VARIABLES: [&str; 2] = ["JOB_COMPLETION_INDEX", "AWS_BATCH_JOB_ARRAY_INDEX"];

/// `--shard K/N` or `auto/N`, the index of auto read by `env` from the job runner's
/// variable.
fn parse_shard(text: &str, env: impl Fn(&str) -> Option<String>) -> Result<Shard, Error> {
    let usage = || {
        Error::Config(format!(
            "--shard {text:?} is not K/N or auto/N (K from 0, as in --shard 0/4)"
        ))
    };
    let (index, count) = text.split_once('/').ok_or_else(usage)?;
    let count: u32 = count.parse().map_err(|_| usage())?;
    let index: u32 = if index == "auto" {
        let (name, value) = SHARD_INDEX_VARIABLES
            .iter()
            .find_map(|name| Some((name, env(name)?)))
            .ok_or_else(|| {
                Error::Config(format!(
                    "--shard auto/{count} reads the shard from {} or {}, and neither is set",
                    SHARD_INDEX_VARIABLES[0], SHARD_INDEX_VARIABLES[1]
                ))
            })?;
        value
            .trim()
            .parse()
            .map_err(|_| Error::Config(format!("{name}={value:?} is not a shard index")))?
    } else {
        index.parse().map_err(|_| usage())?
    };
    Shard::new(index, count)
}

pub(super) fn s3_options(args: &S3Args) -> S3Options {
    S3Options {
        region: args.region.clone(),
        endpoint_url: args.endpoint_url.clone(),
        no_sign_request: args.no_sign_request,
        attempts: args.s3_attempts,
        ..S3Options::default()
    }
}

/// Prints the statements of a load into Redshift and runs none.
async fn dry_run(config: &LoadConfig) -> anyhow::Result<ExitCode> {
    let Target::Url(url) = config.target() else {
        return Err(Error::Config("--dry-run is for loads into Redshift".into()).into());
    };
    let target = Database::new(url, config.dialect())?.label().to_string();
    let plan = sparkify_load::dry_run(config).await?;
    let mode = config.mode().name();
    println!("-- sparkify-load --mode {mode} on Redshift: a dry run, nothing was run.");
    println!("-- target {target}, schema {}", config.schema());
    println!(
        "\n-- 0. every session the load opens, first\n{}",
        sparkify_load::db::DialectSql::of(config.dialect())
            .session
            .trim_end()
    );
    for (number, (step, sql)) in plan.iter().enumerate() {
        println!("\n-- {}. {step}\n{}", number + 1, sql.trim_end());
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(vars: &'a [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            vars.iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn shards_come_from_the_flag_or_the_job_runner() {
        let shard = |text, vars| parse_shard(text, env(vars)).map_err(|e| e.to_string());
        assert_eq!(shard("2/4", &[]), Ok(Shard { index: 2, count: 4 }));
        let kubernetes = [("JOB_COMPLETION_INDEX", "3")];
        assert_eq!(
            shard("auto/4", &kubernetes),
            Ok(Shard { index: 3, count: 4 })
        );
        let batch = [("AWS_BATCH_JOB_ARRAY_INDEX", "1")];
        assert_eq!(shard("auto/2", &batch), Ok(Shard { index: 1, count: 2 }));
        assert!(shard("auto/2", &[]).unwrap_err().contains("neither is set"));
        assert!(shard("auto/2", &[("JOB_COMPLETION_INDEX", "x")])
            .unwrap_err()
            .contains("JOB_COMPLETION_INDEX=\"x\" is not a shard index"));
        assert!(shard("4/4", &[])
            .unwrap_err()
            .contains("shard 4/4 is not one"));
        assert!(shard("1", &[])
            .unwrap_err()
            .contains("is not K/N or auto/N"));
    }
}
