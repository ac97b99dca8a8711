-- The five tables' columns, for OpenLineage's schema facet: (table, column, type).
SELECT table_name, column_name, data_type
FROM information_schema.columns
WHERE table_schema = {schema_name}
  AND table_name IN ('songplays', 'users', 'songs', 'artists', 'time')
ORDER BY table_name, ordinal_position
