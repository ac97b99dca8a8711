//! `sparkify-load db start|url|status|stop`: the embedded default PostgreSQL.

use std::path::Path;
use std::process::ExitCode;

use sparkify_load::embedded::Server;

use super::args::DbAction;
use super::exit;

pub(super) fn run(action: DbAction, home: &Path) -> anyhow::Result<ExitCode> {
    match action {
        DbAction::Start => println!("{}", Server::ensure_running(home)?.url()),
        DbAction::Url | DbAction::Status => match Server::running(home)? {
            Some(server) if matches!(action, DbAction::Url) => println!("{}", server.url()),
            Some(server) => println!("running: {} (data in {})", server.url(), home.display()),
            None => {
                println!("not running (data in {})", home.display());
                return Ok(ExitCode::from(exit::FAILURE));
            }
        },
        DbAction::Stop => match Server::stop(home)? {
            true => println!("stopped"),
            false => println!("was not running"),
        },
    }
    Ok(ExitCode::SUCCESS)
}
