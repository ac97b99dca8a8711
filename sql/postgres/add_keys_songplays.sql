-- The fact table's key, added once the rows are in; it runs beside add_keys_dimensions.sql
-- on a second connection, each index build on its own core.
ALTER TABLE {schema}.songplays ADD PRIMARY KEY (songplay_id);
ANALYZE {schema}.songplays;
