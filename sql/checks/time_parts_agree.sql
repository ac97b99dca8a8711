-- Each `time` row's parts are those of its start_time (week ISO 8601, weekday 0 = Sunday):
-- the start times whose are not.
SELECT CAST(start_time AS VARCHAR) AS key FROM {times} t
WHERE NOT COALESCE(
    hour = EXTRACT(hour FROM start_time) AND day = EXTRACT(day FROM start_time)
    AND week = EXTRACT(week FROM start_time) AND month = EXTRACT(month FROM start_time)
    AND year = EXTRACT(year FROM start_time) AND weekday = EXTRACT(dow FROM start_time),
    FALSE)
