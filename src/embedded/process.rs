//! The processes and ports under the embedded server: its binaries found, a free port, a
//! server started tied to this process (and as `postgres` when root), stopped fast.

use std::io;
use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::sync::{mpsc, Mutex, OnceLock};

use nix::sys::signal::{kill, Signal};
use nix::unistd::{Pid, User};

use super::cluster::Cluster;
use super::Result;
use crate::error::EmbeddedError;

/// `'…'` for a POSIX shell: a quote inside is closed, escaped and reopened.
pub(super) fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

pub(super) fn io_error(what: &'static str, path: &Path) -> impl FnOnce(io::Error) -> EmbeddedError {
    let path = path.to_path_buf();
    move |source| EmbeddedError::Io { what, path, source }
}

pub(super) fn is_root() -> bool {
    nix::unistd::geteuid().is_root()
}

pub(super) fn user_ids(name: &str) -> Result<(u32, u32)> {
    match User::from_name(name) {
        Ok(Some(user)) => Ok((user.uid.as_raw(), user.gid.as_raw())),
        _ => Err(EmbeddedError::NoServerUser { user: name.into() }),
    }
}

/// The programs the embedded PostgreSQL runs; a directory is the binaries' only if it
/// holds them all.
pub(super) const PROGRAMS: [&str; 5] = ["initdb", "postgres", "pg_ctl", "pg_isready", "psql"];

/// `SPARKIFY_LOAD_PG_BIN`, else the newest `/usr/lib/postgresql/*/bin`, else `PATH`; the
/// error names every place looked in.
pub(super) fn find_bin_dir() -> Result<PathBuf> {
    let holds_all = |dir: &Path| PROGRAMS.iter().all(|p| dir.join(p).is_file());
    if let Some(dir) = std::env::var_os("SPARKIFY_LOAD_PG_BIN") {
        let dir = PathBuf::from(dir);
        if holds_all(&dir) {
            return Ok(dir);
        }
        return Err(EmbeddedError::NoBinaries {
            searched: format!("SPARKIFY_LOAD_PG_BIN={}", dir.display()),
        });
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse().ok()?;
            let bin = entry.path().join("bin");
            holds_all(&bin).then_some((version, bin))
        })
        .collect();
    versions.sort();
    if let Some((_, bin)) = versions.pop() {
        return Ok(bin);
    }
    std::env::var_os("PATH")
        .and_then(|path| std::env::split_paths(&path).find(|dir| holds_all(dir)))
        .ok_or(EmbeddedError::NoBinaries {
            searched: "/usr/lib/postgresql/*/bin and every directory of PATH".into(),
        })
}

pub(super) fn free_port() -> Result<u16> {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .map_err(|source| EmbeddedError::Io {
            what: "find a free port on",
            path: PathBuf::from("127.0.0.1"),
            source,
        })
}

/// Whether a live process holds `port` in `socket_dir`: PostgreSQL's lock file there
/// names the process that owns the socket (a stale one, of a dead process, does not count).
pub(super) fn port_held(socket_dir: &Path, port: u16) -> bool {
    let lock = socket_dir.join(format!(".s.PGSQL.{port}.lock"));
    let Ok(text) = std::fs::read_to_string(lock) else {
        return false;
    };
    let pid = text
        .lines()
        .next()
        .and_then(|l| l.trim().parse::<i32>().ok());
    // Signal 0 checks that the process exists without touching it.
    pid.is_some_and(|pid| kill(Pid::from_raw(pid), None).is_ok())
}

/// SIGINT is PostgreSQL's fast shutdown: sessions end, data is kept consistent.
pub(super) fn fast_shutdown(child: &mut Child) {
    if let Ok(pid) = i32::try_from(child.id()) {
        let _ = kill(Pid::from_raw(pid), Signal::SIGINT);
    }
    let _ = child.wait();
}

/// Starts `postgres` on the cluster's data, tied to this process, logging beside it.
pub(super) fn spawn_server(
    cluster: &Cluster,
    port: u16,
    settings: &[(String, String)],
) -> Result<Child> {
    let log_path = cluster.data_dir.with_extension("log");
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&log_path)
        .map_err(io_error("open", &log_path))?;
    let settings: Vec<(&str, &str)> = settings
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let mut command = cluster.command("postgres");
    command
        .arg("-D")
        .arg(&cluster.data_dir)
        .args(cluster.server_options(port, &settings))
        .stdout(log.try_clone().map_err(io_error("open", &log_path))?)
        .stderr(log);
    spawn_tied_to_process(command).map_err(|source| EmbeddedError::Spawn {
        program: "postgres".into(),
        source,
    })
}

type SpawnRequest = (Command, mpsc::Sender<io::Result<Child>>);

/// Spawns `command` so that it gets SIGINT when this process dies. PR_SET_PDEATHSIG
/// fires when the *thread* that forked exits, so all such children are forked from one
/// thread that lives as long as the process.
pub(super) fn spawn_tied_to_process(mut command: Command) -> io::Result<Child> {
    static SPAWNER: OnceLock<Mutex<mpsc::Sender<SpawnRequest>>> = OnceLock::new();
    // SAFETY: the closure runs in the child between fork and exec, where only
    // async-signal-safe calls are allowed; prctl(2) is a plain system call that allocates
    // nothing and takes no lock.
    unsafe {
        command
            .pre_exec(|| nix::sys::prctl::set_pdeathsig(Signal::SIGINT).map_err(io::Error::from));
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
