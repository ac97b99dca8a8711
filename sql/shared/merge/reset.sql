-- `--full`: the merge starts from empty tables and an empty manifest, in its own
-- transaction, so readers see the old rows until it commits.
DELETE FROM {schema}.songplays;
DELETE FROM {schema}.users;
DELETE FROM {schema}.songs;
DELETE FROM {schema}.artists;
DELETE FROM {schema}.time;
DELETE FROM {state}objects;
DELETE FROM {state}song_records;
DELETE FROM {state}user_latest;
DELETE FROM {state}plays;
