//! The standing equivalence test of the parser: the fast path ([`super::scan`]) and serde_json
//! alone judge every record alike — accepted or refused, the same values, the same bad records
//! — and an object decodes the same whole and fed in chunks of any size from one byte.
//! (A test module: over 400 lines because its mutation classes belong together.)
//!
//! Records are mutations of real-shaped song and event records across the classes a
//! differential run of the three load routes found worth trying: escapes of every kind, raw
//! control characters and non-UTF-8 bytes anywhere, long keys and strings, white space
//! between tokens, many spellings of each number, null / missing / `""`, keys twice or
//! escaped, nested values, BOMs, CRLF, blank lines and two objects on one line.

use proptest::prelude::*;
use proptest::sample::Index;

use super::fields::Fields;
use super::{decode_object, scan, ObjectDecoder, RawJson, Record, RecordFamily};
use crate::model::{EventRecord, SongRecord};

/// Records per generated object, and objects per case (one log object, one song object):
/// 1,000 cases make the 100,000 records per run the test promises.
const RECORDS_PER_OBJECT: usize = 50;
const CASES: u32 = 1_000;

const EVENTS: &[&str] = &[
    r#"{"artist":"Harmonia","auth":"Logged In","firstName":"Ryan","gender":"M","itemInSession":0,"lastName":"Smith","length":655.77751,"level":"free","location":"San Jose-Sunnyvale-Santa Clara, CA","method":"PUT","page":"NextSong","registration":1541016707796.0,"sessionId":583,"song":"Sehr kosmisch","status":200,"ts":1542241826796,"userAgent":"\"Mozilla\/5.0 (X11; Linux x86_64)\"","userId":"26"}"#,
    r#"{"artist":null,"auth":"Logged Out","firstName":null,"gender":null,"itemInSession":0,"lastName":null,"length":null,"level":"free","location":null,"method":"GET","page":"Home","registration":null,"sessionId":52,"song":null,"status":200,"ts":1541207073796,"userAgent":null,"userId":""}"#,
    r#"{"artist":"Beyonc\u00e9 & \"Friends\"","auth":"Logged In","firstName":"D\u00e4n\u00e0","gender":"F","itemInSession":12,"lastName":"O'Neil","length":223.60771,"level":"paid","location":"Lansing-East Lansing, MI","method":"PUT","page":"NextSong","registration":1540919166796.0,"sessionId":1079,"song":"Caf\u00c3\u0083\u00c2\u00a9 \ud83c\udfb5","status":200,"ts":1543103174796,"userAgent":"\"Mozilla\/5.0 (Windows NT 6.1; WOW64)\"","userId":"40"}"#,
];

const SONGS: &[&str] = &[
    r#"{"num_songs": 1, "artist_id": "ARJIE2Y1187B994AB7", "artist_latitude": null, "artist_longitude": null, "artist_location": "", "artist_name": "Line Renard", "song_id": "SOUPIRU12A6D4FA1E1", "title": "Der Kleine Vogel", "duration": 152.92036, "year": 0}"#,
    r#"{"artist_id":"ARMJAGH1187FB546F3","artist_latitude":35.14968,"artist_location":"Memphis, TN","artist_longitude":-90.04892,"artist_name":112,"duration":215.50975,"num_songs":1,"song_id":"SOBNYVR12A8C135A87","title":"It's \"Quoted\" \\ back \/ \u00e9","year":1995}"#,
];

/// Keys the records hold or could: every field a record type reads, and some it ignores.
fn keys() -> Vec<&'static str> {
    let ignored = ["num_songs", "status", "method", "auth", "registration"];
    EventRecord::FIELDS
        .iter()
        .chain(SongRecord::FIELDS)
        .copied()
        .chain(ignored)
        .collect()
}

