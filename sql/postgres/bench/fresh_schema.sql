-- A fresh schema for one of the bench's own routes, on the bench's private server.
DROP SCHEMA IF EXISTS {schema} CASCADE;
CREATE SCHEMA {schema};
