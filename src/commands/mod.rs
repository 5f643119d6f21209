//! The command-line wiring: each subcommand's entry point.

pub mod demo;
pub mod sim;

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
        ports,
    };
    Ok(crate::sim::start(options).await?)
}

/// Waits for SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
}

/// How long shutdown may take before the process exits anyway.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);
