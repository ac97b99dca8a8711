//! Event records: the fields of a log line that a rule uses, and their column types.

use super::coerce::{double, int32, int64, text, Raw};
use super::{Record, RecordFamily, Refusal};
use crate::model::{EventRecord, Timestamp};

/// Event records borrow their text from the bytes they were decoded from.
impl<'a> Record<'a> for EventRecord<'a> {
    const FIELDS: &'static [&'static str] = &[
        "artist",
        "firstName",
        "gender",
        "itemInSession",
        "lastName",
        "length",
        "level",
        "location",
        "page",
        "sessionId",
        "song",
        "ts",
        "userAgent",
        "userId",
    ];

    fn coerce(f: &[Raw<'a>], _record: &'a [u8]) -> Result<Self, Refusal> {
        let ts = int64("ts", f[11])?.ok_or(Refusal::Required {
            field: "ts",
            absent: "missing, null or empty",
        })?;
        let start_time = Timestamp::from_epoch_millis(ts).ok_or_else(|| Refusal::OutOfRange {
            field: "ts",
            value: ts.to_string(),
            column: "timestamp",
        })?;
        Ok(EventRecord {
            artist: text("artist", f[0])?,
            first_name: text("firstName", f[1])?,
            gender: text("gender", f[2])?,
            item_in_session: int32("itemInSession", f[3])?,
            last_name: text("lastName", f[4])?,
            length: double("length", f[5])?,
            level: text("level", f[6])?,
            location: text("location", f[7])?,
            page: text("page", f[8])?.ok_or(Refusal::Required {
                field: "page",
                absent: "missing or null",
            })?,
            session_id: int32("sessionId", f[9])?,
            song: text("song", f[10])?,
            start_time,
            user_agent: text("userAgent", f[12])?,
            user_id: int32("userId", f[13])?,
        })
    }

    fn texts(&self) -> impl Iterator<Item = (&'static str, &str)> {
        [
            ("artist", self.artist.as_deref()),
            ("firstName", self.first_name.as_deref()),
            ("gender", self.gender.as_deref()),
            ("lastName", self.last_name.as_deref()),
            ("level", self.level.as_deref()),
            ("location", self.location.as_deref()),
            ("page", Some(&*self.page)),
            ("song", self.song.as_deref()),
            ("userAgent", self.user_agent.as_deref()),
        ]
        .into_iter()
        .filter_map(|(field, text)| Some((field, text?)))
    }

    fn doubles(&self) -> impl Iterator<Item = (&'static str, f64)> {
        self.length.map(|length| ("length", length)).into_iter()
    }
}

impl RecordFamily for EventRecord<'static> {
    type Of<'a> = EventRecord<'a>;

    fn into_owned(record: EventRecord<'_>) -> EventRecord<'static> {
        record.into_owned()
    }
}

#[cfg(test)]
mod tests {
    use crate::model::{EventRecord, Timestamp};
    use crate::parse::{decode_object, decode_object_within, BadRecord, Bounds, ObjectDecoder};

    const PLAY: &str = r#"{"artist":"Harmonia","auth":"Logged In","firstName":"Ryan","gender":"M","itemInSession":0,"lastName":"Smith","length":655.77751,"level":"free","location":"San Jose-Sunnyvale-Santa Clara, CA","method":"PUT","page":"NextSong","registration":1541016707796.0,"sessionId":583,"song":"Sehr kosmisch","status":200,"ts":1542241826796,"userAgent":"\"Mozilla\/5.0 (X11; Linux x86_64)\"","userId":"26"}"#;

