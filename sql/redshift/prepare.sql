-- A load into Redshift builds its tables in the target schema under private names; the
-- small lock table serializes the loads' swaps (swap.sql).
CREATE SCHEMA IF NOT EXISTS {schema};
CREATE TABLE IF NOT EXISTS {schema}.sparkify_load_lock (held BOOLEAN);
