//! What a load tells the outside: OpenLineage run events (START, then COMPLETE or FAIL)
//! sent to a local receiver and checked against the spec's own JSON schemas (kept in
//! tests/schemas/openlineage/), the history table that `history` shows, matching the
//! report, and `--metrics-file` for node_exporter's textfile collector.

use std::convert::Infallible;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use jsonschema::{Registry, Validator};
use serde_json::{json, Value};

use crate::common::*;

const CORE: &str = "https://openlineage.io/spec/2-0-2/OpenLineage.json";
const SCHEMAS: [&str; 5] = [
    include_str!("../schemas/openlineage/OpenLineage.json"),
    include_str!("../schemas/openlineage/SchemaDatasetFacet.json"),
    include_str!("../schemas/openlineage/OutputStatisticsOutputDatasetFacet.json"),
    include_str!("../schemas/openlineage/ErrorMessageRunFacet.json"),
    include_str!("../schemas/openlineage/JobTypeJobFacet.json"),
];

/// What the receiver got: (path, Authorization header, body).
type Received = Arc<Mutex<Vec<(String, Option<String>, Value)>>>;

/// An OpenLineage receiver on loopback that answers 201 to every event; its URL.
async fn receiver() -> (String, Received) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let received: Received = Arc::default();
    let gathered = received.clone();
    tokio::spawn(async move {
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            let gathered = gathered.clone();
            let service = service_fn(move |request: hyper::Request<hyper::body::Incoming>| {
                let gathered = gathered.clone();
                async move {
                    let path = request.uri().path().to_string();
                    let auth = request
                        .headers()
                        .get("authorization")
                        .map(|v| v.to_str().unwrap().to_string());
                    let body = request.into_body().collect().await.unwrap().to_bytes();
                    let event: Value = serde_json::from_slice(&body).unwrap();
                    gathered.lock().unwrap().push((path, auth, event));
                    let mut answer = hyper::Response::new(Full::new(Bytes::new()));
                    *answer.status_mut() = hyper::StatusCode::CREATED;
                    Ok::<_, Infallible>(answer)
                }
            });
            tokio::spawn(
                hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service),
            );
        }
    });
    (url, received)
}

/// Validators of the spec: a run event (with its type, which the spec leaves optional),
/// and each facet map against its facet's schema.
struct Spec {
    run_event: Validator,
    dataset_facets: Validator,
    output_facets: Validator,
    run_facets: Validator,
    job_facets: Validator,
}

impl Spec {
    fn new() -> Spec {
        let schemas: Vec<Value> = SCHEMAS
            .iter()
            .map(|text| serde_json::from_str(text).unwrap())
            .collect();
        let ids: Vec<String> = schemas
            .iter()
            .map(|s| s["$id"].as_str().unwrap().to_string())
            .collect();
        let registry = Registry::new()
            .extend(ids.iter().map(String::as_str).zip(schemas.iter().cloned()))
            .unwrap()
            .prepare()
            .unwrap();
        let build = |schema: Value| {
            jsonschema::draft202012::options()
                .with_registry(&registry)
                .should_validate_formats(true)
                .build(&schema)
                .unwrap()
        };
        Spec {
            run_event: build(json!({
                "allOf": [{"$ref": format!("{CORE}#/$defs/RunEvent")}],
                "required": ["eventType"],
            })),
            dataset_facets: build(json!({"$ref": ids[1]})),
            output_facets: build(json!({"$ref": ids[2]})),
            run_facets: build(json!({"$ref": ids[3]})),
            job_facets: build(json!({"$ref": ids[4]})),
        }
    }

    /// Every error of `event` against the spec; none when it conforms.
    fn errors(&self, event: &Value) -> Vec<String> {
        let mut errors = Vec::new();
        let mut check = |validator: &Validator, value: &Value| {
            errors.extend(
                validator
                    .iter_errors(value)
                    .map(|e| format!("{e} at {}", e.instance_path())),
            );
        };
        check(&self.run_event, event);
        check(&self.run_facets, &event["run"]["facets"]);
        check(&self.job_facets, &event["job"]["facets"]);
        for output in event["outputs"].as_array().unwrap() {
            if let Some(facets) = output.get("facets") {
                check(&self.dataset_facets, facets);
            }
            if let Some(facets) = output.get("outputFacets") {
                check(&self.output_facets, facets);
            }
        }
        errors
    }
}

#[test]
fn the_spec_check_refuses_what_the_spec_refuses() {
    let spec = Spec::new();
    let event = json!({
        "eventType": "START",
        "eventTime": "2026-12-07T10:00:00.000Z",
        "producer": "urn:sparkify-load:0.1.0",
        "schemaURL": format!("{CORE}#/$defs/RunEvent"),
        "run": {"runId": "0192f3a4-5b6c-4d7e-8f90-a1b2c3d4e5f6", "facets": {}},
        "job": {"namespace": "default", "name": "j", "facets": {}},
        "inputs": [],
        "outputs": [{"namespace": "postgres://h:5432", "name": "d.s.t",
                     "outputFacets": {"outputStatistics": {
                         "_producer": "urn:x", "_schemaURL": "urn:y", "rowCount": 3}}}],
    });
    assert_eq!(spec.errors(&event), Vec::<String>::new());
    for (path, wrong) in [
        ("/eventType", json!("DONE")),
        ("/run/runId", json!("not-a-uuid")),
        (
            "/outputs/0/outputFacets/outputStatistics/rowCount",
            json!("3"),
        ),
    ] {
        let mut bad = event.clone();
        *bad.pointer_mut(path).unwrap() = wrong;
        assert!(!spec.errors(&bad).is_empty(), "{path}");
    }
    let mut untyped = event.clone();
    untyped.as_object_mut().unwrap().remove("eventType");
    assert!(!spec.errors(&untyped).is_empty());
}

