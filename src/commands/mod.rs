//! The command-line wiring: each subcommand's entry point.

pub mod console;
pub mod headless;
pub mod provision;
pub mod redeploy;
pub mod scaffold;
pub mod sim;
pub mod status;
pub mod target;
pub mod tasks_run;
pub mod validate;

use std::time::Duration;

use crate::cli::SimArgs;
use crate::sim::scenario::ScenarioSource;
use crate::sim::{SimOptions, SimServer, server::Ports};

/// Starts the embedded simulated platform as `--demo` and `platdeck sim` both do.
pub async fn start_sim(args: &SimArgs, ports: Ports) -> color_eyre::Result<SimServer> {
    let options = SimOptions {
        scenario: ScenarioSource::from_arg(&args.scenario),
        scale: args.scale,
        faults: args.faults.clone().unwrap_or_default(),
        speed: args.speed,
        churn: args.churn.max(0.0),
        ports,
    };
    Ok(crate::sim::start(options).await?)
}

pub use crate::signals::ShutdownSignals;

/// How long shutdown may take before the process exits anyway.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);
