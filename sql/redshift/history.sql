-- One row per load, merge and watch batch into this schema, loaded or failed, as dlt's
-- _dlt_loads keeps (docs/WATCH.md, "History"). Created by the first run that records one.
-- A failed run leaves the counts empty: it changed nothing.
-- TIMESTAMPTZ and VARCHAR(65535) are Redshift's (docs/REDSHIFT.md).
CREATE TABLE IF NOT EXISTS {schema}.sparkify_load_history (
    run_id       VARCHAR(256) NOT NULL,
    tool_version VARCHAR(32) NOT NULL,
    route        VARCHAR(256) NOT NULL,
    started_at   TIMESTAMPTZ NOT NULL,
    ended_at     TIMESTAMPTZ NOT NULL,
    status       VARCHAR(16) NOT NULL,
    objects      BIGINT,
    songplays    BIGINT,
    users        BIGINT,
    songs        BIGINT,
    artists      BIGINT,
    "time"       BIGINT,
    bad_records  BIGINT NOT NULL,
    error        VARCHAR(65535)
);
