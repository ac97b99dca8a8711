-- Every column but songplay_id, read as text (the simple query protocol, on both dialects) and
-- joined by the caller: doubles in the server's exact text form, timestamps to the millisecond.
SELECT artist_id, name, location, latitude, longitude
FROM {schema}.artists
