-- Cleans up after a load that failed.
DROP SCHEMA IF EXISTS {staging} CASCADE;