/// One change to a record's text.
#[derive(Debug, Clone)]
enum Mutation {
    /// The value of a key becomes this JSON text (added when the key is missing).
    Set(String, Vec<u8>),
    Remove(&'static str),
    /// The key is written a second time, with this value.
    Twice(&'static str, Vec<u8>),
    /// One character of the key is written as a `\u` escape.
    EscapeKey(&'static str),
    /// Bytes put in at a place in the text.
    Insert(Index, Vec<u8>),
    Delete(Index),
    Cut(Index),
    /// White space after every `,` and `:` outside strings, as pretty printers write.
    Spaced(Vec<u8>),
}

/// The length of a long key or string: up to 70 KB, the longest rarely (they are costly to
/// read a byte at a time).
fn long() -> impl Strategy<Value = usize> {
    prop_oneof![100 => 10usize..200, 20 => 200usize..5_000, 1 => 60_000usize..70_000]
}

fn white_space() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(prop::sample::select(b" \t\r\n".to_vec()), 1..4)
}

/// A number as JSON or not quite: signs, leading zeros, fractions and exponents at and past
/// every limit the coercion has.
fn number() -> impl Strategy<Value = String> {
    let sign = prop::sample::select(vec!["", "", "-", "+"]);
    let int = prop_oneof![
        prop::sample::select(vec![
            "0",
            "00",
            "01",
            "1",
            "39",
            "2147483647",
            "2147483648",
            "-2147483648",
            "9223372036854775807",
            "9223372036854775808",
            "1542241826796",
            "340282366920938463463374607431768211456",
        ])
        .prop_map(str::to_string),
        "[0-9]{1,25}",
        Just(String::new()),
    ];
    let fraction = prop::sample::select(vec![
        "",
        "",
        "",
        ".",
        ".0",
        ".5",
        ".50",
        ".0000000000000001",
        ".77751",
        ".000",
    ]);
    let exponent = prop::sample::select(vec![
        "",
        "",
        "",
        "e",
        "e2",
        "E+2",
        "e-2",
        "e0",
        "e308",
        "e309",
        "e-307",
        "e-308",
        "e-324",
        "e-400",
        "e1073741822",
        "e1073741823",
        "e-1073741823",
        "e-1073741824",
        "e99999999999",
        "E-0",
    ]);
    (sign, int, fraction, exponent).prop_map(|(s, i, f, e)| format!("{s}{i}{f}{e}"))
}

/// A piece of string content: plain text, escapes of every class, raw bytes JSON refuses.
fn string_piece() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        6 => "[a-zA-Z0-9 ,.'&;-]{0,12}".prop_map(String::into_bytes),
        2 => prop::sample::select(vec![
            "é", "日本", "🎵", "\\\"", "\\\\", "\\/", "\\b", "\\f", "\\n", "\\r", "\\t",
            "\\u00e9", "\\u00E9", "\\ud83c\\udfb5", "\\u0041", "\\u001f", "\\u007f",
            "\\u0000", "\\ud800", "\\udc00", "\\ud800x", "\\ud83c\\u0041", "\\x", "\\u12",
            "\\uZZZZ", "\\", " -7 ", "218.93179", "2.1e2", "nan", "inf", "1_000", "٣",
        ])
        .prop_map(|s| s.as_bytes().to_vec()),
        1 => (0u8..0x20).prop_map(|c| vec![c]),
        1 => prop::sample::select(vec![
            vec![0x80], vec![0xff], vec![0xc3], vec![0xe6, 0x97], vec![0xed, 0xa0, 0x80],
            vec![0xf4, 0x90, 0x80, 0x80], vec![0xc0, 0xaf],
        ]),
    ]
}

/// A JSON value's text, or something near one.
fn value() -> impl Strategy<Value = Vec<u8>> {
    let string = prop::collection::vec(string_piece(), 0..4).prop_map(|pieces| {
        let mut text = vec![b'"'];
        text.extend(pieces.concat());
        text.push(b'"');
        text
    });
    prop_oneof![
        4 => number().prop_map(String::into_bytes),
        4 => string,
        1 => number().prop_map(|n| format!("\"{n}\"").into_bytes()),
        1 => prop::sample::select(vec![
            "null", "true", "false", "\"\"", "\" \"", "\"\\t\"", "tru", "nul", "NaN",
            "Infinity", "-Infinity", "{}", "[]", "{\"a\":1}", "[1,2]", "[\"x\"]",
            "{\"a\":{\"b\":[null]}}", "\"x\" \"y\"", "",
        ])
        .prop_map(|s| s.as_bytes().to_vec()),
        // Long strings: serde_json and the fast path must agree past any buffer size.
        1 => long().prop_map(|n| format!("\"{}\"", "x".repeat(n)).into_bytes()),
    ]
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let key = || prop::sample::select(keys());
    prop_oneof![
        6 => (key(), value()).prop_map(|(k, v)| Mutation::Set(k.to_string(), v)),
        2 => key().prop_map(Mutation::Remove),
        1 => (key(), value()).prop_map(|(k, v)| Mutation::Twice(k, v)),
        1 => key().prop_map(Mutation::EscapeKey),
        3 => (any::<Index>(), prop::collection::vec(string_piece(), 1..3))
            .prop_map(|(at, bytes)| Mutation::Insert(at, bytes.concat())),
        1 => (any::<Index>(), white_space()).prop_map(|(at, bytes)| Mutation::Insert(at, bytes)),
        1 => any::<Index>().prop_map(Mutation::Delete),
        1 => any::<Index>().prop_map(Mutation::Cut),
        1 => white_space().prop_map(Mutation::Spaced),
        1 => long().prop_map(|n| Mutation::Set(format!("k{}", "y".repeat(n)), b"1".to_vec())),
    ]
}

