//! The business questions the star schema answers: the documented queries of
//! `sql/analytics/`, run against a loaded warehouse, with their answers as plain tables
//! of text for the terminal, CSV and the HTML report.

pub mod chart;
pub mod html;

use std::fmt;

use tokio_postgres::Client;

use crate::db::literal::Literals;
use crate::db::{render, sql, Database, DialectSql, SchemaName};
use crate::error::{Error, TargetError};

/// One documented query of `sql/analytics/`.
#[derive(Debug, Clone, Copy)]
pub struct Query {
    /// The file's stem; also the name of its CSV file.
    pub name: &'static str,
    pub title: &'static str,
    sql: &'static str,
}

macro_rules! query {
    ($name:literal, $title:literal, $sql:ident) => {
        Query {
            name: $name,
            title: $title,
            sql: sql::analytics::$sql,
        }
    };
}

pub const SUMMARY: Query = query!("summary", "The warehouse at a glance", SUMMARY);
pub const TOP_SONGS: Query = query!("top_songs", "Most played songs", TOP_SONGS);
pub const TOP_ARTISTS: Query = query!("top_artists", "Most played artists", TOP_ARTISTS);
pub const TOP_USERS: Query = query!("top_users", "Most active listeners", TOP_USERS);
pub const PLAYS_BY_HOUR: Query =
    query!("plays_by_hour", "Plays by hour of day (UTC)", PLAYS_BY_HOUR);
pub const PLAYS_BY_WEEKDAY: Query = query!(
    "plays_by_weekday",
    "Plays by day of the week",
    PLAYS_BY_WEEKDAY
);
pub const PLAYS_BY_REGION: Query = query!("plays_by_region", "Plays by region", PLAYS_BY_REGION);
pub const PAID_VS_FREE: Query = query!("paid_vs_free", "Paid and free listening", PAID_VS_FREE);
pub const TOP_ARTISTS_BY_LEVEL: Query = query!(
    "top_artists_by_level",
    "Top artists of paid and free listeners",
    TOP_ARTISTS_BY_LEVEL
);
pub const LEVEL_CHANGES: Query = query!(
    "level_changes",
    "Level changes (upgrades and downgrades)",
    LEVEL_CHANGES
);
/// Takes the song id as `$1`.
pub const NEXT_AFTER_SONG: Query = query!(
    "next_after_song",
    "What next, after a song",
    NEXT_AFTER_SONG
);
/// Takes the user id as `$1`.
pub const SUGGEST_FOR_USER: Query = query!(
    "suggest_for_user",
    "Suggestions for a listener",
    SUGGEST_FOR_USER
);

/// Whether a song is in the catalogue; takes the song id as `$1`.
const KNOWN_SONG: Query = query!("known_song", "Is the song known", KNOWN_SONG);
/// Whether a user is in the users table; takes the user id as `$1`.
const KNOWN_USER: Query = query!("known_user", "Is the user known", KNOWN_USER);

/// The queries that take no parameter, in the report's order.
pub const REPORT_QUERIES: [Query; 10] = [
    SUMMARY,
    PLAYS_BY_HOUR,
    PLAYS_BY_WEEKDAY,
    PLAYS_BY_REGION,
    PAID_VS_FREE,
    TOP_SONGS,
    TOP_ARTISTS,
    TOP_USERS,
    TOP_ARTISTS_BY_LEVEL,
    LEVEL_CHANGES,
];

