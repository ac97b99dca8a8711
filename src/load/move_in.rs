//! A rebuild's last steps, and what keeps any load from wiping data by mistake: the move
//! of the new tables' rows into the five tables, in one transaction with the manifest and
//! the quality gate (the tables are never dropped or replaced, so readers, grants and
//! dependent views are untouched: docs/RELIABILITY.md); the refusal of trees that gave
//! nothing and of a load that empties a table that has rows (docs/SPEC-DECISIONS.md, "No
//! silent wipe").

use tokio_postgres::Client;

use super::merge::partial_star_schema;
use super::step::Step;
use super::Loaded;
use crate::db::merge::MergeSql;
use crate::db::{number_at, Database, SchemaName};
use crate::error::{Error, Result};
use crate::report::SourceSummary;

/// A tree that holds no object, or whose objects give no row of their own, is a wrong path
/// (an empty directory, the two trees swapped): refused unless `--allow-empty`
/// (docs/SPEC-DECISIONS.md, "No silent wipe").
pub(super) fn refuse_empty_trees(loaded: &Loaded) -> Result<()> {
    let refuse =
        |flag: &str, summary: &SourceSummary, what: &str| Err(wrong_tree(flag, &summary.uri, what));
    let (songs, logs, tables) = (&loaded.songs, &loaded.logs, &loaded.tables);
    if songs.objects == 0 {
        return refuse("--song-data", songs, "holds no .json object");
    }
    if logs.objects == 0 {
        return refuse("--log-data", logs, "holds no .json object");
    }
    if tables.songs == 0 && tables.artists == 0 {
        let what = format!(
            "gave no song and no artist from its {} objects",
            songs.objects
        );
        return refuse("--song-data", songs, &what);
    }
    if tables.songplays == 0 {
        let what = format!("gave no songplay from its {} objects", logs.objects);
        return refuse("--log-data", logs, &what);
    }
    Ok(())
}

/// The refusal of a tree (`flag` names which) that `what` says is empty of what it should
/// hold, for every route that checks one.
pub(super) fn wrong_tree(flag: &str, uri: &dyn std::fmt::Display, what: &str) -> Error {
    Error::Refused(format!(
        "{flag} {uri} {what}: nothing was changed. Check the path (are --song-data and \
         --log-data swapped?), or pass --allow-empty to load it as it is"
    ))
}

/// What every load that changes the five tables' rows (a move-in, a merge) does first,
/// inside its transaction: refuses while a foreign key points at them, and notes which
/// hold rows, for [`after_change`].
pub(super) async fn before_change(
    database: &Database,
    client: &Client,
    sql: &MergeSql,
) -> Result<Vec<String>> {
    refuse_foreign_keys(database, client, &sql.referencing()).await?;
    nonempty(database, client, &sql.nonempty()).await
}

/// What every such load does once its rows are in: refuses to have emptied a table that
/// held rows before (unless `--allow-empty`); gives the tables that hold rows now.
pub(super) async fn after_change(
    database: &Database,
    client: &Client,
    sql: &MergeSql,
    target: (&SchemaName, bool),
    before: &[String],
) -> Result<Vec<String>> {
    let after = nonempty(database, client, &sql.nonempty()).await?;
    refuse_emptied(target, before, &after)?;
    Ok(after)
}

/// Refuses to change the five tables' rows while a foreign key points at them (`query`
/// finds them; empty where the dialect has none): the `DELETE` would cascade into, or
/// null, the rows of the table that holds it.
pub(super) async fn refuse_foreign_keys(
    database: &Database,
    client: &Client,
    query: &str,
) -> Result<()> {
    if query.is_empty() {
        return Ok(());
    }
    let step = Step::LookForForeignKeys.label();
    let keys = database.first_column(client, step, query).await?;
    if keys.is_empty() {
        return Ok(());
    }
    Err(Error::Refused(format!(
        "{}; a load replaces the rows of the five tables, which would delete or change the \
         rows that refer to them, so nothing was changed: drop the foreign key (a view or a \
         join can say the same without it)",
        keys.join("; ")
    )))
}

