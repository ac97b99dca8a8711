-- What the merged tables must hold, for the quality gate to reconcile (after the prologue,
-- so a --full run counts from empty): the songplays so far plus the new plays, and the
-- users so far together with the new plays' users.
SELECT (SELECT COUNT(*) FROM {schema}.songplays) + (SELECT COUNT(*) FROM {work}new_plays),
       (SELECT COUNT(*) FROM (
            SELECT user_id FROM {schema}.users UNION SELECT user_id FROM {work}new_plays
        ) u)
