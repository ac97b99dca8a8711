-- The state tables' keys and indexes (state.sql has the tables): before an incremental
-- merge, which looks rows up by them, or after a full merge's rows, which is faster than
-- inserting into keyed tables. The unique indexes are the tables' keys.
CREATE UNIQUE INDEX IF NOT EXISTS objects_key ON {state}.objects (tree, key);
CREATE UNIQUE INDEX IF NOT EXISTS user_latest_user ON {state}.user_latest (user_id);
CREATE UNIQUE INDEX IF NOT EXISTS plays_songplay ON {state}.plays (songplay_id);
-- Hash indexes: the merge looks these up by equality only, and a B-tree cannot hold a
-- text longer than about 2.7 kB, which the contract allows.
CREATE INDEX IF NOT EXISTS song_records_song ON {state}.song_records USING hash (song_id);
CREATE INDEX IF NOT EXISTS song_records_artist ON {state}.song_records USING hash (artist_id);
CREATE INDEX IF NOT EXISTS song_records_match ON {state}.song_records USING hash (title);
CREATE INDEX IF NOT EXISTS plays_match ON {state}.plays USING hash (song);
