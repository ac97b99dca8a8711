-- The state incremental loads keep beside the star schema, in the target schema under
-- reserved names (docs/INCREMENTAL.md): besides the manifest (state_objects.sql), what the
-- merge needs to keep the five tables equal to one full load of those objects. Created in the merge's
-- transaction. Redshift has no indexes: each table is sorted on the columns the merge
-- joins on.
CREATE TABLE IF NOT EXISTS {state}song_records (
    song_id          VARCHAR(65535),
    title            VARCHAR(65535),
    artist_id        VARCHAR(65535),
    artist_name      VARCHAR(65535),
    artist_location  VARCHAR(65535),
    artist_latitude  DOUBLE PRECISION,
    artist_longitude DOUBLE PRECISION,
    duration         DOUBLE PRECISION,
    year             INTEGER
) DISTKEY (song_id) SORTKEY (title, artist_name, duration);
CREATE TABLE IF NOT EXISTS {state}user_latest (
    user_id         INTEGER NOT NULL,
    start_time      TIMESTAMP NOT NULL,
    session_id      INTEGER,
    item_in_session INTEGER,
    object          VARCHAR(65535) NOT NULL,
    line            INTEGER NOT NULL,
    PRIMARY KEY (user_id)
) DISTSTYLE ALL SORTKEY (user_id);
CREATE TABLE IF NOT EXISTS {state}plays (
    songplay_id BIGINT NOT NULL,
    song        VARCHAR(65535) NOT NULL,
    artist      VARCHAR(65535) NOT NULL,
    length      DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (songplay_id)
) DISTKEY (songplay_id) SORTKEY (song, artist, length);
