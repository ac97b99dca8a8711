-- No table of the star schema is empty: the empty ones.
SELECT 'songplays' AS key WHERE NOT EXISTS (SELECT 1 FROM {songplays})
UNION ALL SELECT 'users' WHERE NOT EXISTS (SELECT 1 FROM {users})
UNION ALL SELECT 'songs' WHERE NOT EXISTS (SELECT 1 FROM {songs})
UNION ALL SELECT 'artists' WHERE NOT EXISTS (SELECT 1 FROM {artists})
UNION ALL SELECT 'time' WHERE NOT EXISTS (SELECT 1 FROM {time})
