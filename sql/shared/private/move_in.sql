-- A rebuild's rows replace the rows of the five tables, inside the one transaction that
-- also writes the manifest and runs the quality gate (src/load/mod.rs). The tables are
-- never dropped or renamed, so their grants, owner, comments and dependent views
-- (ordinary and materialized) stay as they are. DELETE and INSERT take no lock a reader
-- waits for: readers see the old rows until COMMIT, then the new ones (docs/RELIABILITY.md,
-- docs/REDSHIFT.md rule 23). TRUNCATE would commit at once on Redshift and block readers
-- on PostgreSQL, so it is not used. Columns are named, so a column a user added is left
-- to its default.
DELETE FROM {schema}.songplays;
INSERT INTO {schema}.songplays (songplay_id, start_time, user_id, level, song_id, artist_id, session_id, location, user_agent) {overriding}
SELECT songplay_id, start_time, user_id, level, song_id, artist_id, session_id, location, user_agent FROM {work}songplays;
DELETE FROM {schema}.users;
INSERT INTO {schema}.users (user_id, first_name, last_name, gender, level)
SELECT user_id, first_name, last_name, gender, level FROM {work}users;
DELETE FROM {schema}.songs;
INSERT INTO {schema}.songs (song_id, title, artist_id, year, duration)
SELECT song_id, title, artist_id, year, duration FROM {work}songs;
DELETE FROM {schema}.artists;
INSERT INTO {schema}.artists (artist_id, name, location, latitude, longitude)
SELECT artist_id, name, location, latitude, longitude FROM {work}artists;
DELETE FROM {schema}.time;
INSERT INTO {schema}.time (start_time, hour, day, week, month, year, weekday)
SELECT start_time, hour, day, week, month, year, weekday FROM {work}time;
