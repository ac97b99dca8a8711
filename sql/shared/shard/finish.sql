-- A worker's last step: its shard's tables are whole.
INSERT INTO {shards}finished
    (run_id, shard, shards, song_uri, log_uri, song_objects, song_bytes, song_records,
     log_objects, log_bytes, log_records, finished_at)
VALUES ({run_id}, {shard}, {shard_count}, {song_uri}, {log_uri}, {song_objects},
        {song_bytes}, {song_records}, {log_objects}, {log_bytes}, {log_records}, {now});
