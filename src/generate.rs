//! `gen-fixtures`: song and log trees in the real data's shapes, with every awkward
//! but legal case SPEC names, deterministic for a seed and fast at millions of events.

use std::fmt::Write as _;
use std::fs;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::error::Error;

/// What to generate.
#[derive(Debug, Clone)]
pub struct FixtureSpec {
    pub songs: usize,
    pub events: usize,
    pub seed: u64,
}

/// What was written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FixtureSummary {
    pub song_objects: usize,
    pub song_records: usize,
    pub log_objects: usize,
    pub events: usize,
    pub ignored_files: usize,
}

/// 2018-12-20 00:00:00 UTC: the days run across New Year, where ISO week 1 of 2019
/// starts on Monday 2018-12-31.
const FIRST_DAY_MILLIS: i64 = 1_545_264_000_000;
const DAY_MILLIS: i64 = 86_400_000;

const WORDS: &[&str] = &[
    "Love", "Night", "Blue", "Fire", "River", "Dream", "Heart", "Rain", "Gold", "Road", "Summer",
    "Ghost", "Light", "Stone", "Wild", "Sweet", "Dance", "Echo", "Silver", "Home",
];
/// Text that must load verbatim: quotes, backslashes, unicode, SQL, HTML entities.
const ODD_TEXT: &[&str] = &[
    "Don't Stop \"Believin'\"",
    "Back\\slash \\n not a newline",
    "Caf\u{e9} & cr\u{e8}me",
    "'); DROP TABLE songs;--",
    "\u{1F3B8} R\u{f6}ck \u{2665}",
    "Tab\there",
    "CafÃ\u{83}Â©",
    "1 OR 1=1",
];
const FIRST_NAMES: &[&str] = &[
    "Ryan", "Lily", "Jacob", "Chloe", "Tegan", "Kate", "Aleena", "Mohammad", "Jayden", "Ava",
];
const LAST_NAMES: &[&str] = &[
    "Smith",
    "Koch",
    "Klein",
    "Cuevas",
    "Levine",
    "Harrell",
    "Kirby",
    "Rodriguez",
    "Bell",
    "Robinson",
];
const LOCATIONS: &[&str] = &[
    "San Jose-Sunnyvale-Santa Clara, CA",
    "Chicago-Naperville-Elgin, IL-IN-WI",
    "New York-Newark-Jersey City, NY-NJ-PA",
    "Atlanta-Sandy Springs-Roswell, GA",
    "Lansing-East Lansing, MI",
    "Portland-South Portland, ME",
];
const ARTIST_LOCATIONS: &[&str] = &[
    "",
    "",
    "California - LA",
    "London, England",
    "Detroit, MI",
    "Hamburg, Germany",
];
/// userAgent values as the log objects hold them: JSON text with literal quotes.
const USER_AGENTS: &[&str] = &[
    r#""\"Mozilla\/5.0 (Windows NT 6.1; WOW64) AppleWebKit\/537.36 (KHTML, like Gecko) Chrome\/36.0.1985.143 Safari\/537.36\"""#,
    r#""\"Mozilla\/5.0 (Macintosh; Intel Mac OS X 10_9_4) AppleWebKit\/537.77.4 (KHTML, like Gecko) Version\/7.0.5 Safari\/537.77.4\"""#,
    r#""Mozilla\/5.0 (X11; Ubuntu; Linux x86_64; rv:31.0) Gecko\/20100101 Firefox\/31.0""#,
];
const OTHER_PAGES: &[&str] = &[
    "Home",
    "Settings",
    "About",
    "Help",
    "Downgrade",
    "Upgrade",
    "Save Settings",
];

/// One song as generated, kept for events to play.
struct Song {
    title: String,
    artist_name_json: String,
    duration_json: String,
}

struct User {
    id: u32,
    first: &'static str,
    last: &'static str,
    gender: &'static str,
    location: &'static str,
    agent: &'static str,
    registration: u64,
    paid: bool,
}

