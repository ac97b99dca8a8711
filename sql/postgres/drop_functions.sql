-- Copy mode's functions (copy/prepare.sql), gone with the load's private tables.
DROP FUNCTION IF EXISTS {private}record_problem, {private}coerce, {private}ms_to_timestamp;
