//! A PostgreSQL data directory and the machine's binaries that serve it: initdb, start,
//! readiness, the database, stop; run as the `postgres` user when this process is root.

use std::os::unix::fs::{chown, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output};
use std::time::{Duration, Instant};

use super::process::{find_bin_dir, io_error, is_root, shell_quote, user_ids};
use super::{Result, DATABASE, USER};
use crate::error::EmbeddedError;

const SERVER_USER_WHEN_ROOT: &str = "postgres";
const START_TIMEOUT: Duration = Duration::from_secs(60);
/// The longest path a Unix socket may have (`sun_path` less its NUL).
const MAX_SOCKET_PATH: usize = 107;

/// How clients reach the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Listen {
    /// Only a Unix socket in `socket/` beside the data directory, mode 0700: the embedded
    /// default, which only its owner may use.
    PrivateSocket,
    /// Loopback TCP with trust authentication: throw-away test and benchmark servers.
    Loopback,
}

/// A data directory and the binaries that serve it.
#[derive(Debug)]
pub(super) struct Cluster {
    pub(super) data_dir: PathBuf,
    bin_dir: PathBuf,
    listen: Listen,
    /// (uid, gid) to run as when this process is root.
    owner: Option<(u32, u32)>,
}

impl Cluster {
    /// The embedded default of `home`: data in `home/pgdata`, socket in `home/socket`.
    pub(super) fn of_home(home: &Path) -> Result<Cluster> {
        Cluster::new(home.join("pgdata"), Listen::PrivateSocket)
    }

    pub(super) fn on_loopback(data_dir: PathBuf) -> Result<Cluster> {
        Cluster::new(data_dir, Listen::Loopback)
    }

    fn new(data_dir: PathBuf, listen: Listen) -> Result<Cluster> {
        let owner = if is_root() {
            Some(user_ids(SERVER_USER_WHEN_ROOT)?)
        } else {
            None
        };
        Ok(Cluster {
            data_dir,
            bin_dir: find_bin_dir()?,
            listen,
            owner,
        })
    }

    pub(super) fn socket_dir(&self) -> PathBuf {
        self.data_dir.with_file_name("socket")
    }

    pub(super) fn is_initialized(&self) -> bool {
        self.data_dir.join("PG_VERSION").exists()
    }

    pub(super) fn command(&self, name: &str) -> Command {
        let mut command = Command::new(self.bin_dir.join(name));
        if let Some((uid, gid)) = self.owner {
            command.uid(uid).gid(gid);
        }
        // The server user may not be able to enter the caller's working directory.
        command.current_dir("/");
        command
    }

    /// Creates `dir` (and parents) so that the server's user owns it.
    pub(super) fn owned_dir(&self, dir: &Path) -> Result<()> {
        std::fs::create_dir_all(dir).map_err(io_error("create", dir))?;
        if let Some((uid, gid)) = self.owner {
            chown(dir, Some(uid), Some(gid)).map_err(io_error("hand to the postgres user", dir))?;
        }
        Ok(())
    }

    pub(super) fn init(&self) -> Result<()> {
        // Local (socket) connections trust the socket's directory; TCP ones, where a test
        // server listens on loopback, are trusted there and refused here.
        let host_auth = match self.listen {
            Listen::PrivateSocket => "--auth-host=reject",
            Listen::Loopback => "--auth-host=trust",
        };
        self.run(
            "initdb",
            self.command("initdb").arg("-D").arg(&self.data_dir).args([
                "-U",
                USER,
                "--auth-local=trust",
                host_auth,
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
            ]),
        )
    }

    /// Starts a server that outlives this process (the embedded default).
    pub(super) fn start_detached(&self, port: u16, log: &Path) -> Result<()> {
        let socket_dir = self.socket_dir();
        self.owned_dir(&socket_dir)?;
        std::fs::set_permissions(&socket_dir, std::fs::Permissions::from_mode(0o700))
            .map_err(io_error("restrict", &socket_dir))?;
        let socket = socket_dir.join(format!(".s.PGSQL.{port}"));
        if socket.as_os_str().len() > MAX_SOCKET_PATH {
            return Err(EmbeddedError::SocketPathTooLong {
                path: socket,
                max: MAX_SOCKET_PATH,
            });
        }
        let options = self.server_options(port, &[("synchronous_commit", "off")]);
        self.run(
            "pg_ctl",
            self.command("pg_ctl")
                .arg("start")
                .arg("-D")
                .arg(&self.data_dir)
                .arg("-l")
                .arg(log)
                .args(["-w", "-t", "60", "-o"])
                .arg(options.join(" ")),
        )
    }

