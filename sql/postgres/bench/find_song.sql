-- Row-by-row baseline: the classic tutorials' per-event song lookup.
SELECT s.song_id, s.artist_id
FROM {schema}.songs s JOIN {schema}.artists a ON a.artist_id = s.artist_id
WHERE s.title = $1 AND a.name = $2 AND s.duration = $3
LIMIT 1
