-- Redshift keys are declared in create_tables.sql and never enforced; only statistics here.
ANALYZE {schema}.users;
ANALYZE {schema}.songs;
ANALYZE {schema}.artists;
ANALYZE {schema}.time;
