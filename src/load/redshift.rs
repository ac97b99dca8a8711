//! Copy mode on Redshift, the classic pipeline: its fill is a run of statements the
//! cluster runs itself — `COPY … FROM 's3://…'` into the raw tables, the star-schema rules
//! in SQL (`sql/redshift/copy/`) — inside the rebuild's plan (`load::rebuild`), and what
//! reads COPY's rejects and counts back.

use super::rejects::Rejects;
use super::step::Step;
use crate::config::{LoadConfig, RedshiftCopySources};
use crate::db::literal::Literals;
use crate::db::sql::redshift_copy;
use crate::db::{render, Database, TableSet};
use crate::error::{Error, Result};
use crate::parse::BadRecord;

/// COPY's largest MAXERROR.
const MAX_COPY_ERRORS: u64 = 100_000;

/// The fill's steps: the raw tables, the two COPYs and their rejects, the plays counted,
/// the rules in SQL into `tables`.
pub(super) fn copy_steps(
    config: &LoadConfig,
    sources: &RedshiftCopySources,
    tables: &TableSet,
) -> Vec<(Step, String)> {
    let (schema, new) = (tables.schema.quoted(), tables.prefix.clone());
    // COPY fails once it meets MAXERROR errors or more, where --max-errors N skips up to
    // N: N + 1, within COPY's cap.
    let max_errors = (config.max_errors + 1).min(MAX_COPY_ERRORS).to_string();
    let quote = |text: &str| Literals::REDSHIFT.quote(text);
    let on_tables = |template: &str| {
        render(
            template,
            &[
                ("schema", &schema),
                ("new", &new),
                ("song_data", &quote(&sources.song_data)),
                ("log_data", &quote(&sources.log_data)),
                ("iam_role", &quote(&sources.iam_role_arn)),
                ("region", &quote(&sources.region)),
                ("log_jsonpath", &quote(&sources.log_jsonpath)),
                ("max_errors", &max_errors),
            ],
        )
    };
    let load_errors = || redshift_copy::LOAD_ERRORS.to_string();
    vec![
        (
            Step::Run("create the raw tables"),
            on_tables(redshift_copy::PREPARE),
        ),
        (Step::CopySongs, on_tables(redshift_copy::COPY_SONGS)),
        (Step::ReadSongRejects, load_errors()),
        (Step::CopyEvents, on_tables(redshift_copy::COPY_EVENTS)),
        (Step::ReadEventRejects, load_errors()),
        (Step::ReadRefused, on_tables(redshift_copy::REFUSED)),
        (
            Step::Run("leave the refused events out"),
            on_tables(redshift_copy::LEAVE_OUT_REFUSED),
        ),
        (Step::CountPlays, on_tables(redshift_copy::PLAYS)),
        (
            Step::Run("transform in SQL"),
            on_tables(redshift_copy::TRANSFORM),
        ),
    ]
}

/// Runs a COPY. One that fails past MAXERROR fails as a whole: then the error says which
/// records it refused. `pg_last_copy_id()` moves only once a COPY begins loading; when it
/// has not moved, the COPY failed before (credentials, access, syntax) and its own error
/// is the one to report.
pub(super) async fn copy(
    (client, database): (&tokio_postgres::Client, &Database),
    (step, sql): (&str, &str),
    rejects: &mut Rejects,
) -> Result<()> {
    let last_copy = |client| {
        database.text_rows(
            client,
            "read pg_last_copy_id()",
            redshift_copy::LAST_COPY_ID,
        )
    };
    let before = last_copy(client).await?;
    let Err(failed) = database.run(client, step, sql).await else {
        return Ok(());
    };
    if last_copy(client).await.ok().as_ref() == Some(&before) {
        return Err(failed.into());
    }
    // The refused records join the load's others: past --max-errors, they are the error.
    let load_errors = (step, redshift_copy::LOAD_ERRORS);
    match read_bad_records((client, database), load_errors, rejects).await {
        Err(bad @ Error::BadInput { .. }) => Err(bad),
        _ => Err(failed.into()),
    }
}

/// Reads bad records, one a row of (object, line, reason, raw text), into the rejects:
/// what `STL_LOAD_ERRORS` says the session's last COPY rejected (filtered on that COPY's
/// own query id, `pg_last_copy_id()`, never on the session's pid, which a later session
/// may be given again), or what the contract refuses among the staged rows.
pub(super) async fn read_bad_records(
    (client, database): (&tokio_postgres::Client, &Database),
    (step, sql): (&str, &str),
    rejects: &mut Rejects,
) -> Result<()> {
    let rows = database.text_rows(client, step, sql).await?;
    let bad = rows
        .into_iter()
        .map(|row| {
            let mut values = row.into_iter().map(Option::unwrap_or_default);
            let mut next = || values.next().unwrap_or_default();
            BadRecord {
                key: next(),
                line: next().parse().unwrap_or(0),
                reason: next(),
                raw: next(),
            }
        })
        .collect();
    rejects.add(bad)
}
