//! Tests of `args`.

use clap::CommandFactory;

use super::*;

#[test]
fn every_option_of_every_command_is_described() {
    fn walk(command: &clap::Command, missing: &mut Vec<String>) {
        for arg in command.get_arguments() {
            let id = arg.get_id().as_str();
            if arg.get_help().is_none() && !["help", "version"].contains(&id) {
                missing.push(format!("{} --{id}", command.get_name()));
            }
        }
        for sub in command.get_subcommands() {
            walk(sub, missing);
        }
    }
    let mut missing = Vec::new();
    walk(&Cli::command(), &mut missing);
    assert!(missing.is_empty(), "options without help: {missing:?}");
    Cli::command().debug_assert();
    let help = Cli::command()
        .find_subcommand_mut("report")
        .unwrap()
        .render_long_help()
        .to_string();
    assert!(help.contains("[env: SPARKIFY_LOAD_HOME]"), "{help}");
    assert!(
        !help.contains("SPARKIFY_LOAD_HOME="),
        "no value shown: {help}"
    );
}