/// Writes `OUT/song_data/…` and `OUT/log_data/…`.
pub fn generate(out: &Path, spec: &FixtureSpec) -> Result<FixtureSummary, Error> {
    let io_err = |path: &Path| {
        let path = path.to_path_buf();
        move |source: io::Error| Error::Output {
            path: path.clone(),
            source,
        }
    };
    let mut rng = ChaCha8Rng::seed_from_u64(spec.seed);
    let mut summary = FixtureSummary::default();
    let songs = write_songs(&out.join("song_data"), spec.songs, &mut rng, &mut summary)
        .map_err(io_err(out))?;
    write_logs(
        &out.join("log_data"),
        spec.events,
        &songs,
        &mut rng,
        &mut summary,
    )
    .map_err(io_err(out))?;
    Ok(summary)
}

fn id(rng: &mut ChaCha8Rng, prefix: &str) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    let mut id = String::with_capacity(18);
    id.push_str(prefix);
    while id.len() < 18 {
        id.push(ALPHABET[rng.gen_range(0..ALPHABET.len())] as char);
    }
    id
}

fn json_string(text: &str) -> String {
    serde_json::to_string(text).expect("a string always serializes")
}

fn title(rng: &mut ChaCha8Rng) -> String {
    if rng.gen_bool(0.05) {
        return ODD_TEXT.choose(rng).unwrap().to_string();
    }
    let words = rng.gen_range(1..=3);
    (0..words)
        .map(|_| *WORDS.choose(rng).unwrap())
        .collect::<Vec<_>>()
        .join(" ")
}

fn write_songs(
    dir: &Path,
    count: usize,
    rng: &mut ChaCha8Rng,
    summary: &mut FixtureSummary,
) -> io::Result<Vec<Song>> {
    let artists: Vec<(String, String, String, String, String)> = (0..count.div_ceil(3).max(1))
        .map(|i| {
            let name = match i % 17 {
                // Numeric artist names occur in the real bucket; they load as their text.
                5 => format!("{}", 100 + i),
                9 => json_string(ODD_TEXT[i % ODD_TEXT.len()]),
                _ => json_string(&format!(
                    "{} {}",
                    WORDS[i % WORDS.len()],
                    LAST_NAMES[(i / 7) % LAST_NAMES.len()]
                )),
            };
            let (lat, lon) = if rng.gen_bool(0.4) {
                (
                    format!("{:.5}", rng.gen_range(-60.0..70.0)),
                    format!("{:.5}", rng.gen_range(-150.0..150.0)),
                )
            } else {
                ("null".to_string(), "null".to_string())
            };
            let location = if i % 23 == 4 {
                "42".to_string()
            } else {
                json_string(ARTIST_LOCATIONS.choose(rng).unwrap())
            };
            (id(rng, "AR"), name, location, lat, lon)
        })
        .collect();
    let mut songs = Vec::with_capacity(count);
    let mut previous_id: Option<String> = None;
    for i in 0..count {
        let artist = artists.choose(rng).unwrap();
        // Now and then a song id repeats with another title: the first record by the
        // total order gives the row.
        let song_id = match (&previous_id, i % 29 == 7) {
            (Some(previous), true) => previous.clone(),
            _ => id(rng, "SO"),
        };
        previous_id = Some(song_id.clone());
        let song = Song {
            title: title(rng),
            artist_name_json: artist.1.clone(),
            duration_json: format!("{:.5}", rng.gen_range(30.0..600.0)),
        };
        let year = if rng.gen_bool(0.4) {
            0
        } else {
            rng.gen_range(1955..2011)
        };
        let fields = [
            ("artist_id", json_string(&artist.0)),
            ("artist_latitude", artist.3.clone()),
            ("artist_location", artist.2.clone()),
            ("artist_longitude", artist.4.clone()),
            ("artist_name", song.artist_name_json.clone()),
            ("duration", song.duration_json.clone()),
            ("num_songs", "1".to_string()),
            ("song_id", json_string(&song_id)),
            ("title", json_string(&song.title)),
            ("year", year.to_string()),
        ];
        let mut text = render_object(&fields, i % 11 == 3, i % 2 == 0);
        if i % 13 == 5 {
            text.insert(0, '\u{feff}');
        }
        if i % 31 == 9 {
            text = text.replace('\n', "\r\n") + "\r\n";
        }
        let track = id(rng, "TR");
        let path = dir
            .join(&track[2..3])
            .join(&track[3..4])
            .join(&track[4..5])
            .join(format!("{track}.json"));
        fs::create_dir_all(path.parent().unwrap())?;
        summary.song_records += 1;
        if i % 37 == 11 && !songs.is_empty() {
            // Two records back to back in one object.
            let other: &Song = songs.choose(rng).unwrap();
            let twin = [
                ("song_id", json_string(&id(rng, "SO"))),
                ("title", json_string(&other.title)),
                ("artist_name", other.artist_name_json.clone()),
                ("duration", other.duration_json.clone()),
                ("year", "0".to_string()),
            ];
            text.push_str(&render_object(&twin, false, true));
            summary.song_records += 1;
        }
        fs::write(&path, text)?;
        summary.song_objects += 1;
        songs.push(song);
    }
    fs::create_dir_all(dir)?;
    fs::write(dir.join("empty.json"), "  \n")?;
    summary.song_objects += 1;
    for (name, text) in [
        ("_SUCCESS", ""),
        ("README.txt", "not data\n"),
        ("A/part-0.json.crc", "crc"),
    ] {
        let path = dir.join(name);
        fs::create_dir_all(path.parent().unwrap())?;
        fs::write(path, text)?;
        summary.ignored_files += 1;
    }
    Ok(songs)
}

