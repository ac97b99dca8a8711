-- A songplay's artist_id, when it has one, is a row of `artists`: the songplays whose is not.
SELECT CAST(sp.songplay_id AS VARCHAR) AS key FROM {plays} sp
WHERE sp.artist_id IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM {artists} a WHERE a.artist_id{eq} = sp.artist_id{eq})
