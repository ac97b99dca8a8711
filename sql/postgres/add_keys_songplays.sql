-- The fact table's key: the five tables get it when a schema that has none is given them
-- (create-tables, a first load); the bench adds it once its rows are in.
ALTER TABLE {schema}.{new}songplays ADD PRIMARY KEY (songplay_id);
ANALYZE {schema}.{new}songplays;
