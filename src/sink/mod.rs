//! Where rows go: a PostgreSQL or Redshift database, reached over one or more
//! connections. Tables are built in a private staging schema and swapped in at the end
//! ([`staging`]); rows arrive in multi-row INSERTs ([`insert`]).

pub mod copy;
pub mod insert;
pub mod staging;
pub mod tls;

use std::str::FromStr;

use tokio_postgres::Client;
use tokio_postgres_rustls::MakeRustlsConnect;

use crate::config::{Dialect, SchemaName, Secret};
use crate::error::{Error, TargetError};

/// A target database: how to connect, and how to name it without its secrets.
#[derive(Clone)]
pub struct Database {
    config: tokio_postgres::Config,
    tls: MakeRustlsConnect,
    label: String,
    dialect: Dialect,
}

impl Database {
    pub fn new(url: &Secret<String>, dialect: Dialect) -> Result<Database, Error> {
        let (conninfo, verification) = tls::split_verification(url.expose());
        let tls = tls::connector(&verification)?;
        // The parser's messages name options, never their values, so they are safe to show.
        let config = tokio_postgres::Config::from_str(&conninfo)
            .map_err(|e| Error::Config(format!("invalid target URL: {e}")))?;
        let label = describe(&config);
        Ok(Database {
            config,
            tls,
            label,
            dialect,
        })
    }

    /// `user@host:port/dbname`: how messages and reports name the target.
    pub fn label(&self) -> &str {
        &self.label
    }

    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    pub fn sql(&self) -> &'static DialectSql {
        DialectSql::of(self.dialect)
    }

    pub fn error(&self, step: impl Into<String>, err: &tokio_postgres::Error) -> TargetError {
        TargetError::new(&self.label, step, err)
    }

    pub async fn connect(&self) -> Result<Client, TargetError> {
        let (client, connection) = self
            .config
            .connect(self.tls.clone())
            .await
            .map_err(|e| self.error("connect", &e))?;
        tokio::spawn(async move {
            // A dropped connection surfaces as an error on the client's next query.
            let _ = connection.await;
        });
        Ok(client)
    }
}

fn describe(config: &tokio_postgres::Config) -> String {
    let host = match config.get_hosts().first() {
        Some(tokio_postgres::config::Host::Tcp(host)) => host.clone(),
        Some(tokio_postgres::config::Host::Unix(path)) => path.display().to_string(),
        None => "localhost".to_string(),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432);
    let user = config.get_user().unwrap_or("(default user)");
    let dbname = config.get_dbname().unwrap_or(user);
    format!("{user}@{host}:{port}/{dbname}")
}

/// The SQL of one dialect, from `sql/<dialect>/`, with `{placeholders}` for names.
pub struct DialectSql {
    pub create_star_schema: &'static str,
    pub create_tables: &'static str,
    /// Keys and statistics, once the rows are in: the fact table's and the dimensions',
    /// two scripts that run at once on two connections.
    pub add_keys: [&'static str; 2],
    pub drop_tables: &'static str,
    pub prepare_staging: &'static str,
    pub drop_staging: &'static str,
    pub swap: &'static str,
    pub insert: &'static str,
    /// Advisory locking, where the dialect has it: (try, wait).
    pub lock: Option<(&'static str, &'static str)>,
}

static POSTGRES: DialectSql = DialectSql {
    create_star_schema: include_str!("../../sql/postgres/create_star_schema.sql"),
    create_tables: include_str!("../../sql/postgres/create_tables.sql"),
    add_keys: [
        include_str!("../../sql/postgres/add_keys_songplays.sql"),
        include_str!("../../sql/postgres/add_keys_dimensions.sql"),
    ],
    drop_tables: include_str!("../../sql/postgres/drop_tables.sql"),
    prepare_staging: include_str!("../../sql/postgres/prepare_staging.sql"),
    drop_staging: include_str!("../../sql/postgres/drop_staging.sql"),
    swap: include_str!("../../sql/postgres/swap.sql"),
    insert: include_str!("../../sql/postgres/insert.sql"),
    lock: Some((
        include_str!("../../sql/postgres/try_lock.sql"),
        include_str!("../../sql/postgres/lock.sql"),
    )),
};

static REDSHIFT: DialectSql = DialectSql {
    create_star_schema: include_str!("../../sql/redshift/create_star_schema.sql"),
    create_tables: include_str!("../../sql/redshift/create_tables.sql"),
    add_keys: [
        include_str!("../../sql/redshift/add_keys_songplays.sql"),
        include_str!("../../sql/redshift/add_keys_dimensions.sql"),
    ],
    drop_tables: include_str!("../../sql/redshift/drop_tables.sql"),
    prepare_staging: include_str!("../../sql/redshift/prepare_staging.sql"),
    drop_staging: include_str!("../../sql/redshift/drop_staging.sql"),
    swap: include_str!("../../sql/redshift/swap.sql"),
    insert: include_str!("../../sql/redshift/insert.sql"),
    lock: None,
};

impl DialectSql {
    pub fn of(dialect: Dialect) -> &'static DialectSql {
        match dialect {
            Dialect::Postgres => &POSTGRES,
            Dialect::Redshift => &REDSHIFT,
        }
    }

    /// The DDL that creates the five tables in `schema`.
    pub fn create_tables_in(&self, schema: &SchemaName) -> String {
        render(self.create_tables, &[("schema", &schema.quoted())])
    }

    /// The `create-tables` script: the empty star schema in `schema`, keys included.
    pub fn star_schema_script(&self, schema: &SchemaName) -> String {
        let quoted = schema.quoted();
        render(
            self.create_star_schema,
            &[
                ("drop_tables", self.drop_tables),
                ("create_tables", self.create_tables),
                ("add_keys", &self.add_keys.concat()),
                ("schema", &quoted),
            ],
        )
    }
}

/// Adds the keys to the tables in `schema`, the two scripts at once on two connections.
pub async fn add_keys(
    database: &Database,
    [first, second]: [&Client; 2],
    schema: &SchemaName,
) -> Result<(), TargetError> {
    let [songplays, dimensions] = database
        .sql()
        .add_keys
        .map(|script| render(script, &[("schema", &schema.quoted())]));
    futures::try_join!(
        run_script(database, first, "add keys to songplays", &songplays),
        run_script(database, second, "add keys to the dimensions", &dimensions)
    )?;
    Ok(())
}

async fn run_script(
    database: &Database,
    client: &Client,
    step: &str,
    sql: &str,
) -> Result<(), TargetError> {
    client
        .batch_execute(sql)
        .await
        .map_err(|e| database.error(step, &e))
}

/// Fills `{name}` placeholders; values are quoted identifiers or SQL built from them.
pub fn render(template: &str, values: &[(&str, &str)]) -> String {
    let mut sql = template.to_string();
    for (name, value) in values {
        sql = sql.replace(&format!("{{{name}}}"), value);
    }
    sql
}
