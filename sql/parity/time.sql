-- Every column but songplay_id, read as text (the simple query protocol, on both dialects) and
-- joined by the caller: doubles in the server's exact text form, timestamps to the millisecond.
SELECT to_char(start_time, 'YYYY-MM-DD HH24:MI:SS.MS'), hour, day, week, month, year, weekday
FROM {schema}.time
