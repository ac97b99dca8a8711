-- Runs in one transaction: readers see the old tables until COMMIT, then the new ones.
-- The manifest and state of earlier incremental runs describe the old tables, so they go
-- with them (docs/INCREMENTAL.md).
BEGIN;
CREATE SCHEMA IF NOT EXISTS {schema};
{move_tables}DROP SCHEMA {staging};
DROP SCHEMA IF EXISTS {state} CASCADE;
COMMIT;
