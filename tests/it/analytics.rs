//! The business questions: every query of `sql/analytics/` against `fixtures/analytics`,
//! whose answers were worked out by hand, through `sparkify-load report` and `next`, and
//! the HTML report as headless Chromium renders it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::common::*;
use sparkify_load::analytics::{self, Param, Query};
use sparkify_load::db::Database;
use sparkify_load::{Dialect, Mode, SchemaName, Secret};

fn analytics_fixture() -> PathBuf {
    fixtures().join("analytics")
}

/// A database holding the analytics fixture, loaded in `mode` into `schema`.
async fn loaded(url: &str, mode: Mode, schema: &str) {
    let mut config = config(&analytics_fixture(), url);
    config.mode = mode;
    config.schema = schema.parse().unwrap();
    let report = load(&config).await.unwrap();
    assert_eq!(report.tables.songplays, 18);
}

fn sparkify_load(args: &[&str]) -> Output {
    let output = run_cli(args, None);
    assert!(
        output.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

fn csv_files(dir: &Path) -> Vec<(String, String)> {
    let mut files: Vec<(String, String)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "csv"))
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read_to_string(&p).unwrap())
        })
        .collect();
    files.sort();
    files
}

#[tokio::test]
async fn every_query_gives_its_hand_derived_answer_in_both_modes() {
    let url = fresh_database().await;
    loaded(&url, Mode::Client, "public").await;
    loaded(&url, Mode::Copy, "by_copy").await;
    let expected = csv_files(&analytics_fixture().join("expected"));
    assert_eq!(expected.len(), 12, "one answer per query");
    for schema in ["public", "by_copy"] {
        let out = tempfile::tempdir().unwrap();
        let output = sparkify_load(&[
            "report",
            "--target",
            &url,
            "--schema",
            schema,
            "--out",
            &out.path().display().to_string(),
        ]);
        let written = csv_files(out.path());
        let names =
            |files: &[(String, String)]| files.iter().map(|f| f.0.clone()).collect::<Vec<_>>();
        assert_eq!(names(&written), names(&expected), "schema {schema}");
        for ((name, got), (_, want)) in written.iter().zip(&expected) {
            assert_eq!(got, want, "{name} of schema {schema}");
        }
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(stdout.contains("Most played songs"), "{stdout}");
        assert!(
            stdout.contains("What next, after the most played song: Alpha (SOALPHA00000000001)"),
            "{stdout}"
        );
        assert!(
            stdout.contains("Suggestions for the most active listener: Ada Lovelace (1)"),
            "{stdout}"
        );
        assert!(out.path().join("report.html").is_file());
        for chart in [
            "plays_by_hour",
            "plays_by_weekday",
            "plays_by_region",
            "paid_vs_free",
        ] {
            let svg = std::fs::read_to_string(out.path().join(format!("{chart}.svg"))).unwrap();
            assert!(
                svg.starts_with("<svg") && svg.contains("<rect"),
                "{chart}.svg"
            );
        }
    }
}

/// A loaded warehouse to ask the parameterized queries.
struct Warehouse {
    database: Database,
    client: tokio_postgres::Client,
    schema: SchemaName,
}

impl Warehouse {
    /// The rows `query` gives for `param`, NULL as `NULL`.
    async fn ask(&self, query: &Query, param: Param<'_>) -> Vec<Vec<String>> {
        let answer = query
            .run(&self.database, &self.client, &self.schema, Some(param))
            .await
            .unwrap();
        answer
            .rows
            .into_iter()
            .map(|row| {
                row.into_iter()
                    .map(|v| v.unwrap_or("NULL".into()))
                    .collect()
            })
            .collect()
    }
}

