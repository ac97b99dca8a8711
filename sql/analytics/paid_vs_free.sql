-- Paid and free listening compared, by the level a play was made at (a user who upgraded
-- counts on both sides): users, plays, sessions, distinct artists played (matched plays
-- only), plays per user and per session, and the level's share of all plays.
WITH total AS (SELECT count(*) AS plays FROM {schema}.songplays)
SELECT
    p.level,
    count(DISTINCT p.user_id) AS users,
    count(*) AS plays,
    count(DISTINCT CAST(p.user_id AS text) || ':' || coalesce(CAST(p.session_id AS text), '')) AS sessions,
    count(DISTINCT p.artist_id{exact}) AS artists,
    CAST(round(1.0 * count(*) / count(DISTINCT p.user_id), 2) AS double precision) AS plays_per_user,
    CAST(round(1.0 * count(*) / count(DISTINCT CAST(p.user_id AS text) || ':' || coalesce(CAST(p.session_id AS text), '')), 2) AS double precision) AS plays_per_session,
    CAST(round(100.0 * count(*) / max(total.plays), 1) AS double precision) AS share_pct
FROM {schema}.songplays p
CROSS JOIN total
GROUP BY p.level, p.level{exact}
ORDER BY p.level{order}
