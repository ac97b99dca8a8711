//! Connection strings read as libpq reads them, each case against libpq's documented rule.

use std::os::unix::fs::PermissionsExt;

use tokio_postgres::config::{Host, SslMode};

use super::*;

fn env<'a>(vars: &'a [(&str, &str)]) -> impl Fn(&str) -> Option<String> + 'a {
    move |name| {
        vars.iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.to_string())
    }
}

fn read(conninfo: &str, vars: &[(&str, &str)]) -> Result<Conninfo, String> {
    resolve(conninfo, &env(vars)).map_err(|e| e.to_string())
}

#[test]
fn the_url_wins_and_the_environment_fills_what_it_leaves_out() {
    let vars = [
        ("PGPASSWORD", "from-env"),
        ("PGHOST", "envhost"),
        ("PGPORT", "6543"),
        ("PGDATABASE", "envdb"),
        ("PGUSER", "envuser"),
    ];
    let info = read("postgresql://ann@db.example/sales", &vars).unwrap();
    assert_eq!(info.config.get_user(), Some("ann"));
    assert_eq!(info.config.get_hosts(), &[Host::Tcp("db.example".into())]);
    assert_eq!(info.config.get_ports(), &[6543]);
    assert_eq!(info.config.get_dbname(), Some("sales"));
    assert_eq!(info.config.get_password(), Some(&b"from-env"[..]));
    let all_from_env = read("", &vars).unwrap();
    assert_eq!(
        describe(&all_from_env.config),
        "envuser@envhost:6543/envdb",
        "no '(default user)', no missing host"
    );
}

#[test]
fn ssl_modes_are_libpqs_six_and_a_bad_one_is_named() {
    let mode = |conninfo: &str, vars: &[(&str, &str)]| {
        let info = read(conninfo, vars).unwrap();
        (info.config.get_ssl_mode(), info.verification)
    };
    assert_eq!(
        mode("postgresql://u@h/d", &[]),
        (SslMode::Prefer, Verification::None)
    );
    assert_eq!(
        mode(
            "postgresql://u@h/d?sslmode=disable",
            &[("PGSSLMODE", "require")]
        ),
        (SslMode::Disable, Verification::None)
    );
    assert_eq!(
        mode("postgresql://u@h/d", &[("PGSSLMODE", "require")]),
        (SslMode::Require, Verification::None)
    );
    assert_eq!(
        mode(
            "host=h user=u sslmode=verify-full",
            &[("PGSSLROOTCERT", "/ca dir/ca.pem")]
        ),
        (
            SslMode::Require,
            Verification::Roots {
                root_cert: Some("/ca dir/ca.pem".into()),
                host_name: true
            }
        )
    );
    assert_eq!(
        mode(
            "postgresql://u@h/d?sslmode=verify-ca&sslrootcert=%2Fca.pem&application_name=x",
            &[]
        ),
        (
            SslMode::Require,
            Verification::Roots {
                root_cert: Some("/ca.pem".into()),
                host_name: false
            }
        )
    );
    let bogus = read("postgresql://u@h/d?sslmode=bogus", &[]).unwrap_err();
    assert!(
        bogus.contains("sslmode \"bogus\" in the target is not one of disable, allow, prefer, require, verify-ca, verify-full"),
        "{bogus}"
    );
    let from_env = read("postgresql://u@h/d", &[("PGSSLMODE", "on")]).unwrap_err();
    assert!(
        from_env.contains("sslmode \"on\" in PGSSLMODE"),
        "{from_env}"
    );
}

#[test]
fn a_wrong_scheme_or_option_says_what_is_wrong() {
    let scheme = read("postgressql://u:secret@h/d", &[]).unwrap_err();
    assert!(
        scheme.contains("scheme \"postgressql\" is not postgresql:// or postgres://"),
        "{scheme}"
    );
    assert!(!scheme.contains("secret"));
    let option = read("postgresql://u@h/d?colour=blue", &[]).unwrap_err();
    assert!(option.contains("unknown option `colour`"), "{option}");
    let port = read("postgresql://u@h/d", &[("PGPORT", "five")]).unwrap_err();
    assert!(
        port.contains("port \"five\" in PGPORT is not a port"),
        "{port}"
    );
}

#[test]
fn key_value_strings_keep_quoted_values_whole() {
    let info = read(
        "host='h' password='a  b\\' c' sslmode='verify-ca' sslrootcert='/ca dir/ca.pem' user=u",
        &[],
    )
    .unwrap();
    assert_eq!(info.config.get_password(), Some(&b"a  b' c"[..]));
    assert_eq!(
        info.verification,
        Verification::Roots {
            root_cert: Some("/ca dir/ca.pem".into()),
            host_name: false
        }
    );
}

