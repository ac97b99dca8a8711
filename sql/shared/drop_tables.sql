-- The star schema's tables, gone.
DROP TABLE IF EXISTS {schema}.songplays, {schema}.users, {schema}.songs, {schema}.artists, {schema}.time;
