-- One watcher per target schema: a session-level advisory lock of its own, apart from the
-- load lock each batch takes, so that a load run by hand still gets its turn between
-- batches.
SELECT pg_try_advisory_lock(hashtext('sparkify-load-watch:' || $1))
