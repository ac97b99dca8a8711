-- One text line per row, every column but songplay_id: doubles in their exact shortest form,
-- timestamps to the millisecond, NULL as \N, fields separated by tabs.
SELECT concat_ws(E'\t', to_char(start_time, 'YYYY-MM-DD HH24:MI:SS.MS'), coalesce(hour::text, '\N'),
       coalesce(day::text, '\N'), coalesce(week::text, '\N'), coalesce(month::text, '\N'),
       coalesce(year::text, '\N'), coalesce(weekday::text, '\N'))
FROM {schema}.time
