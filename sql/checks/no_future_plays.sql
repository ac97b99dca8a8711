-- No play lies in the future (UTC): the songplays that do.
SELECT CAST(songplay_id AS VARCHAR) || ' at ' || CAST(start_time AS VARCHAR) AS key
FROM {plays} sp
WHERE start_time > {utc_now}
