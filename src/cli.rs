//! The command line (DESIGN.md's contract). Each subcommand takes exactly the flags it uses, so its
//! `--help` lists nothing it would ignore; flags given before the subcommand name are handed to it when it
//! uses them, and refused with a clear line when it does not.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use clap_complete::Shell;
use clap_complete::engine::ArgValueCompleter;

use crate::completion;
pub use platdeck_console::actions::Strategy;

#[derive(Debug, Parser)]
#[command(
    name = "platdeck",
    version,
    about = "Terminal control console for a Kubernetes developer platform: Argo CD, Loki, Prometheus, Grafana, Kyverno, ECR"
)]
pub struct Cli {
    /// Without a command: the dashboard against the current kubeconfig context.
    #[command(flatten)]
    pub console: ConsoleArgs,

    #[command(subcommand)]
    pub command: Option<Command>,
}

/// What the dashboard against a real cluster takes.
#[derive(Debug, Clone, Default, Args)]
pub struct ConsoleArgs {
    #[command(flatten)]
    pub config: ConfigArg,
    #[command(flatten)]
    pub context: ContextArg,
    #[command(flatten)]
    pub scope: ScopeArg,
    #[command(flatten)]
    pub guard: GuardArg,
}

#[derive(Debug, Clone, Default, Args)]
pub struct ConfigArg {
    /// Configuration file (default: $XDG_CONFIG_HOME/platdeck/config.yaml, else built-in defaults).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

#[derive(Debug, Clone, Default, Args)]
pub struct ContextArg {
    /// Kubernetes context (default: the config's, else the kubeconfig's current context).
    #[arg(long, value_name = "C", add = ArgValueCompleter::new(completion::kube_contexts))]
    pub context: Option<String>,
}

#[derive(Debug, Clone, Default, Args)]
pub struct ScopeArg {
    /// Show only this namespace (default: all namespaces).
    #[arg(long, short = 'n', value_name = "N")]
    pub namespace: Option<String>,
}

#[derive(Debug, Clone, Default, Args)]
pub struct GuardArg {
    /// Block every mutation before any request is sent.
    #[arg(long)]
    pub readonly: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// The dashboard against the embedded simulated platform, started in-process.
    #[cfg(feature = "demo")]
    Demo(DemoCommand),
    /// The simulated platform alone, headless, on 127.0.0.1: prints its endpoints as JSON on stdout
    /// and runs until SIGINT/SIGTERM.
    #[cfg(feature = "demo")]
    Sim(SimCommand),
    /// One-shot snapshot of the dashboard model, for scripts and chat-ops.
    Status {
        #[command(flatten)]
        config: ConfigArg,
        #[command(flatten)]
        context: ContextArg,
        #[command(flatten)]
        scope: ScopeArg,
        #[command(flatten)]
        demo: DemoArgs,
        #[arg(long, value_enum, default_value = "table")]
        format: OutputFormat,
    },
    /// Redeploy a service without the TUI: rollout restart, Argo CD sync or refresh.
    Redeploy {
        /// The service: `name` or `namespace/name`.
        service: String,
        #[arg(long, value_enum, default_value = "restart")]
        strategy: Strategy,
        /// Do not ask for confirmation.
        #[arg(long)]
        yes: bool,
        #[command(flatten)]
        config: ConfigArg,
        #[command(flatten)]
        context: ContextArg,
        /// Look the service up in this namespace only.
        #[arg(long, short = 'n', value_name = "N")]
        namespace: Option<String>,
        #[command(flatten)]
        guard: GuardArg,
        #[command(flatten)]
        demo: DemoArgs,
    },
    /// Run the validation suite (the seed's e2e checks) headless; exits 0 only when all pass.
    Validate {
        /// Only this phase (repeatable): preflight, observability, governance, developer-experience.
        #[arg(long, value_name = "P")]
        phase: Vec<String>,
        #[arg(long, value_enum, default_value = "text")]
        format: TaskFormat,
        /// Write the report to this file instead of stdout.
        #[arg(long, value_name = "FILE")]
        output: Option<PathBuf>,
        /// A suite file of your own instead of the built-in one.
        #[arg(long, value_name = "FILE")]
        suite: Option<PathBuf>,
        #[command(flatten)]
        config: ConfigArg,
        #[command(flatten)]
        context: ContextArg,
        /// Block every mutation a suite of your own would make.
        #[arg(long)]
        readonly: bool,
        #[command(flatten)]
        demo: DemoArgs,
    },
    /// Run the provisioning suite headless (Terraform, ECR, Argo CD applications, Kyverno policy).
    Provision {
        /// Print the plan (tasks in dependency order, what each would change) and change nothing.
        #[arg(long)]
        dry_run: bool,
        /// Do not ask for confirmation.
        #[arg(long)]
        yes: bool,
        /// A suite file of your own instead of the built-in one.
        #[arg(long, value_name = "FILE")]
        suite: Option<PathBuf>,
        #[command(flatten)]
        config: ConfigArg,
        #[command(flatten)]
        context: ContextArg,
        #[command(flatten)]
        guard: GuardArg,
        #[command(flatten)]
        demo: DemoArgs,
    },
    /// Scaffold a new service on the golden path: render a template into a new git repository and, with a
    /// GitOps repository, commit its deployment and Argo CD Application there.
    Scaffold(ScaffoldArgs),
    /// Print the shell's completion script (it asks platdeck itself, so contexts come from your
    /// kubeconfig): `source <(platdeck completions bash)`.
    Completions {
        #[arg(value_enum)]
        shell: Shell,
    },
}

/// `platdeck scaffold NAME --template T …`.
#[derive(Debug, Clone, Args)]
pub struct ScaffoldArgs {
    /// The new service's name (a DNS-1123 label).
    #[arg(required_unless_present = "list")]
    pub name: Option<String>,
    /// A built-in template (see --list) or a template directory holding a template.yaml.
    #[arg(long, short = 't', value_name = "NAME|DIR", add = ArgValueCompleter::new(completion::templates))]
    pub template: Option<String>,
    /// The new service's namespace (default: the template's).
    #[arg(long, short = 'n', value_name = "N")]
    pub namespace: Option<String>,
    /// The owning team (default: the template's).
    #[arg(long, value_name = "O")]
    pub owner: Option<String>,
    /// What the service does (default: the template's).
    #[arg(long, value_name = "D")]
    pub description: Option<String>,
    /// The port the service listens on (default: the template's, 3000).
    #[arg(long, value_name = "P")]
    pub port: Option<String>,
    /// Parent directory of the new service's repository (default: the current directory).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// A local GitOps repository to commit the deployment, service and Application to (default: the
    /// config's gitops.repo when it is a local directory; in --demo, the demo's own repository).
    #[arg(long, value_name = "DIR")]
    pub gitops: Option<PathBuf>,
    /// Also create the Argo CD Application in the cluster (implied by --demo).
    #[arg(long)]
    pub apply: bool,
    /// List the available templates.
    #[arg(long)]
    pub list: bool,
    /// Do not ask for confirmation.
    #[arg(long)]
    pub yes: bool,
    #[command(flatten)]
    pub config: ConfigArg,
    /// Kubernetes context the Application is created in, with --apply (default: the config's, else the
    /// kubeconfig's current context).
    #[arg(long, value_name = "C", add = ArgValueCompleter::new(completion::kube_contexts))]
    pub context: Option<String>,
    #[command(flatten)]
    pub guard: GuardArg,
    #[command(flatten)]
    pub demo: DemoArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    Table,
    Json,
}

/// Output of `validate`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TaskFormat {
    Text,
    Json,
    Junit,
}

