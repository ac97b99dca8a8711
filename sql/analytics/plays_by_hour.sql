-- Plays by hour of day (UTC), through the time dimension; every hour is listed, those
-- without plays as 0. share_pct is the hour's share of all plays, in percent.
WITH hours (hour) AS (
    SELECT 0 UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4
    UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8
    UNION ALL SELECT 9 UNION ALL SELECT 10 UNION ALL SELECT 11 UNION ALL SELECT 12
    UNION ALL SELECT 13 UNION ALL SELECT 14 UNION ALL SELECT 15 UNION ALL SELECT 16
    UNION ALL SELECT 17 UNION ALL SELECT 18 UNION ALL SELECT 19 UNION ALL SELECT 20
    UNION ALL SELECT 21 UNION ALL SELECT 22 UNION ALL SELECT 23
),
by_hour AS (
    SELECT t.hour, count(*) AS plays
    FROM {schema}.songplays p
    JOIN {schema}.time t ON t.start_time = p.start_time
    GROUP BY t.hour
),
total AS (SELECT count(*) AS plays FROM {schema}.songplays)
SELECT
    h.hour,
    coalesce(b.plays, 0) AS plays,
    CAST(round(100.0 * coalesce(b.plays, 0) / nullif(total.plays, 0), 1) AS double precision) AS share_pct
FROM hours h
CROSS JOIN total
LEFT JOIN by_hour b ON b.hour = h.hour
ORDER BY h.hour
