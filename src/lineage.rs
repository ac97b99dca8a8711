//! OpenLineage run events: with `OPENLINEAGE_URL` set, every load and every watch batch
//! sends START, then COMPLETE or FAIL, with the two trees as inputs and the five tables as
//! outputs (their schema, and their rows once loaded), over the HTTP transport as the
//! OpenLineage clients do: one JSON event per POST to `OPENLINEAGE_URL` +
//! `OPENLINEAGE_ENDPOINT` (default `api/v1/lineage`), `Authorization: Bearer` from
//! `OPENLINEAGE_API_KEY`, the job's namespace from `OPENLINEAGE_NAMESPACE` (default
//! `default`); `OPENLINEAGE_DISABLED=true` turns them off. Best effort: a receiver that
//! fails is a warning, never a failed load (docs/WATCH.md, "Lineage").

use std::collections::BTreeMap;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper_util::client::legacy::{connect::HttpConnector, Client};
use hyper_util::rt::TokioExecutor;
use serde_json::{json, Value};

use crate::db::literal::Literals;
use crate::db::{render, Database, Dialect, SchemaName};
use crate::report::Report;
use crate::secret::Secret;
use crate::source::SourceUri;

/// The spec version the events follow, and the facets' schemas.
const RUN_EVENT: &str = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent";
const SCHEMA_FACET: &str =
    "https://openlineage.io/spec/facets/1-2-0/SchemaDatasetFacet.json#/$defs/SchemaDatasetFacet";
const STATISTICS_FACET: &str = "https://openlineage.io/spec/facets/1-0-2/OutputStatisticsOutputDatasetFacet.json#/$defs/OutputStatisticsOutputDatasetFacet";
const ERROR_FACET: &str =
    "https://openlineage.io/spec/facets/1-0-1/ErrorMessageRunFacet.json#/$defs/ErrorMessageRunFacet";
const JOB_TYPE_FACET: &str =
    "https://openlineage.io/spec/facets/2-0-4/JobTypeJobFacet.json#/$defs/JobTypeJobFacet";

/// How long one event may take to send.
const SEND_TIMEOUT: Duration = Duration::from_secs(5);

/// The five tables, as the outputs name them.
const TABLES: [&str; 5] = ["songplays", "users", "songs", "artists", "time"];

/// Where events go, from the environment.
pub struct Lineage {
    endpoint: String,
    api_key: Option<Secret<String>>,
    namespace: String,
    client: Client<hyper_rustls::HttpsConnector<HttpConnector>, Full<Bytes>>,
}

/// One run, as its events describe it.
pub struct Run<'a> {
    /// A UUID, as the spec asks: one per load or batch.
    pub id: uuid::Uuid,
    /// `load` or `watch`: the job's kind.
    pub job: &'static str,
    pub songs: &'a SourceUri,
    pub logs: &'a SourceUri,
    pub database: &'a Database,
    pub schema: &'a SchemaName,
}

impl Lineage {
    /// The transport `OPENLINEAGE_URL` asks for; none when unset or disabled.
    pub fn from_env() -> Option<Lineage> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        if var("OPENLINEAGE_DISABLED").is_some_and(|v| v.trim().eq_ignore_ascii_case("true")) {
            return None;
        }
        let url = var("OPENLINEAGE_URL")?;
        let path = var("OPENLINEAGE_ENDPOINT").unwrap_or_else(|| "api/v1/lineage".into());
        let endpoint = format!(
            "{}/{}",
            url.trim_end_matches('/'),
            path.trim_start_matches('/')
        );
        let connector = match hyper_rustls::HttpsConnectorBuilder::new().with_native_roots() {
            Ok(builder) => builder.https_or_http().enable_http1().build(),
            Err(err) => {
                tracing::warn!("OpenLineage events are off: no TLS roots ({err})");
                return None;
            }
        };
        Some(Lineage {
            endpoint,
            api_key: var("OPENLINEAGE_API_KEY").map(Secret::new),
            namespace: var("OPENLINEAGE_NAMESPACE").unwrap_or_else(|| "default".into()),
            client: Client::builder(TokioExecutor::new()).build(connector),
        })
    }

    /// START: the run began.
    pub async fn start(&self, run: &Run<'_>) {
        let event = self.event("START", run, json!({}), outputs(run, None));
        self.send(event).await;
    }

    /// COMPLETE, with the tables' schemas and rows.
    pub async fn complete(&self, run: &Run<'_>, report: &Report) {
        let columns = columns(run).await;
        let rows = [
            report.tables.songplays,
            report.tables.users,
            report.tables.songs,
            report.tables.artists,
            report.tables.time,
        ];
        let event = self.event(
            "COMPLETE",
            run,
            json!({}),
            outputs(run, Some((&columns, rows))),
        );
        self.send(event).await;
    }

    /// FAIL, with the error as the user read it.
    pub async fn fail(&self, run: &Run<'_>, error: &str) {
        let facets = json!({"errorMessage": {
            "_producer": producer(),
            "_schemaURL": ERROR_FACET,
            "message": error,
            "programmingLanguage": "RUST",
        }});
        let event = self.event("FAIL", run, facets, outputs(run, None));
        self.send(event).await;
    }

    fn event(&self, kind: &str, run: &Run<'_>, run_facets: Value, outputs: Value) -> Value {
        json!({
            "eventType": kind,
            "eventTime": crate::report::now(),
            "producer": producer(),
            "schemaURL": RUN_EVENT,
            "run": {"runId": run.id.to_string(), "facets": run_facets},
            "job": {
                "namespace": self.namespace,
                "name": format!("sparkify-load.{}", run.schema),
                "facets": {"jobType": {
                    "_producer": producer(),
                    "_schemaURL": JOB_TYPE_FACET,
                    "processingType": if run.job == "watch" { "STREAMING" } else { "BATCH" },
                    "integration": "SPARKIFY_LOAD",
                    "jobType": run.job.to_uppercase(),
                }},
            },
            "inputs": [input(run.songs), input(run.logs)],
            "outputs": outputs,
        })
    }

    async fn send(&self, event: Value) {
        let kind = event["eventType"].as_str().unwrap_or("").to_string();
        let mut request = http::Request::post(&self.endpoint)
            .header(http::header::CONTENT_TYPE, "application/json");
        if let Some(key) = &self.api_key {
            request = request.header(
                http::header::AUTHORIZATION,
                format!("Bearer {}", key.expose()),
            );
        }
        let body = Full::new(Bytes::from(event.to_string()));
        let request = match request.body(body) {
            Ok(request) => request,
            Err(err) => return tracing::warn!("OpenLineage: {err}"),
        };
        match tokio::time::timeout(SEND_TIMEOUT, self.client.request(request)).await {
            Ok(Ok(response)) if response.status().is_success() => {
                tracing::debug!(kind, "OpenLineage event sent");
            }
            Ok(Ok(response)) => tracing::warn!(
                "OpenLineage: the receiver answered {} to the {kind} event",
                response.status()
            ),
            Ok(Err(err)) => tracing::warn!(
                "OpenLineage: the {kind} event was not sent: {}",
                crate::error::sentence_chain(&err)
            ),
            Err(_) => tracing::warn!(
                "OpenLineage: the {kind} event was not sent within {} s",
                SEND_TIMEOUT.as_secs()
            ),
        }
    }
}

