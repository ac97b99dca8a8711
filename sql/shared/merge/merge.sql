-- An incremental load's merge (docs/INCREMENTAL.md): the new objects' rows, in the work
-- tables, merged into the star schema so that it equals one full load of every object
-- loaded so far (SPEC sections 2 and 3). It runs in the transaction that writes the
-- manifest rows, so a run is exactly once. Each rule looks only at the keys the new rows
-- touch: its candidates are the winners kept from earlier runs and this run's rows,
-- `is_new` marks this run's, and a table row changes only where a new one wins (on a tie,
-- the kept one stays). After each text compared for equality comes nothing on PostgreSQL
-- and, on Redshift (which ignores trailing blanks when it compares text), a byte below the
-- blank, so that 'x' and 'x ' stay two values, as in SPEC.

INSERT INTO {state}objects (tree, key, size, version, run_id, loaded_at)
SELECT tree, key, size, version, {run_id}, {now} FROM {work}new_objects;

-- songs: the first record of each song id a new record has.
CREATE TABLE {work}song_winners AS
SELECT * FROM (
    SELECT c.*, ROW_NUMBER() OVER (PARTITION BY song_id{eq} ORDER BY {song_order}, is_new) AS rank
    FROM (
        SELECT s.*, 0 AS is_new FROM {state}song_records s
        WHERE s.song_id{eq} IN (SELECT song_id{eq} FROM {work}new_songs)
        UNION ALL
        SELECT n.*, 1 FROM {work}new_songs n WHERE n.song_id IS NOT NULL
    ) c
) ranked
WHERE rank = 1 AND is_new = 1;
DELETE FROM {schema}.songs WHERE song_id{eq} IN (SELECT song_id{eq} FROM {work}song_winners);
INSERT INTO {schema}.songs (song_id, title, artist_id, year, duration)
SELECT song_id, title, artist_id, year, duration FROM {work}song_winners;

-- artists: the first record of each artist id a new record has.
CREATE TABLE {work}artist_winners AS
SELECT * FROM (
    SELECT c.*, ROW_NUMBER() OVER (PARTITION BY artist_id{eq} ORDER BY {song_order}, is_new) AS rank
    FROM (
        SELECT s.*, 0 AS is_new FROM {state}song_records s
        WHERE s.artist_id{eq} IN (SELECT artist_id{eq} FROM {work}new_songs)
        UNION ALL
        SELECT n.*, 1 FROM {work}new_songs n WHERE n.artist_id IS NOT NULL
    ) c
) ranked
WHERE rank = 1 AND is_new = 1;
DELETE FROM {schema}.artists WHERE artist_id{eq} IN (SELECT artist_id{eq} FROM {work}artist_winners);
INSERT INTO {schema}.artists (artist_id, name, location, latitude, longitude)
SELECT artist_id, artist_name, artist_location, artist_latitude, artist_longitude
FROM {work}artist_winners;

-- The song a play matches: the first record with its (title, artist_name, duration), for
-- every such key a new record or a new play has.
-- (The byte lengths keep apart keys that differ only in trailing blanks, which Redshift's
-- UNION would take for one.)
CREATE TABLE {work}match_keys AS
SELECT title, artist_name, duration, OCTET_LENGTH(title) AS title_bytes,
       OCTET_LENGTH(artist_name) AS artist_bytes
FROM {work}new_songs
WHERE title IS NOT NULL AND artist_name IS NOT NULL AND duration IS NOT NULL
UNION
SELECT song, artist, length, OCTET_LENGTH(song), OCTET_LENGTH(artist) FROM {work}new_plays
WHERE song IS NOT NULL AND artist IS NOT NULL AND length IS NOT NULL;
CREATE TABLE {work}match_winners AS
SELECT * FROM (
    SELECT c.*, ROW_NUMBER() OVER (
        PARTITION BY title{eq}, artist_name{eq}, duration ORDER BY {song_order}, is_new) AS rank
    FROM (
        SELECT s.*, 0 AS is_new FROM {state}song_records s
        JOIN {work}match_keys k
          ON k.title{eq} = s.title{eq} AND k.artist_name{eq} = s.artist_name{eq}
         AND k.duration = s.duration
        UNION ALL
        SELECT n.*, 1 FROM {work}new_songs n
        WHERE n.title IS NOT NULL AND n.artist_name IS NOT NULL AND n.duration IS NOT NULL
    ) c
) ranked
WHERE rank = 1;