    fn decode(text: &str) -> (Vec<(u32, EventRecord<'static>)>, Vec<BadRecord>) {
        let decoded = decode_object::<EventRecord>("log_data/x.json", text.as_bytes())
            .into_owned::<EventRecord<'static>>();
        (decoded.records, decoded.bad)
    }

    fn text_bytes(limit: usize) -> Bounds {
        Bounds {
            text_bytes: Some(limit),
            normal_doubles: false,
        }
    }

    #[test]
    fn text_longer_than_a_bounded_target_holds_is_a_bad_record() {
        let long = "é".repeat(40);
        let line = PLAY.replace("Sehr kosmisch", &long);
        let decoded =
            decode_object_within::<EventRecord>("k.json", line.as_bytes(), text_bytes(79));
        assert!(decoded.records.is_empty());
        assert_eq!(
            decoded.bad[0].reason,
            "song: 80 bytes of text, more than the target's VARCHAR(79) holds"
        );
        assert_eq!(decoded.bad[0].raw, line);
        let fits = decode_object_within::<EventRecord>("k.json", line.as_bytes(), text_bytes(80));
        assert_eq!(fits.records.len(), 1);
    }

    /// Redshift's DOUBLE PRECISION holds no subnormal: there such a length makes the record
    /// bad, while the smallest normal double, zero and -0 load (docs/SPEC-DECISIONS.md).
    #[test]
    fn a_subnormal_double_is_a_bad_record_where_the_target_holds_none() {
        let redshift = Bounds {
            text_bytes: None,
            normal_doubles: true,
        };
        for (length, fits_redshift) in [
            ("5e-324", false),
            ("-2.2250738585072e-308", false),
            ("2.2250738585072014e-308", true),
            ("0", true),
            ("-0.0", true),
            ("1e-400", false),
        ] {
            let line = PLAY.replace("655.77751", length);
            let on_postgres = decode(&line);
            let on_redshift =
                decode_object_within::<EventRecord>("k.json", line.as_bytes(), redshift);
            // 1e-400 rounds to zero: PostgreSQL's float8 refuses it, so both do.
            let fits_postgres = length != "1e-400";
            assert_eq!(on_postgres.0.len(), usize::from(fits_postgres), "{length}");
            assert_eq!(
                on_redshift.records.len(),
                usize::from(fits_redshift),
                "{length}"
            );
            if !fits_redshift && fits_postgres {
                assert!(
                    on_redshift.bad[0].reason.starts_with("length: ")
                        && on_redshift.bad[0].reason.ends_with(
                            "is below the smallest normal double, which Redshift's DOUBLE \
                             PRECISION does not hold"
                        ),
                    "{}",
                    on_redshift.bad[0].reason
                );
            }
        }
    }

    #[test]
    fn decodes_a_classic_event() {
        let (records, bad) = decode(PLAY);
        assert!(bad.is_empty(), "{bad:?}");
        let event = &records[0].1;
        assert_eq!(event.user_id, Some(26));
        assert_eq!(event.session_id, Some(583));
        assert_eq!(event.length, Some(655.77751));
        assert_eq!(
            event.user_agent.as_deref(),
            Some("\"Mozilla/5.0 (X11; Linux x86_64)\"")
        );
        assert_eq!(
            event.start_time,
            Timestamp::from_epoch_millis(1_542_241_826_796).unwrap()
        );
    }

    #[test]
    fn object_formats_and_line_numbers() {
        let pretty = PLAY.replace(",\"", ",\r\n  \"");
        let text = format!("\u{feff}{PLAY}\r\n\r\n{pretty}{PLAY}  {PLAY}\n\n{PLAY}");
        let (records, bad) = decode(&text);
        assert!(bad.is_empty(), "{bad:?}");
        let lines: Vec<u32> = records.iter().map(|(line, _)| *line).collect();
        assert_eq!(lines, vec![1, 3, 20, 20, 22]);
        assert!(records.iter().all(|(_, e)| e.user_id == Some(26)));
    }

    #[test]
    fn empty_objects_hold_nothing() {
        for text in ["", "  \r\n\t", "\u{feff}"] {
            let (records, bad) = decode(text);
            assert!(records.is_empty() && bad.is_empty());
        }
    }

    #[test]
    fn logged_out_user_id_is_null() {
        let (records, _) = decode(&PLAY.replace(r#""userId":"26""#, r#""userId":"""#));
        assert_eq!(records[0].1.user_id, None);
    }

    #[test]
    fn unparseable_record_is_cut_at_its_failing_line_and_reading_resumes() {
        let text =
            format!("{PLAY}\n{{\"ts\": 1,\n \"page\": oops,\n \"x\": 1}}\n{PLAY}\n{{\"cut\": ");
        let (records, bad) = decode(&text);
        assert_eq!(records.iter().map(|r| r.0).collect::<Vec<_>>(), vec![1, 5]);
        let found: Vec<(u64, &str)> = bad.iter().map(|b| (b.line, b.raw.as_str())).collect();
        // Resuming on line 4 finds ` "x": 1}`: a string, then text that is not JSON.
        assert_eq!(
            found,
            vec![
                (2, "{\"ts\": 1,\n \"page\": oops,"),
                (4, "\"x\""),
                (4, ": 1}"),
                (6, "{\"cut\":")
            ]
        );
        assert!(
            bad[0].reason.starts_with("invalid JSON"),
            "{}",
            bad[0].reason
        );
        assert!(
            bad[1].reason.contains("a string, not a JSON object"),
            "{}",
            bad[1].reason
        );
    }

    #[test]
    fn a_line_feed_that_breaks_a_string_ends_the_bad_record_with_its_line() {
        for newline in ["\n", "\r\n"] {
            // The user id's string is cut by a raw line break; the rest of the record is on
            // the next line (a number, then half a string: two more bad records), and a good
            // play on the line after it.
            let broken = PLAY.replacen(
                r#""userId":"26""#,
                &format!("\"userId\":\"2{newline}6\""),
                1,
            );
            let text = [PLAY, &broken, PLAY, &broken, PLAY].join(newline);
            let (records, bad) = decode(&text);
            let lines: Vec<u32> = records.iter().map(|r| r.0).collect();
            assert_eq!(lines, vec![1, 4, 7], "{newline:?}");
            let found: Vec<(u64, &str)> = bad.iter().map(|b| (b.line, b.raw.as_str())).collect();
            let head = &broken[..broken.find(newline).unwrap()];
            assert_eq!(
                found,
                vec![
                    (2, head),
                    (3, "6"),
                    (3, "\"}"),
                    (5, head),
                    (6, "6"),
                    (6, "\"}")
                ],
                "{newline:?}"
            );
            assert!(
                bad[0].reason.contains("control character"),
                "{}",
                bad[0].reason
            );
        }
    }

    #[test]
    fn a_raw_control_character_in_a_key_makes_the_record_bad() {
        for control in ['\u{0}', '\t', '\r', '\u{1f}'] {
            for key in ["a{c}b", "first{c}Name"] {
                let key = key.replace("{c}", &control.to_string());
                let record = PLAY.replacen(r#""auth""#, &format!("\"{key}\""), 1);
                assert!(record.contains(control), "{record:?}");
                let (records, bad) = decode(&format!("{PLAY}\n{record}\n{PLAY}"));
                assert_eq!(records.iter().map(|r| r.0).collect::<Vec<_>>(), vec![1, 3]);
                assert_eq!(bad.len(), 1, "{key:?}");
                assert_eq!((bad[0].line, bad[0].raw.as_str()), (2, record.as_str()));
                assert!(
                    bad[0].reason.contains("control character"),
                    "{}",
                    bad[0].reason
                );
            }
        }
        // A line feed in a key ends the record there, as in a value.
        let record = PLAY.replacen(r#""auth""#, "\"au\nth\"", 1);
        let (records, bad) = decode(&format!("{record}\n{PLAY}"));
        assert_eq!(records.iter().map(|r| r.0).collect::<Vec<_>>(), vec![3]);
        let found: Vec<u64> = bad.iter().map(|b| b.line).collect();
        assert_eq!(found, vec![1, 2]);
        assert_eq!(bad[0].raw, &record[..record.find('\n').unwrap()]);
    }

    #[test]
    fn semantic_faults_reject_the_whole_record() {
        let cases = [
            (
                PLAY.replace(r#""ts":1542241826796"#, r#""ts":null"#),
                "ts: missing",
            ),
            (
                PLAY.replace(r#""ts":1542241826796"#, r#""ts":"""#),
                "ts: missing",
            ),
            (PLAY.replace(r#""ts":1542241826796,"#, ""), "ts: missing"),
            (PLAY.replace(r#""page":"NextSong","#, ""), "page: missing"),
            (
                PLAY.replace(r#""sessionId":583"#, r#""sessionId":"x""#),
                "sessionId",
            ),
            (
                PLAY.replace(r#""sessionId":583"#, r#""sessionId":5e9"#),
                "sessionId",
            ),
            (
                PLAY.replace(r#""sessionId":583"#, r#""sessionId":[583]"#),
                "an array",
            ),
            (
                PLAY.replace(r#""status":200"#, r#""status":200,"song":"again""#),
                "appears twice",
            ),
            (
                PLAY.replace(r#""status":200"#, r#""status":200,"status":1"#),
                "appears twice",
            ),
            (PLAY.replace("Harmonia", "Harm\\u0000onia"), "\\u0000"),
            (PLAY.replace("Ryan", "Ry\\ud800an"), "surrogate"),
            (PLAY.replace("\"method\"", "\"meth\\udc00od\""), "surrogate"),
            (PLAY.replace("\"Logged In\"", "\"\\ud83d\""), "surrogate"),
            (
                PLAY.replace(r#""ts":1542241826796"#, r#""ts":9223372036854775807"#),
                "out of range",
            ),
            ("[1, 2]".to_string(), "an array, not a JSON object"),
            ("\"text\"".to_string(), "a string, not a JSON object"),
        ];
        for (text, reason) in cases {
            let multi_line = text.replace(",\"", ",\n\"");
            let (records, bad) = decode(&format!("{multi_line}\n{PLAY}"));
            assert_eq!(bad.len(), 1, "{text}: {bad:?}");
            assert!(bad[0].reason.contains(reason), "{text}: {}", bad[0].reason);
            assert_eq!(bad[0].raw, multi_line);
            assert_eq!(bad[0].line, 1);
            assert_eq!(records.len(), 1, "{text}");
        }
    }

    #[test]
    fn decoding_in_chunks_of_any_size_equals_decoding_whole() {
        let pretty = PLAY.replace(",\"", ",\r\n  \"");
        let texts = [
            format!("\u{feff}{PLAY}\r\n{pretty}{PLAY}  {PLAY}\n\n{PLAY}"),
            format!("{PLAY}\n{{\"ts\": 1,\n \"page\": oops,\n \"x\": 1}}\n{PLAY}\n[1, 2]\n42 \"s\"\n{{\"cut\": "),
            format!("{PLAY}\n{}\n", PLAY.replace("Ryan", "Ry\\ud800an")),
            // Chunks that end inside a multi-byte character.
            format!("{}\n{PLAY}", PLAY.replace("Ryan", "Ry\u{e9}an \u{1F600}")),
        ];
        for text in &texts {
            let whole = decode_object::<EventRecord>("k", text.as_bytes());
            for size in [1, 2, 3, 5, 7, 64, 300, 4096] {
                let decoder = ObjectDecoder::<EventRecord>::new("k");
                let chunked = decoder.decode_in_chunks(text.as_bytes(), size);
                assert_eq!(chunked.records, whole.records, "chunks of {size}");
                assert_eq!(chunked.bad, whole.bad, "chunks of {size}");
            }
        }
    }

    #[test]
    fn legal_oddities_load() {
        let emoji = PLAY.replace("Ryan", "\\ud83d\\ude00 \\\\u0000 Ry\u{e9}an");
        let (records, bad) = decode(&emoji);
        assert!(bad.is_empty(), "{bad:?}");
        assert_eq!(
            records[0].1.first_name.as_deref(),
            Some("\u{1F600} \\u0000 Ry\u{e9}an")
        );
        let ignored = PLAY.replace(
            r#""status":200"#,
            r#""status":{"a":[1,{"b":null}]},"Song":"other""#,
        );
        let (records, bad) = decode(&ignored);
        assert!(bad.is_empty(), "{bad:?}");
        assert_eq!(records[0].1.song.as_deref(), Some("Sehr kosmisch"));
    }
}
