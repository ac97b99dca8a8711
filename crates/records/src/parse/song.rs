//! Song records: the fields of a song object and their column types.

use super::coerce::{double, int32, owned_text, Raw};
use super::{Record, RecordFamily, Refusal};
use crate::model::SongRecord;

/// Song records own their text: they are few and small, and the catalog keeps them
/// past the object they came from.
impl Record<'_> for SongRecord {
    const FIELDS: &'static [&'static str] = &[
        "song_id",
        "title",
        "artist_id",
        "artist_name",
        "artist_location",
        "artist_latitude",
        "artist_longitude",
        "duration",
        "year",
    ];

    fn coerce(f: &[Raw<'_>], _record: &[u8]) -> Result<Self, Refusal> {
        Ok(SongRecord {
            song_id: owned_text("song_id", f[0])?,
            title: owned_text("title", f[1])?,
            artist_id: owned_text("artist_id", f[2])?,
            artist_name: owned_text("artist_name", f[3])?,
            artist_location: owned_text("artist_location", f[4])?,
            artist_latitude: double("artist_latitude", f[5])?,
            artist_longitude: double("artist_longitude", f[6])?,
            duration: double("duration", f[7])?,
            year: int32("year", f[8])?,
        })
    }

    fn texts(&self) -> impl Iterator<Item = (&'static str, &str)> {
        [
            ("song_id", &self.song_id),
            ("title", &self.title),
            ("artist_id", &self.artist_id),
            ("artist_name", &self.artist_name),
            ("artist_location", &self.artist_location),
        ]
        .into_iter()
        .filter_map(|(field, text)| Some((field, text.as_deref()?)))
    }

    fn doubles(&self) -> impl Iterator<Item = (&'static str, f64)> {
        [
            ("artist_latitude", self.artist_latitude),
            ("artist_longitude", self.artist_longitude),
            ("duration", self.duration),
        ]
        .into_iter()
        .filter_map(|(field, value)| Some((field, value?)))
    }
}

impl RecordFamily for SongRecord {
    type Of<'a> = SongRecord;

    fn into_owned(record: SongRecord) -> SongRecord {
        record
    }
}

#[cfg(test)]
mod tests {
    use crate::model::SongRecord;
    use crate::parse::decode_object;

    #[test]
    fn decodes_a_classic_song_object() {
        let text = br#"{"num_songs": 1, "artist_id": "ARD7TVE1187B99BFB1", "artist_latitude": null, "artist_longitude": null, "artist_location": "California - LA", "artist_name": "Casual", "song_id": "SOMZWCG12A8C13C480", "title": "I Didn't Mean To", "duration": 218.93179, "year": 0}"#;
        let decoded = decode_object::<SongRecord>("song_data/A/A/A/x.json", text);
        assert!(decoded.bad.is_empty());
        assert_eq!(
            decoded.records,
            vec![(
                1,
                SongRecord {
                    song_id: Some("SOMZWCG12A8C13C480".into()),
                    title: Some("I Didn't Mean To".into()),
                    artist_id: Some("ARD7TVE1187B99BFB1".into()),
                    artist_name: Some("Casual".into()),
                    artist_location: Some("California - LA".into()),
                    artist_latitude: None,
                    artist_longitude: None,
                    duration: Some(218.93179),
                    year: Some(0),
                }
            )]
        );
    }

    #[test]
    fn number_artist_name_keeps_its_source_text() {
        let text = br#"{"song_id":"S1","artist_name":112,"artist_location":1.50,"year":"1999"}"#;
        let record = &decode_object::<SongRecord>("k", text).records[0].1;
        assert_eq!(record.artist_name.as_deref(), Some("112"));
        assert_eq!(record.artist_location.as_deref(), Some("1.50"));
        assert_eq!(record.year, Some(1999));
        assert_eq!(record.title, None);
    }
}
