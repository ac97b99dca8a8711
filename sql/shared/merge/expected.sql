-- What the merged tables must hold, for the quality gate to reconcile (after the prologue,
-- so a --full run counts from empty): the songplays so far plus the new plays, and the
-- users so far together with the new plays' users; and the last songplay id so far, after
-- which the gate checks the new plays.
SELECT songplays.n + plays.n, users.n, songplays.last
FROM (SELECT COUNT(*) AS n, COALESCE(MAX(songplay_id), 0) AS last FROM {schema}.songplays) songplays
CROSS JOIN (SELECT COUNT(*) AS n FROM {work}new_plays) plays
CROSS JOIN (
    SELECT COUNT(*) AS n FROM (
        SELECT user_id FROM {schema}.users UNION SELECT user_id FROM {work}new_plays
    ) u
) users
