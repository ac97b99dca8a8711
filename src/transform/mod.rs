//! The star-schema rules of SPEC section 2, as plain functions over typed records.
//!
//! Songs are small and come first: [`songs::Catalog`] holds the `songs` and `artists`
//! rows and the index songplays are matched against. Events stream through
//! [`EventFold`] object by object, giving songplay rows at once and folding `users`
//! and `time`, whose rows are only known at the end.

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
    pub times: time::TimeFold,
}

impl ObjectFold {
    /// Applies the songplays, users and time rules to the events of one object, taking
    /// their text rather than copying it.
    pub fn of_events(catalog: &Catalog, object: u32, events: Vec<(u32, EventRecord)>) -> Self {
        let plays: Vec<(u32, &EventRecord)> = events
            .iter()
            .filter(|(_, event)| songplays::is_play(event))
            .map(|(line, event)| (*line, event))
            .collect();
        let users = users::UserFold::of_plays(object, &plays);
        drop(plays);
        let mut fold = ObjectFold {
            users,
            ..ObjectFold::default()
        };
        for (_, event) in events {
            if let Some(row) = songplays::songplay(catalog, event) {
                fold.times.offer(row.start_time);
                fold.songplays.push(row);
            }
        }
        fold
    }
}

/// The `users` and `time` rules folded over all events seen so far, and how many plays
/// they held.
#[derive(Debug, Default)]
pub struct EventFold {
    users: users::UserFold,
    times: time::TimeFold,
    plays: u64,
}

impl EventFold {
    /// Merges one object's contribution and gives back its songplays, counted; objects may
    /// come in any order.
    pub fn merge(&mut self, object: ObjectFold) -> Vec<SongplayRow> {
        self.plays += object.songplays.len() as u64;
        self.users.merge(object.users);
        self.times.merge(object.times);
        object.songplays
    }

    /// The plays seen: NextSong events with a user, one songplay each.
    pub fn plays(&self) -> u64 {
        self.plays
    }

    /// The `users` rows, and the distinct start times that `time` rows are made from.
    pub fn finish(self) -> (Vec<UserRow>, Vec<Timestamp>) {
        (self.users.into_rows(), self.times.into_times())
    }
}