/// A run that builds the tables from scratch (`--full`, a first incremental run, a merge
/// of shards) and leaves no songplay, or no song and no artist, read trees that gave
/// nothing: the trees swapped, or empty of what they should hold. Refused unless
/// `--allow-empty`.
pub(super) fn refuse_rebuilt_empty(schema: &SchemaName, held: &[String]) -> Result<()> {
    let holds = |table: &str| held.iter().any(|t| t == table);
    let missing = if !holds("songs") && !holds("artists") {
        "no song and no artist"
    } else if !holds("songplays") {
        "no songplay"
    } else {
        return Ok(());
    };
    Err(Error::Refused(format!(
        "this load would leave schema {schema} with {missing}: its trees gave none, so nothing \
         was changed. Check --song-data and --log-data (are they swapped?), or pass \
         --allow-empty to load them as they are"
    )))
}

/// Which of the five tables hold rows, as `query` (`MergeSql::nonempty`) finds them.
pub(super) async fn nonempty(
    database: &Database,
    client: &Client,
    query: &str,
) -> Result<Vec<String>> {
    let rows = database
        .text_rows(client, "look for empty tables", query)
        .await?;
    Ok(table_names(rows))
}

/// Whether the move-in must create the five tables: the look (`MergeSql::found`) gave
/// `rows` that count none of them. Refuses a schema that holds some but not all.
pub(super) fn create_star_tables(
    rows: &[Vec<Option<String>>],
    schema: &SchemaName,
) -> Result<bool> {
    match number_at(rows, 0).unwrap_or(0) {
        0 => Ok(true),
        5 => Ok(false),
        found => Err(partial_star_schema(schema, found)),
    }
}

/// Refuses a load that emptied a table of `schema` that had rows, unless `allow_empty`
/// (`--allow-empty`).
pub(super) fn refuse_emptied(
    (schema, allow_empty): (&SchemaName, bool),
    before: &[String],
    after: &[String],
) -> Result<()> {
    let emptied: Vec<&String> = before.iter().filter(|t| !after.contains(t)).collect();
    if emptied.is_empty() || allow_empty {
        return Ok(());
    }
    let names: Vec<String> = emptied
        .iter()
        .map(|table| format!("{schema}.{table}"))
        .collect();
    Err(Error::Refused(format!(
        "this load would leave {} empty where it holds rows; nothing was changed. Check \
         --song-data and --log-data, or pass --allow-empty to empty it",
        names.join(", ")
    )))
}

/// The move-in's steps: under the schema's lock, the five tables are created where the
/// schema has none (`IF NOT EXISTS` as printed: Redshift declares the keys in its DDL),
/// their rows replaced by the new tables' and the manifest by the objects read (or
/// dropped, where they are not known); a table that had rows and would be left empty is
/// refused (unless `--allow-empty`); the quality gate (`gated`) runs on the result before
/// the commit. Readers see the old rows until then, and no lock of the move makes them
/// wait (docs/RELIABILITY.md).
pub(super) fn steps(sql: &MergeSql, objects_known: bool, gated: bool) -> Vec<(Step, String)> {
    let mut steps = vec![(Step::Begin, format!("BEGIN;\n{}", sql.lock()))];
    let referencing = sql.referencing();
    if !referencing.is_empty() {
        steps.push((Step::LookForForeignKeys, referencing));
    }
    steps.extend([
        (Step::LookAtTables, sql.found()),
        (
            Step::CreateStarTables,
            sql.create_star_tables()
                .replace("CREATE TABLE ", "CREATE TABLE IF NOT EXISTS "),
        ),
        (Step::LookBefore, sql.nonempty()),
        (Step::MoveIn, sql.move_in(objects_known)),
        (Step::LookAfter, sql.nonempty()),
    ]);
    if gated {
        steps.push((Step::Checks, String::new()));
    }
    steps.push((Step::Commit, "COMMIT;".to_string()));
    steps
}

/// The tables a look for empty tables found holding rows, by name.
pub(super) fn table_names(rows: Vec<Vec<Option<String>>>) -> Vec<String> {
    const TABLES: [&str; 5] = ["songplays", "users", "songs", "artists", "time"];
    let held = rows.into_iter().next().unwrap_or_default();
    TABLES
        .iter()
        .zip(held)
        .filter(|(_, held)| held.as_deref() == Some("1"))
        .map(|(table, _)| table.to_string())
        .collect()
}