/// `--demo` on a headless command (built without the `demo` feature: nothing, and every command runs
/// against a real cluster).
#[cfg(not(feature = "demo"))]
#[derive(Debug, Clone, Args)]
pub struct DemoArgs {}

#[cfg(not(feature = "demo"))]
impl DemoArgs {
    pub fn requested(&self) -> bool {
        false
    }
}

#[cfg(feature = "demo")]
pub use crate::demo::cli::{DemoArgs, DemoCommand, SimCommand};

/// The flags a subcommand was given before its name (`platdeck --readonly redeploy …`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Early {
    Config,
    Context,
    Namespace,
    Readonly,
}

impl Early {
    fn flag(self) -> &'static str {
        match self {
            Early::Config => "--config",
            Early::Context => "--context",
            Early::Namespace => "--namespace",
            Early::Readonly => "--readonly",
        }
    }
}

impl Cli {
    /// Hands the flags given before the subcommand's name to the subcommand where it takes them (its own
    /// value wins), and refuses those it would ignore.
    pub fn resolve(mut self) -> Result<Self, String> {
        let Some(command) = self.command.as_mut() else { return Ok(self) };
        let early = std::mem::take(&mut self.console);
        let given = [
            (Early::Config, early.config.config.is_some()),
            (Early::Context, early.context.context.is_some()),
            (Early::Namespace, early.scope.namespace.is_some()),
            (Early::Readonly, early.guard.readonly),
        ];
        for (flag, _) in given.iter().filter(|(_, set)| *set) {
            if !command.inherit(*flag, &early) {
                return Err(format!(
                    "{} does nothing for `platdeck {}`; see `platdeck {} --help`",
                    flag.flag(),
                    command.name(),
                    command.name()
                ));
            }
        }
        Ok(self)
    }
}

