-- `create-tables`: the empty star schema, replacing any tables already there, and without
-- a manifest: the state of earlier loads described the tables it replaces.
BEGIN;
{drop_tables}
DROP TABLE IF EXISTS {state}objects, {state}song_records, {state}user_latest, {state}plays;
{create_tables}
{add_keys}
COMMIT;
