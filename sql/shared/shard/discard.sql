-- `merge --discard`: the registry rows of the shards it read, in one statement (their
-- tables follow, drop_shard.sql). A shard that finished since keeps its row, and the
-- discard, seeing it, rolls back.
DELETE FROM {shards}finished WHERE run_id{eq} = {run_id}{eq} AND shard IN ({shard_list});
