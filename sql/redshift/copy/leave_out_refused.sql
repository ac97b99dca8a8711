-- The refused events, counted as bad records, are left out of the star schema.
DELETE FROM {schema}.{new}raw_events
WHERE ts IS NULL OR page IS NULL;
