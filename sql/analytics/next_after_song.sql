-- What next, after a song (a song_id): the songs played right after it in the same
-- session (the same user_id and session_id, next by start time, ties by songplay_id),
-- most often first. A next play not matched to a known song cannot be suggested.
WITH ordered AS (
    SELECT
        user_id,
        song_id,
        lead(song_id) OVER (
            PARTITION BY user_id, session_id ORDER BY start_time, songplay_id
        ) AS next_song_id
    FROM {schema}.songplays
)
SELECT
    s.song_id,
    s.title,
    a.name AS artist,
    count(*) AS times,
    count(DISTINCT o.user_id) AS listeners
FROM ordered o
JOIN {schema}.songs s
    ON s.song_id = o.next_song_id AND octet_length(s.song_id) = octet_length(o.next_song_id)
LEFT JOIN {schema}.artists a
    ON a.artist_id = s.artist_id AND octet_length(a.artist_id) = octet_length(s.artist_id)
WHERE o.song_id{exact} = {param}{exact}
GROUP BY s.song_id, s.song_id{exact}, s.title, s.title{exact}, a.name, a.name{exact}
ORDER BY times DESC, listeners DESC, s.title{order}, s.song_id{order}
LIMIT 10
