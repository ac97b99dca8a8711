//! The classic pipeline's `dwh.cfg`, read as Python's configparser reads it (section names
//! exact, keys in any case): the cluster to load into, the IAM role for COPY, the S3
//! sources, and the classic notebook's static AWS keys.

use sparkify_load::{Error, Secret};

/// The classic pipeline's `dwh.cfg`: the cluster to load into, the IAM role for COPY and
/// the S3 sources.
#[derive(Debug, Clone)]
pub(crate) struct DwhConfig {
    pub host: String,
    pub db_name: String,
    pub db_user: String,
    pub db_password: Secret<String>,
    pub db_port: u16,
    pub iam_role_arn: Option<String>,
    pub log_data: Option<String>,
    pub log_jsonpath: Option<String>,
    pub song_data: Option<String>,
    /// `[CLUSTER] SSLMODE`, libpq's sslmode for the cluster.
    pub sslmode: Option<String>,
    /// `[AWS] KEY` and `SECRET`: static keys for reading S3, as the classic notebook uses.
    pub aws_keys: Option<(String, Secret<String>)>,
}

impl DwhConfig {
    pub(crate) fn from_file(path: &std::path::Path) -> Result<DwhConfig, Error> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::Config(format!("cannot read {}: {e}", path.display())))?;
        DwhConfig::parse(&text)
            .map_err(|message| Error::Config(format!("{}: {message}", path.display())))
    }

    /// Parses the INI text; values may be quoted, as the classic exercise's often are.
    pub(crate) fn parse(text: &str) -> Result<DwhConfig, String> {
        // As Python's configparser reads it: backslashes and quotes are the value's own.
        let options = ini::ParseOption {
            enabled_escape: false,
            enabled_quote: false,
            ..Default::default()
        };
        let ini = ini::Ini::load_from_str_opt(text, options).map_err(|e| e.to_string())?;
        let get = |section: &str, key: &str| -> Option<String> {
            let (_, value) = ini
                .section(Some(section))?
                .iter()
                .rfind(|(name, _)| name.eq_ignore_ascii_case(key))?;
            let value = value.trim();
            let unquoted = value
                .strip_prefix('\'')
                .and_then(|v| v.strip_suffix('\''))
                .or_else(|| value.strip_prefix('"').and_then(|v| v.strip_suffix('"')))
                .unwrap_or(value);
            (!unquoted.is_empty()).then(|| unquoted.to_string())
        };
        let required = |section: &str, key: &str| {
            get(section, key).ok_or_else(|| format!("[{section}] {key} is missing"))
        };
        let port = required("CLUSTER", "DB_PORT")?;
        Ok(DwhConfig {
            host: required("CLUSTER", "HOST")?,
            db_name: required("CLUSTER", "DB_NAME")?,
            db_user: required("CLUSTER", "DB_USER")?,
            db_password: Secret::new(required("CLUSTER", "DB_PASSWORD")?),
            db_port: port
                .parse()
                .map_err(|_| format!("[CLUSTER] DB_PORT {port:?} is not a port"))?,
            iam_role_arn: get("IAM_ROLE", "ARN"),
            log_data: get("S3", "LOG_DATA"),
            log_jsonpath: get("S3", "LOG_JSONPATH"),
            song_data: get("S3", "SONG_DATA"),
            sslmode: get("CLUSTER", "SSLMODE"),
            aws_keys: match (get("AWS", "KEY"), get("AWS", "SECRET")) {
                (Some(key), Some(secret)) => Some((key, Secret::new(secret))),
                (None, None) => None,
                _ => return Err("[AWS] needs both KEY and SECRET".into()),
            },
        })
    }

    /// The cluster as a libpq key-value connection string. TLS is `[CLUSTER] SSLMODE`,
    /// else `PGSSLMODE` (when `pg_sslmode_set`, left for the environment to give), else
    /// required, as a Redshift cluster wants.
    pub(crate) fn target_url(&self, pg_sslmode_set: bool) -> Secret<String> {
        let quote = |value: &str| format!("'{}'", value.replace('\\', "\\\\").replace('\'', "\\'"));
        let sslmode = match (&self.sslmode, pg_sslmode_set) {
            (Some(mode), _) => format!(" sslmode={}", quote(mode)),
            (None, true) => String::new(),
            (None, false) => " sslmode=require".to_string(),
        };
        Secret::new(format!(
            "host={} port={} dbname={} user={} password={}{sslmode}",
            quote(&self.host),
            self.db_port,
            quote(&self.db_name),
            quote(&self.db_user),
            quote(self.db_password.expose())
        ))
    }
}

