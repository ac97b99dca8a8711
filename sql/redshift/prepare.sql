-- The small lock table whose LOCK makes the loads into a schema take turns at the moment
-- they change the five tables (private/move_in.sql, merge/merge.sql).
CREATE TABLE IF NOT EXISTS {schema}.sparkify_load_lock (held BOOLEAN);
