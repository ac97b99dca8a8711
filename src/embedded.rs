//! The private PostgreSQL this tool runs itself from the machine's PostgreSQL binaries:
//! the default target for `load` (a detached server that outlives the command, so the
//! user can query it), and throw-away servers tied to this process for tests and
//! benchmarks.
//!
//! PostgreSQL refuses to run as root; when this process is root the server runs as the
//! `postgres` user, which then owns the data directory.

use std::io;
use std::net::TcpListener;
use std::os::unix::fs::chown;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output};
use std::sync::{mpsc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use crate::error::EmbeddedError;

/// The superuser and the database of every server made here.
pub const USER: &str = "sparkify";
pub const DATABASE: &str = "sparkify";
const SERVER_USER_WHEN_ROOT: &str = "postgres";
const START_TIMEOUT: Duration = Duration::from_secs(60);

type Result<T> = std::result::Result<T, EmbeddedError>;

/// Where the embedded default lives unless `SPARKIFY_LOAD_HOME` says otherwise.
pub fn default_home() -> PathBuf {
    if is_root() {
        // The server runs as `postgres`, which cannot enter root's home directory.
        return PathBuf::from("/var/lib/sparkify-load");
    }
    let data = std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| Path::new(&home).join(".local/share")))
        .unwrap_or_else(std::env::temp_dir);
    data.join("sparkify-load")
}

/// The URL of a server made here, listening on loopback.
pub fn url(port: u16) -> String {
    format!("postgresql://{USER}@127.0.0.1:{port}/{DATABASE}")
}

/// A running embedded default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Server {
    pub port: u16,
}

impl Server {
    pub fn url(&self) -> String {
        url(self.port)
    }

    /// The running server of `home`, creating and starting it when needed.
    pub fn ensure_running(home: &Path) -> Result<Server> {
        let cluster = Cluster::new(home.join("pgdata"))?;
        if let Some(server) = Server::running(home)? {
            return Ok(server);
        }
        if !cluster.is_initialized() {
            cluster.owned_dir(home)?;
            cluster.init()?;
        }
        let port = free_port()?;
        let log = home.join("postgres.log");
        cluster.run(
            "pg_ctl",
            cluster
                .command("pg_ctl")
                .arg("start")
                .arg("-D")
                .arg(&cluster.data_dir)
                .arg("-l")
                .arg(&log)
                .args(["-w", "-t", "60", "-o"])
                .arg(
                    cluster
                        .server_options(port, &[("synchronous_commit", "off")])
                        .join(" "),
                ),
        )?;
        cluster.create_database(port)?;
        Ok(Server { port })
    }

    /// The server of `home` if it is running.
    pub fn running(home: &Path) -> Result<Option<Server>> {
        let cluster = Cluster::new(home.join("pgdata"))?;
        if !cluster.is_initialized() {
            return Ok(None);
        }
        let status = cluster
            .command("pg_ctl")
            .arg("status")
            .arg("-D")
            .arg(&cluster.data_dir)
            .output();
        match status {
            Ok(out) if out.status.success() => {
                Ok(cluster.running_port().map(|port| Server { port }))
            }
            Ok(_) => Ok(None),
            Err(e) => Err(EmbeddedError(format!("cannot run pg_ctl: {e}"))),
        }
    }

    /// Stops the server of `home`; false if it was not running.
    pub fn stop(home: &Path) -> Result<bool> {
        if Server::running(home)?.is_none() {
            return Ok(false);
        }
        let cluster = Cluster::new(home.join("pgdata"))?;
        cluster.run(
            "pg_ctl",
            cluster
                .command("pg_ctl")
                .arg("stop")
                .arg("-D")
                .arg(&cluster.data_dir)
                .args(["-m", "fast", "-w"]),
        )?;
        Ok(true)
    }
}

