//! The private PostgreSQL this tool runs itself from the machine's PostgreSQL binaries:
//! the default target for `load` (a detached server that outlives the command, so the
//! user can query it), and throw-away servers tied to this process for tests and
//! benchmarks.
//!
//! The default listens on no TCP port at all, only on a Unix socket in a mode-0700
//! directory of its home: file permissions are its authentication, so only the home's
//! owner (and root) can connect. PostgreSQL refuses to run as root; when this process is
//! root the server runs as the `postgres` user, which then owns the data directory.

mod cluster;
mod process;

use std::path::{Path, PathBuf};
use std::process::Child;

use cluster::Cluster;
use process::{free_port, spawn_server};

use crate::error::EmbeddedError;

/// The superuser and the database of every server made here.
pub const USER: &str = "sparkify";
pub const DATABASE: &str = "sparkify";

type Result<T> = std::result::Result<T, EmbeddedError>;

/// Where the embedded default lives unless `SPARKIFY_LOAD_HOME` says otherwise.
pub fn default_home() -> PathBuf {
    if process::is_root() {
        // The server runs as `postgres`, which cannot enter root's home directory.
        return PathBuf::from("/var/lib/sparkify-load");
    }
    let data = std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| Path::new(&home).join(".local/share")))
        .unwrap_or_else(std::env::temp_dir);
    data.join("sparkify-load")
}

/// The URL of a server made here that listens on loopback TCP (tests and benchmarks).
pub fn url(port: u16) -> String {
    format!("postgresql://{USER}@127.0.0.1:{port}/{DATABASE}")
}

/// A running embedded default: its socket directory and port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Server {
    pub socket_dir: PathBuf,
    pub port: u16,
}

impl Server {
    /// `postgresql://sparkify@/sparkify?host=SOCKET_DIR&port=PORT`: psql and this tool
    /// read it alike. It holds no secret: the socket's directory is the lock.
    pub fn url(&self) -> String {
        format!(
            "postgresql://{USER}@/{DATABASE}?host={}&port={}",
            percent_encode(&self.socket_dir.display().to_string()),
            self.port
        )
    }

    /// The running server of `home`, creating and starting it when needed.
    pub fn ensure_running(home: &Path) -> Result<Server> {
        let cluster = Cluster::of_home(home)?;
        if let Some(server) = Server::running_in(&cluster)? {
            let socket = server.socket_dir.join(format!(".s.PGSQL.{}", server.port));
            if socket.exists() {
                return Ok(server);
            }
            // Started by an earlier version, on loopback TCP: restarted on its private
            // socket (the data stays).
            tracing::info!("restarting the embedded PostgreSQL on its private socket");
            cluster.stop()?;
        }
        if !cluster.is_initialized() {
            cluster.owned_dir(home)?;
            cluster.init()?;
        }
        let port = home_port(home, &cluster.socket_dir())?;
        cluster.start_detached(port, &home.join("postgres.log"))?;
        cluster.create_database(port)?;
        tracing::info!(home = %home.display(), "embedded PostgreSQL started");
        Ok(Server {
            socket_dir: cluster.socket_dir(),
            port,
        })
    }

    /// The server of `home` if it is running.
    pub fn running(home: &Path) -> Result<Option<Server>> {
        Server::running_in(&Cluster::of_home(home)?)
    }

    fn running_in(cluster: &Cluster) -> Result<Option<Server>> {
        if !cluster.is_initialized() || !cluster.is_running()? {
            return Ok(None);
        }
        Ok(cluster.running_port().map(|port| Server {
            socket_dir: cluster.socket_dir(),
            port,
        }))
    }

    /// Stops the server of `home`; false if it was not running.
    pub fn stop(home: &Path) -> Result<bool> {
        let cluster = Cluster::of_home(home)?;
        if Server::running_in(&cluster)?.is_none() {
            return Ok(false);
        }
        cluster.stop()?;
        Ok(true)
    }
}

