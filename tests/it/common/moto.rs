//! moto in server mode on loopback: a real S3 + SQS that sends S3 event notifications to
//! SQS, for the watcher's queue route. Installed by scripts/install-moto; a machine without
//! it says the tests that need it skipped.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running moto server, stopped when dropped.
pub struct Moto {
    pub endpoint: String,
    child: Child,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Where scripts/install-moto puts the server.
fn server_program() -> PathBuf {
    let home = std::env::var_os("SPARKIFY_TEST_MOTO_HOME").map_or_else(
        || PathBuf::from("/opt/sparkify-load-test/moto"),
        PathBuf::from,
    );
    home.join("bin/moto_server")
}

impl Moto {
    /// Starts a server on a free loopback port; `None` (said as skipped) when moto is not
    /// installed.
    pub fn start() -> Option<Moto> {
        let program = server_program();
        if !program.exists() {
            super::skipped(&format!(
                "moto is not installed at {} (scripts/install-moto)",
                program.display()
            ));
            return None;
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(program)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("moto_server starts");
        let moto = Moto {
            endpoint: format!("http://127.0.0.1:{port}"),
            child,
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "moto_server did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        Some(moto)
    }

    /// The SDK configuration that reaches it (region us-east-1, its fixed test keys).
    pub async fn sdk(&self) -> aws_config::SdkConfig {
        aws_config::defaults(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new("us-east-1"))
            .endpoint_url(&self.endpoint)
            .credentials_provider(aws_credential_types::Credentials::new(
                "test", "test", None, None, "moto",
            ))
            .load()
            .await
    }
}
