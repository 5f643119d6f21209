//! Which cluster a command talks to: the kubeconfig and context the user chose, or — with `--demo` —
//! the embedded simulated platform started in-process, reached through the very same code path.

use std::path::PathBuf;

use color_eyre::eyre::Result;

use crate::cli::DemoArgs;
#[cfg(feature = "demo")]
use crate::demo::{cli::SimArgs, embedded::EmbeddedPlatform};
use platdeck_console::config::Config;

pub struct Target {
    pub kubeconfig: Option<PathBuf>,
    pub context: Option<String>,
    /// Loki's URL when the target brings its own (the sim); else the config's `loki.url`.
    pub loki_url: Option<String>,
    /// A GitOps repository the target brings (demo: a `git init` one in its temporary directory), used
    /// when the config's `gitops.repo` is unset.
    pub gitops_repo: Option<PathBuf>,
    /// The in-process sim, kept alive as long as the target is.
    #[cfg(feature = "demo")]
    embedded: Option<EmbeddedPlatform>,
}

impl Target {
    /// A real cluster: `--context` over the config's context over the kubeconfig's current one.
    pub fn cluster(config: &Config, cli_context: Option<&str>) -> Self {
        Self {
            kubeconfig: config.cluster.kubeconfig.clone(),
            context: cli_context.map(str::to_string).or_else(|| config.cluster.context.clone()),
            loki_url: None,
            gitops_repo: None,
            #[cfg(feature = "demo")]
            embedded: None,
        }
    }

    /// The embedded simulated platform, with a kubeconfig written for it like for any cluster.
    #[cfg(feature = "demo")]
    pub async fn demo(args: &SimArgs) -> Result<Self> {
        let embedded = EmbeddedPlatform::start(args).await?;
        let context = Some(embedded.sim.endpoints.kube_context.clone());
        let loki_url = Some(embedded.sim.endpoints.loki.clone());
        let gitops_repo = demo_gitops_repository(&embedded.dir);
        Ok(Self {
            kubeconfig: Some(embedded.kubeconfig()),
            context,
            loki_url,
            gitops_repo,
            embedded: Some(embedded),
        })
    }

    /// With `--demo`, the embedded platform; else the cluster of the config and `--context`.
    pub async fn resolve(config: &Config, cli_context: Option<&str>, demo: &DemoArgs) -> Result<Self> {
        #[cfg(feature = "demo")]
        if demo.demo {
            return Self::demo(&demo.sim()).await;
        }
        let _ = demo;
        Ok(Self::cluster(config, cli_context))
    }

    /// With `--demo`: `config` with every endpoint (kube context, Loki, Grafana, Prometheus, ECR) pointed
    /// at the in-process sim, as `platdeck sim --config-out` writes it; else `config` unchanged.
    pub fn effective_config(&self, config: &Config) -> Config {
        #[cfg(feature = "demo")]
        if let Some(embedded) = &self.embedded {
            let sim_config = embedded.config();
            let mut merged = config.clone();
            merged.cluster.context = sim_config.cluster.context;
            merged.cluster.kubeconfig = sim_config.cluster.kubeconfig;
            merged.loki.url = sim_config.loki.url;
            merged.grafana = sim_config.grafana;
            merged.prometheus = sim_config.prometheus;
            merged.ecr.region = sim_config.ecr.region;
            merged.ecr.account_id = sim_config.ecr.account_id;
            merged.ecr.endpoint_url = sim_config.ecr.endpoint_url;
            return merged;
        }
        config.clone()
    }

    /// The GitOps repository scaffolds commit to: the config's `gitops.repo` when it is a local
    /// directory, else the one the target brings.
    pub fn gitops_dir(&self, config: &Config) -> Option<PathBuf> {
        let configured = config.gitops.repo.as_deref().map(PathBuf::from).filter(|p| p.is_dir());
        configured.or_else(|| if config.gitops.repo.is_none() { self.gitops_repo.clone() } else { None })
    }

    /// Stops the in-process sim (if any) and removes its kubeconfig.
    pub async fn close(self) {
        #[cfg(feature = "demo")]
        if let Some(embedded) = self.embedded {
            embedded.close().await;
        }
    }
}

/// The demo's GitOps repository: a fresh `git init` repository on `main` in the demo's directory. Without
/// git the demo still runs; scaffolding then writes no GitOps commit.
#[cfg(feature = "demo")]
fn demo_gitops_repository(dir: &std::path::Path) -> Option<PathBuf> {
    let repo = dir.join("gitops");
    match platdeck_console::scaffold::gitops::init_repository(&repo, "main") {
        Ok(()) => Some(repo),
        Err(err) => {
            tracing::warn!(%err, "no GitOps repository for the demo");
            None
        }
    }
}
