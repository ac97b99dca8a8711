-- The dimensions' primary keys: the five tables get them when a schema that has none is given
-- them (create-tables, a first load); the bench adds them once its rows are in.
ALTER TABLE {schema}.{new}users ADD PRIMARY KEY (user_id);
ALTER TABLE {schema}.{new}songs ADD PRIMARY KEY (song_id);
ALTER TABLE {schema}.{new}artists ADD PRIMARY KEY (artist_id);
ALTER TABLE {schema}.{new}time ADD PRIMARY KEY (start_time);
ANALYZE {schema}.{new}users, {schema}.{new}songs, {schema}.{new}artists, {schema}.{new}time;
