-- PostgreSQL only: whether a table's key column is its primary key, which PostgreSQL
-- enforces (present and unique); then the key check has nothing to look for.
SELECT COUNT(*) FROM pg_constraint k
JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = k.conkey[1]
WHERE k.contype = 'p' AND k.conrelid = {table_name}::regclass
  AND array_length(k.conkey, 1) = 1 AND a.attname = {column_name}
