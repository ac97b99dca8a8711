//! `songplays`: one row per `NextSong` event of a known user, with its matched song.

use super::Catalog;
use crate::model::{EventRecord, SongplayRow};

pub const NEXT_SONG: &str = "NextSong";

/// Whether an event is a play by a known user: a `NextSong` page with a user id.
pub fn is_play(event: &EventRecord) -> bool {
    event.page == NEXT_SONG && event.user_id.is_some()
}

/// The songplay row of an event, or `None` when the event is not a play by a known user.
pub fn songplay(catalog: &Catalog, event: EventRecord) -> Option<SongplayRow> {
    if !is_play(&event) {
        return None;
    }
    let (song_id, artist_id) = match (&event.song, &event.artist, event.length) {
        (Some(song), Some(artist), Some(length)) => {
            catalog.find(song, artist, length).unwrap_or((None, None))
        }
        _ => (None, None),
    };
    Some(SongplayRow {
        start_time: event.start_time,
        user_id: event.user_id?,
        level: event.level,
        song_id: song_id.map(str::to_string),
        artist_id: artist_id.map(str::to_string),
        session_id: event.session_id,
        location: event.location,
        user_agent: event.user_agent,
    })
}
