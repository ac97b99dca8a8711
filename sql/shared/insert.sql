INSERT INTO {schema}.{table} ({columns}) VALUES {rows}
