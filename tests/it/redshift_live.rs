//! Against a real Redshift cluster, only where one is given: the classic data set loaded in
//! client mode (from ../shared/data) and in copy mode (from S3, the same objects), then
//! `parity` between the two. Without `SPARKIFY_REDSHIFT_URL` it says it skipped.
//!
//! - `SPARKIFY_REDSHIFT_URL`: `postgresql://user:password@cluster:5439/db?sslmode=require`
//! - for copy mode, also `SPARKIFY_REDSHIFT_IAM_ROLE`, `SPARKIFY_REDSHIFT_REGION` and
//!   `SPARKIFY_REDSHIFT_S3` (a prefix holding `song_data/`, `log_data/` and
//!   `log_json_path.json`: the classic set, as ../shared/data/sparkify holds it).
//! - for `--sink s3-copy`, also `SPARKIFY_REDSHIFT_STAGING` (an `s3://bucket/prefix/` this
//!   machine's credentials may write and the role may read).

use crate::common::*;
use sparkify_load::db::Database;
use sparkify_load::parity::{parity, Side};
use sparkify_load::report::TableCounts;
use sparkify_load::{Dialect, LoadRequest, Mode, SchemaName, Secret, Target};

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|value| !value.is_empty())
}

/// The classic set's tables, as the data contract gives them.
const CLASSIC: TableCounts = TableCounts {
    songplays: 6820,
    users: 96,
    songs: 71,
    artists: 69,
    time: 6813,
};

#[tokio::test]
async fn the_classic_data_loads_into_redshift_in_both_modes_alike() {
    let Some(url) = env("SPARKIFY_REDSHIFT_URL") else {
        skipped("no Redshift cluster: set SPARKIFY_REDSHIFT_URL to run tests/it/redshift_live.rs");
        return;
    };
    let Some(data) = real_data() else { return };
    let target = Target::Url(Secret::new(url.clone()));
    let client_schema: SchemaName = "sparkify_live_client".parse().unwrap();
    let mut request = LoadRequest::new(
        sparkify_load::source::SourceUri::Local(data.join("song_data")),
        sparkify_load::source::SourceUri::Local(data.join("log_data")),
        target.clone(),
    );
    request.dialect = Dialect::Redshift;
    request.schema = client_schema.clone();
    let report = load(&request).await.unwrap();
    assert_eq!(report.tables, CLASSIC);

    let (Some(role), Some(region), Some(s3)) = (
        env("SPARKIFY_REDSHIFT_IAM_ROLE"),
        env("SPARKIFY_REDSHIFT_REGION"),
        env("SPARKIFY_REDSHIFT_S3"),
    ) else {
        skipped("copy mode on Redshift: set SPARKIFY_REDSHIFT_IAM_ROLE, _REGION and _S3");
        return;
    };
    let s3 = s3.trim_end_matches('/').to_string();
    let copy_schema: SchemaName = "sparkify_live_copy".parse().unwrap();
    let mut request = LoadRequest::new(
        format!("{s3}/song_data").parse().unwrap(),
        format!("{s3}/log_data").parse().unwrap(),
        target,
    );
    request.mode = Mode::Copy;
    request.dialect = Dialect::Redshift;
    request.schema = copy_schema.clone();
    request.copy.iam_role_arn = Some(role);
    request.copy.log_jsonpath = Some(format!("{s3}/log_json_path.json"));
    request.s3.region = Some(region);
    let report = load(&request).await.unwrap();
    assert_eq!(report.tables, CLASSIC);

    let database = Database::new(&Secret::new(url), Dialect::Redshift).unwrap();
    let side = |schema| Side {
        database: &database,
        schema,
    };
    let comparison = parity(&side(&client_schema), &side(&copy_schema))
        .await
        .unwrap();
    assert!(comparison.is_equal(), "{comparison}");

    let Some(staging) = env("SPARKIFY_REDSHIFT_STAGING") else {
        skipped("--sink s3-copy on Redshift: set SPARKIFY_REDSHIFT_STAGING");
        return;
    };
    let s3_copy_schema: SchemaName = "sparkify_live_s3_copy".parse().unwrap();
    let mut request = LoadRequest::new(
        sparkify_load::source::SourceUri::Local(data.join("song_data")),
        sparkify_load::source::SourceUri::Local(data.join("log_data")),
        Target::Url(Secret::new(database_url())),
    );
    request.dialect = Dialect::Redshift;
    request.schema = s3_copy_schema.clone();
    request.copy.iam_role_arn = env("SPARKIFY_REDSHIFT_IAM_ROLE");
    request.s3.region = env("SPARKIFY_REDSHIFT_REGION");
    request.s3_copy = Some(sparkify_load::S3CopyRequest {
        staging,
        slices: None,
    });
    let report = load(&request).await.unwrap();
    assert_eq!(report.tables, CLASSIC);
    let comparison = parity(&side(&client_schema), &side(&s3_copy_schema))
        .await
        .unwrap();
    assert!(comparison.is_equal(), "{comparison}");
}

