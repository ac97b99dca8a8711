-- A worker starts its shard afresh: the registry row an earlier attempt of the same shard
-- left goes (its tables follow, drop_shard.sql with IF EXISTS).
DELETE FROM {shards}finished WHERE run_id = {run_id} AND shard = {shard};
