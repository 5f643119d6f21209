//! `platdeck demo`: the embedded simulated platform, started in-process. Until the dashboard lands it
//! prints where the platform's endpoints are and how to point tools at it.

use std::io::Write;

use color_eyre::eyre::{Context, Result};

use crate::cli::SimArgs;
use crate::sim::server::Ports;

pub async fn run(args: SimArgs) -> Result<()> {
    let sim = super::start_sim(&args, Ports::default()).await?;
    let dir =
        crate::logging::log_file_path().parent().map(|p| p.join("demo")).unwrap_or_else(std::env::temp_dir);
    std::fs::create_dir_all(&dir).wrap_err_with(|| format!("cannot create {}", dir.display()))?;
    let kubeconfig = dir.join("kubeconfig");
    std::fs::write(&kubeconfig, sim.endpoints.kubeconfig_yaml())
        .wrap_err_with(|| format!("cannot write {}", kubeconfig.display()))?;
    let e = &sim.endpoints;
    let mut out = std::io::stdout().lock();
    writeln!(out, "platdeck demo — simulated platform `{}` is running on 127.0.0.1", args.scenario)?;
    writeln!(out)?;
    writeln!(out, "  Kubernetes API  {}", e.kubernetes)?;
    writeln!(out, "  Loki            {}", e.loki)?;
    writeln!(out, "  Grafana         {}   (Authorization: Bearer {})", e.grafana, e.grafana_token)?;
    writeln!(out, "  Metrics         {}/metrics", e.metrics)?;
    writeln!(out, "  ECR             {}   (region {}, account {})", e.ecr, e.ecr_region, e.ecr_account_id)?;
    writeln!(out)?;
    writeln!(out, "  kubectl --kubeconfig {} get applications.argoproj.io -A", kubeconfig.display())?;
    writeln!(out)?;
    writeln!(out, "Press Ctrl-C to stop.")?;
    out.flush()?;
    drop(out);
    super::shutdown_signal().await;
    let _ = tokio::time::timeout(super::SHUTDOWN_GRACE, sim.shutdown()).await;
    Ok(())
}
