-- Whether a user_id is in the users table (1) or not (0): `next --user` says so when it is
-- not, rather than answering with no rows.
SELECT COUNT(*) AS known FROM {schema}.users WHERE user_id = {param}