fn database_url() -> String {
    env("SPARKIFY_REDSHIFT_URL").expect("checked above")
}

/// On the cluster, as docs/SECURITY.md sets it up (the URL's user must be able to create
/// users and schemas): a loader with only `USAGE, CREATE` on its schema loads twice; a
/// reader's grant (from default privileges) and its ordinary view on songplays survive the
/// second load, and the view answers with its rows. The users and schema are dropped after.
#[tokio::test]
async fn a_least_privilege_loader_keeps_readers_grants_and_views_on_redshift() {
    let Some(url) = env("SPARKIFY_REDSHIFT_URL") else {
        skipped("no Redshift cluster: set SPARKIFY_REDSHIFT_URL to run tests/it/redshift_live.rs");
        return;
    };
    let Some(data) = real_data() else { return };
    let admin = Database::new(&Secret::new(url.clone()), Dialect::Redshift).unwrap();
    let client = admin.connect().await.unwrap();
    let password = "Sparkify-live-1";
    let setup = format!(
        "DROP SCHEMA IF EXISTS sparkify_live_grants CASCADE;
         DROP USER IF EXISTS sparkify_live_loader; DROP USER IF EXISTS sparkify_live_reader;
         CREATE USER sparkify_live_loader PASSWORD '{password}';
         CREATE USER sparkify_live_reader PASSWORD '{password}';
         CREATE SCHEMA sparkify_live_grants;
         GRANT USAGE, CREATE ON SCHEMA sparkify_live_grants TO sparkify_live_loader;
         GRANT USAGE ON SCHEMA sparkify_live_grants TO sparkify_live_reader;
         ALTER DEFAULT PRIVILEGES FOR USER sparkify_live_loader IN SCHEMA sparkify_live_grants
             GRANT SELECT ON TABLES TO sparkify_live_reader;"
    );
    admin
        .run(&client, "set up the roles", &setup)
        .await
        .unwrap();
    let as_user = |user: &str| {
        let (_, rest) = url.split_once("://").unwrap();
        let (_, host) = rest.rsplit_once('@').unwrap();
        format!("postgresql://{user}:{password}@{host}")
    };
    let mut request = LoadRequest::new(
        sparkify_load::source::SourceUri::Local(data.join("song_data")),
        sparkify_load::source::SourceUri::Local(data.join("log_data")),
        Target::Url(Secret::new(as_user("sparkify_live_loader"))),
    );
    request.dialect = Dialect::Redshift;
    request.schema = "sparkify_live_grants".parse().unwrap();
    assert_eq!(load(&request).await.unwrap().tables, CLASSIC);
    admin
        .run(
            &client,
            "create a view",
            "CREATE VIEW sparkify_live_grants.plays AS \
             SELECT count(*) AS n FROM sparkify_live_grants.songplays; \
             GRANT SELECT ON sparkify_live_grants.plays TO sparkify_live_reader;",
        )
        .await
        .unwrap();
    assert_eq!(load(&request).await.unwrap().tables, CLASSIC);
    let reader = Database::new(
        &Secret::new(as_user("sparkify_live_reader")),
        Dialect::Redshift,
    )
    .unwrap();
    let reading = reader.connect().await.unwrap();
    let rows = reader
        .text_rows(
            &reading,
            "read the view",
            "SELECT n FROM sparkify_live_grants.plays",
        )
        .await
        .unwrap();
    assert_eq!(rows, [[Some(CLASSIC.songplays.to_string())]]);
    admin
        .run(
            &client,
            "clean up",
            "ALTER DEFAULT PRIVILEGES FOR USER sparkify_live_loader IN SCHEMA \
             sparkify_live_grants REVOKE SELECT ON TABLES FROM sparkify_live_reader; \
             DROP SCHEMA sparkify_live_grants CASCADE; \
             DROP USER sparkify_live_loader; DROP USER sparkify_live_reader;",
        )
        .await
        .unwrap();
}

