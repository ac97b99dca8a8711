//! sparkify-load: loads the Sparkify song and event JSON into a star-schema warehouse
//! (PostgreSQL or Redshift). Client mode parses and transforms client-side and inserts in
//! multi-row batches (or, into Redshift, stages the finished rows in S3 for one COPY a
//! table: `--sink s3-copy`); copy mode is the classic COPY-and-SQL route, kept for
//! comparison.
//!
//! The modules follow the data: [`source`] lists and fetches objects, [`parse`] turns
//! bytes into typed records, [`transform`] applies the star-schema rules, [`sink`]
//! inserts and moves the rows in; [`load()`] runs them together, in client mode or in
//! one of the two copy-mode routes. [`db`] is how targets are reached and what SQL they
//! are sent; [`embedded`] is the private PostgreSQL that is the default target.

pub mod analytics;
pub mod check;
pub mod config;
mod cpu;
pub mod db;
pub mod embedded;
pub mod error;
pub mod history;
pub mod lineage;
mod load;
pub mod metrics;
pub mod parity;
pub mod report;
mod secret;
pub mod sink;
pub mod source;
pub mod transform;
pub mod watch;

pub use sparkify_records::{model, parse};

pub use config::{
    CopyOptions, Dialect, Fill, InsertMethod, LoadConfig, LoadRequest, LoadScope, MergeConfig,
    MergeRequest, Mode, Route, S3CopyRequest, Shard, Target, DEFAULT_INSERT_CONNECTIONS,
    DEFAULT_STATEMENTS_IN_FLIGHT,
};
pub use db::SchemaName;
pub use error::{Error, Result};
pub use load::progress::suspend as suspend_progress_bars;
pub use load::{discard, dry_run, load, load_batch, merge, target_url, Discarded};
pub use report::Report;
pub use secret::Secret;
pub use sink::private::create_tables;
