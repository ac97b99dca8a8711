-- A load's private tables, gone: after a failure, or once their rows are in. Every table
-- any route creates under the load's prefix (`{staging}`: the target schema and
-- `sparkify_load_run_<run>_`) is listed; the names never match the five tables.
DROP TABLE IF EXISTS {staging}songplays, {staging}users, {staging}songs, {staging}artists,
    {staging}time, {staging}new_objects, {staging}staging_events, {staging}staging_songs,
    {staging}song_matches, {staging}new_songs, {staging}new_plays, {staging}song_winners,
    {staging}artist_winners, {staging}match_keys, {staging}match_winners,
    {staging}numbered_plays, {staging}user_winners, {staging}raw_songs, {staging}raw_events,
    {staging}songs_typed, {staging}events_typed;