impl Command {
    fn name(&self) -> &'static str {
        match self {
            #[cfg(feature = "demo")]
            Command::Demo(_) => "demo",
            #[cfg(feature = "demo")]
            Command::Sim(_) => "sim",
            Command::Status { .. } => "status",
            Command::Redeploy { .. } => "redeploy",
            Command::Validate { .. } => "validate",
            Command::Provision { .. } => "provision",
            Command::Scaffold(_) => "scaffold",
            Command::Completions { .. } => "completions",
        }
    }

    /// Takes one early flag if this command uses it; `false` when it would ignore it.
    fn inherit(&mut self, flag: Early, early: &ConsoleArgs) -> bool {
        fn fill<T: Clone>(slot: &mut Option<T>, value: &Option<T>) -> bool {
            if slot.is_none() {
                slot.clone_from(value);
            }
            true
        }
        let readonly = |slot: &mut bool| {
            *slot |= early.guard.readonly;
            true
        };
        match (self, flag) {
            (command, Early::Config) => match command.config_arg_mut() {
                Some(config) => fill(&mut config.config, &early.config.config),
                None => false,
            },
            #[cfg(feature = "demo")]
            (Command::Demo(demo), Early::Namespace) => {
                fill(&mut demo.scope.namespace, &early.scope.namespace)
            }
            #[cfg(feature = "demo")]
            (Command::Demo(demo), Early::Readonly) => readonly(&mut demo.guard.readonly),
            (Command::Status { context, .. }, Early::Context)
            | (Command::Redeploy { context, .. }, Early::Context)
            | (Command::Validate { context, .. }, Early::Context)
            | (Command::Provision { context, .. }, Early::Context) => {
                fill(&mut context.context, &early.context.context)
            }
            (Command::Scaffold(args), Early::Context) => fill(&mut args.context, &early.context.context),
            (Command::Status { scope, .. }, Early::Namespace) => {
                fill(&mut scope.namespace, &early.scope.namespace)
            }
            (Command::Redeploy { namespace, .. }, Early::Namespace) => {
                fill(namespace, &early.scope.namespace)
            }
            (Command::Scaffold(args), Early::Namespace) => fill(&mut args.namespace, &early.scope.namespace),
            (Command::Redeploy { guard, .. }, Early::Readonly)
            | (Command::Provision { guard, .. }, Early::Readonly) => readonly(&mut guard.readonly),
            (Command::Validate { readonly: slot, .. }, Early::Readonly) => readonly(slot),
            (Command::Scaffold(args), Early::Readonly) => readonly(&mut args.guard.readonly),
            _ => false,
        }
    }

    /// Where the command's `--config` is kept; `None` for the commands that read no config.
    pub fn config_arg_mut(&mut self) -> Option<&mut ConfigArg> {
        match self {
            #[cfg(feature = "demo")]
            Command::Demo(demo) => Some(&mut demo.config),
            #[cfg(feature = "demo")]
            Command::Sim(_) => None,
            Command::Status { config, .. }
            | Command::Redeploy { config, .. }
            | Command::Validate { config, .. }
            | Command::Provision { config, .. } => Some(config),
            Command::Scaffold(args) => Some(&mut args.config),
            Command::Completions { .. } => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    fn parse(args: &[&str]) -> Result<Cli, String> {
        Cli::try_parse_from(args).map_err(|e| e.to_string())?.resolve()
    }

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn early_flags_reach_the_subcommands_that_use_them() {
        let cli = parse(&["platdeck", "--readonly", "--context", "prod", "redeploy", "x", "--yes"]).unwrap();
        let Some(Command::Redeploy { guard, context, .. }) = cli.command else { panic!("not redeploy") };
        assert!(guard.readonly);
        assert_eq!(context.context.as_deref(), Some("prod"));
        let cli = parse(&["platdeck", "--context", "a", "status", "--context", "b"]).unwrap();
        let Some(Command::Status { context, .. }) = cli.command else { panic!("not status") };
        assert_eq!(context.context.as_deref(), Some("b"), "the subcommand's own value wins");
    }

    #[test]
    fn early_flags_a_subcommand_ignores_are_refused() {
        let err = parse(&["platdeck", "--readonly", "status"]).unwrap_err();
        assert_eq!(err, "--readonly does nothing for `platdeck status`; see `platdeck status --help`");
        assert!(parse(&["platdeck", "--context", "x", "completions", "bash"]).is_err());
        assert!(parse(&["platdeck", "-n", "x", "provision"]).is_err());
        assert!(Cli::try_parse_from(["platdeck", "completions", "bash", "--readonly"]).is_err());
    }

    #[test]
    fn the_dashboard_keeps_its_own_flags() {
        let cli = parse(&["platdeck", "--readonly", "-n", "shop", "--context", "dev"]).unwrap();
        assert!(cli.command.is_none());
        assert!(cli.console.guard.readonly);
        assert_eq!(cli.console.scope.namespace.as_deref(), Some("shop"));
        assert_eq!(cli.console.context.context.as_deref(), Some("dev"));
    }

    #[test]
    fn scaffold_namespace_is_the_new_services() {
        let cli = parse(&[
            "platdeck",
            "scaffold",
            "orders",
            "--template",
            "go-http",
            "-n",
            "shop",
            "--port",
            "8080",
            "--out",
            "/tmp/x",
            "--gitops",
            "/tmp/g",
            "--yes",
        ])
        .unwrap();
        let Some(Command::Scaffold(args)) = cli.command else { panic!("not scaffold") };
        assert_eq!((args.name.as_deref(), args.template.as_deref()), (Some("orders"), Some("go-http")));
        assert_eq!(args.namespace.as_deref(), Some("shop"));
        assert!(args.yes && !args.list);
        assert!(parse(&["platdeck", "scaffold", "--list"]).is_ok());
        assert!(parse(&["platdeck", "scaffold"]).is_err(), "a name or --list is needed");
    }

    #[test]
    fn headless_commands_parse() {
        let cli = parse(&["platdeck", "redeploy", "payments-api", "--strategy", "sync", "--yes"]).unwrap();
        let Some(Command::Redeploy { service, strategy, yes, .. }) = cli.command else {
            panic!("not redeploy")
        };
        assert_eq!((service.as_str(), strategy, yes), ("payments-api", Strategy::Sync, true));
        assert!(parse(&["platdeck", "redeploy", "x", "--strategy", "nope"]).is_err());
        assert!(parse(&["platdeck"]).unwrap().command.is_none());
    }
}
