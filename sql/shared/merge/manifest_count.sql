-- How many object versions the manifest holds: with the five tables' count, what a run
-- checks again under the merge's lock.
SELECT COUNT(*) FROM {state}objects
