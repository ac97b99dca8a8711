//! A target's connection string read as libpq (and so psql) reads it: a URL or key=value
//! pairs, what it leaves out taken from its service (`service=`, `PGSERVICE`), then from the
//! `PG*` environment variables, then libpq's defaults; a missing password from the password
//! file (`~/.pgpass`); and `sslmode` with libpq's six values.
//!
//! Source: PostgreSQL 15 documentation, libpq sections 34.1.2 (parameter keywords), 34.15
//! (environment variables), 34.16 (the password file) and 34.17 (the connection service
//! file).

mod files;
mod parse;

use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use tokio_postgres::config::{Host, SslMode};

use super::tls::Verification;
use crate::error::Error;
use parse::{key_value_text, target_pairs};
pub use parse::{take_params, without_password};

/// The parameters read here, each filled only where the connection string, its service or
/// the environment gives it (the rest go to tokio-postgres as they are).
const FILLED: [&str; 12] = [
    "host",
    "hostaddr",
    "port",
    "dbname",
    "user",
    "password",
    "application_name",
    "connect_timeout",
    "sslmode",
    "sslrootcert",
    "passfile",
    "service",
];

/// The `sslmode` values libpq accepts.
const SSL_MODES: [&str; 6] = [
    "disable",
    "allow",
    "prefer",
    "require",
    "verify-ca",
    "verify-full",
];

/// The environment variables libpq reads, each with the parameter it stands for.
const ENVIRONMENT: [(&str, &str); 14] = [
    ("PGHOST", "host"),
    ("PGHOSTADDR", "hostaddr"),
    ("PGPORT", "port"),
    ("PGDATABASE", "dbname"),
    ("PGUSER", "user"),
    ("PGPASSWORD", "password"),
    ("PGPASSFILE", "passfile"),
    ("PGSSLMODE", "sslmode"),
    ("PGSSLROOTCERT", "sslrootcert"),
    ("PGAPPNAME", "application_name"),
    ("PGCONNECT_TIMEOUT", "connect_timeout"),
    ("PGOPTIONS", "options"),
    ("PGTARGETSESSIONATTRS", "target_session_attrs"),
    ("PGCHANNELBINDING", "channel_binding"),
];

/// libpq's port when none is given.
const DEFAULT_PORT: u16 = 5432;

/// A connection string made whole: how to connect, and how to check the server's
/// certificate.
#[derive(Debug)]
pub struct Conninfo {
    pub config: tokio_postgres::Config,
    pub verification: Verification,
}

/// Where a parameter's value came from, for the messages that name a bad one.
#[derive(Clone, Copy)]
enum Origin<'a> {
    Target,
    Service(&'a str),
    Variable(&'a str),
}

impl std::fmt::Display for Origin<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Origin::Target => f.write_str("in the target"),
            Origin::Service(name) => write!(f, "in service {name:?}"),
            Origin::Variable(name) => write!(f, "in {name}"),
        }
    }
}

/// The TLS parameters, which tokio-postgres does not read itself.
#[derive(Default)]
struct Tls {
    sslmode: Option<String>,
    sslrootcert: Option<PathBuf>,
    passfile: Option<PathBuf>,
}

/// One parameter and where it came from.
type Given<'a> = (String, String, Origin<'a>);