/// Where the value of `key` lies in `text`, when the key is there as written.
fn value_span(text: &[u8], key: &str) -> Option<(usize, usize)> {
    let quoted = format!("\"{key}\"");
    let at = memchr::memmem::find(text, quoted.as_bytes())?;
    let mut start = at + quoted.len();
    while text.get(start).is_some_and(|c| matches!(c, b' ' | b':')) {
        start += 1;
    }
    // The value ends at the next `,` or `}` outside a string.
    let mut in_string = false;
    let mut i = start;
    while i < text.len() {
        match text[i] {
            b'\\' if in_string => i += 1,
            b'"' => in_string = !in_string,
            b',' | b'}' if !in_string => return Some((start, i)),
            _ => {}
        }
        i += 1;
    }
    None
}

fn apply(text: &mut Vec<u8>, mutation: &Mutation) {
    match mutation {
        Mutation::Set(key, value) => match value_span(text, key.as_str()) {
            Some((start, end)) => {
                text.splice(start..end, value.iter().copied());
            }
            None => {
                let field = [format!(",\"{key}\":").as_bytes(), value].concat();
                let close = text.iter().rposition(|&c| c == b'}').unwrap_or(text.len());
                text.splice(close..close, field);
            }
        },
        Mutation::Remove(key) => {
            let quoted = format!("\"{key}\"");
            if let (Some(at), Some((_, end))) = (
                memchr::memmem::find(text, quoted.as_bytes()),
                value_span(text, key),
            ) {
                let end = if text.get(end) == Some(&b',') {
                    end + 1
                } else {
                    end
                };
                text.drain(at..end);
            }
        }
        Mutation::Twice(key, value) => {
            let field = [format!("\"{key}\":").as_bytes(), value, b","].concat();
            let open = text.iter().position(|&c| c == b'{').map_or(0, |at| at + 1);
            text.splice(open..open, field);
        }
        Mutation::EscapeKey(key) => {
            let quoted = format!("\"{key}\"");
            if let Some(at) = memchr::memmem::find(text, quoted.as_bytes()) {
                let escape = format!("\\u{:04x}", key.as_bytes()[0]);
                text.splice(at + 1..at + 2, escape.into_bytes());
            }
        }
        Mutation::Insert(at, bytes) => {
            let at = at.index(text.len() + 1);
            text.splice(at..at, bytes.iter().copied());
        }
        Mutation::Delete(at) if !text.is_empty() => {
            text.remove(at.index(text.len()));
        }
        Mutation::Delete(_) => {}
        Mutation::Cut(at) => text.truncate(at.index(text.len() + 1)),
        Mutation::Spaced(space) => {
            let mut spaced = Vec::with_capacity(text.len() * 2);
            let mut in_string = false;
            let mut escaped = false;
            for &c in text.iter() {
                spaced.push(c);
                match c {
                    _ if escaped => escaped = false,
                    b'\\' if in_string => escaped = true,
                    b'"' => in_string = !in_string,
                    b',' | b':' | b'{' if !in_string => spaced.extend_from_slice(space),
                    _ => {}
                }
            }
            *text = spaced;
        }
    }
}

/// One record: a base record, most often changed once, sometimes more or not at all.
fn record(bases: &'static [&'static str]) -> impl Strategy<Value = Vec<u8>> {
    (
        prop::sample::select(bases),
        prop::collection::vec(mutation(), 0..3),
    )
        .prop_map(|(base, mutations)| {
            let mut text = base.as_bytes().to_vec();
            for mutation in &mutations {
                apply(&mut text, mutation);
            }
            text
        })
}

