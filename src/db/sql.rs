//! Every SQL file of `sql/`, compiled in here and nowhere else, and the one renderer that
//! fills their `{placeholders}`.

use crate::db::{Dialect, SchemaName};

/// Includes `sql/<path>`.
macro_rules! sql_file {
    ($path:literal) => {
        include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/sql/", $path))
    };
}

/// The SQL of one dialect, with `{placeholders}` for names.
#[derive(Debug)]
pub struct DialectSql {
    pub create_star_schema: &'static str,
    pub create_tables: &'static str,
    /// Keys and statistics, once the rows are in: the fact table's and the dimensions',
    /// two scripts that run at once on two connections.
    pub add_keys: [&'static str; 2],
    pub drop_tables: &'static str,
    /// What a load's cleanup drops besides its tables (PostgreSQL copy mode's functions).
    pub drop_functions: &'static str,
    /// The statements that drop what killed loads left (`sink::private::leftovers`).
    pub leftovers: &'static str,
    pub insert: &'static str,
    /// The unnested-arrays INSERT, where the dialect has arrays (PostgreSQL).
    pub insert_arrays: &'static str,
    /// Advisory locking, where the dialect has it: (try, wait).
    pub lock: Option<(&'static str, &'static str)>,
    /// The manifest's table (`sql/<dialect>/state_objects.sql`).
    pub state_objects: &'static str,
    /// Incremental loads' other state tables (`sql/<dialect>/state.sql`).
    pub state: &'static str,
    /// What the merge's transaction runs first: Redshift's `LOCK` of the lock table (on
    /// PostgreSQL, the load holds its advisory lock from the start).
    pub merge_lock: &'static str,
    /// What follows a text expression so that it sorts byte by byte (SPEC's text order).
    pub byte_order: &'static str,
    /// What follows a text expression so that equality is byte for byte.
    pub exact_text: &'static str,
    /// The current time, as the manifest records it.
    pub now: &'static str,
    /// Run first in every session the tool opens: UTC, and (PostgreSQL) exact doubles.
    pub session: &'static str,
    /// The current time in UTC, as a timestamp without time zone: the session's local
    /// time, which `session` sets to UTC.
    pub utc_now: &'static str,
    /// What makes the session print a double exactly, where `session` does not (parity
    /// reads doubles as text); empty where it does.
    pub exact_floats: &'static str,
    /// Whether the CREATE TABLE script declares the keys itself (else the add-keys scripts
    /// add them once the rows are in).
    pub keys_in_create_tables: bool,
    /// What lets an INSERT give the fact table's identity column its values.
    pub overriding_identity: &'static str,
    /// The foreign keys that point at the five tables, one a row (nothing on Redshift,
    /// which does not enforce foreign keys, so a DELETE never cascades).
    pub referencing: &'static str,
    /// What sets the fact table's identity past the ids a move-in gave (nothing on
    /// Redshift, whose IDENTITY cannot be set: docs/REDSHIFT.md).
    pub sync_identity: &'static str,
    /// The text type of the work tables.
    pub text_type: &'static str,
    /// The load history's table (`src/history.rs`).
    pub history: &'static str,
    /// The watcher's quarantine table (`src/watch/quarantine.rs`).
    pub quarantine: &'static str,
    /// The five tables' columns, for OpenLineage's schema facet (`src/lineage.rs`).
    pub lineage_columns: &'static str,
    /// What the quality gate runs first in the load's transaction; empty where there is
    /// nothing to set (Redshift has no JIT).
    pub checks_settings: &'static str,
}

pub static POSTGRES: DialectSql = DialectSql {
    create_star_schema: sql_file!("shared/create_star_schema.sql"),
    create_tables: sql_file!("postgres/create_tables.sql"),
    add_keys: [
        sql_file!("postgres/add_keys_songplays.sql"),
        sql_file!("postgres/add_keys_dimensions.sql"),
    ],
    drop_tables: sql_file!("shared/drop_tables.sql"),
    drop_functions: sql_file!("postgres/drop_functions.sql"),
    leftovers: sql_file!("postgres/leftovers.sql"),
    insert: sql_file!("shared/insert.sql"),
    insert_arrays: sql_file!("postgres/insert_arrays.sql"),
    lock: Some((
        sql_file!("postgres/try_lock.sql"),
        sql_file!("postgres/lock.sql"),
    )),
    state_objects: sql_file!("postgres/state_objects.sql"),
    state: sql_file!("postgres/state.sql"),
    merge_lock: "",
    byte_order: " COLLATE \"C\"",
    exact_text: "",
    now: "now()",
    session: sql_file!("postgres/session.sql"),
    checks_settings: sql_file!("postgres/checks_settings.sql"),
    utc_now: "LOCALTIMESTAMP",
    // postgres/session.sql sets it in every session.
    exact_floats: "",
    keys_in_create_tables: false,
    overriding_identity: "OVERRIDING SYSTEM VALUE",
    sync_identity: sql_file!("postgres/sync_identity.sql"),
    referencing: sql_file!("postgres/referencing.sql"),
    text_type: "text",
    history: sql_file!("postgres/history.sql"),
    quarantine: sql_file!("postgres/quarantine.sql"),
    lineage_columns: sql_file!("postgres/lineage_columns.sql"),
};

pub static REDSHIFT: DialectSql = DialectSql {
    create_star_schema: sql_file!("shared/create_star_schema.sql"),
    create_tables: sql_file!("redshift/create_tables.sql"),
    add_keys: [
        sql_file!("redshift/add_keys_songplays.sql"),
        sql_file!("redshift/add_keys_dimensions.sql"),
    ],
    drop_tables: sql_file!("shared/drop_tables.sql"),
    drop_functions: "",
    leftovers: sql_file!("redshift/leftovers.sql"),
    insert: sql_file!("shared/insert.sql"),
    // Redshift has no array types; config refuses `--insert arrays` there.
    insert_arrays: "",
    lock: None,
    state_objects: sql_file!("redshift/state_objects.sql"),
    state: sql_file!("redshift/state.sql"),
    merge_lock: "LOCK {schema}.sparkify_load_lock;",
    // Redshift ignores trailing blanks when it compares VARCHAR ('x' = 'x '); a byte below
    // the blank after each value restores SPEC's byte order and equality ('x' < 'x ').
    byte_order: " || CHR(1)",
    exact_text: " || CHR(1)",
    // CURRENT_TIMESTAMP is one of Redshift's leader-node-only functions.
    now: "GETDATE()",
    session: sql_file!("redshift/session.sql"),
    checks_settings: "",
    // GETDATE() is the session's time zone (AWS, "GETDATE"); the session is set to UTC.
    utc_now: "GETDATE()",
    // Redshift's most, 2: 17 significant digits, which read back as the same double (AWS,
    // "extra_float_digits"; the default 0 gives 15).
    exact_floats: "SET extra_float_digits TO 2",
    keys_in_create_tables: true,
    overriding_identity: "",
    sync_identity: "",
    referencing: "",
    text_type: "VARCHAR(65535)",
    history: sql_file!("redshift/history.sql"),
    quarantine: sql_file!("redshift/quarantine.sql"),
    lineage_columns: sql_file!("redshift/lineage_columns.sql"),
};

impl DialectSql {
    pub fn of(dialect: Dialect) -> &'static DialectSql {
        match dialect {
            Dialect::Postgres => &POSTGRES,
            Dialect::Redshift => &REDSHIFT,
        }
    }

