-- Plays by day of the week (UTC), through the time dimension; weekday 0 is Sunday, as
-- EXTRACT(dow) gives it. Every day is listed, those without plays as 0.
WITH days (weekday, day_name) AS (
    SELECT 0, 'Sunday' UNION ALL SELECT 1, 'Monday' UNION ALL SELECT 2, 'Tuesday'
    UNION ALL SELECT 3, 'Wednesday' UNION ALL SELECT 4, 'Thursday'
    UNION ALL SELECT 5, 'Friday' UNION ALL SELECT 6, 'Saturday'
),
by_day AS (
    SELECT t.weekday, count(*) AS plays
    FROM {schema}.songplays p
    JOIN {schema}.time t ON t.start_time = p.start_time
    GROUP BY t.weekday
),
total AS (SELECT count(*) AS plays FROM {schema}.songplays)
SELECT
    d.weekday,
    d.day_name,
    coalesce(b.plays, 0) AS plays,
    CAST(round(100.0 * coalesce(b.plays, 0) / nullif(total.plays, 0), 1) AS double precision) AS share_pct
FROM days d
CROSS JOIN total
LEFT JOIN by_day b ON b.weekday = d.weekday
ORDER BY d.weekday
