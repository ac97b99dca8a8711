COPY {schema}.{table} (j) FROM STDIN
