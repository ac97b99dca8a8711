-- The star schema (SPEC section 2). A load's new tables, under its private names ({new}),
-- have no keys, which makes the bulk insert faster; the five tables themselves get their
-- keys (add_keys_*.sql) when a schema that has none is given them.
CREATE TABLE {schema}.{new}songplays (
    songplay_id bigint GENERATED ALWAYS AS IDENTITY,
    start_time  timestamp NOT NULL,
    user_id     integer NOT NULL,
    level       text,
    song_id     text,
    artist_id   text,
    session_id  integer,
    location    text,
    user_agent  text
);
CREATE TABLE {schema}.{new}users (
    user_id    integer NOT NULL,
    first_name text,
    last_name  text,
    gender     text,
    level      text
);
CREATE TABLE {schema}.{new}songs (
    song_id   text NOT NULL,
    title     text,
    artist_id text,
    year      integer,
    duration  double precision
);
CREATE TABLE {schema}.{new}artists (
    artist_id text NOT NULL,
    name      text,
    location  text,
    latitude  double precision,
    longitude double precision
);
CREATE TABLE {schema}.{new}time (
    start_time timestamp NOT NULL,
    hour       integer,
    day        integer,
    week       integer,
    month      integer,
    year       integer,
    weekday    integer
);
