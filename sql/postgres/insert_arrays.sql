INSERT INTO {schema}.{table} ({columns}) SELECT * FROM unnest({arrays})
