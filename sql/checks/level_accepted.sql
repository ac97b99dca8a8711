-- `level` is 'free' or 'paid' (NULL is not judged here), in users and in songplays: the keys
-- of the rows where it is something else.
SELECT 'user ' || CAST(user_id AS VARCHAR) || ': ' || level AS key FROM {users}
WHERE level{eq} NOT IN ('free'{eq}, 'paid'{eq})
UNION ALL
SELECT 'songplay ' || CAST(songplay_id AS VARCHAR) || ': ' || level FROM {plays} sp
WHERE level{eq} NOT IN ('free'{eq}, 'paid'{eq})
