//! The star-schema rules of SPEC section 2, as plain functions over typed records.
//!
//! Songs are small and come first: [`songs::Catalog`] holds the `songs` and `artists`
//! rows and the index songplays are matched against. Events stream through
//! [`EventFold`] object by object, giving songplay rows and newly seen start times at
//! once and folding `users`, whose rows are only known at the end.

pub mod songplays;
pub mod songs;
pub mod time;
pub mod users;

use crate::model::{EventRecord, SongplayRow, Timestamp, UserRow};
pub use songs::Catalog;

/// What the events of one object contribute, computed independently of other objects.
#[derive(Debug, Default)]
pub struct ObjectFold {
    pub songplays: Vec<SongplayRow>,
    pub users: users::UserFold,
    /// The object's distinct start times, in order.
    pub times: Vec<Timestamp>,
}

impl ObjectFold {
    /// Applies the songplays, users and time rules to the events of one object, while
    /// their text is borrowed from the object's bytes: only the rows' text is copied.
    pub fn of_events(catalog: &Catalog, object: u32, events: Vec<(u32, EventRecord<'_>)>) -> Self {
        let plays: Vec<(u32, &EventRecord<'_>)> = events
            .iter()
            .filter(|(_, event)| songplays::is_play(event))
            .map(|(line, event)| (*line, event))
            .collect();
        let users = users::UserFold::of_plays(object, &plays);
        drop(plays);
        let mut fold = ObjectFold {
            users,
            songplays: Vec::with_capacity(events.len()),
            times: Vec::with_capacity(events.len()),
        };
        for (_, event) in events {
            if let Some(row) = songplays::songplay(catalog, event) {
                fold.times.push(row.start_time);
                fold.songplays.push(row);
            }
        }
        fold.times.sort_unstable();
        fold.times.dedup();
        fold
    }
}

/// The `users` rule folded over all events seen so far, the start times seen, and how
/// many plays they held.
#[derive(Debug, Default)]
pub struct EventFold {
    users: users::UserFold,
    times: time::TimeSet,
    plays: u64,
}

/// What one object adds to the tables at once: its songplays, and the start times no
/// earlier object had (each a `time` row).
#[derive(Debug, Default)]
pub struct NewRows {
    pub songplays: Vec<SongplayRow>,
    pub times: Vec<Timestamp>,
}

impl EventFold {
    /// Merges one object's contribution and gives back its songplays and first-seen start
    /// times, counted; objects may come in any order.
    pub fn merge(&mut self, object: ObjectFold) -> NewRows {
        self.plays += object.songplays.len() as u64;
        self.users.merge(object.users);
        NewRows {
            songplays: object.songplays,
            times: self.times.first_seen(object.times),
        }
    }

    /// The plays seen: NextSong events with a user, one songplay each.
    pub fn plays(&self) -> u64 {
        self.plays
    }

    /// The `users` rows.
    pub fn finish(self) -> Vec<UserRow> {
        self.users.into_rows()
    }
}
