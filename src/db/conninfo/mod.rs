//! A target's connection string read as libpq (and so psql) reads it: a URL or key=value
//! pairs, what it leaves out taken from its service (`service=`, `PGSERVICE`), then from the
//! `PG*` environment variables, then libpq's defaults; a missing password from the password
//! file (`~/.pgpass`); and `sslmode` with libpq's six values.
//!
//! Source: PostgreSQL 15 documentation, libpq sections 34.1.2 (parameter keywords), 34.15
//! (environment variables), 34.16 (the password file) and 34.17 (the connection service
//! file).

mod files;

use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use tokio_postgres::config::{Host, SslMode};

use super::tls::Verification;
use crate::error::Error;

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
const ENVIRONMENT: [(&str, &str); 11] = [
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

/// Reads `conninfo` (a URL or key=value pairs; empty for "all from the environment") as
/// libpq does, with `env` giving the environment's variables.
pub fn resolve(conninfo: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<Conninfo, Error> {
    let pairs = if let Some(scheme) = url_scheme(conninfo) {
        check_scheme(scheme)?;
        url_pairs(conninfo)?
    } else {
        key_values(conninfo)
            .into_iter()
            .map(|(key, value, _)| (key, value))
            .collect()
    };
    let (ours, theirs): (Vec<_>, Vec<_>) = pairs
        .into_iter()
        .partition(|(key, _)| FILLED.contains(&key.as_str()));
    let mut config =
        tokio_postgres::Config::from_str(&key_value_text(&theirs)).map_err(|e| invalid(&e))?;
    let mut tls = Tls::default();
    let mut service = None;
    for (key, value) in ours {
        match key.as_str() {
            "service" => service = Some(value),
            _ => fill(&mut config, &mut tls, &key, &value, Origin::Target)?,
        }
    }
    if let Some(name) = service.or_else(|| env("PGSERVICE")) {
        for (key, value) in files::service(&name, env)? {
            fill(&mut config, &mut tls, &key, &value, Origin::Service(&name))?;
        }
    }
    for (variable, key) in ENVIRONMENT {
        if let Some(value) = env(variable) {
            fill(
                &mut config,
                &mut tls,
                key,
                &value,
                Origin::Variable(variable),
            )?;
        }
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
    let verification = ssl_mode(&mut config, &tls)?;
    Ok(Conninfo {
        config,
        verification,
    })
}

/// The scheme of a URL (`postgresql` of `postgresql://…`); `None` for key=value pairs.
fn url_scheme(conninfo: &str) -> Option<&str> {
    let (scheme, _) = conninfo.trim_start().split_once("://")?;
    let is_scheme = !scheme.is_empty()
        && scheme
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b));
    is_scheme.then_some(scheme)
}

/// A URL whose scheme is not PostgreSQL's is named as such, not as "an invalid connection
/// string".
fn check_scheme(scheme: &str) -> Result<(), Error> {
    match scheme {
        "postgresql" | "postgres" => Ok(()),
        _ => Err(Error::Config(format!(
            "the target's scheme {scheme:?} is not postgresql:// or postgres://; give \
             postgresql://user@host:port/database (or key=value pairs such as \
             \"host=h dbname=d\")"
        ))),
    }
}

/// A `postgresql://[user[:password]@][host[:port][,…]][/dbname][?key=value&…]` URL as
/// its parameters, percent-decoded (libpq 34.1.1.2). What the URL leaves out is absent,
/// so that the environment can fill it (a host without a port takes `PGPORT`).
fn url_pairs(url: &str) -> Result<Vec<(String, String)>, Error> {
    let (_, rest) = url.trim_start().split_once("://").unwrap_or(("", url));
    let (rest, query) = rest.split_once('?').unwrap_or((rest, ""));
    let (authority, dbname) = rest.split_once('/').unwrap_or((rest, ""));
    let mut pairs = Vec::new();
    let hosts = match authority.rsplit_once('@') {
        Some((userinfo, hosts)) => {
            let (user, password) = match userinfo.split_once(':') {
                Some((user, password)) => (user, Some(password)),
                None => (userinfo, None),
            };
            if !user.is_empty() {
                pairs.push(("user".to_string(), percent_decode(user)));
            }
            if let Some(password) = password {
                pairs.push(("password".to_string(), percent_decode(password)));
            }
            hosts
        }
        None => authority,
    };
    let (mut names, mut ports) = (Vec::new(), Vec::new());
    for host in hosts.split(',').filter(|h| !h.is_empty()) {
        let (name, port) = match host.strip_prefix('[') {
            Some(bracketed) => {
                let (name, after) = bracketed.split_once(']').ok_or_else(|| {
                    Error::Config(format!("the target's host {host:?} lacks its closing ]"))
                })?;
                (name, after.strip_prefix(':'))
            }
            None => match host.rsplit_once(':') {
                Some((name, port)) => (name, Some(port)),
                None => (host, None),
            },
        };
        names.push(percent_decode(name));
        ports.push(port.map(str::to_string));
    }
    if names.iter().any(|n| !n.is_empty()) {
        pairs.push(("host".to_string(), names.join(",")));
    }
    if ports.iter().any(Option::is_some) {
        let default = DEFAULT_PORT.to_string();
        let ports: Vec<&str> = ports
            .iter()
            .map(|p| p.as_deref().unwrap_or(&default))
            .collect();
        pairs.push(("port".to_string(), ports.join(",")));
    }
    if !dbname.is_empty() {
        pairs.push(("dbname".to_string(), percent_decode(dbname)));
    }
    for param in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = param.split_once('=').unwrap_or((param, ""));
        pairs.push((percent_decode(key), percent_decode(value)));
    }
    Ok(pairs)
}

