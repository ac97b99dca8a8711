//! Criterion bench of the sink: multi-row INSERTs of songplay rows into a real PostgreSQL
//! (started by the bench, fsync off), at several rows per statement: one array per column
//! unnested, multi-row VALUES with bind parameters, and literals over the simple query
//! protocol (rows/s).

use std::time::{Duration, Instant};

// The bench program's SQL, of which this bench uses two statements.
#[allow(dead_code)]
#[path = "../src/bin/sparkify-bench/bench_sql.rs"]
mod bench_sql;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use sparkify_load::db::literal::Literals;
use sparkify_load::db::TableSet;
use sparkify_load::db::{render, Database, DialectSql};
use sparkify_load::embedded::AttachedServer;
use sparkify_load::model::{SongplayRow, Timestamp};
use sparkify_load::sink::insert::{InsertShape, Inserter, RowEncoding};
use sparkify_load::sink::TableSink;
use sparkify_load::{Dialect, SchemaName, Secret};

const ROWS: usize = 20_000;

fn rows() -> Vec<SongplayRow> {
    (0..ROWS)
        .map(|i| SongplayRow {
            start_time: Timestamp::from_epoch_millis(1_541_105_830_796 + i as i64).unwrap(),
            user_id: (i % 97) as i32,
            level: Some(if i % 3 == 0 { "paid" } else { "free" }.into()),
            song_id: (i % 5 == 0).then(|| format!("SO{i:016}")),
            artist_id: (i % 5 == 0).then(|| format!("AR{i:016}")),
            session_id: Some((i / 12) as i32),
            location: Some("San Jose-Sunnyvale-Santa Clara, CA".into()),
            user_agent: Some(
                "\"Mozilla/5.0 (Windows NT 6.1; WOW64) AppleWebKit/537.36 (KHTML, like Gecko)\""
                    .into(),
            ),
        })
        .collect()
}

fn insert(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let server = AttachedServer::start(
        &dir.path().join("data"),
        &[("fsync", "off"), ("synchronous_commit", "off")],
    )
    .unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let database = Database::new(&Secret::new(server.url()), Dialect::Postgres).unwrap();
    let schema: SchemaName = "bench_insert".parse().unwrap();
    let client = runtime.block_on(database.connect()).unwrap();
    let sql = DialectSql::of(Dialect::Postgres);
    let create = render(bench_sql::FRESH_SCHEMA, &[("schema", &schema.quoted())])
        + &sql.create_tables_in(&schema, "");
    runtime.block_on(client.batch_execute(&create)).unwrap();
    let truncate = render(bench_sql::TRUNCATE, &[("schema", &schema.quoted())]);
    let rows = rows();

    let mut group = c.benchmark_group("insert/songplays");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(5));
    group.throughput(Throughput::Elements(ROWS as u64));
    let literals = runtime.block_on(Literals::of(&database, &client)).unwrap();
    let cases = [1_000, 5_000, 20_000]
        .map(|n| ("arrays", n, RowEncoding::Arrays))
        .into_iter()
        .chain([10, 100, 500, 1_000, 4_095].map(|n| ("bind", n, RowEncoding::Bind)))
        .chain([100, 500, 1_000, 4_095].map(|n| ("literal", n, RowEncoding::Literal(literals))));
    for (name, per_statement, encoding) in cases {
        group.bench_with_input(
            BenchmarkId::new(name, per_statement),
            &per_statement,
            |b, &n| {
                b.iter_custom(|iterations| {
                    let mut took = Duration::ZERO;
                    for _ in 0..iterations {
                        runtime.block_on(client.batch_execute(&truncate)).unwrap();
                        let started = Instant::now();
                        runtime.block_on(async {
                            let mut inserter = Inserter::new(
                                &client,
                                &database,
                                TableSet::plain(schema.clone()),
                                InsertShape {
                                    encoding,
                                    rows_per_statement: n,
                                    in_flight: 1,
                                },
                            );
                            inserter.push(rows.iter().cloned()).await.unwrap();
                            assert_eq!(inserter.finish().await.unwrap(), ROWS as u64);
                        });
                        took += started.elapsed();
                    }
                    took
                })
            },
        );
    }
    group.finish();
}

criterion_group!(benches, insert);
criterion_main!(benches);
