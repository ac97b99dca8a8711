-- The classic route (bench anchor): the star-schema rules as INSERT … SELECT over the jsonb
-- staging tables, the way the classic pipeline's sql_queries.py writes them, with SPEC's
-- rules for which record wins (first song record, latest user event) and lenient casts
-- (`::numeric` first, for `39.0` and ` -7 `), and nothing else: no coercion checks, no bad
-- records, no text order by bytes. It is the route a user would otherwise run.
INSERT INTO {schema}.songs (song_id, title, artist_id, year, duration)
SELECT DISTINCT ON (j->>'song_id') j->>'song_id', j->>'title', j->>'artist_id',
       (j->>'year')::numeric::integer, (j->>'duration')::float8
FROM {schema}.staging_songs
WHERE j->>'song_id' IS NOT NULL
ORDER BY j->>'song_id', j->>'artist_id', (j->>'duration')::float8, (j->>'year')::numeric,
         j->>'title';

INSERT INTO {schema}.artists (artist_id, name, location, latitude, longitude)
SELECT DISTINCT ON (j->>'artist_id') j->>'artist_id', j->>'artist_name', j->>'artist_location',
       (j->>'artist_latitude')::float8, (j->>'artist_longitude')::float8
FROM {schema}.staging_songs
WHERE j->>'artist_id' IS NOT NULL
ORDER BY j->>'artist_id', j->>'song_id';

INSERT INTO {schema}.songplays (start_time, user_id, level, song_id, artist_id, session_id, location, user_agent)
SELECT timestamp 'epoch' + (e.j->>'ts')::numeric::bigint * interval '1 millisecond',
       NULLIF(trim(e.j->>'userId'), '')::numeric::integer, e.j->>'level', s.song_id, s.artist_id,
       (e.j->>'sessionId')::numeric::integer, e.j->>'location', e.j->>'userAgent'
FROM {schema}.staging_events e
LEFT JOIN (
    SELECT DISTINCT ON (j->>'title', j->>'artist_name', (j->>'duration')::float8)
           j->>'title' AS title, j->>'artist_name' AS artist_name,
           (j->>'duration')::float8 AS duration, j->>'song_id' AS song_id,
           j->>'artist_id' AS artist_id
    FROM {schema}.staging_songs
    ORDER BY j->>'title', j->>'artist_name', (j->>'duration')::float8, j->>'song_id'
) s ON s.title = e.j->>'song' AND s.artist_name = e.j->>'artist'
   AND s.duration = (e.j->>'length')::float8
WHERE e.j->>'page' = 'NextSong' AND NULLIF(trim(e.j->>'userId'), '') IS NOT NULL;

INSERT INTO {schema}.users (user_id, first_name, last_name, gender, level)
SELECT DISTINCT ON (NULLIF(trim(j->>'userId'), '')::numeric::integer)
       NULLIF(trim(j->>'userId'), '')::numeric::integer, j->>'firstName', j->>'lastName',
       j->>'gender', j->>'level'
FROM {schema}.staging_events
WHERE j->>'page' = 'NextSong' AND NULLIF(trim(j->>'userId'), '') IS NOT NULL
ORDER BY NULLIF(trim(j->>'userId'), '')::numeric::integer, (j->>'ts')::numeric DESC;

INSERT INTO {schema}.time (start_time, hour, day, week, month, year, weekday)
SELECT start_time, extract(hour FROM start_time), extract(day FROM start_time),
       extract(week FROM start_time), extract(month FROM start_time),
       extract(year FROM start_time), extract(dow FROM start_time)
FROM (SELECT DISTINCT start_time FROM {schema}.songplays) t;
