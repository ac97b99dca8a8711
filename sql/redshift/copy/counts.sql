-- Rows in each staged table: songplays, users, songs, artists, time.
SELECT (SELECT count(*) FROM {staging}.songplays), (SELECT count(*) FROM {staging}.users),
       (SELECT count(*) FROM {staging}.songs), (SELECT count(*) FROM {staging}.artists),
       (SELECT count(*) FROM {staging}.time)
