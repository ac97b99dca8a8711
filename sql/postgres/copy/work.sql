-- Copy mode, incremental runs: the good records, checked and coerced in SQL, into the
-- merge's work tables (sql/shared/merge/); the rules run in the merge.
INSERT INTO {private}new_songs (song_id, title, artist_id, artist_name, artist_location,
    artist_latitude, artist_longitude, duration, year)
SELECT song_id, title, artist_id, artist_name, artist_location, artist_latitude,
       artist_longitude, duration, year
FROM {private}songs_typed
WHERE reason IS NULL;

INSERT INTO {private}new_plays (object_rank, line, start_time, user_id, first_name, last_name,
    gender, level, song, artist, length, session_id, item_in_session, location, user_agent)
SELECT object_rank, line, {private}ms_to_timestamp(ts), user_id, first_name, last_name,
       gender, level, song, artist, length, session_id, item_in_session, location, user_agent
FROM {private}events_typed
WHERE reason IS NULL AND page = 'NextSong' AND user_id IS NOT NULL;
