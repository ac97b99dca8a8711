//! Typed records (after coercion) and the rows of the five star-schema tables.

use std::borrow::Cow;
use std::error::Error as StdError;

use bytes::BytesMut;
use tokio_postgres::types::{accepts, to_sql_checked, FromSql, IsNull, ToSql, Type};

/// One song record of the song tree, coerced per SPEC section 1.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SongRecord {
    pub song_id: Option<String>,
    pub title: Option<String>,
    pub artist_id: Option<String>,
    pub artist_name: Option<String>,
    pub artist_location: Option<String>,
    pub artist_latitude: Option<f64>,
    pub artist_longitude: Option<f64>,
    pub duration: Option<f64>,
    pub year: Option<i32>,
}

/// One event of the log tree, coerced per SPEC section 1; only the fields a rule uses. Its
/// text borrows the bytes it was decoded from, unless an escape had to be decoded: most
/// events are read, matched and dropped without a copy of their text.
#[derive(Debug, Clone, PartialEq)]
pub struct EventRecord<'a> {
    pub artist: Option<Cow<'a, str>>,
    pub first_name: Option<Cow<'a, str>>,
    pub gender: Option<Cow<'a, str>>,
    pub item_in_session: Option<i32>,
    pub last_name: Option<Cow<'a, str>>,
    pub length: Option<f64>,
    pub level: Option<Cow<'a, str>>,
    pub location: Option<Cow<'a, str>>,
    pub page: Cow<'a, str>,
    pub session_id: Option<i32>,
    pub song: Option<Cow<'a, str>>,
    pub start_time: Timestamp,
    pub user_agent: Option<Cow<'a, str>>,
    pub user_id: Option<i32>,
}

impl EventRecord<'_> {
    /// The event with its text copied, to keep past the bytes it came from.
    pub fn into_owned(self) -> EventRecord<'static> {
        let owned = |text: Option<Cow<'_, str>>| text.map(|t| Cow::Owned(t.into_owned()));
        EventRecord {
            artist: owned(self.artist),
            first_name: owned(self.first_name),
            gender: owned(self.gender),
            item_in_session: self.item_in_session,
            last_name: owned(self.last_name),
            length: self.length,
            level: owned(self.level),
            location: owned(self.location),
            page: Cow::Owned(self.page.into_owned()),
            session_id: self.session_id,
            song: owned(self.song),
            start_time: self.start_time,
            user_agent: owned(self.user_agent),
            user_id: self.user_id,
        }
    }
}

/// Where a record starts: the object's rank in key order and the 1-based line within it.
///
/// Ordering positions orders records as SPEC's "(object key, line) order" does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Position {
    pub object: u32,
    pub line: u32,
}

/// A NextSong event with a user and where it starts: a songplay to be, as an incremental
/// run's work table holds it for the merge in the target.
#[derive(Debug, Clone, PartialEq)]
pub struct PlayRecord {
    /// Where the event starts, as the work table's INTEGER columns hold it.
    pub object_rank: i32,
    pub line: i32,
    pub event: EventRecord<'static>,
}

/// An object an incremental run reads, as the manifest will record it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectRow {
    /// `song` or `log`.
    pub tree: &'static str,
    /// The object's rank in key order among the run's objects of its tree.
    pub rank: i32,
    pub key: String,
    pub size: i64,
    pub version: String,
}

/// A timestamp without time zone, held as PostgreSQL holds it: microseconds since
/// 2000-01-01 00:00:00, over PostgreSQL's whole range (4714 BC to 294276 AD).
///
/// Chrono's calendar stops at 262143 AD, short of PostgreSQL's, so the calendar
/// arithmetic for the `time` table lives here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(i64);