/// An object: records joined as objects in the wild join them.
fn object(bases: &'static [&'static str]) -> impl Strategy<Value = (Vec<Vec<u8>>, Vec<u8>)> {
    let separator = prop_oneof![
        8 => Just(&b"\n"[..]),
        2 => Just(&b"\r\n"[..]),
        1 => Just(&b" "[..]),
        1 => Just(&b""[..]),
        1 => Just(&b"\n\n"[..]),
        1 => Just(&b"\r\n \t\r\n"[..]),
    ];
    (
        prop::collection::vec((record(bases), separator), RECORDS_PER_OBJECT),
        prop::bool::weighted(0.1),
        prop::bool::ANY,
    )
        .prop_map(|(records, bom, newline_at_end)| {
            let mut text = if bom {
                b"\xEF\xBB\xBF".to_vec()
            } else {
                Vec::new()
            };
            let last = records.len() - 1;
            let mut texts = Vec::with_capacity(records.len());
            for (i, (record, separator)) in records.into_iter().enumerate() {
                text.extend_from_slice(&record);
                if i < last || newline_at_end {
                    text.extend_from_slice(separator);
                }
                texts.push(record);
            }
            (texts, text)
        })
}

/// Chunk sizes: every size from one byte, small ones often (they cut every token).
fn chunk_size() -> impl Strategy<Value = usize> {
    prop_oneof![1usize..=16, 17usize..=512, 513usize..=70_000]
}

/// What decoding found, as text: doubles compare by their exact digits (so `-0.0` is not
/// `0.0`), bad records by key, line, reason and text.
fn judged<R: std::fmt::Debug>(decoded: &super::Decoded<R>) -> String {
    format!("{decoded:?}")
}

/// The fast path and serde_json agree on one record: where the fast path reads it, serde_json
/// reads the same fields and the same end.
fn scanner_agrees<F: RecordFamily>(record: &[u8]) -> Result<(), TestCaseError> {
    let Ok(text) = std::str::from_utf8(record) else {
        return Ok(());
    };
    let Some((fields, end)) = scan::record::<F::Of<'_>>(text, 0) else {
        return Ok(());
    };
    let mut stream = serde_json::Deserializer::from_str(text).into_iter::<Fields<'_, F::Of<'_>>>();
    let by_serde = stream.next();
    prop_assert!(
        matches!(by_serde, Some(Ok(_))),
        "the fast path read what serde_json refuses: {text:?}"
    );
    let Some(Ok(by_serde)) = by_serde else {
        unreachable!()
    };
    prop_assert_eq!(fields.slots(), by_serde.slots(), "{:?}", text);
    prop_assert_eq!(end, stream.byte_offset(), "{:?}", text);
    Ok(())
}

/// Every way of reading one object gives the same records and bad records.
fn every_reading_agrees<F: RecordFamily + std::fmt::Debug>(
    records: &[Vec<u8>],
    bytes: &[u8],
    chunk: usize,
) -> Result<(), TestCaseError> {
    for record in records {
        scanner_agrees::<F>(record)?;
    }
    let whole = judged(&decode_object::<F::Of<'_>>("k.json", bytes).into_owned::<F>());
    let decoder = || ObjectDecoder::<F>::new("k.json");
    let serde_only = judged(&decoder().serde_only().decode_in_chunks(bytes, bytes.len()));
    prop_assert_eq!(
        &whole,
        &serde_only,
        "fast path vs serde_json: {:?}",
        String::from_utf8_lossy(bytes)
    );
    // A record is read again each time a chunk adds to it (production chunks are 64 KiB or
    // more): objects with a 70 KB record take chunks of at least a 32nd of their size.
    let chunk = if bytes.len() > 65_536 {
        chunk.max(bytes.len() / 32)
    } else {
        chunk
    };
    let chunked = judged(&decoder().decode_in_chunks(bytes, chunk));
    prop_assert_eq!(
        &whole,
        &chunked,
        "whole vs chunks of {}: {:?}",
        chunk,
        String::from_utf8_lossy(bytes)
    );
    // Copy mode's splitter cuts the same records whole and in chunks.
    let raw_whole = judged(&decode_object::<RawJson>("k.json", bytes));
    let raw_chunked =
        judged(&ObjectDecoder::<RawJson>::new("k.json").decode_in_chunks(bytes, chunk));
    prop_assert_eq!(raw_whole, raw_chunked, "raw, chunks of {}", chunk);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: CASES,
        failure_persistence: None,
        max_shrink_iters: 2_000,
        ..ProptestConfig::default()
    })]

    #[test]
    fn fast_path_serde_json_and_chunks_judge_every_record_alike(
        (events, event_bytes) in object(EVENTS),
        (songs, song_bytes) in object(SONGS),
        chunk in chunk_size(),
    ) {
        every_reading_agrees::<EventRecord<'static>>(&events, &event_bytes, chunk)?;
        every_reading_agrees::<SongRecord>(&songs, &song_bytes, chunk)?;
    }
}
