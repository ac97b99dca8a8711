-- Whether the schema has a load history yet (1) or not (0). From pg_class, which lists
-- every table to every user in both dialects.
SELECT COUNT(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = {schema_name} AND c.relkind = 'r' AND c.relname = 'sparkify_load_history'
