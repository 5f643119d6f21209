use std::io::IsTerminal;
use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches};
use color_eyre::eyre::Result;

mod cli;
mod commands;
#[cfg(feature = "demo")]
mod demo;
mod exit;

use cli::{Cli, Command};
use commands::console::{Flags, console};
use commands::target::Target;
use commands::{provision, redeploy, scaffold, status, validate};
use platdeck_console::{config, logging};

fn main() -> ExitCode {
    let help = format!("Log file: {}", logging::log_file_path().display());
    let matches = Cli::command().after_help(help).get_matches();
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(err) => err.exit(),
    };
    // Panics are readable (and the terminal restored) before anything else runs; colour only on a
    // terminal that wants it.
    let plain =
        std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()) || !std::io::stderr().is_terminal();
    let hooks =
        color_eyre::config::HookBuilder::default().display_location_section(false).display_env_section(false);
    let hooks = if plain { hooks.theme(color_eyre::config::Theme::new()) } else { hooks };
    if let Err(err) = hooks.install() {
        eprintln!("platdeck: cannot install the panic report: {err}");
    }
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => exit::report(&err),
    }
}

fn run(cli: Cli) -> Result<()> {
    let _log_guard = logging::init().ok();
    // A malformed config is an error naming file, line, column and key, whatever the command.
    let config = config::load(cli.config.as_deref())?.config;
    if let Some(Command::Completions { shell }) = cli.command {
        clap_complete::generate(shell, &mut Cli::command(), "platdeck", &mut std::io::stdout());
        return Ok(());
    }
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async move {
        let namespace = cli.namespace.as_deref();
        let flags = Flags { namespace, readonly: cli.readonly };
        match cli.command {
            None => console(&config, Target::cluster(&config, cli.context.as_deref()), flags).await,
            #[cfg(feature = "demo")]
            Some(Command::Demo(args)) => console(&config, Target::demo(&args).await?, flags).await,
            #[cfg(feature = "demo")]
            Some(Command::Sim(cmd)) => demo::sim_command::run(cmd).await,
            Some(Command::Status { demo, format }) => {
                let target = Target::resolve(&config, cli.context.as_deref(), &demo).await?;
                status::run(&config, target, namespace, format).await
            }
            Some(Command::Redeploy { service, strategy, yes, demo }) => {
                let target = Target::resolve(&config, cli.context.as_deref(), &demo).await?;
                let request =
                    redeploy::Request { service: &service, strategy, yes, readonly: cli.readonly, namespace };
                redeploy::run(&config, target, request).await
            }
            Some(Command::Validate { demo, phase, format, output, suite }) => {
                let target = Target::resolve(&config, cli.context.as_deref(), &demo).await?;
                let request =
                    validate::Request { phases: phase, format, output, suite, readonly: cli.readonly };
                validate::run_validate(&config, target, request).await
            }
            Some(Command::Provision { demo, dry_run, yes, suite }) => {
                let target = Target::resolve(&config, cli.context.as_deref(), &demo).await?;
                let request = provision::Request { dry_run, yes, suite, readonly: cli.readonly };
                provision::run_provision(&config, target, request).await
            }
            Some(Command::Scaffold(args)) => {
                let flags =
                    scaffold::Flags { namespace, readonly: cli.readonly, context: cli.context.as_deref() };
                scaffold::run(&config, args, flags).await
            }
            Some(Command::Completions { .. }) => Ok(()),
        }
    })
}
