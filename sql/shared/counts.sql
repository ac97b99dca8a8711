-- Rows in each table of a star schema (any dialect; `{tables}` is the schema and any name
-- prefix): songplays, users, songs, artists, time.
SELECT (SELECT count(*) FROM {tables}songplays), (SELECT count(*) FROM {tables}users),
       (SELECT count(*) FROM {tables}songs), (SELECT count(*) FROM {tables}artists),
       (SELECT count(*) FROM {tables}time)
