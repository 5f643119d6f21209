//! The command-line arguments of the embedded simulated platform: `platdeck sim`, `platdeck demo` and
//! `--demo` on the headless commands.

use std::path::PathBuf;

use clap::Args;
use clap_complete::engine::ArgValueCompleter;
use platdeck_sim::faults::FaultSpec;
use platdeck_sim::scenario::Scale;

use crate::cli::{ConfigArg, GuardArg, ScopeArg};
use crate::completion;

/// `--demo` on a headless command: run against the embedded simulated platform.
#[derive(Debug, Clone, Args)]
pub struct DemoArgs {
    /// Start the embedded simulated platform in-process and run against it.
    #[arg(long)]
    pub demo: bool,
    #[command(flatten)]
    pub scenario: ScenarioArgs,
}

impl DemoArgs {
    /// Whether `--demo` was given.
    pub fn requested(&self) -> bool {
        self.demo
    }

    /// The simulated platform `--demo` starts: no faults, no background churn.
    pub fn sim(&self) -> SimArgs {
        SimArgs { scenario: self.scenario.clone(), faults: None, churn: 0.0 }
    }
}

/// `platdeck demo`: the dashboard on the embedded simulated platform.
#[derive(Debug, Clone, Args)]
pub struct DemoCommand {
    #[command(flatten)]
    pub sim: SimArgs,
    #[command(flatten)]
    pub config: ConfigArg,
    #[command(flatten)]
    pub scope: ScopeArg,
    #[command(flatten)]
    pub guard: GuardArg,
}

/// Which simulated platform (with `--demo`, and for `sim` and `demo`).
#[derive(Debug, Clone, Args)]
pub struct ScenarioArgs {
    /// Built-in scenario (platform, incident) or a scenario file.
    #[arg(
        long,
        default_value = "platform",
        value_name = "NAME|FILE",
        add = ArgValueCompleter::new(completion::scenarios)
    )]
    pub scenario: String,
    /// Generated services on top of the scenario, e.g. pods=20000,apps=500.
    #[arg(long, value_name = "pods=N,apps=M", value_parser = parse_scale)]
    pub scale: Option<Scale>,
    /// Scenario time multiplier (2 runs the timeline twice as fast).
    #[arg(long, default_value_t = 1.0, value_parser = parse_speed)]
    pub speed: f64,
}

/// What shapes a simulated platform that runs for a while (`sim` and `demo`): the scenario, and the
/// knobs of reliability tests and benchmarks.
#[derive(Debug, Clone, Args)]
pub struct SimArgs {
    #[command(flatten)]
    pub scenario: ScenarioArgs,
    /// Injected faults, e.g. watch-drop=0.2,expire=0.1,latency=10ms..200ms,error-rate=0.05,ws-drop-after=10,seed=7.
    #[arg(long, value_name = "SPEC", value_parser = parse_faults)]
    pub faults: Option<FaultSpec>,
    /// Background pod updates per second, spread over all pods (load for benchmarks).
    #[arg(long, default_value_t = 0.0, value_name = "N")]
    pub churn: f64,
}

#[derive(Debug, Args)]
pub struct SimCommand {
    #[command(flatten)]
    pub sim: SimArgs,
    /// Write the endpoints JSON to this file too.
    #[arg(long, value_name = "FILE")]
    pub endpoints_out: Option<PathBuf>,
    /// Write a kubeconfig for the simulated cluster.
    #[arg(long, value_name = "FILE")]
    pub kubeconfig_out: Option<PathBuf>,
    /// Write a platdeck config pointing at the simulated platform.
    #[arg(long, value_name = "FILE")]
    pub config_out: Option<PathBuf>,
    /// Port of the Kubernetes API (0: a free one).
    #[arg(long, default_value_t = 0)]
    pub kube_port: u16,
    /// Port of Loki (0: a free one).
    #[arg(long, default_value_t = 0)]
    pub loki_port: u16,
    /// Port of Grafana (0: a free one).
    #[arg(long, default_value_t = 0)]
    pub grafana_port: u16,
    /// Port of the Prometheus metrics exposition (0: a free one).
    #[arg(long, default_value_t = 0)]
    pub metrics_port: u16,
    /// Port of ECR (0: a free one).
    #[arg(long, default_value_t = 0)]
    pub ecr_port: u16,
}

fn parse_scale(text: &str) -> Result<Scale, String> {
    text.parse()
}

fn parse_faults(text: &str) -> Result<FaultSpec, String> {
    FaultSpec::parse(text).map_err(|e| e.to_string())
}

fn parse_speed(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(s) if s.is_finite() && s > 0.0 && s <= 1000.0 => Ok(s),
        _ => Err(format!("`{text}` is not a speed between 0 and 1000")),
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use crate::cli::{Cli, Command};
    use platdeck_sim::scenario::Scale;

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
        assert_eq!(sim.sim.scenario.scale, Some(Scale { pods: 100, apps: 4 }));
        assert_eq!(sim.sim.faults.unwrap().expire, 0.5);
        assert_eq!(sim.sim.scenario.speed, 4.0);
    }

    #[test]
    fn bad_values_are_refused() {
        assert!(Cli::try_parse_from(["platdeck", "sim", "--speed", "0"]).is_err());
        assert!(Cli::try_parse_from(["platdeck", "sim", "--faults", "bogus=1"]).is_err());
        assert!(Cli::try_parse_from(["platdeck", "sim", "--scale", "pods=x"]).is_err());
        assert!(Cli::try_parse_from(["platdeck", "demo", "--scale", "pods=10"]).is_ok());
    }

    #[test]
    fn headless_demo_takes_the_scenario_but_not_the_benchmark_knobs() {
        let cli = Cli::try_parse_from([
            "platdeck",
            "status",
            "--demo",
            "--scenario",
            "incident",
            "--format",
            "json",
        ])
        .unwrap()
        .resolve()
        .unwrap();
        let Some(Command::Status { demo, .. }) = cli.command else { panic!("not status") };
        assert!(demo.requested());
        assert_eq!(demo.sim().scenario.scenario, "incident");
        assert!(Cli::try_parse_from(["platdeck", "status", "--demo", "--churn", "20"]).is_err());
        assert!(Cli::try_parse_from(["platdeck", "validate", "--demo", "--faults", "expire=1"]).is_err());
    }
}
