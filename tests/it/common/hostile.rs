//! The hostile-text corpus: strings that must load exactly as decoded from JSON, and
//! records that must be refused, as a song tree and a log tree.

/// Text that must load exactly as decoded from JSON.
pub fn hostile_strings() -> Vec<String> {
    vec![
        "'); DROP TABLE songs;--".to_string(),
        "Robert\"); DROP TABLE users; --".to_string(),
        "back\\slash \\N \\\\ and \"quotes\" and 'single'".to_string(),
        "tab\tnewline\ncarriage\rbell\u{7}escape\u{1b}".to_string(),
        "emoji \u{1F600}\u{1F3B8} and \u{e9}\u{301} and \u{202e}rtl".to_string(),
        "$1 $$ dollar $tag$ {schema} %s %d".to_string(),
        "x".repeat(100_000),
    ]
}

pub fn hostile_tree() -> (tempfile::TempDir, Vec<String>) {
    let strings = hostile_strings();
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("song_data")).unwrap();
    std::fs::create_dir_all(dir.path().join("log_data")).unwrap();
    let mut events = String::new();
    for (i, text) in strings.iter().enumerate() {
        let song = serde_json::json!({
            "song_id": format!("SO{i}"), "title": text, "artist_id": format!("AR{i}"),
            "artist_name": text, "artist_location": text, "duration": 100.5, "year": 2000,
        });
        std::fs::write(
            dir.path().join(format!("song_data/{i}.json")),
            song.to_string(),
        )
        .unwrap();
        let event = serde_json::json!({
            "artist": text, "song": text, "length": 100.5, "page": "NextSong", "ts": 1_541_105_830_796i64 + i as i64,
            "userId": (i + 1).to_string(), "firstName": text, "lastName": "L", "gender": "F", "level": "free",
            "sessionId": 1, "itemInSession": i, "location": text, "userAgent": text,
        });
        events.push_str(&event.to_string());
        events.push('\n');
    }
    // Refused in both modes: NUL and unpaired surrogate escapes.
    for (i, bad) in ["\\u0000", "\\ud800", "\\udfff"].iter().enumerate() {
        events.push_str(&format!(
            "{{\"page\":\"NextSong\",\"ts\":1,\"userId\":\"{}\",\"firstName\":\"a{bad}b\"}}\n",
            100 + i
        ));
    }
    std::fs::write(dir.path().join("log_data/events.json"), events).unwrap();
    (dir, strings)
}
