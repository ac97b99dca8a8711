//! The integration tests, one binary: a module per area, one PostgreSQL (and one S3 server)
//! per run shared by all of them, each test in a database of its own (`common`). One binary
//! links the library once, where a binary per area linked it eighteen times.
//!
//! Test files and test functions are exempt from the tree's size limits (400 lines a file,
//! 60 a function), and say so here: a module holds one area's scenarios, and a test reads as
//! one story — set up, act, assert on exact results — which cut into helpers would hide
//! what it proves. What several tests share lives in `common`.

mod common;

mod analytics;
mod checks;
mod cli;
mod copy;
mod errors;
mod first_hour;
mod hostile;
mod incremental;
mod lineage;
mod literal;
mod load;
mod redshift_live;
mod redshift_sql;
mod reliability;
mod s3;
mod s3_copy;
mod shard;
mod tls;
mod warehouse;
mod watch;