    /// The DDL that creates the five tables in `schema`, each name prefixed by `new` (a
    /// load's private names; empty for the five tables themselves).
    pub fn create_tables_in(&self, schema: &SchemaName, new: &str) -> String {
        render(
            self.create_tables,
            &[("schema", &schema.quoted()), ("new", new)],
        )
    }

    /// The `create-tables` script: the empty star schema in `schema`, keys included.
    pub fn star_schema_script(&self, schema: &SchemaName) -> String {
        let quoted = schema.quoted();
        let in_schema = |template: &str| render(template, &[("schema", &quoted), ("new", "")]);
        render(
            self.create_star_schema,
            &[
                ("drop_tables", &in_schema(self.drop_tables)),
                ("create_tables", &in_schema(self.create_tables)),
                ("add_keys", &in_schema(&self.add_keys.concat())),
                ("state", &schema.qualify(super::STATE_PREFIX)),
            ],
        )
    }
}

/// Every load's private tables in the target schema, and the rebuild's move into the five.
pub mod private {
    pub const SCHEMA_EXISTS: &str = sql_file!("shared/private/schema_exists.sql");
    pub const NEW_OBJECTS: &str = sql_file!("shared/private/new_objects.sql");
    pub const NONEMPTY: &str = sql_file!("shared/private/nonempty.sql");
    pub const MOVE_IN: &str = sql_file!("shared/private/move_in.sql");
    pub const MANIFEST: &str = sql_file!("shared/private/manifest.sql");
    pub const FORGET_MANIFEST: &str = sql_file!("shared/private/forget_manifest.sql");
    pub const DROP_RUN: &str = sql_file!("shared/private/drop_run.sql");
}

/// A load into Redshift: the lock table, and `--sink s3-copy`'s COPY.
pub mod redshift {
    pub const PREPARE: &str = sql_file!("redshift/prepare.sql");
    pub const S3_COPY: &str = sql_file!("redshift/s3_copy.sql");
    pub const SLICES: &str = sql_file!("redshift/slices.sql");
}

