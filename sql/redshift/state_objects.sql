-- The manifest: one row per loaded object version (docs/INCREMENTAL.md). Every load that
-- rebuilds writes it, and every incremental run adds to it.
CREATE TABLE IF NOT EXISTS {state}objects (
    tree      VARCHAR(16) NOT NULL,
    key       VARCHAR(65535) NOT NULL,
    size      BIGINT NOT NULL,
    version   VARCHAR(65535) NOT NULL,
    run_id    VARCHAR(256) NOT NULL,
    loaded_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tree, key)
) DISTSTYLE ALL;
