-- Every songplay's user_id is a row of `users`: the songplays whose is not.
SELECT CAST(sp.songplay_id AS VARCHAR) AS key FROM {plays} sp
WHERE NOT EXISTS (SELECT 1 FROM {users} u WHERE u.user_id = sp.user_id)
