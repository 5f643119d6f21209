//! Which cluster a command talks to: the kubeconfig and context the user chose, or — with `--demo` —
//! the embedded simulated platform started in-process, reached through the very same code path.

use std::path::PathBuf;

use color_eyre::eyre::{Context, Result};

use crate::cli::SimArgs;
use crate::config::Config;
use crate::sim::SimServer;
use crate::sim::server::Ports;

pub struct Target {
    pub kubeconfig: Option<PathBuf>,
    pub context: Option<String>,
    /// Loki's URL when the target brings its own (the sim); else the config's `loki.url`.
    pub loki_url: Option<String>,
    /// Grafana's URL and its Loki datasource uid when the target brings its own (the sim).
    pub grafana: Option<(String, String)>,
    /// The in-process sim, kept alive as long as the target is.
    sim: Option<(SimServer, PathBuf)>,
}

impl Target {
    /// A real cluster: `--context` over the config's context over the kubeconfig's current one.
    pub fn cluster(config: &Config, cli_context: Option<&str>) -> Self {
        Self {
            kubeconfig: config.cluster.kubeconfig.clone(),
            context: cli_context.map(str::to_string).or_else(|| config.cluster.context.clone()),
            loki_url: None,
            grafana: None,
            sim: None,
        }
    }

    /// The embedded simulated platform, with a kubeconfig written for it like for any cluster.
    pub async fn demo(args: &SimArgs) -> Result<Self> {
        let sim = super::start_sim(args, Ports::default()).await?;
        let dir = std::env::temp_dir().join(format!("platdeck-demo-{}", std::process::id()));
        std::fs::create_dir_all(&dir).wrap_err_with(|| format!("cannot create {}", dir.display()))?;
        let kubeconfig = dir.join("kubeconfig");
        std::fs::write(&kubeconfig, sim.endpoints.kubeconfig_yaml())
            .wrap_err_with(|| format!("cannot write {}", kubeconfig.display()))?;
        let context = Some(sim.endpoints.kube_context.clone());
        let loki_url = Some(sim.endpoints.loki.clone());
        let grafana =
            Some((sim.endpoints.grafana.clone(), crate::sim::server::grafana::LOKI_UID.to_string()));
        Ok(Self { kubeconfig: Some(kubeconfig), context, loki_url, grafana, sim: Some((sim, dir)) })
    }

    pub async fn resolve(config: &Config, cli_context: Option<&str>, demo: Option<&SimArgs>) -> Result<Self> {
        match demo {
            Some(args) => Self::demo(args).await,
            None => Ok(Self::cluster(config, cli_context)),
        }
    }

    /// Stops the in-process sim (if any) and removes its kubeconfig.
    pub async fn close(self) {
        if let Some((sim, dir)) = self.sim {
            let _ = tokio::time::timeout(super::SHUTDOWN_GRACE, sim.shutdown()).await;
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}
