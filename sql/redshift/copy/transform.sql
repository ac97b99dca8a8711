-- Copy mode on Redshift, step 2: the star-schema rules of SPEC section 2 over the staged
-- records. Redshift ignores trailing blanks when it compares VARCHAR ('x' = 'x '), so each
-- text compared or sorted is followed by a byte below the blank, CHR(1): that gives SPEC's
-- byte order and byte equality ('x' < 'x ', two values).
INSERT INTO {schema}.{new}songs (song_id, title, artist_id, year, duration)
SELECT song_id, title, artist_id, year, duration
FROM (
    SELECT s.*, ROW_NUMBER() OVER (
        PARTITION BY song_id || CHR(1)
        ORDER BY song_id || CHR(1), artist_id || CHR(1) NULLS LAST, duration NULLS LAST,
                 year NULLS LAST, title || CHR(1) NULLS LAST, artist_name || CHR(1) NULLS LAST,
                 artist_location || CHR(1) NULLS LAST, artist_latitude NULLS LAST,
                 artist_longitude NULLS LAST) AS rank
    FROM {schema}.{new}raw_songs s
    WHERE song_id IS NOT NULL
) ranked
WHERE rank = 1;

INSERT INTO {schema}.{new}artists (artist_id, name, location, latitude, longitude)
SELECT artist_id, artist_name, artist_location, artist_latitude, artist_longitude
FROM (
    SELECT s.*, ROW_NUMBER() OVER (
        PARTITION BY artist_id || CHR(1)
        ORDER BY song_id || CHR(1) NULLS LAST, artist_id || CHR(1), duration NULLS LAST,
                 year NULLS LAST, title || CHR(1) NULLS LAST, artist_name || CHR(1) NULLS LAST,
                 artist_location || CHR(1) NULLS LAST, artist_latitude NULLS LAST,
                 artist_longitude NULLS LAST) AS rank
    FROM {schema}.{new}raw_songs s
    WHERE artist_id IS NOT NULL
) ranked
WHERE rank = 1;

-- The first song record, in the total order, for each (title, artist_name, duration).
CREATE TABLE {schema}.{new}song_matches AS
SELECT title, artist_name, duration, song_id, artist_id
FROM (
    SELECT s.*, ROW_NUMBER() OVER (
        PARTITION BY title || CHR(1), artist_name || CHR(1), duration
        ORDER BY song_id || CHR(1) NULLS LAST, artist_id || CHR(1) NULLS LAST, duration NULLS LAST,
                 year NULLS LAST, title || CHR(1) NULLS LAST, artist_name || CHR(1) NULLS LAST,
                 artist_location || CHR(1) NULLS LAST, artist_latitude NULLS LAST,
                 artist_longitude NULLS LAST) AS rank
    FROM {schema}.{new}raw_songs s
    WHERE title IS NOT NULL AND artist_name IS NOT NULL AND duration IS NOT NULL
) ranked
WHERE rank = 1;

INSERT INTO {schema}.{new}songplays (start_time, user_id, level, song_id, artist_id, session_id, location, user_agent)
SELECT TIMESTAMP 'epoch' + e.ts * INTERVAL '0.001 second', e.user_id, e.level, m.song_id,
       m.artist_id, e.session_id, e.location, e.user_agent
FROM {schema}.{new}raw_events e
LEFT JOIN {schema}.{new}song_matches m
       ON m.title || CHR(1) = e.song || CHR(1) AND m.artist_name || CHR(1) = e.artist || CHR(1)
      AND m.duration = e.length
WHERE e.page || CHR(1) = 'NextSong' || CHR(1) AND e.user_id IS NOT NULL;

-- The latest NextSong event per user: (ts, sessionId, itemInSession) descending, a NULL lowest.
INSERT INTO {schema}.{new}users (user_id, first_name, last_name, gender, level)
SELECT user_id, first_name, last_name, gender, level
FROM (
    SELECT e.*, ROW_NUMBER() OVER (
        PARTITION BY user_id
        ORDER BY ts DESC, session_id DESC NULLS LAST, item_in_session DESC NULLS LAST) AS rank
    FROM {schema}.{new}raw_events e
    WHERE page || CHR(1) = 'NextSong' || CHR(1) AND user_id IS NOT NULL
) ranked
WHERE rank = 1;

INSERT INTO {schema}.{new}time (start_time, hour, day, week, month, year, weekday)
SELECT start_time, EXTRACT(hour FROM start_time), EXTRACT(day FROM start_time),
       EXTRACT(week FROM start_time), EXTRACT(month FROM start_time),
       EXTRACT(year FROM start_time), EXTRACT(dow FROM start_time)
FROM (SELECT DISTINCT start_time FROM {schema}.{new}songplays) distinct_times;

DROP TABLE {schema}.{new}song_matches, {schema}.{new}raw_events, {schema}.{new}raw_songs;
