-- Foreign keys that point at the five tables, from any table (a user's own, or one of the
-- five). A load deletes and inserts the five tables' rows, so such a key would cascade the
-- deletion into the user's rows, set them NULL, or fail the load at its end: a load refuses
-- to start its move-in or merge while one exists (docs/SPEC-DECISIONS.md).
SELECT c.conrelid::regclass::text || ' (constraint ' || c.conname || ') references '
       || c.confrelid::regclass::text
FROM pg_constraint c
JOIN pg_class t ON t.oid = c.confrelid
JOIN pg_namespace n ON n.oid = t.relnamespace
WHERE c.contype = 'f' AND n.nspname = {schema_name}
  AND t.relname IN ('songplays', 'users', 'songs', 'artists', 'time')
ORDER BY 1;
