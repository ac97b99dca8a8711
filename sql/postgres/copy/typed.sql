-- Copy mode, step 2: every raw record checked and coerced (SPEC section 1); `reason` says
-- why a record is bad, NULL when it is good.
CREATE TABLE {staging}songs_typed AS
WITH checked AS MATERIALIZED (
    SELECT object, object_rank, line, record, {staging}record_problem(record) AS problem
    FROM {staging}raw_songs
), coerced AS MATERIALIZED (
    SELECT c.*,
           {staging}coerce(j -> 'song_id', 'song_id', 'text') AS song_id,
           {staging}coerce(j -> 'title', 'title', 'text') AS title,
           {staging}coerce(j -> 'artist_id', 'artist_id', 'text') AS artist_id,
           {staging}coerce(j -> 'artist_name', 'artist_name', 'text') AS artist_name,
           {staging}coerce(j -> 'artist_location', 'artist_location', 'text') AS artist_location,
           {staging}coerce(j -> 'artist_latitude', 'artist_latitude', 'float8') AS artist_latitude,
           {staging}coerce(j -> 'artist_longitude', 'artist_longitude', 'float8') AS artist_longitude,
           {staging}coerce(j -> 'duration', 'duration', 'float8') AS duration,
           {staging}coerce(j -> 'year', 'year', 'int4') AS year
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

CREATE TABLE {staging}events_typed AS
WITH checked AS MATERIALIZED (
    SELECT object, object_rank, line, record, {staging}record_problem(record) AS problem
    FROM {staging}raw_events
), coerced AS MATERIALIZED (
    SELECT c.*,
           {staging}coerce(j -> 'artist', 'artist', 'text') AS artist,
           {staging}coerce(j -> 'firstName', 'firstName', 'text') AS first_name,
           {staging}coerce(j -> 'gender', 'gender', 'text') AS gender,
           {staging}coerce(j -> 'itemInSession', 'itemInSession', 'int4') AS item_in_session,
           {staging}coerce(j -> 'lastName', 'lastName', 'text') AS last_name,
           {staging}coerce(j -> 'length', 'length', 'float8') AS length,
           {staging}coerce(j -> 'level', 'level', 'text') AS level,
           {staging}coerce(j -> 'location', 'location', 'text') AS location,
           {staging}coerce(j -> 'page', 'page', 'text') AS page,
           {staging}coerce(j -> 'sessionId', 'sessionId', 'int4') AS session_id,
           {staging}coerce(j -> 'song', 'song', 'text') AS song,
           {staging}coerce(j -> 'ts', 'ts', 'int8') AS ts,
           {staging}coerce(j -> 'userAgent', 'userAgent', 'text') AS user_agent,
           {staging}coerce(j -> 'userId', 'userId', 'int4') AS user_id
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
