//! `sparkify-load db start|url|status|stop`: the embedded default PostgreSQL.

use std::path::Path;
use std::process::ExitCode;

use sparkify_load::embedded::Server;
use sparkify_load::Error;

use super::args::DbAction;
use super::exit;

/// `start` and `url` print the URL alone on standard output, for `psql "$(sparkify-load db
/// url)"`; `url` of a stopped server prints nothing there, says so on standard error and
/// exits 1, so that no other text is taken for a URL.
pub(super) fn run(action: DbAction, home: &Path, home_flag: &str) -> anyhow::Result<ExitCode> {
    match action {
        DbAction::Start => println!(
            "{}",
            Server::ensure_running(home).map_err(Error::from)?.url()
        ),
        DbAction::Url | DbAction::Status => match Server::running(home).map_err(Error::from)? {
            Some(server) if matches!(action, DbAction::Url) => println!("{}", server.url()),
            Some(server) => say!("running: {} (data in {})", server.url(), home.display()),
            None => {
                let how = format!("sparkify-load db start{home_flag}");
                match action {
                    DbAction::Url => eprintln!(
                        "error: the embedded PostgreSQL of {} is not running; start it with \
                         `{how}`",
                        home.display()
                    ),
                    _ => say!(
                        "not running (data in {}; `{how}` starts it)",
                        home.display()
                    ),
                }
                return Ok(ExitCode::from(exit::FAILURE));
            }
        },
        DbAction::Stop => match Server::stop(home).map_err(Error::from)? {
            true => say!("stopped"),
            false => say!("was not running"),
        },
    }
    Ok(ExitCode::SUCCESS)
}
