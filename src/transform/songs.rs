//! `songs` and `artists` by the first-record rule, and the index songplays match against.

use std::cmp::Ordering;

use std::hash::BuildHasher;

// foldhash, seeded at random like std's SipHash (so crafted titles cannot simply be made to
// collide) and several times faster on the short strings matched once per event.
use foldhash::HashSet;
use hashbrown::HashTable;

use crate::model::{ArtistRow, SongRecord, SongRow};

/// The rows of `songs` and `artists` and the song-match index, from all song records.
#[derive(Debug, Default)]
pub struct Catalog {
    pub songs: Vec<SongRow>,
    pub artists: Vec<ArtistRow>,
    matches: MatchIndex,
}

/// The song-match index: for each distinct (title, artist name, duration) of the song
/// records, the ids of the first record in the total order. Built for the one probe per
/// play: a hash table of entry numbers, the entries side by side, and all their text in one
/// buffer, so that a probe reads the table, one entry and its text (a map of owned strings
/// to lists of owned strings cost a cache miss at each of four pointers, 8% of the
/// loader's CPU at 100,000 songs).
#[derive(Debug, Default)]
struct MatchIndex {
    table: HashTable<u32>,
    entries: Vec<SongMatch>,
    /// Each entry's title, artist name, song id and artist id, one after the other.
    text: String,
    hasher: foldhash::fast::RandomState,
}

/// What a play is matched on: title, artist name and duration (as [`match_bits`]).
type MatchKey<'k> = (&'k str, &'k str, u64);

#[derive(Debug)]
struct SongMatch {
    hash: u64,
    duration: u64,
    /// Where the entry's text starts in [`MatchIndex::text`], and each piece's length
    /// (an id that is NULL has none).
    start: usize,
    title: u32,
    artist_name: u32,
    song_id: Option<u32>,
    artist_id: Option<u32>,
}

impl SongMatch {
    /// The entry's texts: title, artist name, song id, artist id.
    fn texts<'t>(&self, text: &'t str) -> [Option<&'t str>; 4] {
        let mut at = self.start;
        let lengths = [
            Some(self.title),
            Some(self.artist_name),
            self.song_id,
            self.artist_id,
        ];
        lengths.map(|length| {
            let length = length? as usize;
            let piece = &text[at..at + length];
            at += length;
            Some(piece)
        })
    }
}

impl MatchIndex {
    fn hash(&self, key: MatchKey<'_>) -> u64 {
        self.hasher.hash_one(key)
    }

    /// The entry of this exact title, artist name and duration (as [`match_bits`]).
    fn get(&self, key: MatchKey<'_>) -> Option<&SongMatch> {
        self.find(self.hash(key), key)
    }

    /// The entry of `key`, whose hash is `hash`.
    fn find(&self, hash: u64, (title, artist_name, duration): MatchKey<'_>) -> Option<&SongMatch> {
        let entry = self.table.find(hash, |&index| {
            let entry = &self.entries[index as usize];
            let [held_title, held_artist, ..] = entry.texts(&self.text);
            entry.duration == duration
                && held_title == Some(title)
                && held_artist == Some(artist_name)
        })?;
        Some(&self.entries[*entry as usize])
    }

    /// Adds the record's key unless a record before it in the total order had it.
    fn add_first(&mut self, key: MatchKey<'_>, ids: (Option<&str>, Option<&str>)) {
        let hash = self.hash(key);
        if self.find(hash, key).is_some() {
            return;
        }
        let (title, artist_name, duration) = key;
        let start = self.text.len();
        let mut length = |piece: &str| {
            self.text.push_str(piece);
            piece.len() as u32
        };
        let entry = SongMatch {
            hash,
            duration,
            start,
            title: length(title),
            artist_name: length(artist_name),
            song_id: ids.0.map(&mut length),
            artist_id: ids.1.map(&mut length),
        };
        let index = self.entries.len() as u32;
        self.entries.push(entry);
        let entries = &self.entries;
        self.table
            .insert_unique(hash, index, |&i| entries[i as usize].hash);
    }
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
                (&record.title, &record.artist_name, record.duration)
            {
                // Records come in the total order, so the first kept is the first that matches.
                catalog.matches.add_first(
                    (title, artist_name, match_bits(duration)),
                    (record.song_id.as_deref(), record.artist_id.as_deref()),
                );
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
        let entry = self
            .matches
            .get((title, artist_name, match_bits(duration)))?;
        let [_, _, song_id, artist_id] = entry.texts(&self.matches.text);
        Some((song_id, artist_id))
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
