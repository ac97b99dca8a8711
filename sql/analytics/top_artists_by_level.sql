-- The three most played artists at each level (matched plays only): what paid and free
-- listeners choose. Ties go to the artist's name, then id.
WITH ranked AS (
    SELECT
        p.level,
        a.artist_id,
        a.name AS artist,
        count(*) AS plays,
        row_number() OVER (
            PARTITION BY p.level{exact} ORDER BY count(*) DESC, a.name{order}, a.artist_id{order}
        ) AS rank
    FROM {schema}.songplays p
    JOIN {schema}.artists a
        ON a.artist_id = p.artist_id AND octet_length(a.artist_id) = octet_length(p.artist_id)
    GROUP BY p.level, p.level{exact}, a.artist_id, a.artist_id{exact}, a.name, a.name{exact}
)
SELECT level, rank, artist_id, artist, plays
FROM ranked
WHERE rank <= 3
ORDER BY level{order}, rank
