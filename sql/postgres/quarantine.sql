-- The watcher's quarantine: objects it will not load until their content changes or an
-- operator clears them (docs/WATCH.md, "The quarantine"). One row per (tree, key).
CREATE TABLE IF NOT EXISTS {schema}.sparkify_load_quarantine (
    tree          text NOT NULL,
    key           text NOT NULL,
    size          bigint NOT NULL,
    version       text NOT NULL,
    reason        text NOT NULL,
    first_attempt timestamptz NOT NULL,
    last_attempt  timestamptz NOT NULL,
    attempts      integer NOT NULL,
    PRIMARY KEY (tree, key)
);
