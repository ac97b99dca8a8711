-- What loads into the schema killed before their end left behind: the private tables
-- (sparkify_load_run_<run>_<table>) of loads begun more than a day ago, as no load runs that
-- long and others may be running now. One DROP statement a row. PG_CLASS_INFO shows a user
-- only its own tables, so a load drops only what its own user left (docs/REDSHIFT.md).
SELECT 'DROP TABLE IF EXISTS ' || QUOTE_IDENT(n.nspname) || '.' || QUOTE_IDENT(c.relname) || ';'
FROM pg_class_info c
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = {schema_name}
  AND LEFT(c.relname, 18) = 'sparkify_load_run_'
  AND c.relcreationtime < GETDATE() - INTERVAL '1 day'
ORDER BY 1;
