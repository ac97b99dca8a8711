-- Run inside the merge's transaction, after its lock: new objects that another run has
-- loaded since this one read the manifest.
SELECT n.tree, n.key FROM {work}new_objects n
JOIN {state}objects o ON o.tree{eq} = n.tree{eq} AND o.key{eq} = n.key{eq}
