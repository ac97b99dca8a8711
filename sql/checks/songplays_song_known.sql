-- A songplay's song_id, when it has one, is a row of `songs`: the songplays whose is not.
SELECT CAST(sp.songplay_id AS VARCHAR) AS key FROM {plays} sp
WHERE sp.song_id IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM {songs} s WHERE s.song_id{eq} = sp.song_id{eq})
