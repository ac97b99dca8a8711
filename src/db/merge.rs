//! The SQL of one incremental run (docs/INCREMENTAL.md), rendered in one place: the target
//! schema, the tool's state tables in it, and where the run's work tables live.

use super::sql::{merge, private};
use super::{render, DialectSql, SchemaName, STATE_PREFIX};
use crate::db::literal::Literals;
use crate::db::TableSet;

/// SPEC's one total order of song records, with `{c}` where text compares byte by byte.
const SONG_ORDER: &str = "song_id{c} NULLS LAST, artist_id{c} NULLS LAST, duration NULLS LAST, \
     year NULLS LAST, title{c} NULLS LAST, artist_name{c} NULLS LAST, \
     artist_location{c} NULLS LAST, artist_latitude NULLS LAST, artist_longitude NULLS LAST";

/// One run's merge scripts.
pub struct MergeSql {
    sql: &'static DialectSql,
    target: SchemaName,
    /// The state tables' schema and name prefix, as `"schema".prefix`.
    state: String,
    /// The work tables' schema and name prefix, as `"schema".prefix`.
    work: String,
    run_id: String,
}

impl MergeSql {
    /// The scripts of run `run_id` into `target`, its work tables in `work`.
    pub fn new(
        sql: &'static DialectSql,
        target: &SchemaName,
        work: &TableSet,
        run_id: &str,
    ) -> MergeSql {
        MergeSql {
            sql,
            target: target.clone(),
            state: target.qualify(STATE_PREFIX),
            work: work.qualifier(),
            run_id: run_id.to_string(),
        }
    }

    /// The manifest's table, as messages name it.
    pub fn manifest_table(&self) -> String {
        format!("{}.{STATE_PREFIX}objects", self.target)
    }

    fn render(&self, template: &str) -> String {
        let song_order = render(SONG_ORDER, &[("c", self.sql.byte_order)]);
        render(
            template,
            &[
                ("schema", &self.target.quoted()),
                ("state", &self.state),
                ("state_bare", STATE_PREFIX),
                ("work", &self.work),
                ("text", self.sql.text_type),
                ("c", self.sql.byte_order),
                ("eq", self.sql.exact_text),
                ("now", self.sql.now),
                ("song_order", &song_order),
                ("overriding", self.sql.overriding_identity),
                ("schema_name", &quote(self.target.as_str())),
                ("manifest_name", &quote(&format!("{STATE_PREFIX}objects"))),
                ("state_name", &quote(&format!("{STATE_PREFIX}song_records"))),
                ("run_id", &quote(&self.run_id)),
                ("new", ""),
            ],
        )
    }

    /// Creates the run's empty work tables.
    pub fn work_tables(&self) -> String {
        self.render(merge::WORK_TABLES) + &self.render(private::NEW_OBJECTS)
    }

    /// Statistics of the filled work tables.
    pub fn analyze_work(&self) -> String {
        self.render(merge::ANALYZE_WORK)
    }

    /// How many of the five tables exist, and whether the manifest does.
    pub fn found(&self) -> String {
        self.render(merge::FOUND)
    }

    /// Every object version loaded so far: tree, key, size, version.
    pub fn manifest(&self) -> String {
        self.render(merge::MANIFEST)
    }

    /// The songplays and users the merged tables must hold.
    pub fn expected(&self) -> String {
        self.render(merge::EXPECTED)
    }

    /// How many object versions the manifest holds.
    pub fn manifest_count(&self) -> String {
        self.render(merge::MANIFEST_COUNT)
    }

    /// The merge's lock: Redshift's `LOCK` of the lock table; nothing on PostgreSQL, where
    /// the load holds its advisory lock from the start.
    pub fn lock(&self) -> String {
        self.render(self.sql.merge_lock)
    }

    /// The new objects another run loaded after this one read the manifest.
    pub fn loaded_meanwhile(&self) -> String {
        self.render(merge::LOADED_MEANWHILE)
    }

    /// The five tables with their keys, for a target that has none yet.
    pub fn create_star_tables(&self) -> String {
        let mut script = self.sql.create_tables_in(&self.target, "");
        if !self.sql.keys_in_create_tables {
            // PostgreSQL's keys come after the rows when tables are built apart; here they
            // come first, because rows are merged or moved into these tables.
            for keys in self.sql.add_keys {
                script.push_str(&self.render(keys));
            }
        }
        script
    }

    /// What the merge's transaction does after its lock and before it merges: the five
    /// tables when they do not exist yet (`create_tables`), the state tables, and for
    /// `--full` the emptying of both.
    pub fn prologue(&self, create_tables: bool, full: bool) -> String {
        let mut script = String::new();
        if create_tables {
            script.push_str(&self.create_star_tables());
        }
        script.push_str(&self.render(self.sql.state_objects));
        script.push_str(&self.render(self.sql.state));
        if full {
            script.push_str(&self.render(merge::RESET));
        }
        script
    }

    /// A rebuild's move: the rows of the work tables (here, the five new tables) replace
    /// the five tables' rows, and the objects read replace the manifest; or, where the
    /// objects are not known (Redshift's COPY reads whole prefixes), the manifest goes, so
    /// that no incremental run trusts it.
    pub fn move_in(&self, objects_known: bool) -> String {
        let manifest = if objects_known {
            private::MANIFEST.replace("{state_tables}", self.sql.state_objects)
        } else {
            private::FORGET_MANIFEST.to_string()
        };
        self.render(private::MOVE_IN)
            + &self.render(self.sql.sync_identity)
            + &self.render(&manifest)
    }

    /// The foreign keys that point at the five tables (none on Redshift).
    pub fn referencing(&self) -> String {
        self.render(self.sql.referencing)
    }

    /// Which of the five tables hold rows.
    pub fn nonempty(&self) -> String {
        self.render(private::NONEMPTY)
    }

    /// The merge of the work tables into the star schema, with the run's manifest rows.
    pub fn merge(&self) -> String {
        self.render(merge::MERGE)
    }

    /// The merge as its statements, each with the comment above it, so that each can be
    /// timed (`-vv`).
    pub fn merge_statements(&self) -> Vec<String> {
        statements(&self.merge())
    }
}

/// A script of ours cut into statements: a line that ends in `;` ends one. (The merge's
/// statements hold no `;` of their own, and no line of one ends in `;`.)
fn statements(script: &str) -> Vec<String> {
    let mut statements = Vec::new();
    let mut current = String::new();
    for line in script.lines() {
        current.push_str(line);
        current.push('\n');
        if line.trim_end().ends_with(';') {
            statements.push(std::mem::take(&mut current));
        }
    }
    if !current.trim().is_empty() {
        statements.push(current);
    }
    statements
}

/// A name as a string literal; names here are checked to need no escapes.
fn quote(name: &str) -> String {
    Literals::REDSHIFT.quote(name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::sql::POSTGRES;

    /// Every statement of the merge stands alone: the pieces give back the script, and
    /// each holds exactly one `;`, at its end.
    #[test]
    fn the_merge_cuts_into_whole_statements() {
        let target: SchemaName = "public".parse().unwrap();
        let merge = MergeSql::new(
            &POSTGRES,
            &target,
            &TableSet {
                schema: target.clone(),
                prefix: crate::db::run_prefix("r1"),
            },
            "r1",
        );
        let pieces = merge.merge_statements();
        assert_eq!(pieces.concat(), merge.merge());
        assert_eq!(pieces.len(), 20);
        for piece in &pieces {
            assert_eq!(piece.matches(';').count(), 1, "{piece}");
            assert!(piece.trim_end().ends_with(';'), "{piece}");
        }
    }
}
