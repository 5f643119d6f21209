use clap::{CommandFactory, FromArgMatches};
use color_eyre::eyre::Result;

use platdeck::cli::{Cli, Command};
use platdeck::{commands, config, logging};

fn main() -> Result<()> {
    let help = format!("Log file: {}", logging::log_file_path().display());
    let matches = Cli::command().after_help(help).get_matches();
    let cli = Cli::from_arg_matches(&matches)?;
    // Error reports and panics are readable (and the terminal restored) before anything else runs.
    color_eyre::config::HookBuilder::default()
        .display_location_section(false)
        .display_env_section(false)
        .install()?;
    let _log_guard = logging::init().ok();
    // A malformed config is an error naming file, line, column and key, whatever the command.
    config::load(cli.config.as_deref())?;
    if let Command::Completions { shell } = cli.command {
        clap_complete::generate(shell, &mut Cli::command(), "platdeck", &mut std::io::stdout());
        return Ok(());
    }
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async move {
        match cli.command {
            Command::Demo(args) => commands::demo::run(args).await,
            Command::Sim(cmd) => commands::sim::run(cmd).await,
            Command::Completions { .. } => Ok(()),
        }
    })
}
