-- Every session the tool opens, first. Times in UTC: the star schema's timestamps are UTC
-- without a time zone, and the current time the checks and the manifest read
-- (LOCALTIMESTAMP) is the session's, so a database or user whose default time zone is not
-- UTC would see recent plays "in the future" (docs/REDSHIFT.md rule 30). Doubles as the
-- shortest text that reads back exactly (from PostgreSQL 12, any value above 0): copy mode
-- turns JSON numbers into doubles through text and parity reads them as text, and a default
-- of 0 or less would round them to 15 digits.
SET timezone TO 'UTC';
SET extra_float_digits TO 3;
