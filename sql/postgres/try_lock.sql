-- One load per target schema at a time: a session-level advisory lock keyed on the schema.
SELECT pg_try_advisory_lock(hashtext('sparkify-load:' || $1))
