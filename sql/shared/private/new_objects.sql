-- The objects a run read, one row each, for the manifest: a rebuild moves them into it
-- (move_in.sql), an incremental run merges them (merge/merge.sql). `{work}` is the run's
-- schema and private prefix; `{text}` the dialect's text type.
CREATE TABLE {work}new_objects (
    tree        {text} NOT NULL,
    object_rank INTEGER NOT NULL,
    key         {text} NOT NULL,
    size        BIGINT NOT NULL,
    version     {text} NOT NULL
);
