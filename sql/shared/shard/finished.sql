-- The finished shards of a run, and whether the run was merged already.
SELECT shard, shards, song_uri, log_uri, song_objects, song_bytes, song_records,
       log_objects, log_bytes, log_records, finished_at
FROM {shards}finished
WHERE run_id{eq} = {run_id}{eq}
UNION ALL
SELECT -1, 0, '', '', 0, 0, 0, 0, 0, 0, merged_at FROM {shards}merged WHERE run_id{eq} = {run_id}{eq}
ORDER BY 1;