#[tokio::test]
async fn next_after_a_song_and_suggestions_for_a_user() {
    let url = fresh_database().await;
    loaded(&url, Mode::Client, "public").await;
    let database = Database::new(&Secret::new(url.clone()), Dialect::Postgres).unwrap();
    let warehouse = Warehouse {
        client: database.connect().await.unwrap(),
        database,
        schema: "public".parse().unwrap(),
    };
    let after = |song: &'static str| warehouse.ask(&analytics::NEXT_AFTER_SONG, Param::Text(song));
    let suggest = |user: i32| warehouse.ask(&analytics::SUGGEST_FOR_USER, Param::Int(user));

    // Alpha is followed by Bravo in three sessions of two users, by Charlie once.
    assert_eq!(
        after("SOALPHA00000000001").await,
        [
            ["SOBRAVO00000000002", "Bravo", "Ann", "3", "2"],
            ["SOCHARLIE000000003", "Charlie", "Bob", "1", "1"]
        ]
    );
    // Charlie is followed by an unmatched play once (not suggestible) and Alpha once.
    assert_eq!(
        after("SOCHARLIE000000003").await,
        [["SOALPHA00000000001", "Alpha", "Ann", "1", "1"]]
    );
    assert!(after("SONOSUCHSONG000000").await.is_empty());

    // Cy shares three songs with Ada and with Ben, one with Di: Delta (Ben, Di) and Echo
    // (Ada, Di) both score 3 + 1.
    assert_eq!(
        suggest(3).await,
        [
            ["SODELTA00000000004", "Delta", "Cat", "4", "2"],
            ["SOECHO000000000005", "Echo", "Cat", "4", "2"]
        ]
    );
    // Di shares Alpha and one more with Ada and with Ben, only Alpha with Cy.
    assert_eq!(
        suggest(4).await,
        [
            ["SOBRAVO00000000002", "Bravo", "Ann", "5", "3"],
            ["SOCHARLIE000000003", "Charlie", "Bob", "5", "3"]
        ]
    );
    assert!(suggest(99).await.is_empty());

    let output = sparkify_load(&["next", "--target", &url, "--user", "3"]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.starts_with("Suggestions for user 3\n"), "{stdout}");
    let delta = stdout
        .find("SODELTA00000000004")
        .expect("Delta is suggested");
    let echo = stdout
        .find("SOECHO000000000005")
        .expect("Echo is suggested");
    assert!(delta < echo, "{stdout}");
    assert!(!stdout.contains("SOALPHA"), "Cy has played Alpha: {stdout}");
    let output = sparkify_load(&["next", "--target", &url, "--song", "SOALPHA00000000001"]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.starts_with("What next, after song SOALPHA00000000001\n"),
        "{stdout}"
    );
    assert!(stdout.find("SOBRAVO").unwrap() < stdout.find("SOCHARLIE").unwrap());
    let missing = Command::new(env!("CARGO_BIN_EXE_sparkify-load"))
        .args(["next", "--target", &url])
        .output()
        .unwrap();
    assert_eq!(
        missing.status.code(),
        Some(2),
        "--song or --user is required"
    );
}

/// Headless Chromium from the machine's packages, with nothing that reaches the network.
fn chromium(args: &[&str], profile: &Path) -> Output {
    let browser = ["chromium", "chromium-browser"]
        .into_iter()
        .find(|name| Command::new(name).arg("--version").output().is_ok())
        .expect("Chromium is installed (scripts/install-test-deps installs it)");
    // Chromium has been known to hang headless: coreutils' timeout stops it.
    Command::new("timeout")
        .args(["90", browser])
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .output()
        .unwrap()
}

#[tokio::test]
async fn the_html_report_renders_with_its_charts() {
    let url = fresh_database().await;
    loaded(&url, Mode::Client, "public").await;
    let out = tempfile::tempdir().unwrap();
    sparkify_load(&[
        "report",
        "--target",
        &url,
        "--out",
        &out.path().display().to_string(),
    ]);
    let page = out.path().join("report.html");
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(!html.contains("<script"), "the page is static");
    assert!(
        !html.contains("src=\"http") && !html.contains("href=\"http"),
        "self-contained"
    );
    let page_url = format!("file://{}", page.display());

    let profile = tempfile::tempdir().unwrap();
    let dom = chromium(&["--dump-dom", &page_url], profile.path());
    let dom = String::from_utf8_lossy(&dom.stdout);
    for chart in [
        "plays_by_hour",
        "plays_by_weekday",
        "plays_by_region",
        "paid_vs_free",
    ] {
        assert!(
            dom.contains(&format!("data-chart=\"{chart}\"")),
            "the browser's DOM has the {chart} chart"
        );
    }
    assert_eq!(dom.matches("<svg").count(), 4, "four charts");

    let shot = out.path().join("report.png");
    let profile = tempfile::tempdir().unwrap();
    chromium(
        &[
            &format!("--screenshot={}", shot.display()),
            "--window-size=900,2600",
            &page_url,
        ],
        profile.path(),
    );
    let decoder = png::Decoder::new(std::fs::File::open(&shot).expect("a screenshot was taken"));
    let mut reader = decoder.read_info().unwrap();
    let mut pixels = vec![0; reader.output_buffer_size()];
    let frame = reader.next_frame(&mut pixels).unwrap();
    assert_eq!((frame.width, frame.height), (900, 2600));
    let channels = frame.color_type.samples();
    let rgb = |i: usize| (pixels[i], pixels[i + 1], pixels[i + 2]);
    let (mut ink, mut blue, mut orange) = (0, 0, 0);
    for i in (0..frame.buffer_size()).step_by(channels) {
        match rgb(i) {
            (255, 255, 255) => {}
            (0x4C, 0x78, 0xA8) => blue += 1,
            (0xF5, 0x85, 0x18) => orange += 1,
            _ => ink += 1,
        }
    }
    // Text and rules in ink; bars of the charts in the report's two colours: 11 plays at
    // 08:00 alone make a bar of several thousand pixels, and free bars are orange.
    assert!(ink > 20_000, "text and tables are drawn ({ink} pixels)");
    assert!(blue > 10_000, "blue bars are drawn ({blue} pixels)");
    assert!(
        orange > 1_000,
        "orange (free) bars are drawn ({orange} pixels)"
    );
}
