-- The last {limit} runs, newest first, every column as text (times in UTC; src/history.rs
-- writes them as RFC 3339).
SELECT run_id, tool_version, route,
       TO_CHAR(started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.MS'),
       TO_CHAR(ended_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.MS'),
       status, objects, songplays, users, songs, artists, "time", bad_records, error
FROM {schema}.sparkify_load_history
ORDER BY ended_at DESC, started_at DESC
LIMIT {limit};
