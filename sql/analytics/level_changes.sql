-- Users whose level changed between consecutive plays: free -> paid is an upgrade,
-- paid -> free a downgrade. Plays are taken in time order (ties by songplay_id, the load
-- order); first_change is the start time of the first play at the new level.
WITH plays AS (
    SELECT
        user_id,
        start_time,
        level,
        lag(level) OVER (PARTITION BY user_id ORDER BY start_time, songplay_id) AS previous_level,
        first_value(level) OVER (
            PARTITION BY user_id ORDER BY start_time, songplay_id
            ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING
        ) AS first_level
    FROM {schema}.songplays
),
changes AS (
    SELECT
        user_id,
        max(first_level) AS first_level,
        sum(CASE WHEN previous_level{exact} = 'free'{exact} AND level{exact} = 'paid'{exact}
            THEN 1 ELSE 0 END) AS upgrades,
        sum(CASE WHEN previous_level{exact} = 'paid'{exact} AND level{exact} = 'free'{exact}
            THEN 1 ELSE 0 END) AS downgrades,
        min(CASE WHEN previous_level{exact} <> level{exact} THEN start_time END) AS first_change
    FROM plays
    GROUP BY user_id
)
SELECT
    c.user_id,
    u.first_name,
    u.last_name,
    c.first_level,
    u.level AS current_level,
    c.upgrades,
    c.downgrades,
    to_char(c.first_change, 'YYYY-MM-DD HH24:MI:SS') AS first_change
FROM changes c
LEFT JOIN {schema}.users u ON u.user_id = c.user_id
WHERE c.first_change IS NOT NULL
ORDER BY c.first_change, c.user_id