/// A JSON object from (key, JSON text) pairs, on one line or pretty-printed, with its
/// keys sorted (as the bucket has them) or shuffled order kept as given.
fn render_object(fields: &[(&str, String)], pretty: bool, sorted: bool) -> String {
    let mut fields: Vec<&(&str, String)> = fields.iter().collect();
    if sorted {
        fields.sort_by_key(|(key, _)| *key);
    } else {
        fields.reverse();
    }
    let (open, sep, close) = if pretty {
        ("{\n    ", ",\n    ", "\n}\n")
    } else {
        ("{", ", ", "}")
    };
    let body: Vec<String> = fields
        .iter()
        .map(|(key, value)| format!("\"{key}\": {value}"))
        .collect();
    format!("{open}{}{close}", body.join(sep))
}

fn write_logs(
    dir: &Path,
    count: usize,
    songs: &[Song],
    rng: &mut ChaCha8Rng,
    summary: &mut FixtureSummary,
) -> io::Result<()> {
    let days = (count / 300).clamp(7, 365);
    let users: Vec<User> = (0..(count / 80).clamp(5, 100_000))
        .map(|i| User {
            id: i as u32 + 2,
            first: if i % 41 == 40 {
                ODD_TEXT[3]
            } else {
                FIRST_NAMES[i % FIRST_NAMES.len()]
            },
            last: LAST_NAMES[(i * 7 + 3) % LAST_NAMES.len()],
            gender: if i % 2 == 0 { "F" } else { "M" },
            location: LOCATIONS[i % LOCATIONS.len()],
            agent: USER_AGENTS[i % USER_AGENTS.len()],
            registration: 1_540_000_000_000 + i as u64 * 7_919_000,
            paid: i % 4 == 0,
        })
        .collect();
    let mut users = users;
    let mut session_id: u32 = 1;
    let mut written = 0;
    for day in 0..days {
        let in_day = (count - written) / (days - day);
        let day_start = FIRST_DAY_MILLIS + day as i64 * DAY_MILLIS;
        let date = day_name(day_start);
        let path: PathBuf = dir
            .join(&date[..4])
            .join(&date[5..7])
            .join(format!("{date}-events.json"));
        fs::create_dir_all(path.parent().unwrap())?;
        let mut out = BufWriter::new(fs::File::create(&path)?);
        let crlf = day % 5 == 2;
        if day == 1 {
            out.write_all("\u{feff}".as_bytes())?;
        }
        let mut ts = day_start + rng.gen_range(0..3_600_000);
        let step = (DAY_MILLIS - 3_600_000) / (in_day as i64 + 1);
        let mut line = String::with_capacity(512);
        let mut emitted = 0;
        while emitted < in_day {
            let user_index = rng.gen_range(0..users.len());
            let session_len = rng.gen_range(1..=12).min(in_day - emitted);
            let logged_out = rng.gen_bool(0.08);
            for item in 0..session_len {
                // A share of events share a millisecond: distinct times are fewer than plays.
                if !rng.gen_bool(0.02) {
                    ts += rng.gen_range(1..=step.max(2));
                }
                let user = &mut users[user_index];
                if rng.gen_bool(0.01) {
                    user.paid = !user.paid;
                }
                line.clear();
                event_line(
                    &mut line, rng, songs, user, logged_out, session_id, item, ts,
                );
                let pretty = emitted % 997 == 500;
                let text = if pretty {
                    line.replace(",\"", ",\n  \"")
                } else {
                    line.clone()
                };
                out.write_all(text.as_bytes())?;
                if rng.gen_bool(0.001) {
                    // The same line twice: two plays.
                    out.write_all(b"\n")?;
                    out.write_all(text.as_bytes())?;
                    summary.events += 1;
                }
                let last = emitted + 1 == in_day;
                if !(last && day % 3 == 1) {
                    out.write_all(if crlf { b"\r\n" } else { b"\n" })?;
                }
                emitted += 1;
            }
            session_id += 1;
        }
        out.flush()?;
        written += in_day;
        summary.events += in_day;
        summary.log_objects += 1;
    }
    fs::write(dir.join("_SUCCESS"), "")?;
    fs::write(dir.join("log_json_path.json.bak"), "{}")?;
    summary.ignored_files += 2;
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn event_line(
    line: &mut String,
    rng: &mut ChaCha8Rng,
    songs: &[Song],
    user: &User,
    logged_out: bool,
    session_id: u32,
    item: usize,
    ts: i64,
) {
    let next_song = !logged_out && rng.gen_bool(0.8);
    let page = if next_song {
        "NextSong"
    } else if logged_out {
        if rng.gen_bool(0.5) {
            "Home"
        } else {
            "Login"
        }
    } else {
        OTHER_PAGES.choose(rng).unwrap()
    };
    let (artist, song, length) = if next_song {
        if !songs.is_empty() && rng.gen_bool(0.6) {
            let s = songs.choose(rng).unwrap();
            (
                s.artist_name_json.clone(),
                json_string(&s.title),
                s.duration_json.clone(),
            )
        } else {
            let name = format!(
                "{} {}",
                WORDS.choose(rng).unwrap(),
                LAST_NAMES.choose(rng).unwrap()
            );
            (
                json_string(&name),
                json_string(&title(rng)),
                format!("{:.5}", rng.gen_range(30.0..600.0)),
            )
        }
    } else {
        ("null".into(), "null".into(), "null".into())
    };
    let level = if user.paid { "paid" } else { "free" };
    let (auth, first, gender, last, location, registration, agent, user_id) = if logged_out {
        (
            "\"Logged Out\"",
            "null".to_string(),
            "null",
            "null".to_string(),
            "null".to_string(),
            "null".to_string(),
            "null",
            "\"\"".to_string(),
        )
    } else {
        (
            "\"Logged In\"",
            json_string(user.first),
            if user.gender == "F" { "\"F\"" } else { "\"M\"" },
            json_string(user.last),
            json_string(user.location),
            format!("{}.0", user.registration),
            user.agent,
            // userId is a JSON string in the classic logs; a number now and then is legal.
            if item == 3 {
                user.id.to_string()
            } else {
                format!("\"{}\"", user.id)
            },
        )
    };
    let method = if next_song { "PUT" } else { "GET" };
    let status = if page == "Logout" { 307 } else { 200 };
    let _ = write!(
        line,
        "{{\"artist\":{artist},\"auth\":{auth},\"firstName\":{first},\"gender\":{gender},\
         \"itemInSession\":{item},\"lastName\":{last},\"length\":{length},\"level\":\"{level}\",\
         \"location\":{location},\"method\":\"{method}\",\"page\":\"{page}\",\
         \"registration\":{registration},\"sessionId\":{session_id},\"song\":{song},\
         \"status\":{status},\"ts\":{ts},\"userAgent\":{agent},\"userId\":{user_id}}}"
    );
}

/// `YYYY-MM-DD` of an epoch-milliseconds day start.
fn day_name(millis: i64) -> String {
    chrono::DateTime::from_timestamp_millis(millis)
        .expect("fixture days are in range")
        .format("%Y-%m-%d")
        .to_string()
}
