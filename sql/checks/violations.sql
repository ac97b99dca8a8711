-- A check that lists what breaks it: how many rows, and the first few, in order. (The
-- query ends its own line: it may end in a comment.)
SELECT COUNT(*) OVER (), v.* FROM (
{query}
) v ORDER BY 2 LIMIT {examples}