    pub(super) fn is_running(&self) -> Result<bool> {
        let status = self
            .command("pg_ctl")
            .arg("status")
            .arg("-D")
            .arg(&self.data_dir)
            .output()
            .map_err(|source| EmbeddedError::Spawn {
                program: "pg_ctl".into(),
                source,
            })?;
        Ok(status.status.success())
    }

    pub(super) fn stop(&self) -> Result<()> {
        self.run(
            "pg_ctl",
            self.command("pg_ctl")
                .arg("stop")
                .arg("-D")
                .arg(&self.data_dir)
                .args(["-m", "fast", "-w"]),
        )
    }

    /// Command-line options for the server. No socket file for a loopback server (a
    /// temporary directory's path can exceed a socket path's limit); no TCP for the
    /// private one.
    pub(super) fn server_options(&self, port: u16, settings: &[(&str, &str)]) -> Vec<String> {
        let (listen_addresses, socket_dirs) = match self.listen {
            Listen::Loopback => ("127.0.0.1".to_string(), String::new()),
            // These options pass through pg_ctl's shell: quoted, an empty list stays one
            // argument and a directory may hold spaces or quotes.
            Listen::PrivateSocket => (
                "''".to_string(),
                shell_quote(&self.socket_dir().display().to_string()),
            ),
        };
        let fixed = [
            ("port", port.to_string()),
            ("listen_addresses", listen_addresses),
            ("unix_socket_directories", socket_dirs),
            ("unix_socket_permissions", "0700".to_string()),
        ];
        let extra = settings
            .iter()
            .map(|(name, value)| (*name, value.to_string()));
        fixed
            .into_iter()
            .chain(extra)
            .flat_map(|(name, value)| ["-c".to_string(), format!("{name}={value}")])
            .collect()
    }

    /// `-h` and `-p` for the client programs.
    fn host_args(&self, port: u16) -> Vec<String> {
        let host = match self.listen {
            Listen::Loopback => "127.0.0.1".to_string(),
            Listen::PrivateSocket => self.socket_dir().display().to_string(),
        };
        vec!["-h".into(), host, "-p".into(), port.to_string()]
    }

    pub(super) fn running_port(&self) -> Option<u16> {
        let pid_file = std::fs::read_to_string(self.data_dir.join("postmaster.pid")).ok()?;
        pid_file.lines().nth(3)?.trim().parse().ok()
    }

    pub(super) fn wait_ready(&self, port: u16, child: &mut Child) -> Result<()> {
        let deadline = Instant::now() + START_TIMEOUT;
        let log = self.data_dir.with_extension("log");
        loop {
            if let Ok(Some(status)) = child.try_wait() {
                return Err(EmbeddedError::Exited { status, log });
            }
            let ready = self
                .command("pg_isready")
                .arg("-q")
                .args(self.host_args(port))
                .status()
                .is_ok_and(|s| s.success());
            if ready {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(EmbeddedError::NotReady {
                    seconds: START_TIMEOUT.as_secs(),
                    log,
                });
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Creates the database unless a start before this one (perhaps cut short) did.
    pub(super) fn create_database(&self, port: u16) -> Result<()> {
        let exists = self
            .command("psql")
            .args(self.host_args(port))
            .args(["-U", USER, "-d", "postgres", "-tAc"])
            .arg(format!(
                "SELECT 1 FROM pg_database WHERE datname = '{DATABASE}'"
            ))
            .output()
            .map_err(|source| EmbeddedError::Spawn {
                program: "psql".into(),
                source,
            })?;
        if exists.status.success() && String::from_utf8_lossy(&exists.stdout).trim() == "1" {
            return Ok(());
        }
        self.run(
            "createdb",
            self.command("createdb")
                .args(self.host_args(port))
                .args(["-U", USER, DATABASE]),
        )
    }

    fn run(&self, program: &str, command: &mut Command) -> Result<()> {
        let output: Output = command.output().map_err(|source| EmbeddedError::Spawn {
            program: program.into(),
            source,
        })?;
        if output.status.success() {
            return Ok(());
        }
        Err(EmbeddedError::Command {
            program: program.into(),
            status: output.status,
            stderr: String::from_utf8_lossy(&output.stderr).trim().to_string(),
        })
    }
}
