-- A load's private tables, gone: after a failure, or once their rows are in. Every table
-- any route creates under the load's prefix (`{private}`: the target schema and
-- `sparkify_load_run_<run>_`) is listed; the names never match the five tables.
DROP TABLE IF EXISTS {private}songplays, {private}users, {private}songs, {private}artists,
    {private}time, {private}new_objects, {private}raw_events, {private}raw_songs,
    {private}song_matches, {private}new_songs, {private}new_plays, {private}song_winners,
    {private}artist_winners, {private}match_keys, {private}match_winners,
    {private}numbered_plays, {private}user_winners,
    {private}songs_typed, {private}events_typed;
