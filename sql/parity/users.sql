-- One text line per row, every column but songplay_id: doubles in their exact shortest form,
-- timestamps to the millisecond, NULL as \N, fields separated by tabs.
SELECT concat_ws(E'\t', user_id, coalesce(first_name, '\N'), coalesce(last_name, '\N'),
       coalesce(gender, '\N'), coalesce(level, '\N'))
FROM {schema}.users
