-- A worker's last step, in a short transaction of its own once its shard's tables have
-- committed: the shard's row, replacing any an attempt of the same shard wrote (forget.sql).
-- The lock makes two attempts that finish at once take turns, so a shard has one row.
LOCK {shards}finished;
{forget}
INSERT INTO {shards}finished
    (run_id, shard, shards, song_uri, log_uri, song_objects, song_bytes, song_records,
     log_objects, log_bytes, log_records, finished_at)
VALUES ({run_id}, {shard}, {shard_count}, {song_uri}, {log_uri}, {song_objects},
        {song_bytes}, {song_records}, {log_objects}, {log_bytes}, {log_records}, {now});
