use std::io::IsTerminal;
use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches};
use color_eyre::eyre::Result;

mod cli;
mod commands;
mod completion;
#[cfg(feature = "demo")]
mod demo;
mod exit;

use cli::{Cli, Command};
use commands::console::{Flags, console};
use commands::target::Target;
use commands::{provision, redeploy, scaffold, status, validate};
use platdeck_console::{config, logging};

fn main() -> ExitCode {
    // The shell asking for completions (registered by `platdeck completions SHELL`) is answered first.
    clap_complete::CompleteEnv::with_factory(Cli::command).var(completion::COMPLETE_VAR).complete();
    let help = format!("Log file: {}", logging::log_file_path().display());
    let matches = Cli::command().after_help(help).get_matches();
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(err) => err.exit(),
    };
    let cli = match cli.resolve() {
        Ok(cli) => cli,
        Err(message) => {
            eprintln!("platdeck: {message}");
            return ExitCode::from(2);
        }
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

fn run(mut cli: Cli) -> Result<()> {
    if let Some(Command::Completions { shell }) = cli.command {
        completion::write_registration(shell, &mut std::io::stdout())?;
        return Ok(());
    }
    let _log_guard = logging::init().ok();
    // A malformed config is an error naming file, line, column and key, whatever the command.
    let config_arg = match cli.command.as_mut() {
        None => Some(&mut cli.console.config),
        Some(command) => command.config_arg_mut(),
    };
    let config = match config_arg {
        Some(arg) => config::load(arg.config.as_deref())?.config,
        None => config::Config::default(),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async move {
        match cli.command {
            None => {
                let console_args = cli.console;
                let flags = Flags {
                    namespace: console_args.scope.namespace.as_deref(),
                    readonly: console_args.guard.readonly,
                };
                let target = Target::cluster(&config, console_args.context.context.as_deref());
                console(&config, target, flags).await
            }
            #[cfg(feature = "demo")]
            Some(Command::Demo(demo)) => {
                let flags =
                    Flags { namespace: demo.scope.namespace.as_deref(), readonly: demo.guard.readonly };
                console(&config, Target::demo(&demo.sim).await?, flags).await
            }
            #[cfg(feature = "demo")]
            Some(Command::Sim(cmd)) => demo::sim_command::run(cmd).await,
            Some(Command::Status { context, scope, demo, format, .. }) => {
                let target = Target::resolve(&config, context.context.as_deref(), &demo).await?;
                status::run(&config, target, scope.namespace.as_deref(), format).await
            }
            Some(Command::Redeploy { service, strategy, yes, context, namespace, guard, demo, .. }) => {
                let target = Target::resolve(&config, context.context.as_deref(), &demo).await?;
                let request = redeploy::Request {
                    service: &service,
                    strategy,
                    yes,
                    readonly: guard.readonly,
                    namespace: namespace.as_deref(),
                };
                redeploy::run(&config, target, request).await
            }
            Some(Command::Validate { phase, format, output, suite, context, readonly, demo, .. }) => {
                let target = Target::resolve(&config, context.context.as_deref(), &demo).await?;
                let request = validate::Request { phases: phase, format, output, suite, readonly };
                validate::run_validate(&config, target, request).await
            }
            Some(Command::Provision { dry_run, yes, suite, context, guard, demo, .. }) => {
                let target = Target::resolve(&config, context.context.as_deref(), &demo).await?;
                let request = provision::Request { dry_run, yes, suite, readonly: guard.readonly };
                provision::run_provision(&config, target, request).await
            }
            Some(Command::Scaffold(args)) => scaffold::run(&config, args).await,
            Some(Command::Completions { .. }) => Ok(()),
        }
    })
}
