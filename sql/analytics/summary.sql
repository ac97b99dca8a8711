-- The warehouse at a glance: plays, listeners, songs and artists known, sessions, the
-- period the plays cover, and how many plays were matched to a known song.
-- A session is a (user_id, session_id) pair: session ids are only unique per user.
SELECT
    (SELECT count(*) FROM {schema}.songplays) AS plays,
    (SELECT count(*) FROM {schema}.users) AS users,
    (SELECT count(*) FROM {schema}.songs) AS songs,
    (SELECT count(*) FROM {schema}.artists) AS artists,
    (SELECT count(*) FROM (SELECT DISTINCT user_id, session_id FROM {schema}.songplays) s) AS sessions,
    (SELECT count(*) FROM {schema}.songplays WHERE song_id IS NOT NULL) AS matched_plays,
    (SELECT to_char(min(start_time), 'YYYY-MM-DD HH24:MI:SS') FROM {schema}.songplays) AS first_play,
    (SELECT to_char(max(start_time), 'YYYY-MM-DD HH24:MI:SS') FROM {schema}.songplays) AS last_play
