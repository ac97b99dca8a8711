INSERT INTO {schema}.songplays (start_time, user_id, level, song_id, artist_id, session_id, location, user_agent)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
