-- One shard's song records and plays into the run's work tables, each play's object rank
-- replaced by its object's rank across all shards.
INSERT INTO {work}new_songs
    (song_id, title, artist_id, artist_name, artist_location, artist_latitude,
     artist_longitude, duration, year)
SELECT song_id, title, artist_id, artist_name, artist_location, artist_latitude,
       artist_longitude, duration, year
FROM {shard_work}new_songs;
INSERT INTO {work}new_plays
    (object_rank, line, start_time, user_id, first_name, last_name, gender, level, song,
     artist, length, session_id, item_in_session, location, user_agent)
SELECT g.object_rank, p.line, p.start_time, p.user_id, p.first_name, p.last_name, p.gender,
       p.level, p.song, p.artist, p.length, p.session_id, p.item_in_session, p.location,
       p.user_agent
FROM {shard_work}new_plays p
JOIN {shard_work}new_objects s ON s.tree{eq} = 'log'{eq} AND s.object_rank = p.object_rank
JOIN {work}new_objects g ON g.tree{eq} = 'log'{eq} AND g.key{eq} = s.key{eq};
