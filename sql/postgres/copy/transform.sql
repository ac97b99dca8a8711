-- Copy mode, step 3: the star-schema rules of SPEC section 2 in SQL, over the good records.
CREATE INDEX ON {private}songs_typed (title, artist_name, duration);

INSERT INTO {private}songs (song_id, title, artist_id, year, duration)
SELECT song_id, title, artist_id, year, duration
FROM (
    SELECT s.*, row_number() OVER (
        PARTITION BY song_id
        ORDER BY song_id COLLATE "C", artist_id COLLATE "C" NULLS LAST, duration NULLS LAST,
                 year NULLS LAST, title COLLATE "C" NULLS LAST, artist_name COLLATE "C" NULLS LAST,
                 artist_location COLLATE "C" NULLS LAST, artist_latitude NULLS LAST,
                 artist_longitude NULLS LAST) AS rank
    FROM {private}songs_typed s
    WHERE reason IS NULL AND song_id IS NOT NULL
) ranked
WHERE rank = 1;

INSERT INTO {private}artists (artist_id, name, location, latitude, longitude)
SELECT artist_id, artist_name, artist_location, artist_latitude, artist_longitude
FROM (
    SELECT s.*, row_number() OVER (
        PARTITION BY artist_id
        ORDER BY song_id COLLATE "C" NULLS LAST, artist_id COLLATE "C", duration NULLS LAST,
                 year NULLS LAST, title COLLATE "C" NULLS LAST, artist_name COLLATE "C" NULLS LAST,
                 artist_location COLLATE "C" NULLS LAST, artist_latitude NULLS LAST,
                 artist_longitude NULLS LAST) AS rank
    FROM {private}songs_typed s
    WHERE reason IS NULL AND artist_id IS NOT NULL
) ranked
WHERE rank = 1;

INSERT INTO {private}songplays (start_time, user_id, level, song_id, artist_id, session_id, location, user_agent)
SELECT {private}ms_to_timestamp(e.ts), e.user_id, e.level, m.song_id, m.artist_id, e.session_id,
       e.location, e.user_agent
FROM {private}events_typed e
LEFT JOIN LATERAL (
    SELECT s.song_id, s.artist_id
    FROM {private}songs_typed s
    WHERE s.reason IS NULL AND s.title = e.song AND s.artist_name = e.artist AND s.duration = e.length
    ORDER BY s.song_id COLLATE "C" NULLS LAST, s.artist_id COLLATE "C" NULLS LAST,
             s.duration NULLS LAST, s.year NULLS LAST, s.title COLLATE "C" NULLS LAST,
             s.artist_name COLLATE "C" NULLS LAST, s.artist_location COLLATE "C" NULLS LAST,
             s.artist_latitude NULLS LAST, s.artist_longitude NULLS LAST
    LIMIT 1
) m ON true
WHERE e.reason IS NULL AND e.page = 'NextSong' AND e.user_id IS NOT NULL
ORDER BY e.object_rank, e.line;

-- The latest NextSong event per user: (ts, sessionId, itemInSession) descending, a NULL
-- lowest, then the first in (object key, line) order.
INSERT INTO {private}users (user_id, first_name, last_name, gender, level)
SELECT user_id, first_name, last_name, gender, level
FROM (
    SELECT e.*, row_number() OVER (
        PARTITION BY user_id
        ORDER BY ts DESC, session_id DESC NULLS LAST, item_in_session DESC NULLS LAST,
                 object_rank, line) AS rank
    FROM {private}events_typed e
    WHERE reason IS NULL AND page = 'NextSong' AND user_id IS NOT NULL
) ranked
WHERE rank = 1;

INSERT INTO {private}time (start_time, hour, day, week, month, year, weekday)
SELECT start_time, extract(hour FROM start_time)::integer, extract(day FROM start_time)::integer,
       extract(week FROM start_time)::integer, extract(month FROM start_time)::integer,
       extract(year FROM start_time)::integer, extract(dow FROM start_time)::integer
FROM (SELECT DISTINCT start_time FROM {private}songplays) distinct_times;

-- Only the five tables' rows move into the target's tables.
DROP TABLE {private}songs_typed, {private}events_typed, {private}raw_songs, {private}raw_events;
DROP FUNCTION {private}record_problem(text), {private}coerce(json, text, text),
    {private}ms_to_timestamp(bigint);
