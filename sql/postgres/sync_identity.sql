-- After the move-in, songplays' identity goes on after the greatest id moved in, as it
-- would after rows inserted by default; the moved rows keep their ids (OVERRIDING SYSTEM
-- VALUE), which do not advance it. A sequence is not rolled back with the transaction, so
-- this never moves it backwards (a move-in that then rolls back leaves it ahead of the old
-- rows' ids, never on one of them). The table's owner (the loader) may set its sequence.
SELECT setval(seq, GREATEST((SELECT COALESCE(MAX(songplay_id), 0) + 1 FROM {schema}.songplays),
                            nextval(seq)), false)
FROM (SELECT pg_get_serial_sequence('{schema}.songplays', 'songplay_id') AS seq) AS identity;
