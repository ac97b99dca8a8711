//! Global options before a subcommand's name: moved after it, where clap reads them.

use std::ffi::OsString;

use clap::CommandFactory;

use super::args::Cli;

/// The options that may come before a subcommand's name as well as after it, as git's
/// and the aws CLI's global options do; those taking a value.
const HOISTED_WITH_VALUE: [&str; 5] = ["--home", "--target", "--schema", "--config", "--dialect"];
const HOISTED_FLAGS: [&str; 4] = ["--verbose", "--quiet", "-q", "-v"];

/// The command line with the global options given before a subcommand's name moved after
/// it (`sparkify-load --home H db status` is `sparkify-load db --home H status`), where the
/// subcommand reads them. A load without a subcommand is left as it is.
pub(crate) fn hoist_global_options(args: Vec<OsString>) -> Vec<OsString> {
    let subcommands: Vec<String> = Cli::command()
        .get_subcommands()
        .map(|sub| sub.get_name().to_string())
        .collect();
    let mut at = 1;
    while let Some(arg) = args.get(at).and_then(|a| a.to_str()) {
        let takes_value = HOISTED_WITH_VALUE.contains(&arg);
        let is_global = takes_value
            || HOISTED_FLAGS.contains(&arg)
            || HOISTED_WITH_VALUE
                .iter()
                .any(|name| arg.starts_with(&format!("{name}=")))
            || (arg.len() > 1
                && arg.starts_with('-')
                && arg[1..].bytes().all(|b| b == b'v' || b == b'q'));
        if !is_global {
            break;
        }
        at += if takes_value { 2 } else { 1 };
    }
    let named = args.get(at).and_then(|a| a.to_str());
    if at == 1 || at >= args.len() || !named.is_some_and(|n| subcommands.iter().any(|s| s == n)) {
        return args;
    }
    let mut hoisted = Vec::with_capacity(args.len());
    hoisted.push(args[0].clone());
    hoisted.push(args[at].clone());
    hoisted.extend(args[1..at].iter().cloned());
    hoisted.extend(args[at + 1..].iter().cloned());
    hoisted
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    fn os(args: &[&str]) -> Vec<OsString> {
        args.iter().map(OsString::from).collect()
    }

    #[test]
    fn global_options_before_a_subcommand_move_after_it() {
        assert_eq!(
            hoist_global_options(os(&["sl", "--home", "/h", "-v", "db", "status"])),
            os(&["sl", "db", "--home", "/h", "-v", "status"])
        );
        assert_eq!(
            hoist_global_options(os(&["sl", "--schema=s", "--target", "u", "report", "-q"])),
            os(&["sl", "report", "--schema=s", "--target", "u", "-q"])
        );
        // A load without a subcommand, and a value that happens to be a command's name.
        for unchanged in [
            os(&["sl", "--home", "/h", "--song-data", "d", "--log-data", "l"]),
            os(&["sl", "--schema", "db", "--song-data", "d"]),
            os(&["sl", "db", "url"]),
        ] {
            assert_eq!(hoist_global_options(unchanged.clone()), unchanged);
        }
        let parsed = Cli::parse_from(hoist_global_options(os(&[
            "sl", "--home", "/h", "-q", "next", "--song", "S1",
        ])));
        assert_eq!(
            parsed.global().home.as_deref(),
            Some(std::path::Path::new("/h"))
        );
        assert!(parsed.global().quiet);
    }
}