const MICROS_PER_MILLI: i64 = 1_000;
const MICROS_PER_HOUR: i64 = 3_600_000_000;
const MICROS_PER_DAY: i64 = 86_400_000_000;
/// 1970-01-01 in microseconds before 2000-01-01.
const UNIX_EPOCH_MICROS: i64 = -946_684_800_000_000;
/// PostgreSQL's MIN_TIMESTAMP: 4714-11-24 00:00:00 BC.
const MIN_MICROS: i64 = -211_813_488_000_000_000;
/// PostgreSQL's END_TIMESTAMP (exclusive): 294277-01-01 00:00:00.
const END_MICROS: i64 = 9_223_371_331_200_000_000;
/// Days from 1970-01-01 to 2000-01-01.
const DAYS_1970_TO_2000: i64 = 10_957;

impl Timestamp {
    /// The UTC timestamp of an epoch-milliseconds value, or `None` where PostgreSQL
    /// cannot hold it.
    pub fn from_epoch_millis(millis: i64) -> Option<Timestamp> {
        // In 128 bits: the last millisecond PostgreSQL holds is past i64 in Unix microseconds.
        let micros =
            i128::from(millis) * i128::from(MICROS_PER_MILLI) + i128::from(UNIX_EPOCH_MICROS);
        (i128::from(MIN_MICROS)..i128::from(END_MICROS))
            .contains(&micros)
            .then_some(Timestamp(micros as i64))
    }

    pub fn micros_since_2000(self) -> i64 {
        self.0
    }

    /// `YYYY-MM-DD HH:MM:SS.ffffff`, with ` BC` for years before 1 AD: the text form that
    /// PostgreSQL and Redshift both read back as this exact timestamp. Written on the stack:
    /// the literal and CSV writers copy it into their buffers, once per row.
    pub fn sql_text(self) -> SqlText {
        let days = self.0.div_euclid(MICROS_PER_DAY) + DAYS_1970_TO_2000;
        let micros = self.0.rem_euclid(MICROS_PER_DAY);
        let (year, month, day) = civil_from_days(days);
        let (second, fraction) = (micros / 1_000_000, micros % 1_000_000);
        let (hour, minute, second) = (second / 3_600, second / 60 % 60, second % 60);
        // Astronomical year 0 is 1 BC.
        let (year, bc) = if year > 0 {
            (year, false)
        } else {
            (1 - year, true)
        };
        let mut text = SqlText::default();
        let year = year as u64;
        text.digits(
            year,
            (year.checked_ilog10().unwrap_or(0) as usize + 1).max(4),
        );
        text.push(b'-').digits(u64::from(month), 2);
        text.push(b'-').digits(u64::from(day), 2);
        text.push(b' ').digits(hour as u64, 2);
        text.push(b':').digits(minute as u64, 2);
        text.push(b':').digits(second as u64, 2);
        text.push(b'.').digits(fraction as u64, 6);
        if bc {
            for &c in b" BC" {
                text.push(c);
            }
        }
        text
    }

    /// The calendar parts the `time` table stores, as PostgreSQL's `EXTRACT` gives them.
    pub fn parts(self) -> TimeParts {
        let days_since_2000 = self.0.div_euclid(MICROS_PER_DAY);
        let hour = (self.0.rem_euclid(MICROS_PER_DAY) / MICROS_PER_HOUR) as i32;
        let days = days_since_2000 + DAYS_1970_TO_2000;
        let (year, month, day) = civil_from_days(days);
        TimeParts {
            hour,
            day: day as i32,
            week: iso_week(days, year),
            month: month as i32,
            // PostgreSQL has no year 0: astronomical year 0 is 1 BC, shown as -1.
            year: if year > 0 {
                year as i32
            } else {
                (year - 1) as i32
            },
            weekday: weekday_from_sunday(days) as i32,
        }
    }
}

/// A timestamp's SQL text ([`Timestamp::sql_text`]), held on the stack.
#[derive(Debug, Clone, Copy, Default)]
pub struct SqlText {
    bytes: [u8; 32],
    len: usize,
}

