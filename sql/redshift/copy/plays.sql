-- What the run read, counted before the rules run, for the quality gate to reconcile the
-- new tables with: the NextSong events with a user that COPY loaded and the contract keeps,
-- and their distinct users.
SELECT COUNT(*), COUNT(DISTINCT user_id) FROM {schema}.{new}raw_events
WHERE page || CHR(1) = 'NextSong' || CHR(1) AND user_id IS NOT NULL;
