-- Copy mode's functions (copy/prepare.sql), gone with the load's private tables.
DROP FUNCTION IF EXISTS {staging}record_problem, {staging}coerce, {staging}ms_to_timestamp;
