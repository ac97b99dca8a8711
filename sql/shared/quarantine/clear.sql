-- `watch --retry-quarantined`: every quarantined object is tried again.
DELETE FROM {schema}.sparkify_load_quarantine;
