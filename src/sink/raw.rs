//! Copy mode's sink: raw records go into its raw tables with binary `COPY … FROM STDIN`,
//! one record's JSON text a row, for the checks and rules in SQL to read.

use std::pin::Pin;

use tokio_postgres::binary_copy::BinaryCopyInWriter;
use tokio_postgres::types::Type;

use super::private::PrivateTables;
use crate::db::{render, sql};
use crate::error::TargetError;

/// The raw table of a tree.
#[derive(Debug, Clone, Copy)]
pub enum RawTable {
    Songs,
    Events,
}

impl RawTable {
    fn name(self) -> &'static str {
        match self {
            RawTable::Songs => "raw_songs",
            RawTable::Events => "raw_events",
        }
    }
}

/// A COPY into a raw table, open until [`RawWriter::finish`].
pub struct RawWriter {
    writer: Pin<Box<BinaryCopyInWriter>>,
}

impl RawWriter {
    pub async fn open(
        private: &PrivateTables<'_>,
        table: RawTable,
    ) -> Result<RawWriter, TargetError> {
        let copy = render(
            sql::postgres_copy::COPY_RAW,
            &[
                ("private", &private.tables.qualifier()),
                ("table", table.name()),
            ],
        );
        let sink = private.client.copy_in(copy.trim_end()).await.map_err(|e| {
            private
                .database
                .error(format!("copy into {}", table.name()), e)
        })?;
        let writer =
            BinaryCopyInWriter::new(sink, &[Type::TEXT, Type::INT4, Type::INT4, Type::TEXT]);
        Ok(RawWriter {
            writer: Box::pin(writer),
        })
    }

    /// One record: its object's name and rank in key order, its line, its JSON text.
    pub async fn write(
        &mut self,
        private: &PrivateTables<'_>,
        object: &str,
        rank: i32,
        line: i32,
        record: &str,
    ) -> Result<(), TargetError> {
        self.writer
            .as_mut()
            .write(&[&object, &rank, &line, &record])
            .await
            .map_err(|e| private.database.error("copy raw records", e))
    }

    pub async fn finish(mut self, private: &PrivateTables<'_>) -> Result<u64, TargetError> {
        self.writer
            .as_mut()
            .finish()
            .await
            .map_err(|e| private.database.error("copy raw records", e))
    }
}
