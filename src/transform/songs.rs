//! `songs` and `artists` by the first-record rule, and the index songplays match against.

use std::cmp::Ordering;

// foldhash, seeded at random like std's SipHash (so crafted titles cannot simply be made to
// collide) and several times faster on the short strings matched once per event.
use foldhash::{HashMap, HashSet};

use crate::model::{ArtistRow, SongRecord, SongRow};

/// The rows of `songs` and `artists` and the song-match index, from all song records.
#[derive(Debug, Default)]
pub struct Catalog {
    pub songs: Vec<SongRow>,
    pub artists: Vec<ArtistRow>,
    /// title -> the first record for each (artist_name, duration) with that title.
    matches: HashMap<String, Vec<SongMatch>>,
}

#[derive(Debug)]
struct SongMatch {
    artist_name: String,
    duration: u64,
    song_id: Option<String>,
    artist_id: Option<String>,
}

impl Catalog {
    pub fn new(mut records: Vec<SongRecord>) -> Catalog {
        records.sort_by(total_order);
        let mut catalog = Catalog::default();
        let mut seen_songs = HashSet::default();
        let mut seen_artists = HashSet::default();
        for record in records {
            if let Some(song_id) = &record.song_id {
                if seen_songs.insert(song_id.clone()) {
                    catalog.songs.push(SongRow {
                        song_id: song_id.clone(),
                        title: record.title.clone(),
                        artist_id: record.artist_id.clone(),
                        year: record.year,
                        duration: record.duration,
                    });
                }
            }
            if let Some(artist_id) = &record.artist_id {
                if seen_artists.insert(artist_id.clone()) {
                    catalog.artists.push(ArtistRow {
                        artist_id: artist_id.clone(),
                        name: record.artist_name.clone(),
                        location: record.artist_location.clone(),
                        latitude: record.artist_latitude,
                        longitude: record.artist_longitude,
                    });
                }
            }
            if let (Some(title), Some(artist_name), Some(duration)) =
                (record.title, record.artist_name, record.duration)
            {
                let duration = match_bits(duration);
                let candidates = catalog.matches.entry(title).or_default();
                // Records come in the total order, so the first kept is the first that matches.
                if !candidates
                    .iter()
                    .any(|c| c.duration == duration && c.artist_name == artist_name)
                {
                    candidates.push(SongMatch {
                        artist_name,
                        duration,
                        song_id: record.song_id,
                        artist_id: record.artist_id,
                    });
                }
            }
        }
        catalog
    }

    /// `(song_id, artist_id)` of the first song record with this exact title, artist
    /// name and duration.
    pub fn find(
        &self,
        title: &str,
        artist_name: &str,
        duration: f64,
    ) -> Option<(Option<&str>, Option<&str>)> {
        let duration = match_bits(duration);
        self.matches
            .get(title)?
            .iter()
            .find(|c| c.duration == duration && c.artist_name == artist_name)
            .map(|c| (c.song_id.as_deref(), c.artist_id.as_deref()))
    }
}

/// Bits that are equal exactly when SQL's `=` holds on two doubles (-0 = 0).
fn match_bits(value: f64) -> u64 {
    if value == 0.0 {
        0
    } else {
        value.to_bits()
    }
}

/// SPEC's one total order of song records: field by field, ascending, NULLs last,
/// text byte by byte.
pub fn total_order(a: &SongRecord, b: &SongRecord) -> Ordering {
    nulls_last(&a.song_id, &b.song_id)
        .then_with(|| nulls_last(&a.artist_id, &b.artist_id))
        .then_with(|| nulls_last_f64(a.duration, b.duration))
        .then_with(|| nulls_last(&a.year, &b.year))
        .then_with(|| nulls_last(&a.title, &b.title))
        .then_with(|| nulls_last(&a.artist_name, &b.artist_name))
        .then_with(|| nulls_last(&a.artist_location, &b.artist_location))
        .then_with(|| nulls_last_f64(a.artist_latitude, b.artist_latitude))
        .then_with(|| nulls_last_f64(a.artist_longitude, b.artist_longitude))
}

fn nulls_last<T: Ord>(a: &Option<T>, b: &Option<T>) -> Ordering {
    match (a, b) {
        (Some(a), Some(b)) => a.cmp(b),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    }
}

/// Coercion never yields NaN, so doubles are totally ordered by `partial_cmp`
/// (with -0 = 0, as in SQL).
fn nulls_last_f64(a: Option<f64>, b: Option<f64>) -> Ordering {
    match (a, b) {
        (Some(a), Some(b)) => a.partial_cmp(&b).unwrap_or(Ordering::Equal),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn song(id: Option<&str>, artist: &str, title: &str, duration: f64) -> SongRecord {
        SongRecord {
            song_id: id.map(Into::into),
            title: Some(title.into()),
            artist_id: Some(artist.into()),
            artist_name: Some(format!("name of {artist}")),
            duration: Some(duration),
            ..SongRecord::default()
        }
    }

    #[test]
    fn first_record_per_id_wins_whatever_the_input_order() {
        let records = vec![
            song(Some("S2"), "A2", "later", 2.0),
            song(Some("S1"), "A1", "b title", 1.0),
            song(Some("S1"), "A1", "a title", 1.0),
            song(Some("S1"), "A0", "z title", 9.0),
            song(None, "A9", "no id", 3.0),
        ];
        let catalog = Catalog::new(records);
        let songs: Vec<(&str, &str)> = catalog
            .songs
            .iter()
            .map(|s| (s.song_id.as_str(), s.title.as_deref().unwrap()))
            .collect();
        assert_eq!(songs, vec![("S1", "z title"), ("S2", "later")]);
        let artists: Vec<&str> = catalog
            .artists
            .iter()
            .map(|a| a.artist_id.as_str())
            .collect();
        assert_eq!(artists, vec!["A0", "A1", "A2", "A9"]);
    }

    #[test]
    fn match_is_exact_and_takes_the_first_record() {
        let catalog = Catalog::new(vec![
            song(Some("S2"), "A1", "Title", 1.5),
            song(Some("S1"), "A1", "Title", 1.5),
            song(None, "A3", "Zero", -0.0),
        ]);
        assert_eq!(
            catalog.find("Title", "name of A1", 1.5),
            Some((Some("S1"), Some("A1")))
        );
        assert_eq!(
            catalog.find("Title", "name of A1", 1.5000000000000002),
            None
        );
        assert_eq!(catalog.find("title", "name of A1", 1.5), None);
        assert_eq!(
            catalog.find("Zero", "name of A3", 0.0),
            Some((None, Some("A3")))
        );
    }
}
