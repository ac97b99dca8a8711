-- The records this session's COPYs rejected: object, line, reason and raw text.
SELECT trim(filename), line_number, trim(colname) || ': ' || trim(err_reason), trim(raw_line)
FROM stl_load_errors
WHERE session = pg_backend_pid()
ORDER BY 1, 2
