//! The bench's routes that are not the loader: the sink's limit and the row-by-row
//! baseline of the classic tutorials.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use bytes::Bytes;
use futures::{SinkExt, TryStreamExt};
use sparkify_load::db::TableSet;
use sparkify_load::db::{render, Database, DialectSql};
use sparkify_load::model::{
    ArtistRow, EventRecord, SongRecord, SongRow, SongplayRow, TimeRow, UserRow,
};
use sparkify_load::parse::decode_object;
use sparkify_load::sink::private;
use sparkify_load::sink::TableRow;
use sparkify_load::transform::songplays::NEXT_SONG;
use sparkify_load::{Dialect, SchemaName};
use tokio_postgres::types::ToSql;
use tokio_postgres::{Client, Statement};

use crate::bench_sql;
use crate::cpu::CpuClock;
use crate::measure::{json_files, Measured};

/// The sink's limit: the finished rows of the client-mode load, COPY'd in binary into fresh
/// tables of the same shape, keys added after, as the load does.
pub(crate) async fn copy_binary_limit(
    client: &Client,
    database: &Database,
) -> Result<(u64, Measured)> {
    let (from, into): (SchemaName, SchemaName) = ("bench_client".parse()?, "bench_sink".parse()?);
    let sql = DialectSql::of(Dialect::Postgres);
    let tables: [(&str, &[&str]); 5] = [
        (SongplayRow::TABLE, SongplayRow::COLUMNS),
        (UserRow::TABLE, UserRow::COLUMNS),
        (SongRow::TABLE, SongRow::COLUMNS),
        (ArtistRow::TABLE, ArtistRow::COLUMNS),
        (TimeRow::TABLE, TimeRow::COLUMNS),
    ];
    let mut dumps: Vec<Vec<Bytes>> = Vec::new();
    for table in tables {
        dumps.push(copy_out(client, database, &from, table).await?);
    }
    let schema_sql = render(bench_sql::FRESH_SCHEMA, &[("schema", &into.quoted())])
        + &sql.create_tables_in(&into, "");
    client
        .batch_execute(&schema_sql)
        .await
        .map_err(|e| database.error("create sink tables", e))?;
    let started = Instant::now();
    let cpu = CpuClock::own();
    let mut rows = 0;
    for (table, chunks) in tables.into_iter().zip(dumps) {
        rows += copy_in(client, database, &into, table, chunks).await?;
    }
    let [songplays_keys, dimension_keys] = private::keys(sql, &TableSet::plain(into));
    let second = database.connect().await?;
    futures::try_join!(
        database.run(client, "add keys to songplays", &songplays_keys),
        database.run(&second, "add keys to the dimensions", &dimension_keys)
    )?;
    let measured = Measured {
        name: "sink limit: COPY BINARY of the final rows + keys",
        seconds: started.elapsed().as_secs_f64(),
        extrapolated: false,
        peak_rss_mib: None,
        cpu_seconds: Some(cpu.seconds()),
    };
    Ok((rows, measured))
}

/// One table into `into` from its binary dump, in one buffer: the client's cost is then
/// only the socket. Gives the rows copied.
async fn copy_in(
    client: &Client,
    database: &Database,
    into: &SchemaName,
    (table, columns): (&str, &[&str]),
    chunks: Vec<Bytes>,
) -> Result<u64> {
    let copy_in = copy_statement(bench_sql::COPY_IN, into, (table, columns));
    let sink = client
        .copy_in(copy_in.trim_end())
        .await
        .map_err(|e| database.error("copy in", e))?;
    futures::pin_mut!(sink);
    sink.send(Bytes::from(chunks.concat()))
        .await
        .map_err(|e| database.error("copy in", e))?;
    Ok(sink
        .finish()
        .await
        .map_err(|e| database.error("copy in", e))?)
}

/// A bench COPY template (`COPY_IN`, `COPY_OUT`) for one table of `schema`.
fn copy_statement(
    template: &str,
    schema: &SchemaName,
    (table, columns): (&str, &[&str]),
) -> String {
    let columns = columns.join(", ");
    render(
        template,
        &[
            ("schema", &schema.quoted()),
            ("table", table),
            ("columns", &columns),
        ],
    )
}

/// One table of `from` in binary, as COPY gives it.
async fn copy_out(
    client: &Client,
    database: &Database,
    from: &SchemaName,
    (table, columns): (&str, &[&str]),
) -> Result<Vec<Bytes>> {
    let out = copy_statement(bench_sql::COPY_OUT, from, (table, columns));
    let stream = client
        .copy_out(out.trim_end())
        .await
        .map_err(|e| database.error("copy out", e))?;
    Ok(stream
        .try_collect()
        .await
        .map_err(|e| database.error("copy out", e))?)
}

