//! How each table's row travels in an INSERT: its columns, its bind parameters, its
//! literals, and a bound on its size.

use tokio_postgres::types::ToSql;

use super::values::Values;
use super::TableRow;
use crate::model::{
    ArtistRow, ObjectRow, PlayRecord, SongRecord, SongRow, SongplayRow, TimeRow, UserRow,
};
use crate::parse::Record;

fn text_bytes(value: &Option<String>) -> usize {
    value.as_ref().map_or(0, String::len)
}

impl TableRow for SongplayRow {
    const TABLE: &'static str = "songplays";
    const COLUMNS: &'static [&'static str] = &[
        "start_time",
        "user_id",
        "level",
        "song_id",
        "artist_id",
        "session_id",
        "location",
        "user_agent",
    ];

    fn push_params<'a>(&'a self, out: &mut Vec<&'a (dyn ToSql + Sync)>) {
        out.extend_from_slice(&[
            &self.start_time,
            &self.user_id,
            &self.level,
            &self.song_id,
            &self.artist_id,
            &self.session_id,
            &self.location,
            &self.user_agent,
        ]);
    }

    fn write_values<W: Values>(&self, row: &mut W) {
        row.timestamp(self.start_time)
            .int(Some(self.user_id))
            .text(self.level.as_deref())
            .text(self.song_id.as_deref())
            .text(self.artist_id.as_deref())
            .int(self.session_id)
            .text(self.location.as_deref())
            .text(self.user_agent.as_deref());
    }

    fn statement_bytes(&self) -> usize {
        16 + text_bytes(&self.level)
            + text_bytes(&self.song_id)
            + text_bytes(&self.artist_id)
            + text_bytes(&self.location)
            + text_bytes(&self.user_agent)
    }
}

impl TableRow for UserRow {
    const TABLE: &'static str = "users";
    const COLUMNS: &'static [&'static str] =
        &["user_id", "first_name", "last_name", "gender", "level"];

    fn push_params<'a>(&'a self, out: &mut Vec<&'a (dyn ToSql + Sync)>) {
        out.extend_from_slice(&[
            &self.user_id,
            &self.first_name,
            &self.last_name,
            &self.gender,
            &self.level,
        ]);
    }

    fn write_values<W: Values>(&self, row: &mut W) {
        row.int(Some(self.user_id))
            .text(self.first_name.as_deref())
            .text(self.last_name.as_deref())
            .text(self.gender.as_deref())
            .text(self.level.as_deref());
    }

    fn statement_bytes(&self) -> usize {
        4 + text_bytes(&self.first_name)
            + text_bytes(&self.last_name)
            + text_bytes(&self.gender)
            + text_bytes(&self.level)
    }
}

impl TableRow for SongRow {
    const TABLE: &'static str = "songs";
    const COLUMNS: &'static [&'static str] = &["song_id", "title", "artist_id", "year", "duration"];

    fn push_params<'a>(&'a self, out: &mut Vec<&'a (dyn ToSql + Sync)>) {
        out.extend_from_slice(&[
            &self.song_id,
            &self.title,
            &self.artist_id,
            &self.year,
            &self.duration,
        ]);
    }

    fn write_values<W: Values>(&self, row: &mut W) {
        row.text(Some(&self.song_id))
            .text(self.title.as_deref())
            .text(self.artist_id.as_deref())
            .int(self.year)
            .double(self.duration);
    }

    fn statement_bytes(&self) -> usize {
        12 + self.song_id.len() + text_bytes(&self.title) + text_bytes(&self.artist_id)
    }
}

impl TableRow for ArtistRow {
    const TABLE: &'static str = "artists";
    const COLUMNS: &'static [&'static str] =
        &["artist_id", "name", "location", "latitude", "longitude"];

    fn push_params<'a>(&'a self, out: &mut Vec<&'a (dyn ToSql + Sync)>) {
        out.extend_from_slice(&[
            &self.artist_id,
            &self.name,
            &self.location,
            &self.latitude,
            &self.longitude,
        ]);
    }

    fn write_values<W: Values>(&self, row: &mut W) {
        row.text(Some(&self.artist_id))
            .text(self.name.as_deref())
            .text(self.location.as_deref())
            .double(self.latitude)
            .double(self.longitude);
    }

    fn statement_bytes(&self) -> usize {
        16 + self.artist_id.len() + text_bytes(&self.name) + text_bytes(&self.location)
    }
}

