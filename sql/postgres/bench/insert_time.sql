INSERT INTO {schema}.time (start_time, hour, day, week, month, year, weekday) VALUES ($1, $2, $3, $4, $5, $6, $7)
ON CONFLICT (start_time) DO NOTHING