impl Query {
    /// What the query answers and how: its SQL file's leading comment.
    pub fn description(&self) -> String {
        self.sql
            .lines()
            .map_while(|line| line.strip_prefix("--"))
            .map(str::trim)
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// The query's SQL in `dialect` for the tables in `schema`, with its parameter, if it
    /// takes one, written as a literal. Text is compared, grouped and ordered byte for byte
    /// in both dialects (`{exact}` and `{order}`: Redshift ignores trailing blanks).
    pub fn sql(&self, dialect: &DialectSql, schema: &SchemaName, param: Option<&str>) -> String {
        render(
            self.sql,
            &[
                ("schema", schema.as_str()),
                ("param", param.unwrap_or("NULL")),
                ("exact", dialect.exact_text),
                ("order", dialect.byte_order),
            ],
        )
    }

    /// Runs the query, reading its answer as text through the simple query protocol (as
    /// Redshift gives results; see `Database::text_table`); NULL is `None`.
    pub async fn run(
        &self,
        database: &Database,
        client: &Client,
        schema: &SchemaName,
        param: Option<Param<'_>>,
    ) -> Result<Answer, TargetError> {
        let step = format!("analytics query {}", self.name);
        let literal = match param {
            None => None,
            // Only text needs to know how the server reads a literal.
            Some(Param::Text(text)) => Some(Literals::of(database, client).await?.quote(text)),
            Some(Param::Int(int)) => Some(int.to_string()),
        };
        let (columns, rows) = database
            .text_table(
                client,
                &step,
                &self.sql(database.sql(), schema, literal.as_deref()),
            )
            .await?;
        Ok(Answer {
            query: *self,
            title: self.title.to_string(),
            columns,
            rows,
        })
    }
}

/// The value a query that takes one asks about: a song id or a user id.
#[derive(Debug, Clone, Copy)]
pub enum Param<'a> {
    Text(&'a str),
    Int(i32),
}

/// A query's answer: its column names and its rows, every value as text.
#[derive(Debug, Clone)]
pub struct Answer {
    pub query: Query,
    /// The query's title, or one that names its parameter.
    pub title: String,
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Option<String>>>,
}

impl Answer {
    /// The value of `column` in row `row`, if both exist and it is not NULL.
    pub fn get(&self, row: usize, column: &str) -> Option<&str> {
        let at = self.columns.iter().position(|c| c == column)?;
        self.rows.get(row)?.get(at)?.as_deref()
    }

    /// A numeric column, with NULL (or a missing row) as 0.
    pub fn number(&self, row: usize, column: &str) -> f64 {
        self.get(row, column)
            .and_then(|v| v.parse().ok())
            .unwrap_or(0.0)
    }

    /// The answer for scripts: its title and its rows as objects keyed by column, every
    /// value text (as the database gave it) or null.
    pub fn to_json(&self) -> serde_json::Value {
        let rows: Vec<serde_json::Map<String, serde_json::Value>> = self
            .rows
            .iter()
            .map(|row| {
                self.columns
                    .iter()
                    .cloned()
                    .zip(row.iter().map(|value| value.clone().into()))
                    .collect()
            })
            .collect();
        serde_json::json!({ "name": self.query.name, "title": self.title, "rows": rows })
    }

    /// The answer as CSV with a header line; NULL is an empty field.
    pub fn to_csv(&self) -> String {
        let mut writer = csv::Writer::from_writer(Vec::new());
        let write = |writer: &mut csv::Writer<Vec<u8>>, record: Vec<&str>| {
            writer
                .write_record(record)
                .expect("writing CSV into memory cannot fail")
        };
        write(
            &mut writer,
            self.columns.iter().map(String::as_str).collect(),
        );
        for row in &self.rows {
            write(
                &mut writer,
                row.iter().map(|v| v.as_deref().unwrap_or("")).collect(),
            );
        }
        String::from_utf8(writer.into_inner().expect("an in-memory writer"))
            .expect("CSV of UTF-8 text is UTF-8")
    }
}

/// A value as a terminal shows it: control characters (a tab, a line break) escaped, so
/// that they cannot break the table's lines or columns.
fn shown(value: &str) -> String {
    value
        .chars()
        .map(|c| match c.is_control() {
            true => c.escape_default().to_string(),
            false => c.to_string(),
        })
        .collect()
}

/// For the terminal: the title and the rows as a Markdown-style table, NULL shown as `∅`.
impl fmt::Display for Answer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut table = comfy_table::Table::new();
        table
            .load_preset(comfy_table::presets::ASCII_MARKDOWN)
            .set_header(&self.columns);
        for row in &self.rows {
            table.add_row(row.iter().map(|v| v.as_deref().map_or("∅".into(), shown)));
        }
        writeln!(f, "{}", self.title)?;
        if self.rows.is_empty() {
            return writeln!(f, "(no rows)");
        }
        writeln!(f, "{table}")
    }
}

