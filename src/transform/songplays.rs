//! `songplays`: one row per `NextSong` event of a known user, with its matched song.

use std::borrow::Cow;

use super::Catalog;
use crate::model::{EventRecord, SongplayRow};

pub const NEXT_SONG: &str = "NextSong";

/// Whether an event is a play by a known user: a `NextSong` page with a user id.
pub fn is_play(event: &EventRecord<'_>) -> bool {
    event.page == NEXT_SONG && event.user_id.is_some()
}

/// The songplay row of an event, or `None` when the event is not a play by a known user:
/// the row's text is the event's, copied out of the bytes it borrows.
pub fn songplay(catalog: &Catalog, event: EventRecord<'_>) -> Option<SongplayRow> {
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
        level: event.level.map(Cow::into_owned),
        song_id: song_id.map(str::to_string),
        artist_id: artist_id.map(str::to_string),
        session_id: event.session_id,
        location: event.location.map(Cow::into_owned),
        user_agent: event.user_agent.map(Cow::into_owned),
    })
}
