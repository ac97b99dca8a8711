-- The most active listeners: plays and sessions per user, with the user's current level.
-- Ties go to the user id.
SELECT
    p.user_id,
    u.first_name,
    u.last_name,
    u.level,
    count(*) AS plays,
    count(DISTINCT p.session_id) AS sessions
FROM {schema}.songplays p
LEFT JOIN {schema}.users u ON u.user_id = p.user_id
GROUP BY p.user_id, u.first_name, u.first_name{exact}, u.last_name, u.last_name{exact},
         u.level, u.level{exact}
ORDER BY plays DESC, p.user_id
LIMIT 10
