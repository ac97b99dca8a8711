-- What exists in the target: how many of the five tables, whether the manifest does, and
-- whether the merge's other state does (a rebuild keeps the manifest, not that state).
-- From pg_class, which lists every table to every user in both dialects, where
-- information_schema.tables hides the tables a user holds no privilege on.
SELECT
    (SELECT COUNT(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = {schema_name} AND c.relkind = 'r'
       AND c.relname IN ('songplays', 'users', 'songs', 'artists', 'time')),
    (SELECT COUNT(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = {schema_name} AND c.relkind = 'r' AND c.relname = {manifest_name}),
    (SELECT COUNT(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = {schema_name} AND c.relkind = 'r' AND c.relname = {state_name});
