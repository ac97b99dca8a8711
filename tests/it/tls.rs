//! TLS to the target: a PostgreSQL the test starts with a self-signed certificate it makes,
//! reached with sslmode=require and verify-full, and refused where the server has no TLS.

use std::os::unix::fs::{chown, PermissionsExt};

use crate::common::*;
use sparkify_load::embedded::AttachedServer;
use sparkify_load::Error;

struct TlsServer {
    server: AttachedServer,
    ca_file: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

fn start_tls_server() -> TlsServer {
    let dir = tempfile::tempdir().unwrap();
    let certified =
        rcgen::generate_simple_self_signed(vec!["localhost".to_string(), "127.0.0.1".to_string()])
            .unwrap();
    let certs = dir.path().join("certs");
    std::fs::create_dir(&certs).unwrap();
    let (cert, key) = (certs.join("server.crt"), certs.join("server.key"));
    std::fs::write(&cert, certified.cert.pem()).unwrap();
    std::fs::write(&key, certified.key_pair.serialize_pem()).unwrap();
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
    // PostgreSQL reads the key as the user it runs as: `postgres` when the tests run as root.
    let data = dir.path().join("data");
    if nix::unistd::geteuid().is_root() {
        let postgres = nix::unistd::User::from_name("postgres")
            .unwrap()
            .expect("a postgres user");
        for path in [&certs, &cert, &key] {
            chown(
                path,
                Some(postgres.uid.as_raw()),
                Some(postgres.gid.as_raw()),
            )
            .unwrap();
        }
    }
    let (cert_setting, key_setting) = (cert.display().to_string(), key.display().to_string());
    let server = AttachedServer::start(
        &data,
        &[
            ("fsync", "off"),
            ("ssl", "on"),
            ("ssl_cert_file", &cert_setting),
            ("ssl_key_file", &key_setting),
        ],
    )
    .unwrap();
    TlsServer {
        server,
        ca_file: cert,
        _dir: dir,
    }
}

#[tokio::test]
async fn require_and_verify_full_load_over_tls() {
    let tls = start_tls_server();
    let base = tls.server.url();
    for query in [
        "sslmode=require".to_string(),
        format!("sslmode=verify-full&sslrootcert={}", tls.ca_file.display()),
    ] {
        let url = format!("{base}?{query}");
        load(&config(&tiny(), &url))
            .await
            .unwrap_or_else(|e| panic!("{query}: {e}"));
        assert_eq!(
            dump_all(&format!("{base}?sslmode=disable"), "public").await,
            expected_tiny_all(),
            "{query}"
        );
    }
    // The server saw the loader's sessions encrypted: check one of its own.
    let database = sparkify_load::db::Database::new(
        &sparkify_load::Secret::new(format!("{base}?sslmode=require")),
        sparkify_load::Dialect::Postgres,
    )
    .unwrap();
    let client = database.connect().await.unwrap();
    let ssl: bool = client
        .query_one(
            "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert!(ssl);
}

#[tokio::test]
async fn verification_failures_and_servers_without_tls_are_refused() {
    let tls = start_tls_server();
    let base = tls.server.url();
    // The certificate names 127.0.0.1 and localhost, not this host name.
    let other = tempfile::tempdir().unwrap();
    let unrelated =
        rcgen::generate_simple_self_signed(vec!["elsewhere.example".to_string()]).unwrap();
    let wrong_ca = other.path().join("ca.pem");
    std::fs::write(&wrong_ca, unrelated.cert.pem()).unwrap();
    let url = format!(
        "{base}?sslmode=verify-full&sslrootcert={}",
        wrong_ca.display()
    );
    let err = load(&config(&tiny(), &url))
        .await
        .expect_err("an unknown issuer");
    assert!(matches!(err, Error::Target(_)), "{err}");
    assert!(err.to_string().contains("connect"), "{err}");

    // The shared test server has no TLS: require must not fall back to plain text.
    let plain = fresh_database().await;
    let err = load(&config(&tiny(), &format!("{plain}?sslmode=require")))
        .await
        .expect_err("no TLS there");
    assert!(matches!(err, Error::Target(_)), "{err}");
}
