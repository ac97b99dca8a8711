-- Copy mode on Redshift, step 1: raw tables that COPY fills, typed as SPEC's columns so
-- that COPY's own coercion applies; text as wide as the star schema's, so that COPY itself
-- refuses text Redshift cannot hold. Column order follows the jsonpaths file.
CREATE TABLE {schema}.{new}raw_events (
    artist          VARCHAR(65535),
    auth            VARCHAR(65535),
    first_name      VARCHAR(65535),
    gender          VARCHAR(65535),
    item_in_session INTEGER,
    last_name       VARCHAR(65535),
    length          DOUBLE PRECISION,
    level           VARCHAR(65535),
    location        VARCHAR(65535),
    method          VARCHAR(65535),
    page            VARCHAR(65535),
    registration    DOUBLE PRECISION,
    session_id      INTEGER,
    song            VARCHAR(65535),
    status          INTEGER,
    ts              BIGINT,
    user_agent      VARCHAR(65535),
    user_id         INTEGER
);
CREATE TABLE {schema}.{new}raw_songs (
    num_songs        INTEGER,
    artist_id        VARCHAR(65535),
    artist_latitude  DOUBLE PRECISION,
    artist_longitude DOUBLE PRECISION,
    artist_location  VARCHAR(65535),
    artist_name      VARCHAR(65535),
    song_id          VARCHAR(65535),
    title            VARCHAR(65535),
    duration         DOUBLE PRECISION,
    year             INTEGER
);
