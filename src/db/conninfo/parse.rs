//! The text of a connection string: a `postgresql://` URL or libpq's `key=value` pairs,
//! as parameters (libpq 34.1.1); and the same text with its password left out, for
//! printing.

use super::DEFAULT_PORT;
use crate::error::Error;

/// A connection string's parameters in order, the URL's parts and query or the pairs, with
/// a key given twice reduced to its last value, as libpq keeps the last.
pub(super) fn target_pairs(conninfo: &str) -> Result<Vec<(String, String)>, Error> {
    let pairs = match url_scheme(conninfo) {
        Some(scheme) => {
            check_scheme(scheme)?;
            url_pairs(conninfo)?
        }
        None => {
            let mut pairs = Vec::new();
            for (key, value, _) in key_values(conninfo) {
                // The word is not named: it may be the half of an unquoted password.
                let value = value.ok_or_else(|| {
                    Error::Config(
                        "the target has a word that is not key=value; quote a value that \
                         holds spaces (password='a b')"
                            .into(),
                    )
                })?;
                pairs.push((key, value));
            }
            pairs
        }
    };
    let mut last: Vec<(String, String)> = Vec::with_capacity(pairs.len());
    for (key, value) in pairs {
        last.retain(|(kept, _)| *kept != key);
        last.push((key, value));
    }
    Ok(last)
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
pub(super) fn key_value_text(pairs: &[(String, String)]) -> String {
    let quoted = |value: &str| value.replace('\\', "\\\\").replace('\'', "\\'");
    pairs
        .iter()
        .map(|(key, value)| format!("{key}='{}'", quoted(value)))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The connection string without the parameters `keys` names, and those parameters
/// (values unquoted, or percent-decoded in a URL). Everything else is kept byte for byte.
pub fn take_params(conninfo: &str, keys: &[&str]) -> (String, Vec<(String, String)>) {
    let mut taken = Vec::new();
    if url_scheme(conninfo).is_some() {
        let Some((base, query)) = conninfo.split_once('?') else {
            return (conninfo.to_string(), taken);
        };
        let kept: Vec<&str> = query
            .split('&')
            .filter(|param| {
                let (key, value) = param.split_once('=').unwrap_or((param, ""));
                let key = percent_decode(key);
                let ours = keys.contains(&key.as_str());
                if ours {
                    taken.push((key, percent_decode(value)));
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
            taken.insert(0, (key, value.unwrap_or_default()));
        }
    }
    (rest.trim_end().to_string(), taken)
}

/// The connection string with its password left out (the URL's `:password@`, or a
/// `password` parameter), and whether it had one: how a printed command names the target.
pub fn without_password(conninfo: &str) -> (String, bool) {
    let (rest, taken) = take_params(conninfo, &["password"]);
    let url = url_scheme(&rest).and_then(|_| rest.split_once("://"));
    let stripped = url.and_then(|(scheme, after)| {
        let authority_end = after.find(['/', '?']).unwrap_or(after.len());
        let at = after[..authority_end].rfind('@')?;
        let colon = after[..at].find(':')?;
        Some(format!("{scheme}://{}{}", &after[..colon], &after[at..]))
    });
    match stripped {
        Some(stripped) => (stripped, true),
        None => (rest, !taken.is_empty()),
    }
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut at = 0;
    while at < bytes.len() {
        let hex = bytes
            .get(at + 1..at + 3)
            .filter(|h| h.iter().all(u8::is_ascii_hexdigit))
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
/// value unquoted (`'…'` with `\\` escapes; `None` for a word without `=`), and the byte
/// span of the whole parameter with the blanks after it.
fn key_values(conninfo: &str) -> Vec<(String, Option<String>, std::ops::Range<usize>)> {
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
            params.push((key, None, start..at));
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
            Some(String::from_utf8_lossy(&value).into_owned()),
            start..end,
        ));
        at = end;
    }
    params
}
