-- After the move-in, songplays' identity goes on after the greatest id moved in, as it
-- would after rows inserted by default; the moved rows keep their ids (OVERRIDING SYSTEM
-- VALUE), which do not advance it. The table's owner (the loader) may set its sequence.
SELECT setval(pg_get_serial_sequence('{schema}.songplays', 'songplay_id'),
              COALESCE(MAX(songplay_id), 0) + 1, false)
FROM {schema}.songplays;
