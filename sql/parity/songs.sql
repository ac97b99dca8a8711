-- Every column but songplay_id, read as text (the simple query protocol, on both dialects) and
-- joined by the caller: doubles in the server's exact text form, timestamps to the millisecond.
SELECT song_id, title, artist_id, year, duration
FROM {schema}.songs
