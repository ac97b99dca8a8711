-- The five tables built in {staging} moved into {schema}, in place of those there, inside
-- the caller's transaction (a rebuild's swap, a full merge). Moving a table moves its keys
-- and its identity sequence with it.
DROP TABLE IF EXISTS {schema}.songplays, {schema}.users, {schema}.songs, {schema}.artists, {schema}.time;
ALTER TABLE {staging}.songplays SET SCHEMA {schema};
ALTER TABLE {staging}.users SET SCHEMA {schema};
ALTER TABLE {staging}.songs SET SCHEMA {schema};
ALTER TABLE {staging}.artists SET SCHEMA {schema};
ALTER TABLE {staging}.time SET SCHEMA {schema};
