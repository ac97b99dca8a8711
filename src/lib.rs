//! sparkify-load: loads the Sparkify song and event JSON into a star-schema warehouse
//! (PostgreSQL or Redshift) without COPY, by parsing and transforming client-side and
//! inserting in multi-row batches.
//!
//! The modules follow the data: [`source`] lists and fetches objects, [`parse`] turns
//! bytes into typed records, [`transform`] applies the star-schema rules, [`sink`]
//! inserts and swaps the tables in; [`load()`] runs them together.

pub mod analytics;
pub mod bench;
pub mod config;
pub mod embedded;
pub mod error;
pub mod generate;
mod load;
pub mod model;
pub mod parity;
pub mod parse;
pub mod report;
pub mod sink;
pub mod source;
pub mod transform;

pub use config::{Dialect, LoadConfig, Mode, SchemaName, Secret, Target};
pub use error::{Error, Result};
pub use load::{load, redshift_copy_plan};
pub use report::Report;

/// Creates the five empty tables in `schema` (replacing any there), as the classic
/// `create_tables` step does.
pub async fn create_tables(
    url: &Secret<String>,
    dialect: Dialect,
    schema: &SchemaName,
) -> Result<()> {
    let database = sink::Database::new(url, dialect)?;
    let client = database.connect().await?;
    client
        .batch_execute(&database.sql().star_schema_script(schema))
        .await
        .map_err(|e| database.error("create tables", &e))?;
    Ok(())
}
