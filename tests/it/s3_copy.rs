//! `--sink s3-copy` without a cluster: the gzip CSV parts and manifests written to a real S3
//! server (s3s on loopback), read back through the S3 protocol and parsed by an independent
//! CSV reader, give back every hostile value exactly, NULL apart from every string; the
//! part count is a multiple of the slices; and the CLI refuses the sink where it cannot run.
//! Redshift's own reading of the parts is checked only by the live suite.

use std::io::Read as _;

use crate::common::hostile::hostile_strings;
use crate::common::run_cli;
use crate::common::s3::{Faults, S3Server};
use futures::TryStreamExt;
use sparkify_load::model::{SongRow, SongplayRow, Timestamp};
use sparkify_load::sink::s3_copy::{S3Stage, TableParts};
use sparkify_load::source::{Source, SourceUri};

/// Every hostile string, the empty string, the NULL markers other tools use, as text.
fn texts() -> Vec<Option<String>> {
    let mut texts: Vec<Option<String>> = hostile_strings().into_iter().map(Some).collect();
    for marker in [
        "", "\\N", "@NULL@", "NULL", " ", "\"", "\",\"", "a\r\nb", "\n",
    ] {
        texts.push(Some(marker.to_string()));
    }
    texts.push(None);
    texts
}

fn doubles() -> Vec<Option<f64>> {
    vec![
        Some(-0.0),
        Some(0.0),
        Some(1e300),
        // The smallest normal double: a subnormal never reaches a Redshift row (a record
        // holding one is bad there: docs/SPEC-DECISIONS.md).
        Some(-f64::MIN_POSITIVE),
        Some(f64::MAX),
        Some(0.1 + 0.2),
        Some(655.77751),
        None,
    ]
}

fn timestamps() -> Vec<Timestamp> {
    [
        -210_866_803_200_000i64, // 4713 BC
        -62_135_596_800_001,     // 1 BC, a millisecond before 1 AD
        0,
        1_541_105_830_796,
        253_402_300_799_999, // 9999-12-31
        9_224_318_015_999_999,
    ]
    .into_iter()
    .map(|millis| Timestamp::from_epoch_millis(millis).unwrap())
    .collect()
}

fn songplays() -> Vec<SongplayRow> {
    let (texts, times) = (texts(), timestamps());
    (0..texts.len() * 7)
        .map(|i| SongplayRow {
            start_time: times[i % times.len()],
            user_id: [i32::MIN, -1, 0, i32::MAX][i % 4],
            level: texts[i % texts.len()].clone(),
            song_id: texts[(i + 1) % texts.len()].clone(),
            artist_id: texts[(i + 2) % texts.len()].clone(),
            session_id: (i % 3 != 0).then_some(i as i32),
            location: texts[(i + 3) % texts.len()].clone(),
            user_agent: texts[(i + 4) % texts.len()].clone(),
        })
        .collect()
}

fn songs() -> Vec<SongRow> {
    let (texts, doubles) = (texts(), doubles());
    (0..texts.len())
        .map(|i| SongRow {
            song_id: format!("SO{i}"),
            title: texts[i].clone(),
            artist_id: texts[(i + 5) % texts.len()].clone(),
            year: (i % 2 == 0).then_some(i as i32 - 3),
            duration: doubles[i % doubles.len()],
        })
        .collect()
}

/// A field as written, or `None` for the NULL marker: a field of one NUL byte.
fn field(record: &csv::ByteRecord, i: usize) -> Option<String> {
    let bytes = &record[i];
    (bytes != b"\0").then(|| String::from_utf8(bytes.to_vec()).unwrap())
}

/// The records of every part a manifest lists, read back through S3, and the part count.
async fn read_back(server: &S3Server, manifest_url: &str) -> (Vec<csv::ByteRecord>, usize) {
    let options = server.options();
    let read = |url: String| {
        let options = options.clone();
        async move {
            let (folder, key) = url.rsplit_once('/').unwrap();
            let source = Source::open(
                &format!("{folder}/").parse::<SourceUri>().unwrap(),
                &options,
            )
            .await;
            let chunks: Vec<bytes::Bytes> = source.chunks(key).try_collect().await.unwrap();
            chunks.concat()
        }
    };
    let manifest: serde_json::Value =
        serde_json::from_slice(&read(manifest_url.to_string()).await).unwrap();
    let entries = manifest["entries"].as_array().unwrap();
    let mut records = Vec::new();
    for entry in entries {
        assert_eq!(entry["mandatory"], true);
        let part = read(entry["url"].as_str().unwrap().to_string()).await;
        assert_eq!(entry["meta"]["content_length"], part.len());
        let mut csv_text = Vec::new();
        flate2::read::GzDecoder::new(&part[..])
            .read_to_end(&mut csv_text)
            .unwrap();
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(&csv_text[..]);
        records.extend(reader.byte_records().map(Result::unwrap));
    }
    (records, entries.len())
}

