//! The bench's own SQL (`sql/postgres/bench/`): the routes that are not the loader — the
//! sink limit, the row-by-row baseline and the classic route — loaded here, so that the
//! product binary holds none of it.

macro_rules! bench_sql {
    ($file:literal) => {
        include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/sql/postgres/bench/",
            $file
        ))
    };
}

pub const FRESH_SCHEMA: &str = bench_sql!("fresh_schema.sql");
pub const COPY_OUT: &str = bench_sql!("copy_out.sql");
pub const COPY_IN: &str = bench_sql!("copy_in.sql");
pub const INSERT_SONG: &str = bench_sql!("insert_song.sql");
pub const INSERT_ARTIST: &str = bench_sql!("insert_artist.sql");
pub const FIND_SONG: &str = bench_sql!("find_song.sql");
pub const INSERT_SONGPLAY: &str = bench_sql!("insert_songplay.sql");
pub const INSERT_USER: &str = bench_sql!("insert_user.sql");
pub const INSERT_TIME: &str = bench_sql!("insert_time.sql");
/// Used by the criterion bench of INSERT forms (`benches/insert.rs`), not by this program.
#[allow(dead_code)]
pub const TRUNCATE: &str = bench_sql!("truncate.sql");
pub const CLASSIC_PREPARE: &str = bench_sql!("classic_prepare.sql");
pub const CLASSIC_COPY: &str = bench_sql!("classic_copy.sql");
pub const CLASSIC_TRANSFORM: &str = bench_sql!("classic_transform.sql");
