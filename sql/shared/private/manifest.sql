-- A rebuild's manifest, in its move-in transaction: the objects it read replace the
-- manifest, so that an --incremental run can follow any load. A rebuild does not keep the
-- merge's other state (song records, latest users, matchable plays), so those tables go:
-- the next --incremental run that finds new objects rebuilds them from every object
-- (docs/INCREMENTAL.md). `{state}` is the state tables' schema and prefix, `{work}` the rebuild's.
{state_tables}
DELETE FROM {state}objects;
INSERT INTO {state}objects (tree, key, size, version, run_id, loaded_at)
SELECT tree, key, size, version, {run_id}, {now} FROM {work}new_objects;
DROP TABLE IF EXISTS {state}song_records, {state}user_latest, {state}plays;
