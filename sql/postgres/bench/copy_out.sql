COPY {schema}.{table} ({columns}) TO STDOUT (FORMAT binary)
