-- Whether a song_id is in the catalogue (1) or not (0): `next --song` says so when it is
-- not, rather than answering with no rows.
SELECT COUNT(*) AS known FROM {schema}.songs WHERE song_id{exact} = {param}{exact}
