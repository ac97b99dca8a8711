-- The records the session's last COPY rejected: object, line, reason and raw text. Filtered
-- on that COPY's query id: a pid is reused by later sessions, a query id is not.
SELECT trim(filename), line_number, trim(colname) || ': ' || trim(err_reason), trim(raw_line)
FROM stl_load_errors
WHERE query = pg_last_copy_id()
ORDER BY 1, 2;
