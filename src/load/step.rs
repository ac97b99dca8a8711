//! The steps of a plan that is printed before it runs (copy mode on Redshift, the dry run):
//! each a statement with what it does, typed, so that the runner's special steps are told
//! apart by kind and never by their label's text.

use std::fmt;

/// One step of a printed plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Step {
    /// A statement run as it is, and what it does.
    Run(&'static str),
    /// Drops what killed loads left (a failure there is only warned about).
    DropLeftovers,
    /// A COPY, whose rejects are read into the report.
    CopySongs,
    CopyEvents,
    /// Queries of the records a COPY rejected, or loaded but the contract refuses.
    ReadSongRejects,
    ReadEventRejects,
    ReadRefused,
    /// Counts the plays and users the run read, for the gate.
    CountPlays,
    /// Opens the move-in's transaction, once the rejects are written.
    Begin,
    /// Refuses a schema holding some of the five tables but not all.
    LookAtTables,
    /// The looks for tables holding rows before and after the move, compared.
    LookBefore,
    LookAfter,
    /// The quality gate.
    Checks,
    /// After the commit: drops the COPY staging tables (a failure is only warned about).
    DropCopyStaging,
}

impl Step {
    /// What the step does, as the printed plan and the stage times name it.
    pub(super) fn label(self) -> &'static str {
        match self {
            Step::Run(label) => label,
            Step::DropLeftovers => "drop what killed loads left",
            Step::CopySongs => "copy the songs",
            Step::CopyEvents => "copy the events",
            Step::ReadSongRejects => "read the songs COPY rejected",
            Step::ReadEventRejects => "read the events COPY rejected",
            Step::ReadRefused => "find the events COPY loaded but the contract refuses",
            Step::CountPlays => "count the plays read",
            Step::Begin => "begin the move-in",
            Step::LookAtTables => "look for the five tables: all of them, or none",
            Step::LookBefore => "note which of the five tables hold rows",
            Step::LookAfter => "refuse to leave a table that held rows empty",
            Step::Checks => "check the moved rows",
            Step::DropCopyStaging => "drop the COPY staging tables",
        }
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}
