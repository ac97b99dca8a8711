-- The quarantine, every column as text (times in UTC).
SELECT tree, key, size, version, reason,
       TO_CHAR(first_attempt AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS'),
       TO_CHAR(last_attempt AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS'),
       attempts
FROM {schema}.sparkify_load_quarantine
ORDER BY tree, key;
