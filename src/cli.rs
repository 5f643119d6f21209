//! The command line (DESIGN.md's contract). Only commands that work are listed.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use clap_complete::Shell;

pub use platdeck_console::actions::Strategy;

#[derive(Debug, Parser)]
#[command(
    name = "platdeck",
    version,
    about = "Terminal control console for a Kubernetes developer platform: Argo CD, Loki, Prometheus, Grafana, Kyverno, ECR"
)]
pub struct Cli {
    /// Configuration file (default: $XDG_CONFIG_HOME/platdeck/config.yaml, else built-in defaults).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Kubernetes context (default: the config's, else the kubeconfig's current context).
    #[arg(long, global = true, value_name = "C")]
    pub context: Option<String>,
    /// Only this namespace (default: all namespaces).
    #[arg(long, short = 'n', global = true, value_name = "N")]
    pub namespace: Option<String>,
    /// Block every mutation before any request is sent.
    #[arg(long, global = true)]
    pub readonly: bool,

    /// Without a command: the dashboard against the current kubeconfig context.
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// The dashboard against the embedded simulated platform, started in-process.
    #[cfg(feature = "demo")]
    Demo(SimArgs),
    /// The simulated platform alone, headless, on 127.0.0.1: prints its endpoints as JSON on stdout
    /// and runs until SIGINT/SIGTERM.
    #[cfg(feature = "demo")]
    Sim(SimCommand),
    /// One-shot snapshot of the dashboard model, for scripts and chat-ops.
    Status {
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
        demo: DemoArgs,
    },
    /// Run the validation suite (the seed's e2e checks) headless; exits 0 only when all pass.
    Validate {
        #[command(flatten)]
        demo: DemoArgs,
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
    },
    /// Run the provisioning suite headless (Terraform, ECR, Argo CD applications, Kyverno policy).
    Provision {
        #[command(flatten)]
        demo: DemoArgs,
        /// Print the plan (tasks in dependency order, what each would change) and change nothing.
        #[arg(long)]
        dry_run: bool,
        /// Do not ask for confirmation.
        #[arg(long)]
        yes: bool,
        /// A suite file of your own instead of the built-in one.
        #[arg(long, value_name = "FILE")]
        suite: Option<PathBuf>,
    },
    /// Scaffold a new service on the golden path: render a template into a new git repository and, with a
    /// GitOps repository, commit its deployment and Argo CD Application there.
    Scaffold(ScaffoldArgs),
    /// Print shell completions.
    Completions {
        #[arg(value_enum)]
        shell: Shell,
    },
}

/// `platdeck scaffold NAME --template T …` (the namespace is the global `--namespace`).
#[derive(Debug, Clone, Args)]
pub struct ScaffoldArgs {
    /// The new service's name (a DNS-1123 label). `scaffold templates` lists the templates.
    #[arg(required_unless_present = "list")]
    pub name: Option<String>,
    /// A built-in template (see --list) or a template directory holding a template.yaml.
    #[arg(long, short = 't', value_name = "NAME|DIR")]
    pub template: Option<String>,
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
pub use crate::demo::cli::{DemoArgs, SimArgs, SimCommand};

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;
    #[cfg(feature = "demo")]
    use platdeck_sim::scenario::Scale;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[cfg(feature = "demo")]
    #[test]
    fn sim_flags_parse() {
        let cli = Cli::try_parse_from([
            "platdeck",
            "sim",
            "--scenario",
            "incident",
            "--scale",
            "pods=100,apps=4",
            "--faults",
            "expire=0.5",
            "--speed",
            "4",
            "--kubeconfig-out",
            "k",
            "--endpoints-out",
            "e",
            "--config-out",
            "c",
        ])
        .unwrap();
        let Some(Command::Sim(sim)) = cli.command else { panic!("not sim") };
        assert_eq!(sim.sim.scale, Some(Scale { pods: 100, apps: 4 }));
        assert_eq!(sim.sim.faults.unwrap().expire, 0.5);
        assert_eq!(sim.sim.speed, 4.0);
    }

    #[cfg(feature = "demo")]
    #[test]
    fn bad_values_are_refused() {
        assert!(Cli::try_parse_from(["platdeck", "sim", "--speed", "0"]).is_err());
        assert!(Cli::try_parse_from(["platdeck", "sim", "--faults", "bogus=1"]).is_err());
        assert!(Cli::try_parse_from(["platdeck", "sim", "--scale", "pods=x"]).is_err());
        assert!(Cli::try_parse_from(["platdeck", "demo", "--scale", "pods=10"]).is_ok());
        assert!(Cli::try_parse_from(["platdeck", "redeploy", "x", "--strategy", "nope"]).is_err());
    }

    #[cfg(feature = "demo")]
    #[test]
    fn headless_commands_parse() {
        let cli = Cli::try_parse_from([
            "platdeck",
            "--readonly",
            "status",
            "--demo",
            "--scenario",
            "incident",
            "--format",
            "json",
        ])
        .unwrap();
        assert!(cli.readonly);
        let Some(Command::Status { demo, format }) = cli.command else { panic!("not status") };
        assert!(demo.demo);
        assert_eq!(demo.sim.scenario, "incident");
        assert_eq!(format, OutputFormat::Json);
        let cli =
            Cli::try_parse_from(["platdeck", "redeploy", "payments-api", "--strategy", "sync", "--yes"])
                .unwrap();
        let Some(Command::Redeploy { service, strategy, yes, .. }) = cli.command else {
            panic!("not redeploy")
        };
        assert_eq!((service.as_str(), strategy, yes), ("payments-api", Strategy::Sync, true));
        assert!(Cli::try_parse_from(["platdeck"]).unwrap().command.is_none());
    }

    #[cfg(feature = "demo")]
    #[test]
    fn scaffold_parses() {
        let cli = Cli::try_parse_from([
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
            "--demo",
            "--yes",
        ])
        .unwrap();
        let Some(Command::Scaffold(args)) = cli.command else { panic!("not scaffold") };
        assert_eq!((args.name.as_deref(), args.template.as_deref()), (Some("orders"), Some("go-http")));
        assert_eq!(cli.namespace.as_deref(), Some("shop"));
        assert!(args.demo.demo && args.yes && !args.list);
        assert!(Cli::try_parse_from(["platdeck", "scaffold", "--list"]).is_ok());
        assert!(Cli::try_parse_from(["platdeck", "scaffold"]).is_err(), "a name or --list is needed");
    }
}
