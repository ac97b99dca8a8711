-- What the run read, counted before the rules run, for the quality gate to reconcile the
-- new tables with: the good NextSong events with a user, and their distinct users.
SELECT COUNT(*), COUNT(DISTINCT user_id) FROM {private}events_typed
WHERE reason IS NULL AND page = 'NextSong' AND user_id IS NOT NULL
