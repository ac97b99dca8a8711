-- Incremental loads: the work tables one run fills with the rows of the objects no earlier
-- run loaded (client mode from its own parsing, copy mode from its checks in SQL). They live
-- with the run's other private tables and are dropped when it ends. `{work}` is the schema
-- and name prefix of that private place; `{text}` the dialect's text type.
CREATE TABLE {work}new_songs (
    song_id          {text},
    title            {text},
    artist_id        {text},
    artist_name      {text},
    artist_location  {text},
    artist_latitude  DOUBLE PRECISION,
    artist_longitude DOUBLE PRECISION,
    duration         DOUBLE PRECISION,
    year             INTEGER
);
-- One row per NextSong event with a user: a songplay to be, with what the users rule and
-- the song match need.
CREATE TABLE {work}new_plays (
    object_rank     INTEGER NOT NULL,
    line            INTEGER NOT NULL,
    start_time      TIMESTAMP NOT NULL,
    user_id         INTEGER NOT NULL,
    first_name      {text},
    last_name       {text},
    gender          {text},
    level           {text},
    song            {text},
    artist          {text},
    length          DOUBLE PRECISION,
    session_id      INTEGER,
    item_in_session INTEGER,
    location        {text},
    user_agent      {text}
);
