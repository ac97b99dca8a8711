-- In the merge's transaction: the run is merged, its id spent, its shards' tables gone.
INSERT INTO {shards}merged (run_id, merged_at) VALUES ({run_id}, {now});
DELETE FROM {shards}finished WHERE run_id{eq} = {run_id}{eq};
