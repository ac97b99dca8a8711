-- A table's key is present and unique: the key of each row where it is NULL, and of each
-- key held by more than one row. (On Redshift the grouping is byte for byte, so that 'x' and
-- 'x ' are two keys.)
SELECT 'NULL' AS key FROM {table} WHERE {column} IS NULL
UNION ALL
SELECT MIN(CAST({column} AS VARCHAR)) FROM {table}
WHERE {column} IS NOT NULL
GROUP BY CAST({column} AS VARCHAR){eq}
HAVING COUNT(*) > 1
