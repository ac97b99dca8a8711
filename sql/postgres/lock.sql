SELECT pg_advisory_lock(hashtext('sparkify-load:' || $1))
