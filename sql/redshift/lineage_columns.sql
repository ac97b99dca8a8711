-- The five tables' columns, for OpenLineage's schema facet: (table, column, type). From
-- SVV_COLUMNS, Redshift's documented view of columns (AWS, "SVV_COLUMNS"), which has the
-- same column names as PostgreSQL's information_schema.columns.
SELECT table_name, column_name, data_type
FROM svv_columns
WHERE table_schema = {schema_name}
  AND table_name IN ('songplays', 'users', 'songs', 'artists', 'time')
ORDER BY table_name, ordinal_position
