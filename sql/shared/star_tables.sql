-- The star tables a schema holds, by name: `report`, `next` and `check` need all five. From
-- pg_class, which lists every table to every user in both dialects.
SELECT c.relname
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = {schema_name} AND c.relkind = 'r'
  AND c.relname IN ('songplays', 'users', 'songs', 'artists', 'time')
