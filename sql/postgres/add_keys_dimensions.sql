-- The dimensions' primary keys, added once the rows are in; they also prove the rules gave
-- one row per key. Runs beside add_keys_songplays.sql.
ALTER TABLE {schema}.users ADD PRIMARY KEY (user_id);
ALTER TABLE {schema}.songs ADD PRIMARY KEY (song_id);
ALTER TABLE {schema}.artists ADD PRIMARY KEY (artist_id);
ALTER TABLE {schema}.time ADD PRIMARY KEY (start_time);
ANALYZE {schema}.users, {schema}.songs, {schema}.artists, {schema}.time;
