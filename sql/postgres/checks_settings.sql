-- What the quality gate runs first, inside the load's transaction (LOCAL: the settings end
-- with it), measured at 5M events (docs/BENCHMARKS.md, "Performance round three"):
-- No JIT: each check is one scan or anti-join whose estimated cost, in the millions of
-- rows, passes PostgreSQL's jit_above_cost, and compiling took longer than it saved.
-- 64MB for each hash: the anti-joins of the fact table against `time` hash millions of
-- start times, which the default 4MB spills to disk in batches. The checks run one at a
-- time on this connection, so this is the most the gate asks of the server at once (times
-- hash_mem_multiplier).
SET LOCAL jit TO off;
SET LOCAL work_mem TO '64MB';
