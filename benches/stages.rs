//! Criterion benches of the CPU stages on generated fixtures: parsing song and event
//! objects (bytes/s, on both cores and on one), the star-schema transform (events/s), and
//! the writers that encode songplay rows for the wire (rows/s on one core).

use std::path::Path;

use bytes::BytesMut;
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use rayon::prelude::*;
use sparkify_fixtures::{generate, FixtureSpec};
use sparkify_load::db::literal::Literals;
use sparkify_load::model::{EventRecord, SongRecord, SongplayRow};
use sparkify_load::parse::decode_object;
use sparkify_load::sink::arrays::ColumnArray;
use sparkify_load::sink::csv::CsvRow;
use sparkify_load::sink::literal::tuple;
use sparkify_load::sink::TableRow;
use sparkify_load::transform::{Catalog, EventFold, ObjectFold};
use tokio_postgres::types::{ToSql, Type};

// The binary's allocator, so that the figures are the loader's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn read_tree(root: &Path) -> Vec<(String, Vec<u8>)> {
    let mut objects: Vec<(String, Vec<u8>)> = walkdir::WalkDir::new(root)
        .into_iter()
        .map(Result::unwrap)
        .filter(|e| e.file_type().is_file() && e.path().extension().is_some_and(|x| x == "json"))
        .map(|e| {
            (
                e.path().display().to_string(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    objects.sort();
    objects
}

fn stages(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    generate(
        dir.path(),
        &FixtureSpec {
            songs: 5_000,
            events: 100_000,
            seed: 1,
        },
    )
    .unwrap();
    let songs = read_tree(&dir.path().join("song_data"));
    let logs = read_tree(&dir.path().join("log_data"));
    let bytes =
        |objects: &[(String, Vec<u8>)]| objects.iter().map(|(_, b)| b.len() as u64).sum::<u64>();

    let mut group = c.benchmark_group("parse");
    group.sample_size(10);
    // Each on both cores (rayon's pool), and in a pool of one thread: the per-core figure.
    let one_thread = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    for (suffix, pool) in [("", None), ("-one-thread", Some(&one_thread))] {
        let within = |work: &(dyn Fn() -> usize + Sync)| match pool {
            Some(pool) => pool.install(work),
            None => work(),
        };
        group.throughput(Throughput::Bytes(bytes(&songs)));
        group.bench_function(format!("songs{suffix}"), |b| {
            b.iter(|| {
                within(&|| {
                    songs
                        .par_iter()
                        .map(|(k, b)| decode_object::<SongRecord>(k, b).records.len())
                        .sum::<usize>()
                })
            })
        });
        group.throughput(Throughput::Bytes(bytes(&logs)));
        group.bench_function(format!("events{suffix}"), |b| {
            b.iter(|| {
                within(&|| {
                    logs.par_iter()
                        .map(|(k, b)| decode_object::<EventRecord>(k, b).records.len())
                        .sum::<usize>()
                })
            })
        });
    }
    // The ceiling of any decoder built on serde_json: its syntax pass over every record
    // alone, keeping nothing (docs/BENCHMARKS.md).
    group.bench_function("events-serde-json-syntax-only", |b| {
        b.iter(|| {
            logs.par_iter()
                .map(|(_, b)| {
                    serde_json::Deserializer::from_slice(b)
                        .into_iter::<serde::de::IgnoredAny>()
                        .filter(Result::is_ok)
                        .count()
                })
                .sum::<usize>()
        })
    });
    group.finish();

    let song_records: Vec<SongRecord> = songs
        .iter()
        .flat_map(|(k, b)| {
            decode_object::<SongRecord>(k, b)
                .records
                .into_iter()
                .map(|(_, r)| r)
        })
        .collect();
    let events: Vec<Vec<(u32, EventRecord<'_>)>> = logs
        .iter()
        .map(|(k, b)| decode_object::<EventRecord>(k, b).records)
        .collect();
    let event_count: usize = events.iter().map(Vec::len).sum();

    let mut group = c.benchmark_group("transform");
    group.sample_size(10);
    group.throughput(Throughput::Elements(song_records.len() as u64));
    group.bench_function("catalog", |b| {
        b.iter_batched(|| song_records.clone(), Catalog::new, BatchSize::LargeInput)
    });
    let catalog = Catalog::new(song_records.clone());
    group.throughput(Throughput::Elements(event_count as u64));
    group.bench_function("events", |b| {
        b.iter_batched(
            || events.clone(),
            |events| {
                let folds: Vec<ObjectFold> = events
                    .into_par_iter()
                    .enumerate()
                    .map(|(i, object)| ObjectFold::of_events(&catalog, i as u32, object))
                    .collect();
                let mut fold = EventFold::default();
                let (mut plays, mut times) = (0, 0);
                for object in folds {
                    let new = fold.merge(object);
                    plays += new.songplays.len();
                    times += new.times.len();
                }
                let users = fold.finish();
                (plays, users.len(), times)
            },
            BatchSize::LargeInput,
        )
    });
    group.finish();
    encode(c, &catalog, &events);
}

/// The writers of songplay rows, on one core: binary arrays (PostgreSQL's INSERT), SQL
/// literals (Redshift's INSERT) and CSV fields (the s3-copy sink, before gzip).
fn encode(c: &mut Criterion, catalog: &Catalog, events: &[Vec<(u32, EventRecord<'_>)>]) {
    let rows: Vec<SongplayRow> = events
        .iter()
        .enumerate()
        .flat_map(|(i, object)| ObjectFold::of_events(catalog, i as u32, object.clone()).songplays)
        .collect();
    let mut group = c.benchmark_group("encode");
    group.sample_size(10);
    group.throughput(Throughput::Elements(rows.len() as u64));
    const PER_STATEMENT: usize = 1_000;
    let column_types = [
        Type::TIMESTAMP_ARRAY,
        Type::INT4_ARRAY,
        Type::TEXT_ARRAY,
        Type::TEXT_ARRAY,
        Type::TEXT_ARRAY,
        Type::INT4_ARRAY,
        Type::TEXT_ARRAY,
        Type::TEXT_ARRAY,
    ];
    let mut wire = BytesMut::new();
    group.bench_function("arrays-songplays", |b| {
        b.iter(|| {
            let mut written = 0;
            for statement in rows.chunks(PER_STATEMENT) {
                wire.clear();
                let mut params: Vec<&(dyn ToSql + Sync)> = Vec::new();
                for row in statement {
                    row.push_params(&mut params);
                }
                for (column, ty) in column_types.iter().enumerate() {
                    let array = ColumnArray::new(&params, column_types.len(), column);
                    array.to_sql_checked(ty, &mut wire).unwrap();
                }
                written += wire.len();
            }
            written
        })
    });
    let mut text = String::new();
    group.bench_function("literal-songplays", |b| {
        b.iter(|| {
            let mut written = 0;
            for statement in rows.chunks(PER_STATEMENT) {
                text.clear();
                for row in statement {
                    tuple(Literals::REDSHIFT, &mut text, |values| {
                        row.write_values(values)
                    });
                    text.push(',');
                }
                written += text.len();
            }
            written
        })
    });
    let mut csv = Vec::new();
    group.bench_function("csv-songplays", |b| {
        b.iter(|| {
            let mut written = 0;
            for statement in rows.chunks(PER_STATEMENT) {
                csv.clear();
                for row in statement {
                    CsvRow::write(row, &mut csv);
                }
                written += csv.len();
            }
            written
        })
    });
    group.finish();
}

criterion_group!(benches, stages);
criterion_main!(benches);
