-- What exists in the target: how many of the five tables, and whether the manifest does.
SELECT
    (SELECT COUNT(*) FROM information_schema.tables
     WHERE table_schema = {schema_name}
       AND table_name IN ('songplays', 'users', 'songs', 'artists', 'time')),
    (SELECT COUNT(*) FROM information_schema.tables
     WHERE table_schema = {state_name} AND table_name = 'objects')