impl SqlText {
    pub fn as_str(&self) -> &str {
        // Only ASCII digits and punctuation are ever pushed.
        std::str::from_utf8(&self.bytes[..self.len]).expect("ASCII")
    }

    fn push(&mut self, byte: u8) -> &mut Self {
        self.bytes[self.len] = byte;
        self.len += 1;
        self
    }

    /// `value` in decimal, zero-padded to `width` digits (it has at most `width`).
    fn digits(&mut self, mut value: u64, width: usize) -> &mut Self {
        for at in (self.len..self.len + width).rev() {
            self.bytes[at] = b'0' + (value % 10) as u8;
            value /= 10;
        }
        self.len += width;
        self
    }
}

/// Calendar parts of a [`Timestamp`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeParts {
    pub hour: i32,
    pub day: i32,
    pub week: i32,
    pub month: i32,
    pub year: i32,
    pub weekday: i32,
}

/// Proleptic Gregorian (year, month, day) of a day count from 1970-01-01, with
/// astronomical years (Howard Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Day count from 1970-01-01 of a proleptic Gregorian date (inverse of `civil_from_days`).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let yoe = year.rem_euclid(400);
    let month = i64::from(month);
    let mp = if month > 2 { month - 3 } else { month + 9 };
    let doy = (153 * mp + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// 0 = Sunday .. 6 = Saturday; 1970-01-01 was a Thursday.
fn weekday_from_sunday(days: i64) -> i64 {
    (days + 4).rem_euclid(7)
}

/// The ISO 8601 week number (1..=53) of a day.
fn iso_week(days: i64, year: i64) -> i32 {
    // The Monday of ISO week 1 is the Monday on or before January 4th.
    let week_one_monday = |y: i64| {
        let jan4 = days_from_civil(y, 1, 4);
        jan4 - (weekday_from_sunday(jan4) + 6).rem_euclid(7)
    };
    let mut start = week_one_monday(year);
    if days < start {
        start = week_one_monday(year - 1);
    } else {
        let next = week_one_monday(year + 1);
        if days >= next {
            start = next;
        }
    }
    ((days - start) / 7 + 1) as i32
}

impl ToSql for Timestamp {
    fn to_sql(
        &self,
        _ty: &Type,
        out: &mut BytesMut,
    ) -> Result<IsNull, Box<dyn StdError + Sync + Send>> {
        self.0.to_sql(&Type::INT8, out)
    }

    accepts!(TIMESTAMP);
    to_sql_checked!();
}

impl<'a> FromSql<'a> for Timestamp {
    fn from_sql(_ty: &Type, raw: &'a [u8]) -> Result<Self, Box<dyn StdError + Sync + Send>> {
        Ok(Timestamp(i64::from_sql(&Type::INT8, raw)?))
    }

    accepts!(TIMESTAMP);
}

/// A row of `songs`.
#[derive(Debug, Clone, PartialEq)]
pub struct SongRow {
    pub song_id: String,
    pub title: Option<String>,
    pub artist_id: Option<String>,
    pub year: Option<i32>,
    pub duration: Option<f64>,
}

/// A row of `artists`.
#[derive(Debug, Clone, PartialEq)]
pub struct ArtistRow {
    pub artist_id: String,
    pub name: Option<String>,
    pub location: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
}

/// A row of `songplays`, without the surrogate key the database gives.
#[derive(Debug, Clone, PartialEq)]
pub struct SongplayRow {
    pub start_time: Timestamp,
    pub user_id: i32,
    pub level: Option<String>,
    pub song_id: Option<String>,
    pub artist_id: Option<String>,
    pub session_id: Option<i32>,
    pub location: Option<String>,
    pub user_agent: Option<String>,
}

/// A row of `users`.
#[derive(Debug, Clone, PartialEq)]
pub struct UserRow {
    pub user_id: i32,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub gender: Option<String>,
    pub level: Option<String>,
}

/// A row of `time`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TimeRow {
    pub start_time: Timestamp,
    pub parts: TimeParts,
}

