-- Runs in one transaction. Redshift cannot move a table between schemas, so the new
-- tables are created in the target schema and filled from staging; readers see the
-- old tables until COMMIT (serializable isolation), then the new ones.
BEGIN;
CREATE SCHEMA IF NOT EXISTS {schema};
DROP TABLE IF EXISTS {schema}.songplays, {schema}.users, {schema}.songs, {schema}.artists, {schema}.time;
{create_tables}
INSERT INTO {schema}.songplays SELECT * FROM {staging}.songplays;
INSERT INTO {schema}.users SELECT * FROM {staging}.users;
INSERT INTO {schema}.songs SELECT * FROM {staging}.songs;
INSERT INTO {schema}.artists SELECT * FROM {staging}.artists;
INSERT INTO {schema}.time SELECT * FROM {staging}.time;
DROP SCHEMA {staging} CASCADE;
COMMIT;
