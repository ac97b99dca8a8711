-- Suggestions for a user (a user_id) from listeners with a similar history. A
-- neighbour is another user who played at least one of the same songs; their overlap is
-- how many distinct songs they share. Each song the user has not played scores the sum
-- of the overlaps of the neighbours who played it. Highest score first; ties go to more
-- neighbours, then the title, then the song id.
WITH heard AS (
    SELECT DISTINCT user_id, song_id, song_id{exact} AS song_key
    FROM {schema}.songplays
    WHERE song_id IS NOT NULL
),
mine AS (
    SELECT song_id, song_key FROM heard WHERE user_id = {param}
),
neighbours AS (
    SELECT h.user_id, count(*) AS overlap
    FROM heard h
    JOIN mine m ON m.song_id = h.song_id AND octet_length(m.song_id) = octet_length(h.song_id)
    WHERE h.user_id <> {param}
    GROUP BY h.user_id
),
candidates AS (
    SELECT h.song_id, CAST(sum(n.overlap) AS bigint) AS score, count(*) AS neighbours
    FROM heard h
    JOIN neighbours n ON n.user_id = h.user_id
    WHERE h.song_key NOT IN (SELECT song_key FROM mine)
    GROUP BY h.song_id, h.song_id{exact}
)
SELECT
    s.song_id,
    s.title,
    a.name AS artist,
    c.score,
    c.neighbours
FROM candidates c
JOIN {schema}.songs s
    ON s.song_id = c.song_id AND octet_length(s.song_id) = octet_length(c.song_id)
LEFT JOIN {schema}.artists a
    ON a.artist_id = s.artist_id AND octet_length(a.artist_id) = octet_length(s.artist_id)
ORDER BY c.score DESC, c.neighbours DESC, s.title{order}, s.song_id{order}
LIMIT 10
