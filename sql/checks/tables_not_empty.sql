-- No table of the star schema is empty: the empty ones. (Each look reads at most one row.)
SELECT 'songplays' AS key FROM (SELECT COUNT(*) AS n FROM (SELECT 1 AS x FROM {songplays} LIMIT 1) r) c WHERE n = 0
UNION ALL
SELECT 'users' FROM (SELECT COUNT(*) AS n FROM (SELECT 1 AS x FROM {users} LIMIT 1) r) c WHERE n = 0
UNION ALL
SELECT 'songs' FROM (SELECT COUNT(*) AS n FROM (SELECT 1 AS x FROM {songs} LIMIT 1) r) c WHERE n = 0
UNION ALL
SELECT 'artists' FROM (SELECT COUNT(*) AS n FROM (SELECT 1 AS x FROM {artists} LIMIT 1) r) c WHERE n = 0
UNION ALL
SELECT 'time' FROM (SELECT COUNT(*) AS n FROM (SELECT 1 AS x FROM {time} LIMIT 1) r) c WHERE n = 0