/// A load sends START then COMPLETE, a failed one START then FAIL, each conforming to the
/// spec; the history holds both runs as the report tells them; `--metrics-file` holds the
/// load's metrics. The API key is sent as a bearer token and never printed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn loads_send_lineage_record_history_and_write_metrics() {
    let (lineage_url, received) = receiver().await;
    let url = fresh_database().await;
    let dir = tempfile::tempdir().unwrap();
    let (report_path, metrics_path) = (dir.path().join("report.json"), dir.path().join("m.prom"));
    let tiny = tiny();
    let mut args: Vec<String> = vec!["load".into(), "--target".into(), url.clone()];
    args.extend(tree_args(&tiny));
    args.extend(["--report".into(), report_path.display().to_string()]);
    args.extend(["--metrics-file".into(), metrics_path.display().to_string()]);
    let api_key = "ol-Secr3t-key";
    let run = |args: &[String]| {
        cli_command(None)
            .args(args)
            .env("OPENLINEAGE_URL", &lineage_url)
            .env("OPENLINEAGE_NAMESPACE", "sparkify-tests")
            .env("OPENLINEAGE_API_KEY", api_key)
            .output()
            .unwrap()
    };
    let loaded = run(&args);
    let (stdout, stderr) = text(&loaded);
    assert_eq!(loaded.status.code(), Some(0), "{stdout}{stderr}");
    assert!(!stdout.contains(api_key) && !stderr.contains(api_key));
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(&report_path).unwrap()).unwrap();
    let metrics = std::fs::read_to_string(&metrics_path).unwrap();
    // The metrics file, as the textfile collector reads it.
    for line in [
        format!(
            "sparkify_load_objects_loaded_total{{tree=\"log\"}} {}",
            report["logs"]["objects"]
        ),
        format!(
            "sparkify_load_table_rows{{table=\"songplays\"}} {}",
            report["tables"]["songplays"]
        ),
        "sparkify_load_batches_total{status=\"loaded\"} 1".to_string(),
        "sparkify_load_batch_duration_seconds_count 1".to_string(),
    ] {
        assert!(metrics.lines().any(|l| l == line), "{line} in\n{metrics}");
    }

    let mut wrong = args.clone();
    let empty = dir.path().join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let at = wrong.iter().position(|a| a == "--log-data").unwrap();
    wrong[at + 1] = empty.display().to_string();
    let failed = run(&wrong);
    assert_eq!(failed.status.code(), Some(2), "{:?}", text(&failed));

    let events = received.lock().unwrap().clone();
    let kinds: Vec<&str> = events
        .iter()
        .map(|(_, _, e)| e["eventType"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["START", "COMPLETE", "START", "FAIL"]);
    let spec = Spec::new();
    for (path, auth, event) in &events {
        assert_eq!(path, "/api/v1/lineage");
        assert_eq!(auth.as_deref(), Some(&*format!("Bearer {api_key}")));
        assert_eq!(spec.errors(event), Vec::<String>::new(), "{event:#}");
        assert_eq!(event["job"]["namespace"], "sparkify-tests");
        assert_eq!(event["job"]["name"], "sparkify-load.public");
    }
    assert_eq!(events[0].2["run"]["runId"], events[1].2["run"]["runId"]);
    assert_ne!(events[1].2["run"]["runId"], events[2].2["run"]["runId"]);
    let complete = &events[1].2;
    let inputs: Vec<&str> = complete["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        inputs,
        [
            tiny.join("song_data").to_str().unwrap(),
            tiny.join("log_data").to_str().unwrap()
        ]
    );
    let database = url.rsplit('/').next().unwrap();
    for (output, table) in complete["outputs"].as_array().unwrap().iter().zip(TABLES) {
        assert_eq!(output["name"], format!("{database}.public.{table}"));
        assert_eq!(
            output["outputFacets"]["outputStatistics"]["rowCount"], report["tables"][table],
            "{table}"
        );
    }
    let songplay_fields: Vec<&str> = complete["outputs"][0]["facets"]["schema"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        songplay_fields,
        [
            "songplay_id",
            "start_time",
            "user_id",
            "level",
            "song_id",
            "artist_id",
            "session_id",
            "location",
            "user_agent"
        ]
    );
    let message = events[3].2["run"]["facets"]["errorMessage"]["message"]
        .as_str()
        .unwrap();
    assert!(message.contains("holds no .json object"), "{message}");

    // The history: the failed run first, then the load, as its report says.
    let history = run_cli(&["history", "--json", "--target", &url], None);
    let rows: Vec<Value> = serde_json::from_slice(&history.stdout).unwrap();
    assert_eq!(rows.len(), 2, "{rows:#?}");
    assert_eq!(rows[0]["status"], "failed");
    assert!(rows[0]["error"]
        .as_str()
        .unwrap()
        .contains("holds no .json object"));
    assert_eq!(rows[0]["tables"], Value::Null);
    assert_eq!(rows[1]["status"], "loaded");
    assert_eq!(rows[1]["route"], "client rebuild");
    assert_eq!(rows[1]["run_id"], report["run_id"]);
    assert_eq!(rows[1]["tables"], report["tables"]);
    let objects =
        report["songs"]["objects"].as_u64().unwrap() + report["logs"]["objects"].as_u64().unwrap();
    assert_eq!(rows[1]["objects"], objects);
    let table = run_cli(&["history", "--target", &url], None);
    let (table, _) = text(&table);
    assert!(
        table
            .lines()
            .nth(2)
            .unwrap()
            .contains("client rebuild  loaded"),
        "{table}"
    );
}
