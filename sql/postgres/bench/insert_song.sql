INSERT INTO {schema}.songs (song_id, title, artist_id, year, duration) VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (song_id) DO NOTHING
