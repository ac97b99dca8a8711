-- Rows in each table of a star schema (any dialect): songplays, users, songs, artists, time.
SELECT (SELECT count(*) FROM {schema}.songplays), (SELECT count(*) FROM {schema}.users),
       (SELECT count(*) FROM {schema}.songs), (SELECT count(*) FROM {schema}.artists),
       (SELECT count(*) FROM {schema}.time)
