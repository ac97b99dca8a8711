-- The manifest: one row per loaded object version (docs/INCREMENTAL.md). Every load that
-- rebuilds writes it, and every incremental run adds to it.
CREATE TABLE IF NOT EXISTS {state}objects (
    tree      text NOT NULL,
    key       text NOT NULL,
    size      bigint NOT NULL,
    version   text NOT NULL,
    run_id    text NOT NULL,
    loaded_at timestamptz NOT NULL,
    PRIMARY KEY (tree, key)
);
