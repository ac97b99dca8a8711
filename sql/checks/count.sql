-- A table's rows, to reconcile with what the run read.
SELECT COUNT(*) FROM {table}
