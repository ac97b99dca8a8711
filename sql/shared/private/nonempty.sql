-- Whether each of the five tables holds a row (1) or none (0), in the order songplays,
-- users, songs, artists, time: taken before and after a load changes them, inside its
-- transaction, so that no load silently empties a table that had rows.
SELECT (SELECT COUNT(*) FROM (SELECT 1 FROM {schema}.songplays LIMIT 1) AS held),
       (SELECT COUNT(*) FROM (SELECT 1 FROM {schema}.users LIMIT 1) AS held),
       (SELECT COUNT(*) FROM (SELECT 1 FROM {schema}.songs LIMIT 1) AS held),
       (SELECT COUNT(*) FROM (SELECT 1 FROM {schema}.artists LIMIT 1) AS held),
       (SELECT COUNT(*) FROM (SELECT 1 FROM {schema}.time LIMIT 1) AS held);
