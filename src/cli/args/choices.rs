//! The values flags choose among (`--mode`, `--insert`, `--sink`, `--dialect`).

use clap::ValueEnum;

#[derive(ValueEnum, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ModeArg {
    Client,
    Copy,
}

#[derive(ValueEnum, Clone, Copy, PartialEq, Eq)]
pub(crate) enum InsertArg {
    Arrays,
    Bind,
    Literal,
}

#[derive(ValueEnum, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SinkArg {
    Insert,
    S3Copy,
}

#[derive(ValueEnum, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DialectArg {
    Auto,
    Postgres,
    Redshift,
}