impl TableRow for TimeRow {
    const TABLE: &'static str = "time";
    const COLUMNS: &'static [&'static str] = &[
        "start_time",
        "hour",
        "day",
        "week",
        "month",
        "year",
        "weekday",
    ];

    fn push_params<'a>(&'a self, out: &mut Vec<&'a (dyn ToSql + Sync)>) {
        out.extend_from_slice(&[
            &self.start_time,
            &self.parts.hour,
            &self.parts.day,
            &self.parts.week,
            &self.parts.month,
            &self.parts.year,
            &self.parts.weekday,
        ]);
    }

    fn write_values<W: Values>(&self, row: &mut W) {
        row.timestamp(self.start_time)
            .int(Some(self.parts.hour))
            .int(Some(self.parts.day))
            .int(Some(self.parts.week))
            .int(Some(self.parts.month))
            .int(Some(self.parts.year))
            .int(Some(self.parts.weekday));
    }

    fn statement_bytes(&self) -> usize {
        32
    }
}

/// An incremental run's song records, whole: any field can decide which record is first.
impl TableRow for SongRecord {
    const TABLE: &'static str = "new_songs";
    /// The work table's columns are the record's fields, named and ordered alike.
    const COLUMNS: &'static [&'static str] = <SongRecord as Record>::FIELDS;

    fn push_params<'a>(&'a self, out: &mut Vec<&'a (dyn ToSql + Sync)>) {
        out.extend_from_slice(&[
            &self.song_id,
            &self.title,
            &self.artist_id,
            &self.artist_name,
            &self.artist_location,
            &self.artist_latitude,
            &self.artist_longitude,
            &self.duration,
            &self.year,
        ]);
    }

    fn write_values<W: Values>(&self, row: &mut W) {
        row.text(self.song_id.as_deref())
            .text(self.title.as_deref())
            .text(self.artist_id.as_deref())
            .text(self.artist_name.as_deref())
            .text(self.artist_location.as_deref())
            .double(self.artist_latitude)
            .double(self.artist_longitude)
            .double(self.duration)
            .int(self.year);
    }

    fn statement_bytes(&self) -> usize {
        40 + text_bytes(&self.song_id)
            + text_bytes(&self.title)
            + text_bytes(&self.artist_id)
            + text_bytes(&self.artist_name)
            + text_bytes(&self.artist_location)
    }
}

/// An incremental run's plays, with what the users rule and the song match need.
impl TableRow for PlayRecord {
    const TABLE: &'static str = "new_plays";
    const COLUMNS: &'static [&'static str] = &[
        "object_rank",
        "line",
        "start_time",
        "user_id",
        "first_name",
        "last_name",
        "gender",
        "level",
        "song",
        "artist",
        "length",
        "session_id",
        "item_in_session",
        "location",
        "user_agent",
    ];

    fn push_params<'a>(&'a self, out: &mut Vec<&'a (dyn ToSql + Sync)>) {
        let event = &self.event;
        out.extend_from_slice(&[
            &self.object_rank,
            &self.line,
            &event.start_time,
            &event.user_id,
            &event.first_name,
            &event.last_name,
            &event.gender,
            &event.level,
            &event.song,
            &event.artist,
            &event.length,
            &event.session_id,
            &event.item_in_session,
            &event.location,
            &event.user_agent,
        ]);
    }

    fn write_values<W: Values>(&self, row: &mut W) {
        let event = &self.event;
        row.int(Some(self.object_rank))
            .int(Some(self.line))
            .timestamp(event.start_time)
            .int(event.user_id)
            .text(event.first_name.as_deref())
            .text(event.last_name.as_deref())
            .text(event.gender.as_deref())
            .text(event.level.as_deref())
            .text(event.song.as_deref())
            .text(event.artist.as_deref())
            .double(event.length)
            .int(event.session_id)
            .int(event.item_in_session)
            .text(event.location.as_deref())
            .text(event.user_agent.as_deref());
    }

    fn statement_bytes(&self) -> usize {
        let event = &self.event;
        80 + text_bytes(&event.first_name)
            + text_bytes(&event.last_name)
            + text_bytes(&event.gender)
            + text_bytes(&event.level)
            + text_bytes(&event.song)
            + text_bytes(&event.artist)
            + text_bytes(&event.location)
            + text_bytes(&event.user_agent)
    }
}

/// An incremental run's objects, for the manifest.
impl TableRow for ObjectRow {
    const TABLE: &'static str = "new_objects";
    const COLUMNS: &'static [&'static str] = &["tree", "object_rank", "key", "size", "version"];

    fn push_params<'a>(&'a self, out: &mut Vec<&'a (dyn ToSql + Sync)>) {
        out.extend_from_slice(&[&self.tree, &self.rank, &self.key, &self.size, &self.version]);
    }

    fn write_values<W: Values>(&self, row: &mut W) {
        row.text(Some(self.tree))
            .int(Some(self.rank))
            .text(Some(&self.key))
            .bigint(Some(self.size))
            .text(Some(&self.version));
    }

    fn statement_bytes(&self) -> usize {
        40 + self.key.len() + self.version.len()
    }
}
