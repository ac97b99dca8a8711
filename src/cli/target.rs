//! Which warehouse a command talks to: --target or DATABASE_URL, else the cluster of
//! --config, else a server the PG* environment names (PGHOST or PGSERVICE), else the
//! embedded default; its dialect; the flags that reach it again; and `create-tables`.

use std::process::ExitCode;

use sparkify_load::db::{conninfo, Database, DialectSql};
use sparkify_load::embedded::Server;
use sparkify_load::{Dialect, Error, SchemaName, Secret, Target};

use super::args::{DialectArg, GlobalArgs, TargetArgs};
use super::dwh::DwhConfig;
use super::{default_home, home};

/// The warehouse a command's flags name.
pub(super) struct Resolved {
    pub target: Target,
    pub dialect: Dialect,
    pub schema: SchemaName,
    /// The `dwh.cfg` of --config, for the settings that fall back to it.
    pub dwh: Option<DwhConfig>,
    /// The flags a printed command needs to reach the same tables.
    pub reach: Reach,
}

/// The flags that reach a command's tables again, for the commands the tool prints: run
/// as printed, in the same shell, they reach the same tables.
#[derive(Default)]
pub(super) struct Reach {
    /// `--home`, for a home other than the default.
    home: Option<String>,
    /// `--target` (its password left out), `--config`, `--dialect`, `--schema`.
    target: Vec<String>,
    /// The target given on the command line held a password, which is never printed.
    pub password_left_out: bool,
}

impl Reach {
    /// The flags that reach the embedded default of `home`.
    pub fn of_home(home: &std::path::Path) -> Reach {
        Reach {
            home: (home != default_home()).then(|| home.display().to_string()),
            ..Reach::default()
        }
    }

    /// ` --home H` where the embedded default is not the default one's.
    pub fn home(&self) -> String {
        self.home
            .iter()
            .map(|home| format!(" --home {}", shell_quote(home)))
            .collect()
    }

    /// The flags that name the tables: the home, target, dialect and schema.
    pub fn tables(&self) -> String {
        let mut flags = self.home();
        for flag in &self.target {
            flags.push(' ');
            flags.push_str(flag);
        }
        flags
    }
}

/// A word as a POSIX shell reads it: as it is when it is plain, else in single quotes.
pub(super) fn shell_quote(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/-_.,:@%+=".contains(&b));
    if plain {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// The environment variables that alone name a target server, as they do for psql; the
/// other PG* variables only fill in what a target leaves out.
const TARGET_VARIABLES: [&str; 2] = ["PGHOST", "PGSERVICE"];

/// The target: --target or DATABASE_URL, else the cluster of --config, else the server of
/// PGHOST or PGSERVICE, else the embedded default.
pub(super) fn resolve(args: &TargetArgs, global: &GlobalArgs) -> anyhow::Result<Resolved> {
    let schema: SchemaName = args.schema.parse()?;
    let dwh = args
        .config
        .as_deref()
        .map(DwhConfig::from_file)
        .transpose()?;
    let from_environment = TARGET_VARIABLES
        .iter()
        .any(|name| std::env::var_os(name).is_some_and(|v| !v.is_empty()));
    let home = home(global);
    let mut reach = Reach::default();
    let url = target_url(args, dwh.as_ref(), from_environment, &mut reach);
    let implied = implied_dialect(url.as_ref().map(|url| url.expose().as_str()));
    let target = match url {
        Some(url) => Target::Url(url),
        None => {
            reach.home = Reach::of_home(&home).home;
            Target::Embedded(home)
        }
    };
    let dialect = match args.dialect {
        DialectArg::Auto => implied,
        DialectArg::Postgres => Dialect::Postgres,
        DialectArg::Redshift => Dialect::Redshift,
    };
    if dialect != implied {
        reach.target.push(format!("--dialect {}", dialect.name()));
    }
    if schema != SchemaName::default() {
        reach.target.push(format!("--schema {schema}"));
    }
    Ok(Resolved {
        target,
        dialect,
        schema,
        dwh,
        reach,
    })
}

/// The URL of the target --target, the cluster of --config, or the environment
/// (`from_environment`: PGHOST or PGSERVICE) names, if one does; `reach` gets the flags
/// that name it again.
fn target_url(
    args: &TargetArgs,
    dwh: Option<&DwhConfig>,
    from_environment: bool,
    reach: &mut Reach,
) -> Option<Secret<String>> {
    match (&args.target, dwh) {
        (Some(url), _) => {
            // DATABASE_URL stays set in the shell a printed command runs in.
            if std::env::var("DATABASE_URL").ok().as_ref() != Some(url) {
                let (printable, had_password) = conninfo::without_password(url);
                reach
                    .target
                    .push(format!("--target {}", shell_quote(&printable)));
                reach.password_left_out = had_password;
            }
            Some(Secret::new(url.clone()))
        }
        (None, Some(cfg)) => {
            let path = args.config.as_deref().expect("dwh comes from --config");
            reach.target.push(format!(
                "--config {}",
                shell_quote(&path.display().to_string())
            ));
            Some(cfg.target_url(std::env::var_os("PGSSLMODE").is_some()))
        }
        (None, None) if from_environment => Some(Secret::new(String::new())),
        (None, None) => None,
    }
}

/// The dialect a target's URL implies (made whole from the environment): port 5439 or a
/// host under `.redshift.amazonaws.com` is Redshift; the embedded default (no URL) is
/// PostgreSQL.
fn implied_dialect(url: Option<&str>) -> Dialect {
    let config = url
        .and_then(|url| conninfo::resolve(url, &|name| std::env::var(name).ok()).ok())
        .map(|made_whole| made_whole.config);
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

/// The URL of a target, starting the embedded default when it is the one.
pub(super) fn url_of(target: Target) -> anyhow::Result<Secret<String>> {
    Ok(match target {
        Target::Url(url) => url,
        Target::Embedded(home) => {
            Secret::new(Server::ensure_running(&home).map_err(Error::from)?.url())
        }
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
    say!("created songplays, users, songs, artists, time in schema {schema}");
    Ok(ExitCode::SUCCESS)
}
