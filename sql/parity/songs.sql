-- One text line per row, every column but songplay_id: doubles in their exact shortest form,
-- timestamps to the millisecond, NULL as \N, fields separated by tabs.
SELECT concat_ws(E'\t', song_id, coalesce(title, '\N'), coalesce(artist_id, '\N'),
       coalesce(year::text, '\N'), coalesce(duration::text, '\N'))
FROM {schema}.songs
