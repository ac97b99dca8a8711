-- The quarantine, every column as text.
SELECT tree, key, size, version, reason,
       TO_CHAR(first_attempt AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
       TO_CHAR(last_attempt AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
       attempts
FROM {schema}.sparkify_load_quarantine
ORDER BY tree, key;