-- Plays loaded before whose match a new record now wins: exactly those are re-matched.
-- (The target of an UPDATE takes no alias on Redshift: AWS, "UPDATE".)
UPDATE {schema}.songplays SET song_id = m.song_id, artist_id = m.artist_id
FROM {state}plays p, {work}match_winners m
WHERE {schema}.songplays.songplay_id = p.songplay_id AND m.is_new = 1
  AND p.song{eq} = m.title{eq} AND p.artist{eq} = m.artist_name{eq} AND p.length = m.duration;

-- The new plays, numbered after every id given so far, in (object key, line) order.
CREATE TABLE {work}numbered_plays AS
SELECT b.base + ROW_NUMBER() OVER (ORDER BY p.object_rank, p.line) AS songplay_id, p.*
FROM {work}new_plays p
CROSS JOIN (SELECT COALESCE(MAX(songplay_id), 0) AS base FROM {schema}.songplays) b;
INSERT INTO {schema}.songplays
    (songplay_id, start_time, user_id, level, song_id, artist_id, session_id, location, user_agent)
{overriding}
SELECT p.songplay_id, p.start_time, p.user_id, p.level, m.song_id, m.artist_id, p.session_id,
       p.location, p.user_agent
FROM {work}numbered_plays p
LEFT JOIN {work}match_winners m
       ON m.title{eq} = p.song{eq} AND m.artist_name{eq} = p.artist{eq} AND m.duration = p.length;
INSERT INTO {state}plays (songplay_id, song, artist, length)
SELECT songplay_id, song, artist, length FROM {work}numbered_plays
WHERE song IS NOT NULL AND artist IS NOT NULL AND length IS NOT NULL;

-- users: each user's latest NextSong event, (ts, sessionId, itemInSession) descending, a
-- NULL lowest, then the first in (object key, line) order.
CREATE TABLE {work}user_winners AS
SELECT * FROM (
    SELECT c.*, ROW_NUMBER() OVER (
        PARTITION BY user_id
        ORDER BY start_time DESC, session_id DESC NULLS LAST, item_in_session DESC NULLS LAST,
                 object{c}, line) AS rank
    FROM (
        SELECT l.user_id, l.start_time, l.session_id, l.item_in_session, l.object, l.line,
               u.first_name, u.last_name, u.gender, u.level, 0 AS is_new
        FROM {state}user_latest l
        JOIN {schema}.users u ON u.user_id = l.user_id
        WHERE l.user_id IN (SELECT user_id FROM {work}new_plays)
        UNION ALL
        SELECT p.user_id, p.start_time, p.session_id, p.item_in_session, o.key, p.line,
               p.first_name, p.last_name, p.gender, p.level, 1
        FROM {work}new_plays p
        JOIN {work}new_objects o ON o.tree{eq} = 'log'{eq} AND o.object_rank = p.object_rank
    ) c
) ranked
WHERE rank = 1 AND is_new = 1;
DELETE FROM {schema}.users WHERE user_id IN (SELECT user_id FROM {work}user_winners);
INSERT INTO {schema}.users (user_id, first_name, last_name, gender, level)
SELECT user_id, first_name, last_name, gender, level FROM {work}user_winners;
DELETE FROM {state}user_latest WHERE user_id IN (SELECT user_id FROM {work}user_winners);
INSERT INTO {state}user_latest (user_id, start_time, session_id, item_in_session, object, line)
SELECT user_id, start_time, session_id, item_in_session, object, line FROM {work}user_winners;

-- time: a set. The new start times less those already there, read by range (the key's
-- order) and whole before the first row goes in: a row-by-row anti-join would also visit
-- the rows this statement inserts.
INSERT INTO {schema}.time (start_time, hour, day, week, month, year, weekday)
SELECT start_time, EXTRACT(hour FROM start_time), EXTRACT(day FROM start_time),
       EXTRACT(week FROM start_time), EXTRACT(month FROM start_time),
       EXTRACT(year FROM start_time), EXTRACT(dow FROM start_time)
FROM (
    SELECT start_time FROM {work}new_plays
    EXCEPT
    SELECT x.start_time FROM {schema}.time x
    CROSS JOIN (SELECT MIN(start_time) AS first, MAX(start_time) AS last FROM {work}new_plays) r
    WHERE x.start_time BETWEEN r.first AND r.last
) t;

-- Kept last: the candidates above are the records of earlier runs.
INSERT INTO {state}song_records
SELECT song_id, title, artist_id, artist_name, artist_location, artist_latitude,
       artist_longitude, duration, year
FROM {work}new_songs;
