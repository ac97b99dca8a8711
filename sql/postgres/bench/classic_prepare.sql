-- The classic route (bench anchor): jsonb staging tables beside the star schema, as the
-- classic pipeline's create_tables step makes them.
CREATE TABLE {schema}.staging_songs (j jsonb);
CREATE TABLE {schema}.staging_events (j jsonb);
