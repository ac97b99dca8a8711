-- One text line per row, every column but songplay_id: doubles in their exact shortest form,
-- timestamps to the millisecond, NULL as \N, fields separated by tabs.
SELECT concat_ws(E'\t', artist_id, coalesce(name, '\N'), coalesce(location, '\N'),
       coalesce(latitude::text, '\N'), coalesce(longitude::text, '\N'))
FROM {schema}.artists
