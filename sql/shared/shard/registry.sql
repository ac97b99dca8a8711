-- Sharded loads (docs/SCALE.md): each worker's rows wait in its own tables in the target
-- schema until `merge` takes them all in one transaction. A row in `finished` says a
-- shard's tables are whole; a row in `merged` says a run is in the tables and its id is
-- spent. `{text}` is the dialect's text type.
CREATE TABLE IF NOT EXISTS {shards}finished (
    run_id       {text} NOT NULL,
    shard        INTEGER NOT NULL,
    shards       INTEGER NOT NULL,
    song_uri     {text} NOT NULL,
    log_uri      {text} NOT NULL,
    song_objects BIGINT NOT NULL,
    song_bytes   BIGINT NOT NULL,
    song_records BIGINT NOT NULL,
    log_objects  BIGINT NOT NULL,
    log_bytes    BIGINT NOT NULL,
    log_records  BIGINT NOT NULL,
    finished_at  TIMESTAMP NOT NULL
);
CREATE TABLE IF NOT EXISTS {shards}merged (
    run_id    {text} NOT NULL,
    merged_at TIMESTAMP NOT NULL
);
