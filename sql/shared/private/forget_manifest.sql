-- A rebuild that cannot name the objects it read (copy mode on Redshift: COPY reads whole
-- prefixes) drops the manifest and the merge's state in its move-in transaction, so that
-- no incremental run merges objects these tables already hold; one then asks for --full.
DROP TABLE IF EXISTS {state}objects, {state}song_records, {state}user_latest, {state}plays;
