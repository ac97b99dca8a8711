//! Which warehouse a command talks to: --target or DATABASE_URL, else the cluster of
//! --config, else the embedded default; its dialect; and `create-tables`.

use std::process::ExitCode;

use sparkify_load::db::{Database, DialectSql};
use sparkify_load::embedded::Server;
use sparkify_load::{Dialect, SchemaName, Secret, Target};

use super::args::{DialectArg, GlobalArgs, TargetArgs};
use super::dwh::DwhConfig;
use super::home;

/// The warehouse a command's flags name.
pub(super) struct Resolved {
    pub target: Target,
    pub dialect: Dialect,
    pub schema: SchemaName,
    /// The `dwh.cfg` of --config, for the settings that fall back to it.
    pub dwh: Option<DwhConfig>,
}

/// The target: --target or DATABASE_URL, else the cluster of --config, else the embedded
/// default.
pub(super) fn resolve(args: &TargetArgs, global: &GlobalArgs) -> anyhow::Result<Resolved> {
    let schema: SchemaName = args.schema.parse()?;
    let dwh = args
        .config
        .as_deref()
        .map(DwhConfig::from_file)
        .transpose()?;
    let url = match (&args.target, &dwh) {
        (Some(url), _) => Some(Secret::new(url.clone())),
        (None, Some(cfg)) => Some(cfg.target_url()),
        (None, None) => None,
    };
    let (target, dialect) = match url {
        Some(url) => {
            let dialect = dialect_of(args.dialect, url.expose());
            (Target::Url(url), dialect)
        }
        None => (Target::Embedded(home(global)), dialect_of(args.dialect, "")),
    };
    Ok(Resolved {
        target,
        dialect,
        schema,
        dwh,
    })
}

/// The dialect asked for, or the one the URL implies: port 5439 or a host under
/// `.redshift.amazonaws.com` is Redshift.
fn dialect_of(arg: DialectArg, url: &str) -> Dialect {
    match arg {
        DialectArg::Postgres => Dialect::Postgres,
        DialectArg::Redshift => Dialect::Redshift,
        DialectArg::Auto => {
            let config: Option<tokio_postgres::Config> = url.parse().ok();
            let redshift = config.is_some_and(|c| {
                c.get_ports().contains(&5439)
                    || c.get_hosts().iter().any(|h| {
                        matches!(h, tokio_postgres::config::Host::Tcp(host) if host.ends_with(".redshift.amazonaws.com"))
                    })
            });
            if redshift {
                Dialect::Redshift
            } else {
                Dialect::Postgres
            }
        }
    }
}

/// The URL of a target, starting the embedded default when it is the one.
pub(super) fn url_of(target: Target) -> anyhow::Result<Secret<String>> {
    Ok(match target {
        Target::Url(url) => url,
        Target::Embedded(home) => Secret::new(Server::ensure_running(&home)?.url()),
    })
}

/// The loaded warehouse the analytics commands ask: its database and schema.
pub(super) fn warehouse(
    args: &TargetArgs,
    global: &GlobalArgs,
) -> anyhow::Result<(Database, SchemaName)> {
    let resolved = resolve(args, global)?;
    let url = url_of(resolved.target)?;
    Ok((Database::new(&url, resolved.dialect)?, resolved.schema))
}

/// `create-tables`: the empty star schema, or its DDL with --print.
pub(super) async fn create_tables(
    args: TargetArgs,
    print: bool,
    global: &GlobalArgs,
) -> anyhow::Result<ExitCode> {
    let resolved = resolve(&args, global)?;
    let schema = resolved.schema;
    if print {
        print!(
            "{}",
            DialectSql::of(resolved.dialect).star_schema_script(&schema)
        );
        return Ok(ExitCode::SUCCESS);
    }
    sparkify_load::create_tables(&url_of(resolved.target)?, resolved.dialect, &schema).await?;
    println!("created songplays, users, songs, artists, time in schema {schema}");
    Ok(ExitCode::SUCCESS)
}
