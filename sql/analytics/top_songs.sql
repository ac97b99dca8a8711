-- The most played songs: plays matched to a known song, with how many distinct users
-- played each. Ties go to the title, then the song id, so the list is stable.
SELECT
    s.song_id,
    s.title,
    a.name AS artist,
    count(*) AS plays,
    count(DISTINCT p.user_id) AS listeners
FROM {schema}.songplays p
JOIN {schema}.songs s
    ON s.song_id = p.song_id AND octet_length(s.song_id) = octet_length(p.song_id)
LEFT JOIN {schema}.artists a
    ON a.artist_id = s.artist_id AND octet_length(a.artist_id) = octet_length(s.artist_id)
GROUP BY s.song_id, s.song_id{exact}, s.title, s.title{exact}, a.name, a.name{exact}
ORDER BY plays DESC, s.title{order}, s.song_id{order}
LIMIT 10
