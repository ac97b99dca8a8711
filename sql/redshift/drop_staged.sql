-- A load's private tables, gone: after a failure, or (the COPY staging tables) once the
-- new tables are in.
DROP TABLE IF EXISTS {schema}.{new}songplays, {schema}.{new}users, {schema}.{new}songs,
    {schema}.{new}artists, {schema}.{new}time, {schema}.{new}staging_events,
    {schema}.{new}staging_songs, {schema}.{new}song_matches;