/// A server tied to this process, in a data directory of the caller's (tests and
/// benchmarks): initdb'd on start, stopped on drop, and killed if this process dies.
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
        let cluster = Cluster::new(data_dir.to_path_buf())?;
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
        // SIGINT is PostgreSQL's fast shutdown: sessions end, data is kept consistent.
        unsafe {
            libc::kill(self.child.id() as libc::pid_t, libc::SIGINT);
        }
        let _ = self.child.wait();
    }

    /// Stops the server and starts it again on the same data and port.
    pub fn restart(&mut self) -> Result<()> {
        self.stop();
        self.child = spawn_server(&self.cluster, self.port, &self.settings)?;
        self.cluster.wait_ready(self.port, &mut self.child)
    }
}

/// Starts `postgres` on the cluster's data, tied to this process, logging beside it.
fn spawn_server(cluster: &Cluster, port: u16, settings: &[(String, String)]) -> Result<Child> {
    let log_path = cluster.data_dir.with_extension("log");
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&log_path)
        .map_err(|e| EmbeddedError(format!("cannot open {}: {e}", log_path.display())))?;
    let settings: Vec<(&str, &str)> = settings
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let mut command = cluster.command("postgres");
    command
        .arg("-D")
        .arg(&cluster.data_dir)
        .args(cluster.server_options(port, &settings))
        .stdout(log.try_clone().map_err(|e| EmbeddedError(e.to_string()))?)
        .stderr(log);
    spawn_tied_to_process(command).map_err(|e| EmbeddedError(format!("cannot start postgres: {e}")))
}

impl Drop for AttachedServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A data directory and the binaries that serve it.
#[derive(Debug)]
struct Cluster {
    data_dir: PathBuf,
    bin_dir: PathBuf,
    /// (uid, gid) to run as when this process is root.
    owner: Option<(u32, u32)>,
}

impl Cluster {
    fn new(data_dir: PathBuf) -> Result<Cluster> {
        let owner = if is_root() {
            Some(user_ids(SERVER_USER_WHEN_ROOT)?)
        } else {
            None
        };
        Ok(Cluster {
            data_dir,
            bin_dir: find_bin_dir()?,
            owner,
        })
    }

    fn is_initialized(&self) -> bool {
        self.data_dir.join("PG_VERSION").exists()
    }

    fn bin(&self, name: &str) -> PathBuf {
        self.bin_dir.join(name)
    }

    fn command(&self, name: &str) -> Command {
        let mut command = Command::new(self.bin(name));
        if let Some((uid, gid)) = self.owner {
            command.uid(uid).gid(gid);
        }
        // The server user may not be able to enter the caller's working directory.
        command.current_dir("/");
        command
    }

    /// Creates `dir` (and parents) so that the server's user owns it.
    fn owned_dir(&self, dir: &Path) -> Result<()> {
        std::fs::create_dir_all(dir)
            .map_err(|e| EmbeddedError(format!("cannot create {}: {e}", dir.display())))?;
        if let Some((uid, gid)) = self.owner {
            chown(dir, Some(uid), Some(gid)).map_err(|e| {
                EmbeddedError(format!(
                    "cannot hand {} to the postgres user: {e}",
                    dir.display()
                ))
            })?;
        }
        Ok(())
    }

    fn init(&self) -> Result<()> {
        self.run(
            "initdb",
            self.command("initdb").arg("-D").arg(&self.data_dir).args([
                "-U",
                USER,
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
            ]),
        )
    }

