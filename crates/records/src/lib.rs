//! sparkify-records: the decoder and the records it gives, apart from the loader so that it
//! is built optimized in every build (its equivalence test reads 100,000 generated records
//! in each `cargo test`). [`parse`] turns an object's bytes into typed records and bad
//! records, with no I/O; [`model`] holds the records and the star schema's rows.

pub mod model;
pub mod parse;