/// Reads `conninfo` (a URL or key=value pairs; empty for "all from the environment") as
/// libpq does, with `env` giving the environment's variables: the target's parameters, then
/// its service's, then the environment's, each only where none before gave it.
pub fn resolve(conninfo: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<Conninfo, Error> {
    let target: Vec<(String, String)> = target_pairs(conninfo)?;
    let named = target.iter().find(|(key, _)| key == "service");
    let service_name = named
        .map(|(_, name)| name.clone())
        .or_else(|| env("PGSERVICE"));
    let service = match &service_name {
        Some(name) => files::service(name, env)?,
        None => Vec::new(),
    };
    let mut given: Vec<Given> = Vec::new();
    given.extend(target.into_iter().map(|(k, v)| (k, v, Origin::Target)));
    if let Some(name) = &service_name {
        given.extend(
            service
                .into_iter()
                .map(|(k, v)| (k, v, Origin::Service(name))),
        );
    }
    for (variable, key) in ENVIRONMENT {
        if let Some(value) = env(variable) {
            given.push((key.to_string(), value, Origin::Variable(variable)));
        }
    }
    // What tokio-postgres reads itself, the first source to give a key winning.
    let mut theirs: Vec<(String, String)> = Vec::new();
    for (key, value, _) in &given {
        if !FILLED.contains(&key.as_str()) && !theirs.iter().any(|(k, _)| k == key) {
            theirs.push((key.clone(), value.clone()));
        }
    }
    let mut config =
        tokio_postgres::Config::from_str(&key_value_text(&theirs)).map_err(|e| invalid(&e))?;
    let mut tls = Tls::default();
    for (key, value, origin) in &given {
        fill(&mut config, &mut tls, key, value, *origin)?;
    }
    fill_defaults(&mut config, env);
    if config.get_password().is_none() {
        let passfile = tls
            .passfile
            .clone()
            .or_else(|| env("HOME").map(|home| PathBuf::from(home).join(".pgpass")));
        if let Some(password) = passfile.and_then(|path| files::password(&path, &config)) {
            config.password(password);
        }
    }
    let verification = ssl_mode(&mut config, &tls);
    Ok(Conninfo {
        config,
        verification,
    })
}

/// tokio-postgres's complaint, with its cause (which names the option, never its value).
fn invalid(err: &tokio_postgres::Error) -> Error {
    let cause = std::error::Error::source(err)
        .map(|cause| format!(": {cause}"))
        .unwrap_or_default();
    Error::Config(format!(
        "the target is not a connection string PostgreSQL reads{cause}; give \
         postgresql://user@host:port/database?sslmode=MODE (or key=value pairs)"
    ))
}

/// Sets parameter `key` unless the connection string (or an earlier source) set it.
/// Longer than 60 lines by design: one arm per parameter libpq reads.
fn fill(
    config: &mut tokio_postgres::Config,
    tls: &mut Tls,
    key: &str,
    value: &str,
    origin: Origin<'_>,
) -> Result<(), Error> {
    // A host, address or port of the target itself is not repeated: a URL cut in the wrong
    // place can put a piece of its password there.
    let bad = |what: &str| {
        Error::Config(match (origin, key) {
            (Origin::Target, "host" | "hostaddr" | "port") => {
                format!("{key} {origin} is not {what}")
            }
            _ => format!("{key} {value:?} {origin} is not {what}"),
        })
    };
    match key {
        "host" if config.get_hosts().is_empty() => {
            for host in value.split(',').filter(|h| !h.is_empty()) {
                config.host(host);
            }
        }
        "hostaddr" if config.get_hostaddrs().is_empty() => {
            for address in value.split(',') {
                config.hostaddr(address.parse().map_err(|_| bad("an IP address"))?);
            }
        }
        "port" if config.get_ports().is_empty() => {
            for port in value.split(',') {
                config.port(port.trim().parse().map_err(|_| bad("a port"))?);
            }
        }
        "dbname" if config.get_dbname().is_none() => {
            config.dbname(value);
        }
        "user" if config.get_user().is_none() => {
            config.user(value);
        }
        "password" if config.get_password().is_none() => {
            config.password(value);
        }
        "application_name" if config.get_application_name().is_none() => {
            config.application_name(value);
        }
        "connect_timeout" if config.get_connect_timeout().is_none() => {
            // Zero or less waits for ever, as libpq reads it.
            let seconds: i64 = value.trim().parse().map_err(|_| bad("seconds"))?;
            if seconds > 0 {
                config.connect_timeout(Duration::from_secs(seconds.unsigned_abs()));
            }
        }
        "sslmode" if tls.sslmode.is_none() => {
            if !SSL_MODES.contains(&value) {
                return Err(bad(&format!("one of {}", SSL_MODES.join(", "))));
            }
            tls.sslmode = Some(value.to_string());
        }
        "sslrootcert" if tls.sslrootcert.is_none() => tls.sslrootcert = Some(value.into()),
        "passfile" if tls.passfile.is_none() => tls.passfile = Some(value.into()),
        _ => {}
    }
    Ok(())
}

/// libpq's defaults for what nothing gave: the user this process runs as; the local
/// server's socket when one is there, else localhost; port 5432.
fn fill_defaults(config: &mut tokio_postgres::Config, env: &dyn Fn(&str) -> Option<String>) {
    if config.get_user().is_none() {
        if let Some(user) = os_user().or_else(|| env("USER")) {
            config.user(user);
        }
    }
    let port = config.get_ports().first().copied().unwrap_or(DEFAULT_PORT);
    if config.get_hosts().is_empty() && config.get_hostaddrs().is_empty() {
        let socket_dir = files::DEFAULT_SOCKET_DIRS
            .into_iter()
            .find(|dir| PathBuf::from(dir).join(format!(".s.PGSQL.{port}")).exists());
        config.host(socket_dir.unwrap_or("localhost"));
    }
}

fn os_user() -> Option<String> {
    let uid = nix::unistd::getuid();
    Some(nix::unistd::User::from_uid(uid).ok()??.name)
}

/// libpq's `sslmode` as tokio-postgres and the TLS connector take it: `allow` is tried as
/// `prefer`; `verify-ca` and `verify-full` require TLS and check the certificate, and so
/// does `require` given a root certificate (libpq 34.19.1). A Unix socket has no TLS, and
/// libpq ignores `sslmode` there (a `PGSSLMODE=require` shell still reaches the embedded
/// default).
fn ssl_mode(config: &mut tokio_postgres::Config, tls: &Tls) -> Verification {
    let on_sockets_only = !config.get_hosts().is_empty()
        && config
            .get_hosts()
            .iter()
            .all(|h| matches!(h, Host::Unix(_)));
    let mode = match tls.sslmode.as_deref() {
        _ if on_sockets_only => "disable",
        Some(mode) => mode,
        None => "prefer",
    };
    config.ssl_mode(match mode {
        "disable" => SslMode::Disable,
        "allow" | "prefer" => SslMode::Prefer,
        _ => SslMode::Require,
    });
    match (mode, &tls.sslrootcert) {
        ("verify-ca" | "verify-full", root_cert) => Verification::Roots {
            root_cert: root_cert.clone(),
            host_name: mode == "verify-full",
        },
        ("require", Some(root_cert)) => Verification::Roots {
            root_cert: Some(root_cert.clone()),
            host_name: false,
        },
        _ => Verification::None,
    }
}

/// `user@host:port/dbname` of a made-whole connection: how messages and reports name the
/// target (never with its password).
pub fn describe(config: &tokio_postgres::Config) -> String {
    let host = match (config.get_hosts().first(), config.get_hostaddrs().first()) {
        (Some(Host::Tcp(host)), _) => host.clone(),
        (Some(Host::Unix(path)), _) => path.display().to_string(),
        (None, Some(address)) => address.to_string(),
        (None, None) => "localhost".to_string(),
    };
    let port = config.get_ports().first().copied().unwrap_or(DEFAULT_PORT);
    let user = config.get_user().unwrap_or("?");
    let dbname = config.get_dbname().unwrap_or(user);
    format!("{user}@{host}:{port}/{dbname}")
}

#[cfg(test)]
mod tests;
