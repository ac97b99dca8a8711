-- Plays by region: the part of the play's location after its last comma, trimmed
-- ('San Jose-Sunnyvale-Santa Clara, CA' -> 'CA'; a metro area over several states keeps
-- them all: 'New York-Newark-Jersey City, NY-NJ-PA' -> 'NY-NJ-PA'). A location that is
-- NULL or has no comma is the region '(unknown)'.
WITH located AS (
    SELECT
        user_id,
        CASE
            WHEN strpos(location, ',') > 0
                THEN btrim(reverse(split_part(reverse(location), ',', 1)))
            ELSE '(unknown)'
        END AS region
    FROM {schema}.songplays
),
total AS (SELECT count(*) AS plays FROM {schema}.songplays)
SELECT
    l.region,
    count(*) AS plays,
    count(DISTINCT l.user_id) AS listeners,
    CAST(round(100.0 * count(*) / max(total.plays), 1) AS double precision) AS share_pct
FROM located l
CROSS JOIN total
GROUP BY l.region, l.region{exact}
ORDER BY plays DESC, l.region{order}