impl TimeRow {
    /// The `time` row of a start time.
    pub fn at(start_time: Timestamp) -> TimeRow {
        TimeRow {
            start_time,
            parts: start_time.parts(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts_of(millis: i64) -> TimeParts {
        Timestamp::from_epoch_millis(millis).unwrap().parts()
    }

    #[test]
    fn timestamps_as_sql_text() {
        let text = |millis: i64| {
            let text = Timestamp::from_epoch_millis(millis).unwrap().sql_text();
            text.as_str().to_string()
        };
        assert_eq!(text(1_541_131_030_796), "2018-11-02 03:57:10.796000");
        assert_eq!(text(-1), "1969-12-31 23:59:59.999000");
        assert_eq!(text(0), "1970-01-01 00:00:00.000000");
        // PostgreSQL's first and last milliseconds.
        assert_eq!(text(-210_866_803_200_000), "4714-11-24 00:00:00.000000 BC");
        assert_eq!(text(9_224_318_015_999_999), "294276-12-31 23:59:59.999000");
        // 1 BC, astronomical year 0.
        assert_eq!(text(-62_167_219_200_000), "0001-01-01 00:00:00.000000 BC");
        // Five-digit years, as PostgreSQL prints them.
        assert_eq!(text(253_402_300_800_000), "10000-01-01 00:00:00.000000");
    }

    #[test]
    fn breaks_down_a_classic_timestamp() {
        // 2018-11-02 03:57:10.796 UTC, a Friday in ISO week 44.
        let parts = parts_of(1_541_131_030_796);
        assert_eq!(
            parts,
            TimeParts {
                hour: 3,
                day: 2,
                week: 44,
                month: 11,
                year: 2018,
                weekday: 5
            }
        );
    }

    #[test]
    fn millis_before_the_epoch_floor_to_the_previous_second() {
        let ts = Timestamp::from_epoch_millis(-1).unwrap();
        assert_eq!(ts.micros_since_2000(), UNIX_EPOCH_MICROS - 1_000);
        assert_eq!(
            ts.parts(),
            TimeParts {
                hour: 23,
                day: 31,
                week: 1,
                month: 12,
                year: 1969,
                weekday: 3
            }
        );
    }

    #[test]
    fn iso_weeks_cross_new_year() {
        // 2021-01-03 (Sunday) is in ISO week 53 of 2020; 2019-12-30 (Monday) in week 1 of 2020.
        let jan3_2021 = 1_609_632_000_000;
        assert_eq!(parts_of(jan3_2021).week, 53);
        assert_eq!(parts_of(jan3_2021).weekday, 0);
        let dec30_2019 = 1_577_664_000_000;
        assert_eq!(parts_of(dec30_2019).week, 1);
        assert_eq!(parts_of(dec30_2019).year, 2019);
    }

    #[test]
    fn refuses_what_postgresql_cannot_hold() {
        assert!(Timestamp::from_epoch_millis(i64::MAX).is_none());
        assert!(Timestamp::from_epoch_millis(i64::MIN).is_none());
        // 294276-12-31 23:59:59.999 is the last millisecond PostgreSQL holds.
        let last = ((i128::from(END_MICROS) - i128::from(UNIX_EPOCH_MICROS)) / 1_000 - 1) as i64;
        assert!(Timestamp::from_epoch_millis(last).is_some());
        assert!(Timestamp::from_epoch_millis(last + 1).is_none());
        assert_eq!(parts_of(last).year, 294_276);
        let first = (MIN_MICROS - UNIX_EPOCH_MICROS) / 1_000;
        assert_eq!(parts_of(first).year, -4714);
        assert!(Timestamp::from_epoch_millis(first - 1).is_none());
    }

    #[test]
    fn civil_round_trips() {
        for days in (-2_500_000..2_500_000).step_by(997) {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }
}
