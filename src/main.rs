use clap::{CommandFactory, FromArgMatches};
use color_eyre::eyre::Result;

use platdeck::cli::{Cli, Command};
use platdeck::commands::console::{Flags, console};
use platdeck::commands::target::Target;
use platdeck::commands::{provision, redeploy, scaffold, sim, status, validate};
use platdeck::{config, logging};

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
            Some(Command::Demo(args)) => console(&config, Target::demo(&args).await?, flags).await,
            Some(Command::Sim(cmd)) => sim::run(cmd).await,
            Some(Command::Status { demo, format }) => {
                let target =
                    Target::resolve(&config, cli.context.as_deref(), demo.demo.then_some(&demo.sim)).await?;
                status::run(&config, target, namespace, format).await
            }
            Some(Command::Redeploy { service, strategy, yes, demo }) => {
                let target =
                    Target::resolve(&config, cli.context.as_deref(), demo.demo.then_some(&demo.sim)).await?;
                let request =
                    redeploy::Request { service: &service, strategy, yes, readonly: cli.readonly, namespace };
                redeploy::run(&config, target, request).await
            }
            Some(Command::Validate { demo, phase, format, output, suite }) => {
                let target =
                    Target::resolve(&config, cli.context.as_deref(), demo.demo.then_some(&demo.sim)).await?;
                let request =
                    validate::Request { phases: phase, format, output, suite, readonly: cli.readonly };
                validate::run_validate(&config, target, request).await
            }
            Some(Command::Provision { demo, dry_run, yes, suite }) => {
                let target =
                    Target::resolve(&config, cli.context.as_deref(), demo.demo.then_some(&demo.sim)).await?;
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
