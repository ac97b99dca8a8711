-- What loads into the schema killed before their end left behind: every load's private
-- tables (sparkify_load_run_<run>_<table>) and copy mode's functions. It runs under the
-- schema's load lock, which every load holds from its start to its end, so none of these
-- belongs to a running load. One DROP statement a row.
SELECT 'DROP TABLE IF EXISTS ' || quote_ident(schemaname) || '.' || quote_ident(tablename) || ';'
FROM pg_tables
WHERE schemaname = {schema_name} AND left(tablename, 18) = 'sparkify_load_run_'
UNION ALL
SELECT 'DROP FUNCTION IF EXISTS ' || p.oid::regprocedure::text || ';'
FROM pg_proc p
JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE n.nspname = {schema_name} AND left(p.proname, 18) = 'sparkify_load_run_'
ORDER BY 1;
