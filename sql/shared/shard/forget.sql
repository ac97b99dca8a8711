-- A worker starts its shard afresh: what an earlier attempt of the same shard left goes.
DELETE FROM {shards}.finished WHERE run_id = {run_id} AND shard = {shard};
DROP TABLE IF EXISTS {work}new_objects;
DROP TABLE IF EXISTS {work}new_songs;
DROP TABLE IF EXISTS {work}new_plays;