/// The file in a home that keeps its server's port, so that its URL stays the same from
/// one start to the next.
const PORT_FILE: &str = "port";

/// The port the server of `home` listens on: the one chosen when the home was made,
/// unless another process holds it now (then a new one, kept from now on, and a warning:
/// the URL changed).
fn home_port(home: &Path, socket_dir: &Path) -> Result<u16> {
    let file = home.join(PORT_FILE);
    let kept: Option<u16> = std::fs::read_to_string(&file)
        .ok()
        .and_then(|text| text.trim().parse().ok());
    match kept {
        Some(port) if !process::port_held(socket_dir, port) => Ok(port),
        Some(port) => {
            let new = free_port()?;
            tracing::warn!(
                "the embedded PostgreSQL's port {port} is held by another process; it now \
                 listens on port {new}, so its URL changed (sparkify-load db url)"
            );
            write_port(&file, new)?;
            Ok(new)
        }
        None => {
            let port = free_port()?;
            write_port(&file, port)?;
            Ok(port)
        }
    }
}

fn write_port(file: &Path, port: u16) -> Result<()> {
    std::fs::write(file, format!("{port}\n")).map_err(|source| EmbeddedError::Io {
        what: "write",
        path: file.to_path_buf(),
        source,
    })
}

/// Percent-encodes what a URL's query value may not hold as it is.
fn percent_encode(text: &str) -> String {
    let mut encoded = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"/-_.~".contains(&byte) {
            encoded.push(byte as char);
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

/// A server tied to this process, in a data directory of the caller's (tests and
/// benchmarks): initdb'd on start, listening on loopback TCP with trust authentication,
/// stopped on drop, and killed if this process dies.
#[derive(Debug)]
pub struct AttachedServer {
    pub port: u16,
    child: Child,
    cluster: Cluster,
    settings: Vec<(String, String)>,
}

impl AttachedServer {
    /// Initializes `data_dir` (which must not hold a cluster yet) and starts a server on a
    /// free loopback port with extra `settings` (e.g. `fsync=off`); the server logs to
    /// `data_dir` with the extension `.log`.
    pub fn start(data_dir: &Path, settings: &[(&str, &str)]) -> Result<AttachedServer> {
        let cluster = Cluster::on_loopback(data_dir.to_path_buf())?;
        cluster.owned_dir(data_dir)?;
        cluster.init()?;
        let port = free_port()?;
        let settings: Vec<(String, String)> = settings
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let child = spawn_server(&cluster, port, &settings)?;
        let mut server = AttachedServer {
            port,
            child,
            cluster,
            settings,
        };
        server.cluster.wait_ready(port, &mut server.child)?;
        server.cluster.create_database(port)?;
        Ok(server)
    }

    pub fn url(&self) -> String {
        url(self.port)
    }

    /// Stops the server now (fast shutdown), as dropping it does.
    pub fn stop(&mut self) {
        process::fast_shutdown(&mut self.child);
    }

    /// Stops the server and starts it again on the same data and port.
    pub fn restart(&mut self) -> Result<()> {
        self.stop();
        self.child = spawn_server(&self.cluster, self.port, &self.settings)?;
        self.cluster.wait_ready(self.port, &mut self.child)
    }
}

impl Drop for AttachedServer {
    fn drop(&mut self) {
        self.stop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_socket_url_encodes_the_directory() {
        let server = Server {
            socket_dir: PathBuf::from("/home/a b/.sparkify&x"),
            port: 5433,
        };
        let url = server.url();
        assert_eq!(
            url,
            "postgresql://sparkify@/sparkify?host=/home/a%20b/.sparkify%26x&port=5433"
        );
        let config: tokio_postgres::Config = url.parse().unwrap();
        assert_eq!(
            config.get_hosts(),
            &[tokio_postgres::config::Host::Unix(PathBuf::from(
                "/home/a b/.sparkify&x"
            ))]
        );
        assert_eq!(config.get_ports(), &[5433]);
    }
}
