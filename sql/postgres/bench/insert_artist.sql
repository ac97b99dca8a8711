INSERT INTO {schema}.artists (artist_id, name, location, latitude, longitude) VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (artist_id) DO NOTHING
