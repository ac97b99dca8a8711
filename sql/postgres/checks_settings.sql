-- What the quality gate runs first, inside the load's transaction (LOCAL: the settings end
-- with it). No JIT: each check is one scan or anti-join whose estimated cost, in the
-- millions of rows, passes PostgreSQL's jit_above_cost, and compiling (at 5M events, with
-- inlining and optimization) took longer than the scans it was meant to speed up
-- (docs/BENCHMARKS.md, "The quality gate's cost").
SET LOCAL jit TO off;
