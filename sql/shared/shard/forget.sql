-- What an attempt of one shard left goes: its registry row and its tables (a worker that
-- starts its shard afresh; `merge --discard`).
DELETE FROM {shards}.finished WHERE run_id = {run_id} AND shard = {shard};
DROP TABLE IF EXISTS {work}new_objects;
DROP TABLE IF EXISTS {work}new_songs;
DROP TABLE IF EXISTS {work}new_plays;
