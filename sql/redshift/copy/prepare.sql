-- Copy mode on Redshift, step 1: staging tables that COPY fills, typed as SPEC's columns so
-- that COPY's own coercion applies. Column order follows the jsonpaths file.
CREATE TABLE {staging}.staging_events (
    artist          VARCHAR(4096),
    auth            VARCHAR(64),
    first_name      VARCHAR(1024),
    gender          VARCHAR(16),
    item_in_session INTEGER,
    last_name       VARCHAR(1024),
    length          DOUBLE PRECISION,
    level           VARCHAR(16),
    location        VARCHAR(1024),
    method          VARCHAR(16),
    page            VARCHAR(64),
    registration    DOUBLE PRECISION,
    session_id      INTEGER,
    song            VARCHAR(4096),
    status          INTEGER,
    ts              BIGINT,
    user_agent      VARCHAR(2048),
    user_id         INTEGER
);
CREATE TABLE {staging}.staging_songs (
    num_songs        INTEGER,
    artist_id        VARCHAR(64),
    artist_latitude  DOUBLE PRECISION,
    artist_longitude DOUBLE PRECISION,
    artist_location  VARCHAR(4096),
    artist_name      VARCHAR(4096),
    song_id          VARCHAR(64),
    title            VARCHAR(4096),
    duration         DOUBLE PRECISION,
    year             INTEGER
);
