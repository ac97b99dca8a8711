//! How each table's row travels: its columns, its bind parameters, its literals or CSV
//! fields, and a bound on its size. Each table lists its columns once, with the field and
//! the kind of value each takes; [`table_row!`] writes the [`TableRow`] impl from that.

use tokio_postgres::types::ToSql;

use super::values::Values;
use super::TableRow;
use crate::model::{
    ArtistRow, ObjectRow, PlayRecord, SongRecord, SongRow, SongplayRow, TimeRow, UserRow,
};
use crate::parse::Record;

fn text_bytes<T: AsRef<str>>(value: &Option<T>) -> usize {
    value.as_ref().map_or(0, |text| text.as_ref().len())
}

/// One value to a [`Values`] writer, by kind: `text` (an optional string), `text_set` (a
/// string that is always there), `int`, `int_set`, `bigint_set`, `double`, `timestamp`.
macro_rules! value {
    ($row:ident, text, $v:expr) => {
        $row.text($v.as_deref())
    };
    ($row:ident, text_set, $v:expr) => {
        $row.text(Some(AsRef::<str>::as_ref(&$v)))
    };
    ($row:ident, int, $v:expr) => {
        $row.int($v)
    };
    ($row:ident, int_set, $v:expr) => {
        $row.int(Some($v))
    };
    ($row:ident, bigint_set, $v:expr) => {
        $row.bigint(Some($v))
    };
    ($row:ident, double, $v:expr) => {
        $row.double($v)
    };
    ($row:ident, timestamp, $v:expr) => {
        $row.timestamp($v)
    };
}

/// A table's [`TableRow`] impl: its name, its columns, the bound on a row's bytes, then each
/// column's value as `kind(field.path)`, in column order.
macro_rules! table_row {
    (
        $row:ty, $table:expr, columns: $columns:expr, bytes: $bytes:expr,
        $( $kind:ident ( $($path:ident).+ ) ),+ $(,)?
    ) => {
        impl TableRow for $row {
            const TABLE: &'static str = $table;
            const COLUMNS: &'static [&'static str] = $columns;

            fn push_params<'a>(&'a self, out: &mut Vec<&'a (dyn ToSql + Sync)>) {
                out.extend_from_slice(&[$( &self.$($path).+ as &(dyn ToSql + Sync) ),+]);
            }

            fn write_values<W: Values>(&self, row: &mut W) {
                $( value!(row, $kind, self.$($path).+); )+
            }

            fn statement_bytes(&self) -> usize {
                let bytes: fn(&$row) -> usize = $bytes;
                bytes(self)
            }
        }
    };
}

table_row!(
    SongplayRow, "songplays",
    columns: &["start_time", "user_id", "level", "song_id", "artist_id", "session_id",
        "location", "user_agent"],
    bytes: |r| 16 + text_bytes(&r.level) + text_bytes(&r.song_id) + text_bytes(&r.artist_id)
        + text_bytes(&r.location) + text_bytes(&r.user_agent),
    timestamp(start_time), int_set(user_id), text(level), text(song_id), text(artist_id),
    int(session_id), text(location), text(user_agent),
);

table_row!(
    UserRow, "users",
    columns: &["user_id", "first_name", "last_name", "gender", "level"],
    bytes: |r| 4 + text_bytes(&r.first_name) + text_bytes(&r.last_name)
        + text_bytes(&r.gender) + text_bytes(&r.level),
    int_set(user_id), text(first_name), text(last_name), text(gender), text(level),
);

table_row!(
    SongRow, "songs",
    columns: &["song_id", "title", "artist_id", "year", "duration"],
    bytes: |r| 12 + r.song_id.len() + text_bytes(&r.title) + text_bytes(&r.artist_id),
    text_set(song_id), text(title), text(artist_id), int(year), double(duration),
);

table_row!(
    ArtistRow, "artists",
    columns: &["artist_id", "name", "location", "latitude", "longitude"],
    bytes: |r| 16 + r.artist_id.len() + text_bytes(&r.name) + text_bytes(&r.location),
    text_set(artist_id), text(name), text(location), double(latitude), double(longitude),
);

table_row!(
    TimeRow, "time",
    columns: &["start_time", "hour", "day", "week", "month", "year", "weekday"],
    bytes: |_| 32,
    timestamp(start_time), int_set(parts.hour), int_set(parts.day), int_set(parts.week),
    int_set(parts.month), int_set(parts.year), int_set(parts.weekday),
);

// An incremental run's song records, whole: any field can decide which record is first.
// The work table's columns are the record's fields, named and ordered alike.
table_row!(
    SongRecord, "new_songs",
    columns: <SongRecord as Record>::FIELDS,
    bytes: |r| 40 + text_bytes(&r.song_id) + text_bytes(&r.title) + text_bytes(&r.artist_id)
        + text_bytes(&r.artist_name) + text_bytes(&r.artist_location),
    text(song_id), text(title), text(artist_id), text(artist_name), text(artist_location),
    double(artist_latitude), double(artist_longitude), double(duration), int(year),
);

// An incremental run's plays, with what the users rule and the song match need.
table_row!(
    PlayRecord, "new_plays",
    columns: &["object_rank", "line", "start_time", "user_id", "first_name", "last_name",
        "gender", "level", "song", "artist", "length", "session_id", "item_in_session",
        "location", "user_agent"],
    bytes: |r| {
        let event = &r.event;
        80 + text_bytes(&event.first_name) + text_bytes(&event.last_name)
            + text_bytes(&event.gender) + text_bytes(&event.level) + text_bytes(&event.song)
            + text_bytes(&event.artist) + text_bytes(&event.location)
            + text_bytes(&event.user_agent)
    },
    int_set(object_rank), int_set(line), timestamp(event.start_time), int(event.user_id),
    text(event.first_name), text(event.last_name), text(event.gender), text(event.level),
    text(event.song), text(event.artist), double(event.length), int(event.session_id),
    int(event.item_in_session), text(event.location), text(event.user_agent),
);

// An incremental run's objects, for the manifest.
table_row!(
    ObjectRow, "new_objects",
    columns: &["tree", "object_rank", "key", "size", "version"],
    bytes: |r| 40 + r.key.len() + r.version.len(),
    text_set(tree), int_set(rank), text_set(key), bigint_set(size), text_set(version),
);
