-- The watcher's quarantine: objects it will not load until their content changes or an
-- operator clears them (docs/WATCH.md, "The quarantine"). One row per (tree, key).
CREATE TABLE IF NOT EXISTS {schema}.sparkify_load_quarantine (
    tree          VARCHAR(16) NOT NULL,
    key           VARCHAR(65535) NOT NULL,
    size          BIGINT NOT NULL,
    version       VARCHAR(65535) NOT NULL,
    reason        VARCHAR(65535) NOT NULL,
    first_attempt TIMESTAMPTZ NOT NULL,
    last_attempt  TIMESTAMPTZ NOT NULL,
    attempts      INTEGER NOT NULL,
    PRIMARY KEY (tree, key)
) DISTSTYLE ALL;
