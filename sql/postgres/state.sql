-- The state incremental loads keep beside the star schema, in the target schema under
-- reserved names (docs/INCREMENTAL.md): besides the manifest (state_objects.sql), what the
-- merge needs to keep the five tables equal to one full load of those objects. Created in the merge's
-- transaction, so it exists exactly when the tables it describes do.
-- Every good song record: any field of a record can decide which record is first.
CREATE TABLE IF NOT EXISTS {state}song_records (
    song_id          text,
    title            text,
    artist_id        text,
    artist_name      text,
    artist_location  text,
    artist_latitude  double precision,
    artist_longitude double precision,
    duration         double precision,
    year             integer
);
-- Hash indexes: the merge looks these up by equality only, and a B-tree cannot hold a
-- text longer than about 2.7 kB, which the contract allows.
CREATE INDEX IF NOT EXISTS {state_bare}song_records_song ON {state}song_records USING hash (song_id);
CREATE INDEX IF NOT EXISTS {state_bare}song_records_artist ON {state}song_records USING hash (artist_id);
CREATE INDEX IF NOT EXISTS {state_bare}song_records_match ON {state}song_records USING hash (title);
-- Each user's winning NextSong event, by the users rule's order.
CREATE TABLE IF NOT EXISTS {state}user_latest (
    user_id         integer PRIMARY KEY,
    start_time      timestamp NOT NULL,
    session_id      integer,
    item_in_session integer,
    object          text NOT NULL,
    line            integer NOT NULL
);
-- The song each play could match, for every play that can match one (song, artist and
-- length all present): a song record that arrives later re-matches exactly these.
CREATE TABLE IF NOT EXISTS {state}plays (
    songplay_id bigint PRIMARY KEY,
    song        text NOT NULL,
    artist      text NOT NULL,
    length      double precision NOT NULL
);
CREATE INDEX IF NOT EXISTS {state_bare}plays_match ON {state}plays USING hash (song);