/// Incremental loads: the work tables, what the target holds, and the merge.
pub mod merge {
    pub const WORK_TABLES: &str = sql_file!("shared/merge/work_tables.sql");
    pub const FOUND: &str = sql_file!("shared/merge/found.sql");
    pub const MANIFEST: &str = sql_file!("shared/merge/manifest.sql");
    pub const MANIFEST_COUNT: &str = sql_file!("shared/merge/manifest_count.sql");
    pub const LOADED_MEANWHILE: &str = sql_file!("shared/merge/loaded_meanwhile.sql");
    pub const RESET: &str = sql_file!("shared/merge/reset.sql");
    pub const MERGE: &str = sql_file!("shared/merge/merge.sql");
    pub const ANALYZE_WORK: &str = sql_file!("shared/merge/analyze_work.sql");
    pub const EXPECTED: &str = sql_file!("shared/merge/expected.sql");
}

/// The load history (`src/history.rs`): one row a run.
pub mod history {
    pub const APPEND: &str = sql_file!("shared/history/append.sql");
    pub const LAST: &str = sql_file!("shared/history/last.sql");
    pub const EXISTS: &str = sql_file!("shared/history/exists.sql");
}

/// One watcher per schema (PostgreSQL's advisory lock; `src/watch/mod.rs`): (try, wait).
pub const WATCH_LOCK: (&str, &str) = (
    sql_file!("postgres/watch_try_lock.sql"),
    sql_file!("postgres/watch_lock.sql"),
);

/// The watcher's quarantine (`src/watch/quarantine.rs`).
pub mod quarantine {
    pub const LIST: &str = sql_file!("shared/quarantine/list.sql");
    pub const HOLD: &str = sql_file!("shared/quarantine/hold.sql");
    pub const RELEASE: &str = sql_file!("shared/quarantine/release.sql");
    pub const CLEAR: &str = sql_file!("shared/quarantine/clear.sql");
    pub const FORGET: &str = sql_file!("shared/quarantine/forget.sql");
}

/// Sharded loads (`db::shard`): the registry of finished shards and the merge's gathering.
pub mod shard {
    pub const REGISTRY: &str = sql_file!("shared/shard/registry.sql");
    pub const FORGET: &str = sql_file!("shared/shard/forget.sql");
    pub const FINISH: &str = sql_file!("shared/shard/finish.sql");
    pub const FINISHED: &str = sql_file!("shared/shard/finished.sql");
    pub const GATHER_OBJECTS: &str = sql_file!("shared/shard/gather_objects.sql");
    pub const GATHER_SHARD: &str = sql_file!("shared/shard/gather_shard.sql");
    pub const SPEND: &str = sql_file!("shared/shard/spend.sql");
    pub const DROP_SHARD: &str = sql_file!("shared/shard/drop_shard.sql");
    pub const DISCARD: &str = sql_file!("shared/shard/discard.sql");
}

/// Data quality checks (`src/check/`): each lists what breaks it.
pub mod checks {
    pub const KEY: &str = sql_file!("checks/key.sql");
    pub const COUNT: &str = sql_file!("checks/count.sql");
    pub const VIOLATIONS: &str = sql_file!("checks/violations.sql");
    pub const PRIMARY_KEY: &str = sql_file!("checks/primary_key.sql");
    pub const SONGPLAYS_TIME_KNOWN: &str = sql_file!("checks/songplays_time_known.sql");
    pub const SONGPLAYS_USER_KNOWN: &str = sql_file!("checks/songplays_user_known.sql");
    pub const SONGPLAYS_SONG_KNOWN: &str = sql_file!("checks/songplays_song_known.sql");
    pub const SONGPLAYS_ARTIST_KNOWN: &str = sql_file!("checks/songplays_artist_known.sql");
    pub const TIME_PARTS_AGREE: &str = sql_file!("checks/time_parts_agree.sql");
    pub const LEVEL_ACCEPTED: &str = sql_file!("checks/level_accepted.sql");
    pub const GENDER_ACCEPTED: &str = sql_file!("checks/gender_accepted.sql");
    pub const TABLES_NOT_EMPTY: &str = sql_file!("checks/tables_not_empty.sql");
    pub const NO_FUTURE_PLAYS: &str = sql_file!("checks/no_future_plays.sql");
}

/// Rows in each table of a star schema, in either dialect.
pub const COUNTS: &str = sql_file!("shared/counts.sql");

/// Which of the five star tables a schema holds.
pub const STAR_TABLES: &str = sql_file!("shared/star_tables.sql");

