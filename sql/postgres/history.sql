-- One row per load, merge and watch batch into this schema, loaded or failed, as dlt's
-- _dlt_loads keeps (docs/WATCH.md, "History"). Created by the first run that records one.
-- A failed run leaves the counts empty: it changed nothing.
CREATE TABLE IF NOT EXISTS {schema}.sparkify_load_history (
    run_id       text NOT NULL,
    tool_version text NOT NULL,
    route        text NOT NULL,
    started_at   timestamptz NOT NULL,
    ended_at     timestamptz NOT NULL,
    status       text NOT NULL,
    objects      bigint,
    songplays    bigint,
    users        bigint,
    songs        bigint,
    artists      bigint,
    "time"       bigint,
    bad_records  bigint NOT NULL,
    error        text
);