/// Who sent the events: this tool, at its version.
fn producer() -> String {
    format!("urn:sparkify-load:{}", env!("CARGO_PKG_VERSION"))
}

/// A tree as a dataset, named as OpenLineage's naming spec says: `s3://bucket` and the
/// prefix, or `file` and the path.
fn input(uri: &SourceUri) -> Value {
    match uri {
        SourceUri::S3 { bucket, prefix } => {
            json!({"namespace": format!("s3://{bucket}"), "name": prefix.trim_end_matches('/')})
        }
        SourceUri::Local(path) => {
            let path = std::path::absolute(path).unwrap_or_else(|_| path.clone());
            json!({"namespace": "file", "name": path.display().to_string()})
        }
    }
}

/// Each table's columns: (name, type), by table.
type Columns = BTreeMap<String, Vec<(String, String)>>;

/// The five tables as outputs; with their columns and rows once loaded.
fn outputs(run: &Run<'_>, loaded: Option<(&Columns, [u64; 5])>) -> Value {
    let (namespace, database) = location(run.database);
    let tables = TABLES.iter().enumerate().map(|(i, table)| {
        let mut output = json!({
            "namespace": namespace,
            "name": format!("{database}.{}.{table}", run.schema),
        });
        if let Some((columns, rows)) = loaded {
            let fields: Vec<Value> = columns
                .get(*table)
                .into_iter()
                .flatten()
                .map(|(name, kind)| json!({"name": name, "type": kind}))
                .collect();
            output["facets"] = json!({"schema": {
                "_producer": producer(),
                "_schemaURL": SCHEMA_FACET,
                "fields": fields,
            }});
            output["outputFacets"] = json!({"outputStatistics": {
                "_producer": producer(),
                "_schemaURL": STATISTICS_FACET,
                "rowCount": rows[i],
            }});
        }
        output
    });
    Value::Array(tables.collect())
}

/// The target as OpenLineage names it: `postgres://host:port` (or `redshift://…`) and
/// the database.
fn location(database: &Database) -> (String, String) {
    let label = database.label();
    let at = label.split_once('@').map_or(label, |(_, rest)| rest);
    let (host_port, name) = at.rsplit_once('/').unwrap_or((at, ""));
    let scheme = match database.dialect() {
        Dialect::Postgres => "postgres",
        Dialect::Redshift => "redshift",
    };
    (format!("{scheme}://{host_port}"), name.to_string())
}

/// The tables' columns as the target has them; none if they cannot be read.
async fn columns(run: &Run<'_>) -> Columns {
    let query = render(
        run.database.sql().lineage_columns,
        &[(
            "schema_name",
            &Literals::REDSHIFT.quote(run.schema.as_str()),
        )],
    );
    let rows = async {
        let client = run.database.connect().await?;
        run.database
            .text_rows(&client, "read the tables' columns", &query)
            .await
    }
    .await;
    let mut columns = Columns::new();
    match rows {
        Ok(rows) => {
            for row in rows {
                if let [Some(table), Some(column), Some(kind)] = &row[..] {
                    columns
                        .entry(table.clone())
                        .or_default()
                        .push((column.clone(), kind.clone()));
                }
            }
        }
        Err(err) => tracing::warn!("OpenLineage: the tables' schema is left out: {err}"),
    }
    columns
}
