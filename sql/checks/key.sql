-- A table's key is present and unique: the key of each row where it is NULL, and of each
-- key held by more than one row. The grouping is the key itself, and for a text key on
-- Redshift the key byte for byte, so that 'x' and 'x ' are two keys.
SELECT 'NULL' AS key FROM {table} WHERE {column} IS NULL
UNION ALL
SELECT CAST(MIN({column}) AS VARCHAR) FROM {table}
WHERE {column} IS NOT NULL
GROUP BY {grouping}
HAVING COUNT(*) > 1