/// Runs `sql` as the cluster's user and gives the rows as text.
async fn rows(database: &Database, sql: &str) -> Vec<Vec<Option<String>>> {
    let client = database.connect().await.unwrap();
    database
        .text_rows(&client, "a live check", sql)
        .await
        .unwrap()
}

/// The second reading of Redshift's documentation (issue 25), case by case on the cluster:
/// B1 shard workers write nothing in common inside their transactions; B2 trailing blanks
/// are ignored by `=` and the guards tell them apart; B3 parity is exact; B4 a subnormal
/// double is refused; B5 the session is in UTC whatever the user's default; B6 the merge's
/// UPDATE runs. Schemas and the user's time zone are put back after.
#[tokio::test]
async fn the_second_reading_of_redshift_holds_on_the_cluster() {
    let Some(url) = env("SPARKIFY_REDSHIFT_URL") else {
        skipped("no Redshift cluster: set SPARKIFY_REDSHIFT_URL to run tests/it/redshift_live.rs");
        return;
    };
    let Some(data) = real_data() else { return };
    let database = Database::new(&Secret::new(url.clone()), Dialect::Redshift).unwrap();
    let target = Target::Url(Secret::new(url.clone()));
    let request_into = |schema: &str| {
        let mut request = LoadRequest::new(
            sparkify_load::source::SourceUri::Local(data.join("song_data")),
            sparkify_load::source::SourceUri::Local(data.join("log_data")),
            target.clone(),
        );
        request.dialect = Dialect::Redshift;
        request.schema = schema.parse().unwrap();
        request
    };

    // B2: the rule itself, and both guards, on the engine.
    let blanks = rows(
        &database,
        "SELECT CASE WHEN 'a' = 'a ' THEN 'equal' ELSE 'apart' END, \
         CASE WHEN 'a' || CHR(1) = 'a ' || CHR(1) THEN 'equal' ELSE 'apart' END, \
         CASE WHEN 'a' = 'a ' AND OCTET_LENGTH('a') = OCTET_LENGTH('a ') THEN 'equal' \
         ELSE 'apart' END",
    )
    .await;
    let text = |v: &str| Some(v.to_string());
    assert_eq!(blanks, [[text("equal"), text("apart"), text("apart")]]);

    // B5: a user whose default time zone is 12 hours behind UTC; every session the tool
    // opens is in UTC, so GETDATE() is UTC and no play an hour old is "in the future".
    let user = rows(&database, "SELECT CURRENT_USER").await[0][0]
        .clone()
        .unwrap();
    let admin = database.connect().await.unwrap();
    let alter = |setting: &str| format!("ALTER USER \"{user}\" {setting}");
    database
        .run(
            &admin,
            "set the user's time zone",
            &alter("SET timezone TO 'Etc/GMT+12'"),
        )
        .await
        .unwrap();
    let zone = rows(&database, "SHOW timezone").await;
    database
        .run(
            &admin,
            "put the user's time zone back",
            &alter("RESET timezone"),
        )
        .await
        .unwrap();
    assert_eq!(zone, [[text("UTC")]], "the tool's sessions are in UTC");

    // B1: two workers of one run and one of another, at once, into one schema.
    let shards = "sparkify_live_shards";
    let worker = |run: &str, index, count| {
        let mut request = request_into(shards);
        request.run_id = Some(run.to_string());
        request.scope = sparkify_load::LoadScope::Shard(sparkify_load::Shard { index, count });
        request
    };
    let workers = [
        worker("liveb1a", 0, 2),
        worker("liveb1a", 1, 2),
        worker("liveb1b", 0, 1),
    ];
    let (a0, a1, b0) = tokio::join!(load(&workers[0]), load(&workers[1]), load(&workers[2]));
    for done in [a0, a1, b0] {
        done.unwrap();
    }
    // The transactions that wrote a shard's plays wrote nothing of the shared registry.
    // (SVL_STATEMENTTEXT keeps a statement in pieces of 200 characters; each name sought
    // here lies near a statement's start.)
    let shard_transactions = "SELECT DISTINCT xid FROM svl_statementtext \
         WHERE sequence = 0 AND text LIKE '%sparkify_load_shard_liveb1%new_plays%'";
    let found = rows(&database, shard_transactions).await;
    assert!(
        found.len() >= 3,
        "each worker's transaction is found: {found:?}"
    );
    let shared = rows(
        &database,
        &format!(
            "SELECT COUNT(*) FROM svl_statementtext \
             WHERE xid IN ({shard_transactions}) AND text LIKE '%sparkify_load_shards_%'"
        ),
    )
    .await;
    assert_eq!(shared, [[text("0")]]);
    // B6: the merge (its UPDATE re-matches plays) runs, and gives the classic tables.
    let merge = |run: &str| sparkify_load::MergeRequest {
        target: target.clone(),
        dialect: Dialect::Redshift,
        schema: shards.parse().unwrap(),
        run_id: run.to_string(),
        checks: None,
        no_checks: false,
        allow_empty: false,
    };
    let config = sparkify_load::MergeConfig::resolve(merge("liveb1a")).unwrap();
    assert_eq!(sparkify_load::merge(&config).await.unwrap().tables, CLASSIC);
    let config = sparkify_load::MergeConfig::resolve(merge("liveb1b")).unwrap();
    sparkify_load::discard(&config).await.unwrap();

    // B3: two doubles that print alike with 15 digits are two values to parity.
    let exact: SchemaName = "sparkify_live_exact".parse().unwrap();
    assert_eq!(
        load(&request_into(exact.as_str())).await.unwrap().tables,
        CLASSIC
    );
    let next_after_a_tenth = 0.1f64.next_up();
    database
        .run(
            &admin,
            "make two doubles differ in their 17th digit",
            &format!(
                "UPDATE {shards}.artists SET latitude = 0.1; \
                 UPDATE {exact}.artists SET latitude = {next_after_a_tenth:?};"
            ),
        )
        .await
        .unwrap();
    let side = |schema| Side {
        database: &database,
        schema,
    };
    let shards_schema: SchemaName = shards.parse().unwrap();
    let comparison = parity(&side(&shards_schema), &side(&exact)).await.unwrap();
    assert!(!comparison.is_equal(), "{comparison}");

    // B2: every analytics query, its text guarded, runs on the cluster.
    let report = sparkify_load::analytics::report(&database, &exact)
        .await
        .unwrap();
    assert_eq!(
        report.answers.len(),
        sparkify_load::analytics::REPORT_QUERIES.len()
    );

    // B4: Redshift's DOUBLE PRECISION holds no subnormal, as client mode assumes.
    let subnormal = admin
        .batch_execute(&format!("UPDATE {exact}.artists SET latitude = 5e-324;"))
        .await;
    assert!(subnormal.is_err(), "Redshift took a subnormal double");
    let _ = admin.batch_execute("ROLLBACK").await;

    database
        .run(
            &admin,
            "clean up",
            &format!("DROP SCHEMA {shards} CASCADE; DROP SCHEMA {exact} CASCADE;"),
        )
        .await
        .unwrap();
}
