-- Every songplay's start_time is a row of `time`: the songplays whose is not.
SELECT CAST(sp.songplay_id AS VARCHAR) AS key FROM {plays} sp
WHERE NOT EXISTS (SELECT 1 FROM {time} t WHERE t.start_time = sp.start_time)
