-- A shard's registry row goes: before a worker starts its shard afresh (an earlier attempt's
-- row), and in the short transaction that records the shard as finished (finish.sql). Never
-- inside a worker's long transaction: every worker shares this table.
DELETE FROM {shards}finished WHERE run_id{eq} = {run_id}{eq} AND shard = {shard};
