-- The query id of the session's last COPY that began loading (-1 before any).
SELECT pg_last_copy_id();