/// The classic tutorials' ETL: one autocommitted single-row INSERT per row and a song
/// lookup query per event, timed on a slice of the events (after all songs) and
/// extrapolated to every event.
pub(crate) async fn row_by_row(
    client: &Client,
    database: &Database,
    data: &Path,
    slice: usize,
) -> Result<Measured> {
    let baseline = Baseline::prepare(client, database).await?;
    let started = Instant::now();
    for path in &json_files(&data.join("song_data")) {
        let bytes =
            std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
        for (_, song) in decode_object::<SongRecord>("", &bytes).records {
            baseline.insert_song(&song).await?;
        }
    }
    let songs_took = started.elapsed();

    let mut total_events = 0usize;
    let mut timed_events = 0usize;
    let mut events_took = Duration::ZERO;
    for path in &json_files(&data.join("log_data")) {
        let bytes =
            std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
        let events = decode_object::<EventRecord>("", &bytes).records;
        total_events += events.len();
        let started = Instant::now();
        for (_, event) in events.iter().take(slice.saturating_sub(timed_events)) {
            timed_events += 1;
            baseline.insert_event(event).await?;
        }
        events_took += started.elapsed();
    }
    let per_event = events_took.as_secs_f64() / timed_events.max(1) as f64;
    Ok(Measured {
        name: "row-by-row baseline (single-row INSERTs, song lookup per event)",
        seconds: songs_took.as_secs_f64() + per_event * total_events as f64,
        extrapolated: timed_events < total_events,
        peak_rss_mib: None,
        // Extrapolated from a slice: no whole run's CPU to give.
        cpu_seconds: None,
    })
}

type Param<'a> = &'a (dyn ToSql + Sync);

/// The baseline's tables and prepared single-row statements.
struct Baseline<'a> {
    client: &'a Client,
    database: &'a Database,
    insert_song: Statement,
    insert_artist: Statement,
    find_song: Statement,
    insert_songplay: Statement,
    insert_user: Statement,
    insert_time: Statement,
}

impl<'a> Baseline<'a> {
    async fn prepare(client: &'a Client, database: &'a Database) -> Result<Baseline<'a>> {
        let schema: SchemaName = "bench_baseline".parse()?;
        let sql = DialectSql::of(Dialect::Postgres);
        let create = render(bench_sql::FRESH_SCHEMA, &[("schema", &schema.quoted())])
            + &sql.star_schema_script(&schema);
        client
            .batch_execute(&create)
            .await
            .map_err(|e| database.error("create baseline tables", e))?;
        let prepare = |template: &'static str| {
            let text = render(template, &[("schema", &schema.quoted())]);
            async move {
                client
                    .prepare(&text)
                    .await
                    .map_err(|e| database.error("prepare baseline", e))
            }
        };
        Ok(Baseline {
            client,
            database,
            insert_song: prepare(bench_sql::INSERT_SONG).await?,
            insert_artist: prepare(bench_sql::INSERT_ARTIST).await?,
            find_song: prepare(bench_sql::FIND_SONG).await?,
            insert_songplay: prepare(bench_sql::INSERT_SONGPLAY).await?,
            insert_user: prepare(bench_sql::INSERT_USER).await?,
            insert_time: prepare(bench_sql::INSERT_TIME).await?,
        })
    }

    async fn execute(&self, statement: &Statement, params: &[Param<'_>]) -> Result<()> {
        self.client
            .execute(statement, params)
            .await
            .map_err(|e| self.database.error("baseline", e))?;
        Ok(())
    }

    async fn insert_song(&self, s: &SongRecord) -> Result<()> {
        let Some(song_id) = &s.song_id else {
            return Ok(());
        };
        let song: [Param; 5] = [song_id, &s.title, &s.artist_id, &s.year, &s.duration];
        self.execute(&self.insert_song, &song).await?;
        if let Some(artist_id) = &s.artist_id {
            let artist: [Param; 5] = [
                artist_id,
                &s.artist_name,
                &s.artist_location,
                &s.artist_latitude,
                &s.artist_longitude,
            ];
            self.execute(&self.insert_artist, &artist).await?;
        }
        Ok(())
    }

    /// A NextSong event with a user: the song lookup, then a songplay, a user and a time.
    async fn insert_event(&self, e: &EventRecord<'_>) -> Result<()> {
        let (Some(user_id), true) = (e.user_id, e.page == NEXT_SONG) else {
            return Ok(());
        };
        let found = self
            .client
            .query_opt(&self.find_song, &[&e.song, &e.artist, &e.length])
            .await
            .map_err(|e| self.database.error("baseline", e))?;
        let (song_id, artist_id): (Option<String>, Option<String>) =
            found.map_or((None, None), |row| (row.get(0), row.get(1)));
        let songplay: [Param; 8] = [
            &e.start_time,
            &user_id,
            &e.level,
            &song_id,
            &artist_id,
            &e.session_id,
            &e.location,
            &e.user_agent,
        ];
        self.execute(&self.insert_songplay, &songplay).await?;
        let user: [Param; 5] = [&user_id, &e.first_name, &e.last_name, &e.gender, &e.level];
        self.execute(&self.insert_user, &user).await?;
        let p = e.start_time.parts();
        let time: [Param; 7] = [
            &e.start_time,
            &p.hour,
            &p.day,
            &p.week,
            &p.month,
            &p.year,
            &p.weekday,
        ];
        self.execute(&self.insert_time, &time).await
    }
}
