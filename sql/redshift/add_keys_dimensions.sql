-- Redshift keys are declared in create_tables.sql and never enforced; only statistics here.
ANALYZE {schema}.{new}users;
ANALYZE {schema}.{new}songs;
ANALYZE {schema}.{new}artists;
ANALYZE {schema}.{new}time;
