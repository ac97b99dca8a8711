-- Cleans up after a load that failed.
DROP SCHEMA IF EXISTS {private} CASCADE;
