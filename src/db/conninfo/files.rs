//! libpq's two files: the connection service file (`pg_service.conf`) and the password
//! file (`~/.pgpass`), read as libpq reads them.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use tokio_postgres::config::Host;

use crate::error::Error;

/// The socket directories Debian's and upstream's libpq connect to by default.
pub(super) const DEFAULT_SOCKET_DIRS: [&str; 3] =
    ["/var/run/postgresql", "/run/postgresql", "/tmp"];

/// Where libpq's system-wide service file is when `PGSYSCONFDIR` does not say (Debian's
/// and Ubuntu's libpq are built with this directory).
const SYSTEM_CONF_DIR: &str = "/etc/postgresql-common";

/// The parameters of service `name`: from the user's file (`PGSERVICEFILE`, else
/// `~/.pg_service.conf`), else the system's (`PGSYSCONFDIR/pg_service.conf`).
pub(super) fn service(
    name: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Vec<(String, String)>, Error> {
    let user_file = env("PGSERVICEFILE")
        .map(PathBuf::from)
        .or_else(|| env("HOME").map(|home| Path::new(&home).join(".pg_service.conf")));
    let system_file =
        Path::new(&env("PGSYSCONFDIR").unwrap_or(SYSTEM_CONF_DIR.into())).join("pg_service.conf");
    let files: Vec<PathBuf> = user_file.into_iter().chain([system_file]).collect();
    for file in &files {
        let Ok(text) = std::fs::read_to_string(file) else {
            continue;
        };
        if let Some(params) = section(&text, name) {
            return params.map_err(|line| {
                Error::Config(format!(
                    "{} line {line}: not key=value in service {name:?}",
                    file.display()
                ))
            });
        }
    }
    let searched: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
    Err(Error::Config(format!(
        "service {name:?} is defined in none of {} (PGSERVICEFILE and PGSYSCONFDIR choose \
         the files)",
        searched.join(", ")
    )))
}

/// The `key=value` lines of `[name]` in a service file, or the number of a line that is
/// not one; `None` when the file has no such section.
fn section(text: &str, name: &str) -> Option<Result<Vec<(String, String)>, usize>> {
    let mut inside = false;
    let mut found = false;
    let mut params = Vec::new();
    for (number, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(header) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            if inside {
                break;
            }
            inside = header == name;
            found |= inside;
            continue;
        }
        if !inside {
            continue;
        }
        match line.split_once('=') {
            Some((key, value)) => params.push((key.trim().to_string(), value.trim().to_string())),
            None => return Some(Err(number + 1)),
        }
    }
    found.then_some(Ok(params))
}

/// The password file's password for the connection `config` describes, if a line
/// matches. A file that others may read is skipped with a warning, as libpq skips it.
pub(super) fn password(path: &Path, config: &tokio_postgres::Config) -> Option<String> {
    let metadata = std::fs::metadata(path).ok()?;
    if !metadata.is_file() {
        return None;
    }
    if metadata.permissions().mode() & 0o077 != 0 {
        // Said once: a command reads its target more than once.
        static WARNED: std::sync::Once = std::sync::Once::new();
        WARNED.call_once(|| {
            tracing::warn!(
                "the password file {} is not used: others may read it (chmod 0600 it, as psql \
                 asks)",
                path.display()
            )
        });
        return None;
    }
    let text = std::fs::read_to_string(path).ok()?;
    let wanted = wanted_fields(config)?;
    text.lines()
        .filter(|line| !line.trim_start().starts_with('#'))
        .filter_map(split_fields)
        .find(|fields| {
            fields[..4]
                .iter()
                .zip(&wanted)
                .all(|(field, wanted)| field == "*" || wanted.iter().any(|w| w == field))
        })
        .map(|fields| fields[4].clone())
}

/// What each of a line's first four fields may be to match: host (a socket directory
/// also as `localhost`), port, database, user.
fn wanted_fields(config: &tokio_postgres::Config) -> Option<[Vec<String>; 4]> {
    let host = match config.get_hosts().first() {
        Some(Host::Tcp(host)) => vec![host.clone()],
        // libpq matches the default socket directory's connections as `localhost` too.
        Some(Host::Unix(path)) if DEFAULT_SOCKET_DIRS.iter().any(|d| path == Path::new(d)) => {
            vec![path.display().to_string(), "localhost".into()]
        }
        Some(Host::Unix(path)) => vec![path.display().to_string()],
        None => vec![config.get_hostaddrs().first()?.to_string()],
    };
    let port = config
        .get_ports()
        .first()
        .copied()
        .unwrap_or(super::DEFAULT_PORT);
    let user = config.get_user()?.to_string();
    let dbname = config.get_dbname().unwrap_or(&user).to_string();
    Some([host, vec![port.to_string()], vec![dbname], vec![user]])
}

/// A password file line's five fields, `\:` and `\\` unescaped; `None` unless there are
/// five.
fn split_fields(line: &str) -> Option<Vec<String>> {
    let mut fields = vec![String::new()];
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => fields.last_mut()?.push(chars.next().unwrap_or('\\')),
            ':' if fields.len() < 5 => fields.push(String::new()),
            c => fields.last_mut()?.push(c),
        }
    }
    (fields.len() == 5).then_some(fields)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_lines_split_on_unescaped_colons() {
        assert_eq!(
            split_fields(r"db.example:5432:*:ann:pa\:ss\\word"),
            Some(vec![
                "db.example".into(),
                "5432".into(),
                "*".into(),
                "ann".into(),
                r"pa:ss\word".into()
            ])
        );
        assert_eq!(split_fields("h:5432:db:user"), None);
    }

    #[test]
    fn a_service_is_its_section() {
        let text = "# services\n[a]\nhost=h1\n\n[b]\nhost = h2\nport=5433\n[c]\nbroken\n";
        assert_eq!(
            section(text, "b"),
            Some(Ok(vec![
                ("host".into(), "h2".into()),
                ("port".into(), "5433".into())
            ]))
        );
        assert_eq!(section(text, "c"), Some(Err(9)));
        assert_eq!(section(text, "d"), None);
    }
}
