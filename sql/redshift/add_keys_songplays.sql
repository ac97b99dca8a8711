-- Redshift keys are declared in create_tables.sql and never enforced; only statistics here.
ANALYZE {schema}.{new}songplays;
