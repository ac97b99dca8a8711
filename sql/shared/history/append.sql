-- One run's row (the values are literals, quoted by db::literal).
INSERT INTO {schema}.sparkify_load_history
    (run_id, tool_version, route, started_at, ended_at, status, objects,
     songplays, users, songs, artists, "time", bad_records, error)
VALUES ({values});