/// The parts give back every value: text byte for byte with NULL apart from every string,
/// doubles bit for bit, timestamps to the microsecond; rows are dealt over one part per
/// slice.
#[tokio::test]
async fn staged_parts_round_trip_every_hostile_value() {
    let server = S3Server::start(Faults::default()).await;
    std::fs::create_dir_all(server.root.path().join("stage")).unwrap();
    let stage = S3Stage::connect("stage", "loads/", "r1", &server.options()).await;

    let rows = songplays();
    let mut parts = TableParts::new::<SongplayRow>(&stage, 3);
    parts.push(rows.clone()).await.unwrap();
    let staged = parts.finish().await.unwrap();
    assert_eq!(
        staged.manifest_url,
        "s3://stage/loads/r1/songplays.manifest"
    );
    assert_eq!((staged.rows, staged.parts), (rows.len() as u64, 3));
    let (records, parts) = read_back(&server, &staged.manifest_url).await;
    assert_eq!(parts, 3);
    assert_eq!(records.len(), rows.len());
    // Rows are dealt in turn over the parts: part k holds rows k, k + 3, …
    let mut expected: Vec<&SongplayRow> = Vec::new();
    for k in 0..3 {
        expected.extend(rows.iter().skip(k).step_by(3));
    }
    for (record, row) in records.iter().zip(expected) {
        assert_eq!(
            field(record, 0),
            Some(row.start_time.sql_text().as_str().to_string())
        );
        assert_eq!(field(record, 1), Some(row.user_id.to_string()));
        assert_eq!(field(record, 2), row.level);
        assert_eq!(field(record, 3), row.song_id);
        assert_eq!(field(record, 4), row.artist_id);
        assert_eq!(field(record, 5), row.session_id.map(|s| s.to_string()));
        assert_eq!(field(record, 6), row.location);
        assert_eq!(field(record, 7), row.user_agent);
    }

    let rows = songs();
    let mut parts = TableParts::new::<SongRow>(&stage, 2);
    parts.push(rows.clone()).await.unwrap();
    let staged = parts.finish().await.unwrap();
    let (records, _) = read_back(&server, &staged.manifest_url).await;
    assert_eq!(records.len(), rows.len());
    let mut expected: Vec<&SongRow> = rows.iter().step_by(2).collect();
    expected.extend(rows.iter().skip(1).step_by(2));
    for (record, row) in records.iter().zip(expected) {
        assert_eq!(field(record, 0).as_ref(), Some(&row.song_id));
        assert_eq!(field(record, 1), row.title);
        assert_eq!(field(record, 2), row.artist_id);
        assert_eq!(field(record, 3), row.year.map(|y| y.to_string()));
        let duration = field(record, 4).map(|d| d.parse::<f64>().unwrap().to_bits());
        assert_eq!(duration, row.duration.map(f64::to_bits));
    }
}

/// A table with fewer rows than slices gets a part per row, and an empty one a manifest
/// with no parts.
#[tokio::test]
async fn small_tables_get_no_empty_parts() {
    let server = S3Server::start(Faults::default()).await;
    std::fs::create_dir_all(server.root.path().join("stage")).unwrap();
    let stage = S3Stage::connect("stage", "", "small", &server.options()).await;
    let mut parts = TableParts::new::<SongRow>(&stage, 8);
    parts.push(songs().into_iter().take(3)).await.unwrap();
    let staged = parts.finish().await.unwrap();
    assert_eq!((staged.rows, staged.parts), (3, 3));
    assert_eq!(read_back(&server, &staged.manifest_url).await.0.len(), 3);
    let empty = TableParts::new::<SongplayRow>(&stage, 8)
        .finish()
        .await
        .unwrap();
    assert_eq!((empty.rows, empty.parts), (0, 0));
}

/// The sink runs only where it can: client-mode rebuilds into Redshift, with a staging
/// prefix on S3, the cluster's role and the bucket's region.
#[test]
fn the_sink_is_refused_where_it_cannot_run() {
    let redshift = "postgresql://u:p@example.redshift.amazonaws.com:5439/dev";
    let base = [
        "load",
        "--song-data",
        "fixtures/tiny/song_data",
        "--log-data",
        "fixtures/tiny/log_data",
        "--sink",
        "s3-copy",
    ];
    let refused = |extra: &[&str], message: &str| {
        let mut args = base.to_vec();
        args.extend_from_slice(extra);
        let output = run_cli(&args, None);
        assert_eq!(output.status.code(), Some(2), "{extra:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(message), "{extra:?}: {stderr}");
    };
    refused(
        &[
            "--staging-prefix",
            "s3://stage-bucket/p/",
            "--target",
            "postgresql://u@localhost/db",
        ],
        "--sink s3-copy is for Redshift",
    );
    refused(
        &[
            "--staging-prefix",
            "/tmp/x",
            "--target",
            redshift,
            "--iam-role",
            "arn:r",
            "--region",
            "us-west-2",
        ],
        "must be an s3://bucket/prefix/",
    );
    refused(
        &[
            "--staging-prefix",
            "s3://stage-bucket/p/",
            "--target",
            redshift,
            "--region",
            "us-west-2",
        ],
        "needs the cluster's IAM role",
    );
    refused(
        &[
            "--staging-prefix",
            "s3://stage-bucket/p/",
            "--target",
            redshift,
            "--iam-role",
            "arn:r",
        ],
        "needs the staging bucket's --region",
    );
    refused(&["--target", redshift], "--staging-prefix");
    let output = run_cli(
        &[
            "load",
            "--target",
            redshift,
            "--song-data",
            "fixtures/tiny/song_data",
            "--log-data",
            "fixtures/tiny/log_data",
            "--slices",
            "4",
        ],
        None,
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr)
        .contains("--staging-prefix and --slices go with --sink s3-copy"));
}
