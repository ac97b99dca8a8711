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
JOIN {schema}.songs s ON s.song_id = o.next_song_id
LEFT JOIN {schema}.artists a ON a.artist_id = s.artist_id
WHERE o.song_id = {param}
GROUP BY s.song_id, s.title, a.name
ORDER BY times DESC, listeners DESC, s.title, s.song_id
LIMIT 10
