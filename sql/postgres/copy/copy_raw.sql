COPY {private}{table} (object, object_rank, line, record) FROM STDIN (FORMAT binary)
