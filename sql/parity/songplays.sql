-- One text line per row, every column but songplay_id: doubles in their exact shortest form,
-- timestamps to the millisecond, NULL as \N, fields separated by tabs.
SELECT concat_ws(E'\t', to_char(start_time, 'YYYY-MM-DD HH24:MI:SS.MS'), user_id, coalesce(level, '\N'),
       coalesce(song_id, '\N'), coalesce(artist_id, '\N'), coalesce(session_id::text, '\N'),
       coalesce(location, '\N'), coalesce(user_agent, '\N'))
FROM {schema}.songplays
