-- The star schema (SPEC section 2), created without keys: keys are added after the
-- bulk insert (add_keys.sql), which is faster than maintaining indexes row by row.
CREATE TABLE {schema}.songplays (
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
CREATE TABLE {schema}.users (
    user_id    integer NOT NULL,
    first_name text,
    last_name  text,
    gender     text,
    level      text
);
CREATE TABLE {schema}.songs (
    song_id   text NOT NULL,
    title     text,
    artist_id text,
    year      integer,
    duration  double precision
);
CREATE TABLE {schema}.artists (
    artist_id text NOT NULL,
    name      text,
    location  text,
    latitude  double precision,
    longitude double precision
);
CREATE TABLE {schema}.time (
    start_time timestamp NOT NULL,
    hour       integer,
    day        integer,
    week       integer,
    month      integer,
    year       integer,
    weekday    integer
);
