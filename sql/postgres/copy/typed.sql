-- Copy mode, step 2: every raw record checked and coerced (SPEC section 1); `reason` says
-- why a record is bad, NULL when it is good.
CREATE TABLE {private}songs_typed AS
WITH checked AS MATERIALIZED (
    SELECT object, object_rank, line, record, {private}record_problem(record) AS problem
    FROM {private}raw_songs
), coerced AS MATERIALIZED (
    SELECT c.*,
           {private}coerce(j -> 'song_id', 'song_id', 'text') AS song_id,
           {private}coerce(j -> 'title', 'title', 'text') AS title,
           {private}coerce(j -> 'artist_id', 'artist_id', 'text') AS artist_id,
           {private}coerce(j -> 'artist_name', 'artist_name', 'text') AS artist_name,
           {private}coerce(j -> 'artist_location', 'artist_location', 'text') AS artist_location,
           {private}coerce(j -> 'artist_latitude', 'artist_latitude', 'float8') AS artist_latitude,
           {private}coerce(j -> 'artist_longitude', 'artist_longitude', 'float8') AS artist_longitude,
           {private}coerce(j -> 'duration', 'duration', 'float8') AS duration,
           {private}coerce(j -> 'year', 'year', 'int4') AS year
    FROM checked c
    CROSS JOIN LATERAL (SELECT CASE WHEN c.problem IS NULL THEN c.record::json END AS j) parsed
)
SELECT object, object_rank, line, record,
       coalesce(problem, (song_id).problem, (title).problem, (artist_id).problem,
                (artist_name).problem, (artist_location).problem, (artist_latitude).problem,
                (artist_longitude).problem, (duration).problem, (year).problem) AS reason,
       (song_id).value AS song_id,
       (title).value AS title,
       (artist_id).value AS artist_id,
       (artist_name).value AS artist_name,
       (artist_location).value AS artist_location,
       (artist_latitude).value::float8 AS artist_latitude,
       (artist_longitude).value::float8 AS artist_longitude,
       (duration).value::float8 AS duration,
       (year).value::integer AS year
FROM coerced;

CREATE TABLE {private}events_typed AS
WITH checked AS MATERIALIZED (
    SELECT object, object_rank, line, record, {private}record_problem(record) AS problem
    FROM {private}raw_events
), coerced AS MATERIALIZED (
    SELECT c.*,
           {private}coerce(j -> 'artist', 'artist', 'text') AS artist,
           {private}coerce(j -> 'firstName', 'firstName', 'text') AS first_name,
           {private}coerce(j -> 'gender', 'gender', 'text') AS gender,
           {private}coerce(j -> 'itemInSession', 'itemInSession', 'int4') AS item_in_session,
           {private}coerce(j -> 'lastName', 'lastName', 'text') AS last_name,
           {private}coerce(j -> 'length', 'length', 'float8') AS length,
           {private}coerce(j -> 'level', 'level', 'text') AS level,
           {private}coerce(j -> 'location', 'location', 'text') AS location,
           {private}coerce(j -> 'page', 'page', 'text') AS page,
           {private}coerce(j -> 'sessionId', 'sessionId', 'int4') AS session_id,
           {private}coerce(j -> 'song', 'song', 'text') AS song,
           {private}coerce(j -> 'ts', 'ts', 'int8') AS ts,
           {private}coerce(j -> 'userAgent', 'userAgent', 'text') AS user_agent,
           {private}coerce(j -> 'userId', 'userId', 'int4') AS user_id
    FROM checked c
    CROSS JOIN LATERAL (SELECT CASE WHEN c.problem IS NULL THEN c.record::json END AS j) parsed
)
SELECT object, object_rank, line, record,
       coalesce(problem, (artist).problem, (first_name).problem, (gender).problem,
                (item_in_session).problem, (last_name).problem, (length).problem, (level).problem,
                (location).problem, (page).problem, (session_id).problem, (song).problem,
                (ts).problem, (user_agent).problem, (user_id).problem,
                CASE WHEN (ts).value IS NULL THEN 'ts: missing, null or empty' END,
                -- PostgreSQL's timestamps run from 4714-11-24 BC to 294276-12-31 AD.
                CASE WHEN (ts).value::bigint NOT BETWEEN -210866803200000 AND 9224318015999999
                     THEN 'ts: ' || (ts).value || ' is out of range for type timestamp' END,
                CASE WHEN (page).value IS NULL THEN 'page: missing or null' END) AS reason,
       (artist).value AS artist,
       (first_name).value AS first_name,
       (gender).value AS gender,
       (item_in_session).value::integer AS item_in_session,
       (last_name).value AS last_name,
       (length).value::float8 AS length,
       (level).value AS level,
       (location).value AS location,
       (page).value AS page,
       (session_id).value::integer AS session_id,
       (song).value AS song,
       (ts).value::bigint AS ts,
       (user_agent).value AS user_agent,
       (user_id).value::integer AS user_id
FROM coerced;