/// Every answer of the report: the parameterless queries, then "what next" after the most
/// played song and suggestions for the most active listener (when there are any).
#[derive(Debug, Clone)]
pub struct Report {
    /// The target (without its password) and schema the answers come from.
    pub source: String,
    pub answers: Vec<Answer>,
}

impl Report {
    /// Every answer, for scripts.
    pub fn to_json(&self) -> serde_json::Value {
        let answers: Vec<serde_json::Value> = self.answers.iter().map(Answer::to_json).collect();
        serde_json::json!({ "source": self.source, "answers": answers })
    }
}

/// What `next` asks about.
#[derive(Debug, Clone, Copy)]
pub enum NextOf<'a> {
    /// The songs played right after this song.
    Song(&'a str),
    /// Suggestions for this user.
    User(i32),
}

/// What next after a song, or suggestions for a user; an id the tables do not hold is
/// [`Error::NotFound`], not an empty answer.
pub async fn next(
    database: &Database,
    schema: &SchemaName,
    of: NextOf<'_>,
) -> Result<Answer, Error> {
    let client = database.connect().await?;
    database.require_star_schema(&client, schema).await?;
    let (known, query, param, title, unknown) = match of {
        NextOf::Song(song) => (
            KNOWN_SONG,
            NEXT_AFTER_SONG,
            Param::Text(song),
            format!("What next, after song {song}"),
            format!("song {song:?} is not in the songs"),
        ),
        NextOf::User(user) => (
            KNOWN_USER,
            SUGGEST_FOR_USER,
            Param::Int(user),
            format!("Suggestions for user {user}"),
            format!("user {user} is not in the users"),
        ),
    };
    let found = known.run(database, &client, schema, Some(param)).await?;
    if found.number(0, "known") == 0.0 {
        return Err(Error::NotFound(format!(
            "{unknown} of schema {schema} ({}): check the id, or --schema",
            database.label()
        )));
    }
    let mut answer = query.run(database, &client, schema, Some(param)).await?;
    answer.title = title;
    Ok(answer)
}

/// Runs every query of the report against `schema`.
pub async fn report(database: &Database, schema: &SchemaName) -> Result<Report, Error> {
    let client = database.connect().await?;
    database.require_star_schema(&client, schema).await?;
    let mut answers = Vec::new();
    for query in REPORT_QUERIES {
        answers.push(query.run(database, &client, schema, None).await?);
    }
    let first = |query: &Query, column: &str| {
        answers
            .iter()
            .find(|a| a.query.name == query.name)
            .and_then(|a| a.get(0, column))
            .map(str::to_string)
    };
    let song = first(&TOP_SONGS, "song_id").zip(first(&TOP_SONGS, "title"));
    let user = first(&TOP_USERS, "user_id").and_then(|u| u.parse::<i32>().ok());
    let name = [
        first(&TOP_USERS, "first_name"),
        first(&TOP_USERS, "last_name"),
    ];
    if let Some((song_id, title)) = song {
        let mut answer = NEXT_AFTER_SONG
            .run(database, &client, schema, Some(Param::Text(&song_id)))
            .await?;
        answer.title = format!("What next, after the most played song: {title} ({song_id})");
        answers.push(answer);
    }
    if let Some(user_id) = user {
        let mut answer = SUGGEST_FOR_USER
            .run(database, &client, schema, Some(Param::Int(user_id)))
            .await?;
        let name = name.iter().flatten().cloned().collect::<Vec<_>>().join(" ");
        answer.title = format!("Suggestions for the most active listener: {name} ({user_id})");
        answers.push(answer);
    }
    Ok(Report {
        source: format!("{} schema {schema}", database.label()),
        answers,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_terminal_table_shows_control_characters_escaped_and_json_keeps_them() {
        let answer = Answer {
            query: TOP_SONGS,
            title: "Most played songs".into(),
            columns: vec!["title".into(), "plays".into()],
            rows: vec![vec![Some("Tab\there\nand more".into()), None]],
        };
        let shown = answer.to_string();
        assert!(
            shown.contains("| Tab\\there\\nand more | ∅     |"),
            "{shown}"
        );
        assert_eq!(
            answer.to_json(),
            serde_json::json!({
                "name": "top_songs",
                "title": "Most played songs",
                "rows": [{"title": "Tab\there\nand more", "plays": null}]
            })
        );
    }
}
