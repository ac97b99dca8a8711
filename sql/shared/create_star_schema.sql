-- `create-tables`: the empty star schema, replacing any tables already there.
BEGIN;
CREATE SCHEMA IF NOT EXISTS {schema};
{drop_tables}
{create_tables}
{add_keys}
COMMIT;
