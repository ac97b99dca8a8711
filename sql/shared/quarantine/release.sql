-- In a batch's merge transaction: the objects it loaded leave the quarantine, in the same
-- commit as their rows.
DELETE FROM {schema}.sparkify_load_quarantine
USING {private}new_objects n
WHERE sparkify_load_quarantine.tree{eq} = n.tree{eq}
  AND sparkify_load_quarantine.key{eq} = n.key{eq};
