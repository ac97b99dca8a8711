-- The manifest: every object version loaded so far.
SELECT tree, key, size, version FROM {state}objects