#[test]
fn a_service_fills_before_the_environment() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("services.conf");
    std::fs::write(
        &file,
        "[sales]\nhost=svc.example\nport=6000\ndbname=sales\nsslmode=require\n",
    )
    .unwrap();
    let file = file.to_str().unwrap();
    let vars = [
        ("PGSERVICEFILE", file),
        ("PGHOST", "envhost"),
        ("PGUSER", "ann"),
    ];
    let info = read("postgresql:///?service=sales", &vars).unwrap();
    assert_eq!(describe(&info.config), "ann@svc.example:6000/sales");
    assert_eq!(info.config.get_ssl_mode(), SslMode::Require);
    let by_variable = read("", &[("PGSERVICE", "sales"), ("PGSERVICEFILE", file)]).unwrap();
    assert_eq!(by_variable.config.get_dbname(), Some("sales"));
    let missing = read("", &[("PGSERVICE", "nope"), ("PGSERVICEFILE", file)]).unwrap_err();
    assert!(
        missing.contains("service \"nope\" is defined in none of"),
        "{missing}"
    );
}

#[test]
fn the_password_file_matches_host_port_database_and_user() {
    let dir = tempfile::tempdir().unwrap();
    let pgpass = dir.path().join("pgpass");
    std::fs::write(
        &pgpass,
        "# comment\nother:5432:*:ann:wrong\ndb.example:5432:sales:ann:right\n*:*:*:*:fallback\n",
    )
    .unwrap();
    std::fs::set_permissions(&pgpass, std::fs::Permissions::from_mode(0o600)).unwrap();
    let passfile = pgpass.to_str().unwrap();
    let password = |conninfo: &str| {
        read(conninfo, &[("PGPASSFILE", passfile)])
            .unwrap()
            .config
            .get_password()
            .map(|p| String::from_utf8(p.to_vec()).unwrap())
    };
    assert_eq!(
        password("postgresql://ann@db.example/sales").as_deref(),
        Some("right")
    );
    assert_eq!(
        password("postgresql://ann@db.example/other").as_deref(),
        Some("fallback")
    );
    assert_eq!(
        password("postgresql://ann:given@db.example/sales").as_deref(),
        Some("given"),
        "a password in the URL wins"
    );
    std::fs::set_permissions(&pgpass, std::fs::Permissions::from_mode(0o644)).unwrap();
    assert_eq!(
        password("postgresql://ann@db.example/sales"),
        None,
        "others may read it"
    );
}

#[test]
fn a_printed_target_leaves_its_password_out() {
    assert_eq!(
        without_password("postgresql://ann:s%40cret@db.example:5432/sales?sslmode=require"),
        (
            "postgresql://ann@db.example:5432/sales?sslmode=require".to_string(),
            true
        )
    );
    assert_eq!(
        without_password("host=h password='x y' user=u"),
        ("host=h user=u".to_string(), true)
    );
    assert_eq!(
        without_password("postgresql://ann@h/d?password=x&sslmode=disable"),
        ("postgresql://ann@h/d?sslmode=disable".to_string(), true)
    );
    assert_eq!(
        without_password("postgresql://sparkify@/sparkify?host=/s&port=5"),
        (
            "postgresql://sparkify@/sparkify?host=/s&port=5".to_string(),
            false
        )
    );
}

#[test]
fn the_last_value_wins_and_hostaddr_goes_with_a_host() {
    let info = read("postgresql://u@h:5432/d?port=6000&hostaddr=10.0.0.5", &[]).unwrap();
    assert_eq!(info.config.get_ports(), &[6000]);
    assert_eq!(info.config.get_hosts(), &[Host::Tcp("h".into())]);
    assert_eq!(
        info.config.get_hostaddrs(),
        &["10.0.0.5".parse::<std::net::IpAddr>().unwrap()]
    );
    let twice = read("host=h user=u dbname=a dbname=b", &[]).unwrap();
    assert_eq!(twice.config.get_dbname(), Some("b"));
    let no_timeout = read("host=h user=u", &[("PGCONNECT_TIMEOUT", "0")]).unwrap();
    assert_eq!(
        no_timeout.config.get_connect_timeout(),
        None,
        "0 waits for ever"
    );
}

#[test]
fn a_unix_socket_takes_no_tls_and_require_with_a_root_verifies_the_chain() {
    let socket = read(
        "postgresql://sparkify@/sparkify?host=/home/me/socket&port=5",
        &[("PGSSLMODE", "require")],
    )
    .unwrap();
    assert_eq!(
        (socket.config.get_ssl_mode(), socket.verification),
        (SslMode::Disable, Verification::None)
    );
    let rooted = read("host=h user=u sslmode=require sslrootcert=/ca.pem", &[]).unwrap();
    assert_eq!(
        rooted.verification,
        Verification::Roots {
            root_cert: Some("/ca.pem".into()),
            host_name: false
        }
    );
}

#[test]
fn no_message_repeats_a_piece_of_the_targets_password() {
    // A password with an unencoded '/': its first half lands where the port belongs.
    let cut = read("postgresql://u:pa/ss@h/db", &[]).unwrap_err();
    assert!(cut.contains("port in the target is not a port"), "{cut}");
    assert!(!cut.contains("\"pa\""), "{cut}");
    let unquoted = read("host=h password=first second", &[]).unwrap_err();
    assert!(unquoted.contains("not key=value"), "{unquoted}");
    assert!(!unquoted.contains("second"), "{unquoted}");
    assert_eq!(
        without_password("application_name=a://b password=s host=h"),
        ("application_name=a://b host=h".to_string(), true)
    );
    assert_eq!(
        without_password("postgresql://u@h/d?%70assword=s&sslmode=disable"),
        ("postgresql://u@h/d?sslmode=disable".to_string(), true)
    );
}
