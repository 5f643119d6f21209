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
    /// A GitOps repository the target brings (demo: a `git init` one in its temporary directory), used
    /// when the config's `gitops.repo` is unset.
    pub gitops_repo: Option<PathBuf>,
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
            gitops_repo: None,
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
        let gitops_repo = demo_gitops_repository(&dir);
        Ok(Self { kubeconfig: Some(kubeconfig), context, loki_url, gitops_repo, sim: Some((sim, dir)) })
    }

    pub async fn resolve(config: &Config, cli_context: Option<&str>, demo: Option<&SimArgs>) -> Result<Self> {
        match demo {
            Some(args) => Self::demo(args).await,
            None => Ok(Self::cluster(config, cli_context)),
        }
    }

    /// With `--demo`: `config` with every endpoint (kube context, Loki, Grafana, Prometheus, ECR) pointed
    /// at the in-process sim, as `platdeck sim --config-out` writes it; else `config` unchanged.
    pub fn effective_config(&self, config: &Config) -> Config {
        let Some((sim, dir)) = &self.sim else { return config.clone() };
        let sim_config = super::sim::config_for(&sim.endpoints, Some(&dir.join("kubeconfig")));
        let mut merged = config.clone();
        merged.cluster.context = sim_config.cluster.context;
        merged.cluster.kubeconfig = sim_config.cluster.kubeconfig;
        merged.loki.url = sim_config.loki.url;
        merged.grafana = sim_config.grafana;
        merged.prometheus = sim_config.prometheus;
        merged.ecr.region = sim_config.ecr.region;
        merged.ecr.account_id = sim_config.ecr.account_id;
        merged.ecr.endpoint_url = sim_config.ecr.endpoint_url;
        merged
    }

    /// The GitOps repository scaffolds commit to: the config's `gitops.repo` when it is a local
    /// directory, else the one the target brings.
    pub fn gitops_dir(&self, config: &Config) -> Option<PathBuf> {
        let configured = config.gitops.repo.as_deref().map(PathBuf::from).filter(|p| p.is_dir());
        configured.or_else(|| if config.gitops.repo.is_none() { self.gitops_repo.clone() } else { None })
    }

    /// Stops the in-process sim (if any) and removes its kubeconfig.
    pub async fn close(self) {
        if let Some((sim, dir)) = self.sim {
            let _ = tokio::time::timeout(super::SHUTDOWN_GRACE, sim.shutdown()).await;
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// The demo's GitOps repository: a fresh `git init` repository on `main` in the demo's directory. Without
/// git the demo still runs; scaffolding then writes no GitOps commit.
fn demo_gitops_repository(dir: &std::path::Path) -> Option<PathBuf> {
    let repo = dir.join("gitops");
    match crate::scaffold::gitops::init_repository(&repo, "main") {
        Ok(()) => Some(repo),
        Err(err) => {
            tracing::warn!(%err, "no GitOps repository for the demo");
            None
        }
    }
}
