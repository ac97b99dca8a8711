-- The most played artists: plays matched to a known artist, with distinct listeners and
-- how many of the artist's songs were played.
SELECT
    a.artist_id,
    a.name AS artist,
    count(*) AS plays,
    count(DISTINCT p.user_id) AS listeners,
    count(DISTINCT p.song_id{exact}) AS songs_played
FROM {schema}.songplays p
JOIN {schema}.artists a
    ON a.artist_id = p.artist_id AND octet_length(a.artist_id) = octet_length(p.artist_id)
GROUP BY a.artist_id, a.artist_id{exact}, a.name, a.name{exact}
ORDER BY plays DESC, a.name{order}, a.artist_id{order}
LIMIT 10
