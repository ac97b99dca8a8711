-- Runs in one transaction: readers see the old tables until COMMIT, then the new ones.
-- Moving a table moves its keys and its identity sequence with it. The manifest and state
-- of earlier incremental runs describe the old tables, so they go with them
-- (docs/INCREMENTAL.md).
BEGIN;
CREATE SCHEMA IF NOT EXISTS {schema};
DROP TABLE IF EXISTS {schema}.songplays, {schema}.users, {schema}.songs, {schema}.artists, {schema}.time;
ALTER TABLE {staging}.songplays SET SCHEMA {schema};
ALTER TABLE {staging}.users SET SCHEMA {schema};
ALTER TABLE {staging}.songs SET SCHEMA {schema};
ALTER TABLE {staging}.artists SET SCHEMA {schema};
ALTER TABLE {staging}.time SET SCHEMA {schema};
DROP SCHEMA {staging};
DROP SCHEMA IF EXISTS {state} CASCADE;
COMMIT;
