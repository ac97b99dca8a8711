-- The most played artists: plays matched to a known artist, with distinct listeners and
-- how many of the artist's songs were played.
SELECT
    a.artist_id,
    a.name AS artist,
    count(*) AS plays,
    count(DISTINCT p.user_id) AS listeners,
    count(DISTINCT p.song_id) AS songs_played
FROM {schema}.songplays p
JOIN {schema}.artists a ON a.artist_id = p.artist_id
GROUP BY a.artist_id, a.name
ORDER BY plays DESC, a.name, a.artist_id
LIMIT 10
