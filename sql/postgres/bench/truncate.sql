-- Empties the bench's songplays table between measured inserts.
TRUNCATE {schema}.songplays
