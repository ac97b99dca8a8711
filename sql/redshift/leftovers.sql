-- Private tables (sparkify_load_<run>_<table>) of loads into the schema that began more than
-- a day ago: left behind by a load killed before its end, as no load runs that long.
SELECT c.relname
FROM pg_class_info c
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = {schema_name}
  AND c.relname LIKE 'sparkify_load_%' AND c.relname <> 'sparkify_load_lock'
  AND c.relcreationtime < GETDATE() - INTERVAL '1 day'
ORDER BY 1;
