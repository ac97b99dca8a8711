-- Quarantined objects that are loaded now (after a --full, or restored to the content
-- loaded) leave the quarantine; `{which}` is one `(tree = … AND key = …)` an object.
DELETE FROM {schema}.sparkify_load_quarantine WHERE {which};
