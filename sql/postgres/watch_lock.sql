SELECT pg_advisory_lock(hashtext('sparkify-load-watch:' || $1))