/// Parameters as a key=value connection string, each value quoted.
fn key_value_text(pairs: &[(String, String)]) -> String {
    let quoted = |value: &str| value.replace('\\', "\\\\").replace('\'', "\\'");
    pairs
        .iter()
        .map(|(key, value)| format!("{key}='{}'", quoted(value)))
        .collect::<Vec<_>>()
        .join(" ")
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
fn fill(
    config: &mut tokio_postgres::Config,
    tls: &mut Tls,
    key: &str,
    value: &str,
    origin: Origin<'_>,
) -> Result<(), Error> {
    let bad = |what: &str| Error::Config(format!("{key} {value:?} {origin} is not {what}"));
    match key {
        "host" if config.get_hosts().is_empty() => {
            for host in value.split(',').filter(|h| !h.is_empty()) {
                config.host(host);
            }
        }
        "hostaddr" if config.get_hostaddrs().is_empty() && config.get_hosts().is_empty() => {
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
            let seconds: u64 = value.trim().parse().map_err(|_| bad("seconds"))?;
            config.connect_timeout(Duration::from_secs(seconds));
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
        let socket_dir = ["/var/run/postgresql", "/tmp"]
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
/// `prefer`; `verify-ca` and `verify-full` require TLS and check the certificate.
fn ssl_mode(config: &mut tokio_postgres::Config, tls: &Tls) -> Result<Verification, Error> {
    let mode = tls.sslmode.as_deref().unwrap_or("prefer");
    config.ssl_mode(match mode {
        "disable" => SslMode::Disable,
        "allow" | "prefer" => SslMode::Prefer,
        _ => SslMode::Require,
    });
    Ok(match mode {
        "verify-ca" | "verify-full" => Verification::Roots {
            root_cert: tls.sslrootcert.clone(),
            host_name: mode == "verify-full",
        },
        _ => Verification::None,
    })
}

/// The connection string without the parameters `keys` names, and those parameters
/// (values unquoted, or percent-decoded in a URL). Everything else is kept byte for byte.
pub fn take_params(conninfo: &str, keys: &[&str]) -> (String, Vec<(String, String)>) {
    let mut taken = Vec::new();
    if conninfo.contains("://") {
        let Some((base, query)) = conninfo.split_once('?') else {
            return (conninfo.to_string(), taken);
        };
        let kept: Vec<&str> = query
            .split('&')
            .filter(|param| {
                let (key, value) = param.split_once('=').unwrap_or((param, ""));
                let ours = keys.contains(&key);
                if ours {
                    taken.push((key.to_string(), percent_decode(value)));
                }
                !ours
            })
            .collect();
        let rest = if kept.is_empty() {
            base.to_string()
        } else {
            format!("{base}?{}", kept.join("&"))
        };
        return (rest, taken);
    }
    let mut rest = conninfo.to_string();
    let params = key_values(conninfo);
    for (key, value, span) in params.into_iter().rev() {
        if keys.contains(&key.as_str()) {
            rest.replace_range(span, "");
            taken.insert(0, (key, value));
        }
    }
    (rest.trim_end().to_string(), taken)
}

/// The connection string with its password left out (the URL's `:password@`, or a
/// `password` parameter), and whether it had one: how a printed command names the target.
pub fn without_password(conninfo: &str) -> (String, bool) {
    let (mut rest, taken) = take_params(conninfo, &["password"]);
    let mut had = !taken.is_empty();
    if let Some((scheme, after)) = rest.split_once("://") {
        let authority_end = after.find(['/', '?']).unwrap_or(after.len());
        if let Some(at) = after[..authority_end].rfind('@') {
            if let Some(colon) = after[..at].find(':') {
                rest = format!("{scheme}://{}{}", &after[..colon], &after[at..]);
                had = true;
            }
        }
    }
    (rest, had)
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut at = 0;
    while at < bytes.len() {
        let hex = bytes
            .get(at + 1..at + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[at], hex) {
            (b'%', Some(byte)) => {
                decoded.push(byte);
                at += 3;
            }
            (byte, _) => {
                decoded.push(byte);
                at += 1;
            }
        }
    }
    String::from_utf8_lossy(&decoded).into_owned()
}

/// The `key=value` parameters of a key-value connection string as libpq reads them: the
/// value unquoted (`'…'` with `\\` escapes), and the byte span of the whole parameter
/// with the blanks after it.
fn key_values(conninfo: &str) -> Vec<(String, String, std::ops::Range<usize>)> {
    let bytes = conninfo.as_bytes();
    let skip_blanks = |mut at: usize| {
        while at < bytes.len() && bytes[at].is_ascii_whitespace() {
            at += 1;
        }
        at
    };
    let mut params = Vec::new();
    let mut at = skip_blanks(0);
    while at < bytes.len() {
        let start = at;
        while at < bytes.len() && bytes[at] != b'=' && !bytes[at].is_ascii_whitespace() {
            at += 1;
        }
        let key = conninfo[start..at].to_string();
        at = skip_blanks(at);
        if at >= bytes.len() || bytes[at] != b'=' {
            // Not a parameter: left to tokio-postgres to refuse.
            params.push((key, String::new(), start..at));
            continue;
        }
        at = skip_blanks(at + 1);
        let mut value = Vec::new();
        let quoted = bytes.get(at) == Some(&b'\'');
        if quoted {
            at += 1;
        }
        while at < bytes.len() {
            match bytes[at] {
                b'\\' if at + 1 < bytes.len() => {
                    value.push(bytes[at + 1]);
                    at += 2;
                    continue;
                }
                b'\'' if quoted => {
                    at += 1;
                    break;
                }
                byte if !quoted && byte.is_ascii_whitespace() => break,
                byte => value.push(byte),
            }
            at += 1;
        }
        // The span takes the blanks after the parameter, so that taking it out leaves one.
        let end = skip_blanks(at);
        params.push((
            key,
            String::from_utf8_lossy(&value).into_owned(),
            start..end,
        ));
        at = end;
    }
    params
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
