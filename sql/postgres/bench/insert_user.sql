INSERT INTO {schema}.users (user_id, first_name, last_name, gender, level) VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (user_id) DO UPDATE SET level = EXCLUDED.level
