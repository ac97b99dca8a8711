-- Every column but songplay_id, read as text (the simple query protocol, on both dialects) and
-- joined by the caller: doubles in the server's exact text form, timestamps to the millisecond.
SELECT user_id, first_name, last_name, gender, level
FROM {schema}.users
