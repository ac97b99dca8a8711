//! The steps of a rebuild's plan (`load::rebuild`), typed: the one runner and the one
//! printer (the dry run) tell the steps that do more than run their statement apart by
//! kind, never by their label's text.

use std::fmt;

/// One step of a rebuild's plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Step {
    /// A statement run as it is, and what it does.
    Run(&'static str),
    /// Drops what killed loads left (a failure there is only warned about).
    DropLeftovers,
    /// Client mode, or copy mode on PostgreSQL: the private tables filled from the trees
    /// (printed as the statements of the printing sink).
    Fill,
    /// The objects the fill read, into the private table the manifest is written from.
    RecordObjects,
    /// A COPY into a raw table, whose rejects are read into the report.
    CopySongs,
    CopyEvents,
    /// Queries of the records a COPY rejected, or loaded but the contract refuses.
    ReadSongRejects,
    ReadEventRejects,
    ReadRefused,
    /// Counts the plays and users the run read, for the gate.
    CountPlays,
    /// Opens the move-in's transaction and takes the schema's lock, once the rejects are
    /// written.
    Begin,
    /// Refuses while a foreign key points at the five tables (PostgreSQL).
    LookForForeignKeys,
    /// Refuses a schema holding some of the five tables but not all.
    LookAtTables,
    /// Creates the five tables where the schema has none.
    CreateStarTables,
    /// The looks for tables holding rows before and after the move, compared.
    LookBefore,
    MoveIn,
    LookAfter,
    /// The quality gate (printed with the counts the fill made).
    Checks,
    Commit,
    /// Drops the load's private tables (a failure is only warned about).
    DropPrivateTables,
}

impl Step {
    /// What the step does, as the printed plan names it.
    pub(super) fn label(self) -> &'static str {
        match self {
            Step::Run(label) => label,
            Step::DropLeftovers => "drop what killed loads left",
            Step::Fill => "fill the new tables",
            Step::RecordObjects => "list the objects read",
            Step::CopySongs => "copy the songs",
            Step::CopyEvents => "copy the events",
            Step::ReadSongRejects => "read the songs COPY rejected",
            Step::ReadEventRejects => "read the events COPY rejected",
            Step::ReadRefused => "find the events COPY loaded but the contract refuses",
            Step::CountPlays => "count the plays read",
            Step::Begin => "begin the move-in",
            Step::LookForForeignKeys => "look for foreign keys to the five tables",
            Step::LookAtTables => "look for the five tables: all of them, or none",
            Step::CreateStarTables => "create the five tables where the schema has none",
            Step::LookBefore => "note which of the five tables hold rows",
            Step::MoveIn => "move the new rows in",
            Step::LookAfter => "refuse to leave a table that held rows empty",
            Step::Checks => "check the moved rows",
            Step::Commit => "commit the move-in",
            Step::DropPrivateTables => "drop the new tables",
        }
    }

    /// The report's stage the step's time counts in: the move-in's steps are one stage.
    pub(super) fn stage(self) -> &'static str {
        match self {
            Step::Begin
            | Step::LookForForeignKeys
            | Step::LookAtTables
            | Step::CreateStarTables
            | Step::LookBefore
            | Step::MoveIn
            | Step::LookAfter
            | Step::Commit => "move in",
            Step::RecordObjects => "manifest",
            Step::Checks => "checks",
            other => other.label(),
        }
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}
