-- A fresh private schema for one load; a leftover from a killed load is dropped first.
DROP SCHEMA IF EXISTS {private} CASCADE;
CREATE SCHEMA {private};
