//! `parity`'s flags.

use std::path::PathBuf;

use clap::Args;

use super::S3Args;

#[derive(Args, Clone)]
pub(crate) struct ParityArgs {
    /// The database of A (and of B unless --target-b); default: the embedded PostgreSQL.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true, value_name = "URL")]
    pub target: Option<String>,
    /// The database of B, when it is another.
    #[arg(long, value_name = "URL")]
    pub target_b: Option<String>,
    /// Schema A: loaded in client mode when trees are given.
    #[arg(long, value_name = "NAME", default_value = "parity_client")]
    pub schema_a: String,
    /// Schema B: loaded in copy mode when trees are given.
    #[arg(long, value_name = "NAME", default_value = "parity_copy")]
    pub schema_b: String,
    /// The song tree to load in both modes first.
    #[arg(long, value_name = "URI", requires = "log_data")]
    pub song_data: Option<String>,
    /// The log tree to load in both modes first.
    #[arg(long, value_name = "URI", requires = "song_data")]
    pub log_data: Option<String>,
    /// Bad records each load may skip.
    #[arg(long, default_value_t = 0)]
    pub max_errors: u64,
    #[command(flatten)]
    pub s3: S3Args,
    /// Write the comparison as JSON here.
    #[arg(long, value_name = "PATH")]
    pub report: Option<PathBuf>,
}
