//! `platdeck sim`: the simulated platform, headless.

use std::io::Write;
use std::path::Path;

use color_eyre::eyre::{Context, Result};

use super::SHUTDOWN_GRACE;
use super::cli::SimCommand;
use super::embedded::{config_for, start_sim};
use platdeck_console::signals::ShutdownSignals;
use platdeck_sim::server::Ports;

pub async fn run(cmd: SimCommand) -> Result<()> {
    let ports = Ports {
        kube: cmd.kube_port,
        loki: cmd.loki_port,
        grafana: cmd.grafana_port,
        metrics: cmd.metrics_port,
        ecr: cmd.ecr_port,
    };
    let mut signals = ShutdownSignals::register();
    let sim = start_sim(&cmd.sim, ports).await?;
    let json = serde_json::to_string(&sim.endpoints)?;
    if let Some(path) = &cmd.endpoints_out {
        write_file(path, &format!("{json}\n"))?;
    }
    if let Some(path) = &cmd.kubeconfig_out {
        write_file(path, &sim.endpoints.kubeconfig_yaml())?;
    }
    if let Some(path) = &cmd.config_out {
        // A relative path would be read relative to the config file's directory: write it absolute.
        let kubeconfig = cmd
            .kubeconfig_out
            .as_deref()
            .map(|k| std::fs::canonicalize(k).unwrap_or_else(|_| k.to_path_buf()));
        config_for(&sim.endpoints, kubeconfig.as_deref()).write(path)?;
    }
    {
        let mut out = std::io::stdout().lock();
        writeln!(out, "{json}")?;
        out.flush()?;
    }
    tracing::info!(kubernetes = %sim.endpoints.kubernetes, "sim running");
    signals.recv().await;
    tracing::info!("sim shutting down");
    let _ = tokio::time::timeout(SHUTDOWN_GRACE, sim.shutdown()).await;
    Ok(())
}

fn write_file(path: &Path, text: &str) -> Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).wrap_err_with(|| format!("cannot create {}", dir.display()))?;
    }
    std::fs::write(path, text).wrap_err_with(|| format!("cannot write {}", path.display()))
}