/// Copy mode on PostgreSQL: raw records streamed in, then checks and rules in SQL.
pub mod postgres_copy {
    pub const PREPARE: &str = sql_file!("postgres/copy/prepare.sql");
    pub const COPY_RAW: &str = sql_file!("postgres/copy/copy_raw.sql");
    pub const TYPED: &str = sql_file!("postgres/copy/typed.sql");
    pub const BAD_RECORDS: &str = sql_file!("postgres/copy/bad_records.sql");
    pub const TRANSFORM: &str = sql_file!("postgres/copy/transform.sql");
    pub const WORK: &str = sql_file!("postgres/copy/work.sql");
    pub const PLAYS: &str = sql_file!("postgres/copy/plays.sql");
}

/// Copy mode on Redshift: the classic `COPY … FROM 's3://…'`, then the rules in SQL.
pub mod redshift_copy {
    pub const PREPARE: &str = sql_file!("redshift/copy/prepare.sql");
    pub const COPY_SONGS: &str = sql_file!("redshift/copy/copy_songs.sql");
    pub const COPY_EVENTS: &str = sql_file!("redshift/copy/copy_events.sql");
    pub const LOAD_ERRORS: &str = sql_file!("redshift/copy/load_errors.sql");
    pub const LAST_COPY_ID: &str = sql_file!("redshift/copy/last_copy_id.sql");
    pub const REFUSED: &str = sql_file!("redshift/copy/refused.sql");
    pub const LEAVE_OUT_REFUSED: &str = sql_file!("redshift/copy/leave_out_refused.sql");
    pub const TRANSFORM: &str = sql_file!("redshift/copy/transform.sql");
    pub const PLAYS: &str = sql_file!("redshift/copy/plays.sql");
}

/// `parity`: each table's rows rendered as one line of text.
pub const PARITY: [(&str, &str); 5] = [
    ("songplays", sql_file!("parity/songplays.sql")),
    ("users", sql_file!("parity/users.sql")),
    ("songs", sql_file!("parity/songs.sql")),
    ("artists", sql_file!("parity/artists.sql")),
    ("time", sql_file!("parity/time.sql")),
];

/// The documented business questions of `report` and `next`, one file each.
pub mod analytics {
    pub const SUMMARY: &str = sql_file!("analytics/summary.sql");
    pub const TOP_SONGS: &str = sql_file!("analytics/top_songs.sql");
    pub const TOP_ARTISTS: &str = sql_file!("analytics/top_artists.sql");
    pub const TOP_USERS: &str = sql_file!("analytics/top_users.sql");
    pub const PLAYS_BY_HOUR: &str = sql_file!("analytics/plays_by_hour.sql");
    pub const PLAYS_BY_WEEKDAY: &str = sql_file!("analytics/plays_by_weekday.sql");
    pub const PLAYS_BY_REGION: &str = sql_file!("analytics/plays_by_region.sql");
    pub const PAID_VS_FREE: &str = sql_file!("analytics/paid_vs_free.sql");
    pub const TOP_ARTISTS_BY_LEVEL: &str = sql_file!("analytics/top_artists_by_level.sql");
    pub const LEVEL_CHANGES: &str = sql_file!("analytics/level_changes.sql");
    pub const NEXT_AFTER_SONG: &str = sql_file!("analytics/next_after_song.sql");
    pub const SUGGEST_FOR_USER: &str = sql_file!("analytics/suggest_for_user.sql");
    pub const KNOWN_SONG: &str = sql_file!("analytics/known_song.sql");
    pub const KNOWN_USER: &str = sql_file!("analytics/known_user.sql");
}

/// Fills a template's `{name}` placeholders (a name is lower-case letters and `_`) in one
/// pass, so a value is never searched for placeholders itself; any other `{` is text.
///
/// A placeholder with no value is refused: the templates are compiled in, so that is a
/// bug in this crate, and it panics with the name rather than send SQL with a hole in
/// it. The tests render every template with the names its callers give.
pub fn render(template: &str, values: &[(&str, &str)]) -> String {
    let given: usize = values.iter().map(|(_, value)| value.len()).sum();
    let mut sql = String::with_capacity(template.len() + given);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        sql.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let name_len = after
            .bytes()
            .take_while(|b| b.is_ascii_lowercase() || *b == b'_')
            .count();
        if name_len == 0 || !after[name_len..].starts_with('}') {
            sql.push('{');
            rest = after;
            continue;
        }
        let name = &after[..name_len];
        let Some((_, value)) = values.iter().find(|(given, _)| *given == name) else {
            panic!("a SQL template has the placeholder {{{name}}}, and no value was given for it");
        };
        sql.push_str(value);
        rest = &after[name_len + 1..];
    }
    sql.push_str(rest);
    sql
}

#[cfg(test)]
mod tests;
