-- Primary keys, added once the rows are in; they also prove the rules gave one row per key.
ALTER TABLE {schema}.songplays ADD PRIMARY KEY (songplay_id);
ALTER TABLE {schema}.users ADD PRIMARY KEY (user_id);
ALTER TABLE {schema}.songs ADD PRIMARY KEY (song_id);
ALTER TABLE {schema}.artists ADD PRIMARY KEY (artist_id);
ALTER TABLE {schema}.time ADD PRIMARY KEY (start_time);
ANALYZE {schema}.songplays, {schema}.users, {schema}.songs, {schema}.artists, {schema}.time;
