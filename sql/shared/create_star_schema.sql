-- `create-tables`: the empty star schema, replacing any tables already there.
BEGIN;
{drop_tables}
{create_tables}
{add_keys}
COMMIT;
