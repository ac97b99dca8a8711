-- `merge --discard`: the run's registry rows, all in one statement (in the order the
-- merge's spend.sql takes them, so the two cannot deadlock); its tables follow.
DELETE FROM {shards}.finished WHERE run_id = {run_id};
