-- Every column but songplay_id, read as text (the simple query protocol, on both dialects) and
-- joined by the caller: doubles in the server's exact text form, timestamps to the millisecond.
SELECT to_char(start_time, 'YYYY-MM-DD HH24:MI:SS.MS'), user_id, level, song_id, artist_id, session_id,
       location, user_agent
FROM {schema}.songplays