#[cfg(test)]
mod dwh_tests {
    use super::*;

    const CLASSIC: &str = "[CLUSTER]\nHOST=dwhcluster.abc123.us-west-2.redshift.amazonaws.com\nDB_NAME=dwh\nDB_USER=dwhuser\nDB_PASSWORD=Pa'ss\\word1\nDB_PORT=5439\n\n[IAM_ROLE]\nARN='arn:aws:iam::123456789012:role/dwhRole'\n\n[S3]\nLOG_DATA='s3://udacity-dend/log_data'\nLOG_JSONPATH='s3://udacity-dend/log_json_path.json'\nSONG_DATA='s3://udacity-dend/song_data'\n";

    #[test]
    fn reads_the_classic_file() {
        let cfg = DwhConfig::parse(CLASSIC).unwrap();
        assert_eq!(
            cfg.host,
            "dwhcluster.abc123.us-west-2.redshift.amazonaws.com"
        );
        assert_eq!(
            (cfg.db_name.as_str(), cfg.db_user.as_str(), cfg.db_port),
            ("dwh", "dwhuser", 5439)
        );
        assert_eq!(
            cfg.iam_role_arn.as_deref(),
            Some("arn:aws:iam::123456789012:role/dwhRole")
        );
        assert_eq!(
            cfg.song_data.as_deref(),
            Some("s3://udacity-dend/song_data")
        );
        assert_eq!(
            cfg.log_jsonpath.as_deref(),
            Some("s3://udacity-dend/log_json_path.json")
        );
        assert!(!format!("{cfg:?}").contains("Pa'ss"));
    }

    #[test]
    fn the_target_keeps_an_awkward_password_intact() {
        let cfg = DwhConfig::parse(CLASSIC).unwrap();
        let url = cfg.target_url(false);
        let parsed: tokio_postgres::Config = url.expose().parse().unwrap();
        assert_eq!(parsed.get_password(), Some(&b"Pa'ss\\word1"[..]));
        assert_eq!(parsed.get_ports(), &[5439]);
        assert_eq!(
            parsed.get_ssl_mode(),
            tokio_postgres::config::SslMode::Require
        );
    }

    #[test]
    fn keys_are_read_in_any_case_as_configparser_reads_them() {
        let lower = CLASSIC
            .replace("HOST=", "host = ")
            .replace("DB_PORT", "db_port")
            .replace("DB_NAME", "Db_Name")
            + "\n[AWS]\nkey = AKIAEXAMPLE\nSecret = s3cr3t\n";
        let cfg = DwhConfig::parse(&lower).unwrap();
        assert_eq!(
            (cfg.host.as_str(), cfg.db_name.as_str(), cfg.db_port),
            (
                "dwhcluster.abc123.us-west-2.redshift.amazonaws.com",
                "dwh",
                5439
            )
        );
        let (key, secret) = cfg.aws_keys.as_ref().unwrap();
        assert_eq!(
            (key.as_str(), secret.expose().as_str()),
            ("AKIAEXAMPLE", "s3cr3t")
        );
        assert!(!format!("{cfg:?}").contains("s3cr3t"));
    }

    #[test]
    fn tls_follows_the_file_then_pgsslmode_then_is_required() {
        let mode = |text: &str, env_set: bool| {
            let url = DwhConfig::parse(text).unwrap().target_url(env_set);
            let (_, taken) = sparkify_load::db::conninfo::take_params(url.expose(), &["sslmode"]);
            taken.first().map(|(_, mode)| mode.clone())
        };
        let disabled = CLASSIC.replace("[IAM_ROLE]", "SSLMODE=disable\n\n[IAM_ROLE]");
        assert_eq!(mode(&disabled, true).as_deref(), Some("disable"));
        assert_eq!(mode(CLASSIC, true), None, "PGSSLMODE gives it");
        assert_eq!(mode(CLASSIC, false).as_deref(), Some("require"));
        let half = CLASSIC.to_string() + "[AWS]\nKEY=AKIA\n";
        assert_eq!(
            DwhConfig::parse(&half).unwrap_err(),
            "[AWS] needs both KEY and SECRET"
        );
    }

    #[test]
    fn missing_keys_are_named() {
        let err = DwhConfig::parse("[CLUSTER]\nHOST=h\n").unwrap_err();
        assert_eq!(err, "[CLUSTER] DB_PORT is missing");
    }
}
