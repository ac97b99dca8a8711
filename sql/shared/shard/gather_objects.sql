-- The merge gathers every shard's objects into the run's work tables, each tree's objects
-- ranked anew in key order across all shards (a shard ranked only its own).
INSERT INTO {work}new_objects (tree, object_rank, key, size, version)
SELECT tree, CAST(ROW_NUMBER() OVER (PARTITION BY tree{eq} ORDER BY key{c}) AS INTEGER) - 1,
       key, size, version
FROM ({objects}) o;
