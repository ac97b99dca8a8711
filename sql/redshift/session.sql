-- Every session the tool opens, first: times in UTC. The star schema's timestamps are UTC
-- without a time zone, and GETDATE() is the session's time zone (AWS, "GETDATE"), which a
-- user's default (ALTER USER … SET timezone) may make another, so recent plays would be
-- "in the future" (docs/REDSHIFT.md rule 30).
SET timezone TO 'UTC';
