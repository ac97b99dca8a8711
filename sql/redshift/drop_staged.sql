-- A load's private tables, gone: after a failure, or (the COPY staging tables, an
-- incremental run's work tables) once the new rows are in.
DROP TABLE IF EXISTS {schema}.{new}songplays, {schema}.{new}users, {schema}.{new}songs,
    {schema}.{new}artists, {schema}.{new}time, {schema}.{new}staging_events,
    {schema}.{new}staging_songs, {schema}.{new}song_matches, {schema}.{new}new_objects,
    {schema}.{new}new_songs, {schema}.{new}new_plays, {schema}.{new}song_winners,
    {schema}.{new}artist_winners, {schema}.{new}match_keys, {schema}.{new}match_winners,
    {schema}.{new}numbered_plays, {schema}.{new}user_winners;
