-- What exists in the target: how many of the five tables, whether the manifest does, and
-- whether the merge's other state does (a rebuild keeps the manifest, not that state).
SELECT
    (SELECT COUNT(*) FROM information_schema.tables
     WHERE table_schema = {schema_name}
       AND table_name IN ('songplays', 'users', 'songs', 'artists', 'time')),
    (SELECT COUNT(*) FROM information_schema.tables
     WHERE table_schema = {schema_name} AND table_name = {manifest_name}),
    (SELECT COUNT(*) FROM information_schema.tables
     WHERE table_schema = {schema_name} AND table_name = {state_name})