    /// Command-line options for the server: loopback TCP only (no socket file, whose
    /// path length limit temporary directories can exceed).
    fn server_options(&self, port: u16, settings: &[(&str, &str)]) -> Vec<String> {
        let fixed = [
            ("port", port.to_string()),
            ("listen_addresses", "127.0.0.1".to_string()),
            ("unix_socket_directories", String::new()),
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

    fn running_port(&self) -> Option<u16> {
        let pid_file = std::fs::read_to_string(self.data_dir.join("postmaster.pid")).ok()?;
        pid_file.lines().nth(3)?.trim().parse().ok()
    }

    fn wait_ready(&self, port: u16, child: &mut Child) -> Result<()> {
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if let Ok(Some(status)) = child.try_wait() {
                return Err(EmbeddedError(format!(
                    "postgres exited at start-up ({status})"
                )));
            }
            let ready = self
                .command("pg_isready")
                .args(["-q", "-h", "127.0.0.1", "-p", &port.to_string()])
                .status()
                .is_ok_and(|s| s.success());
            if ready {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(EmbeddedError(format!(
                    "postgres did not accept connections on port {port}"
                )));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Creates the database unless a start before this one (perhaps cut short) did.
    fn create_database(&self, port: u16) -> Result<()> {
        let created = self.run(
            "createdb",
            self.command("createdb").args([
                "-h",
                "127.0.0.1",
                "-p",
                &port.to_string(),
                "-U",
                USER,
                DATABASE,
            ]),
        );
        match created {
            Err(EmbeddedError(message)) if message.contains("already exists") => Ok(()),
            other => other,
        }
    }

    fn run(&self, what: &str, command: &mut Command) -> Result<()> {
        let output: Output = command
            .output()
            .map_err(|e| EmbeddedError(format!("cannot run {what}: {e}")))?;
        if output.status.success() {
            return Ok(());
        }
        let stderr = String::from_utf8_lossy(&output.stderr);
        Err(EmbeddedError(format!(
            "{what} failed ({}): {}",
            output.status,
            stderr.trim()
        )))
    }
}

fn is_root() -> bool {
    unsafe { libc::geteuid() == 0 }
}

fn user_ids(name: &str) -> Result<(u32, u32)> {
    let c_name = std::ffi::CString::new(name).expect("no NUL in a user name");
    let entry = unsafe { libc::getpwnam(c_name.as_ptr()) };
    if entry.is_null() {
        return Err(EmbeddedError(format!(
            "running as root needs the unprivileged user {name:?} to run PostgreSQL; \
             install PostgreSQL (apt-get install postgresql) or run as another user"
        )));
    }
    unsafe { Ok(((*entry).pw_uid, (*entry).pw_gid)) }
}

/// `SPARKIFY_LOAD_PG_BIN`, else the newest `/usr/lib/postgresql/*/bin`, else `PATH`.
fn find_bin_dir() -> Result<PathBuf> {
    if let Some(dir) = std::env::var_os("SPARKIFY_LOAD_PG_BIN") {
        return Ok(PathBuf::from(dir));
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse().ok()?;
            let bin = entry.path().join("bin");
            bin.join("initdb").exists().then_some((version, bin))
        })
        .collect();
    versions.sort();
    if let Some((_, bin)) = versions.pop() {
        return Ok(bin);
    }
    std::env::var_os("PATH")
        .and_then(|path| std::env::split_paths(&path).find(|dir| dir.join("initdb").exists()))
        .ok_or_else(|| {
            EmbeddedError(
                "no PostgreSQL server binaries found (initdb, postgres); install them \
                 (apt-get install postgresql), set SPARKIFY_LOAD_PG_BIN, or give --target"
                    .into(),
            )
        })
}

fn free_port() -> Result<u16> {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .map_err(|e| EmbeddedError(format!("no free loopback port: {e}")))
}

type SpawnRequest = (Command, mpsc::Sender<io::Result<Child>>);

/// Spawns `command` so that it gets SIGINT when this process dies. PR_SET_PDEATHSIG
/// fires when the *thread* that forked exits, so all such children are forked from one
/// thread that lives as long as the process.
fn spawn_tied_to_process(mut command: Command) -> io::Result<Child> {
    static SPAWNER: OnceLock<Mutex<mpsc::Sender<SpawnRequest>>> = OnceLock::new();
    unsafe {
        command.pre_exec(|| {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGINT) != 0 {
                return Err(io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let spawner = SPAWNER.get_or_init(|| {
        let (tx, rx) = mpsc::channel::<SpawnRequest>();
        std::thread::Builder::new()
            .name("postgres-spawner".into())
            .spawn(move || {
                for (mut command, reply) in rx {
                    let _ = reply.send(command.spawn());
                }
            })
            .expect("a thread can be spawned");
        Mutex::new(tx)
    });
    let (reply_tx, reply_rx) = mpsc::channel();
    spawner
        .lock()
        .expect("the spawner lock is never poisoned")
        .send((command, reply_tx))
        .map_err(|_| io::Error::other("the spawner thread is gone"))?;
    reply_rx
        .recv()
        .map_err(|_| io::Error::other("the spawner thread is gone"))?
}
