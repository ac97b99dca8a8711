-- Runs in one transaction, LOCK first, as Redshift advises, so that two loads' swaps wait for
-- each other rather than fail on serializable isolation: the old tables are dropped and the
-- new ones, built in the target schema under this load's private names, renamed in.
-- Renames are metadata only (no row is copied); readers see the old tables until COMMIT,
-- then the new ones. Grants on the old tables go with them (docs/REDSHIFT.md), and so does
-- the state of earlier incremental runs, which describes them (docs/INCREMENTAL.md).
BEGIN;
LOCK {schema}.sparkify_load_lock;
DROP TABLE IF EXISTS {schema}.songplays, {schema}.users, {schema}.songs, {schema}.artists, {schema}.time;
ALTER TABLE {schema}.{new}songplays RENAME TO songplays;
ALTER TABLE {schema}.{new}users RENAME TO users;
ALTER TABLE {schema}.{new}songs RENAME TO songs;
ALTER TABLE {schema}.{new}artists RENAME TO artists;
ALTER TABLE {schema}.{new}time RENAME TO time;
DROP SCHEMA IF EXISTS {state} CASCADE;
COMMIT;
