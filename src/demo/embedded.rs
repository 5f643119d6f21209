//! Starting the simulated platform in-process, and the platdeck config that points at it.

use std::path::{Path, PathBuf};

use color_eyre::eyre::{Context, Result};

use super::cli::SimArgs;
use platdeck_console::config::{Config, Secret};
use platdeck_sim::scenario::ScenarioSource;
use platdeck_sim::server::{Ports, grafana};
use platdeck_sim::{Endpoints, SimOptions, SimServer};

/// Starts the embedded simulated platform as `--demo` and `platdeck sim` both do.
pub async fn start_sim(args: &SimArgs, ports: Ports) -> Result<SimServer> {
    let options = SimOptions {
        scenario: ScenarioSource::from_arg(&args.scenario.scenario),
        scale: args.scenario.scale,
        faults: args.faults.clone().unwrap_or_default(),
        speed: args.scenario.speed,
        churn: args.churn.max(0.0),
        ports,
    };
    Ok(platdeck_sim::start(options).await?)
}

/// A sim running in this process, with the directory holding its kubeconfig (and the demo's GitOps
/// repository), removed when it is closed.
pub struct EmbeddedPlatform {
    pub sim: SimServer,
    pub dir: PathBuf,
}

impl EmbeddedPlatform {
    pub async fn start(args: &SimArgs) -> Result<Self> {
        let sim = start_sim(args, Ports::default()).await?;
        let dir = std::env::temp_dir().join(format!("platdeck-demo-{}", std::process::id()));
        std::fs::create_dir_all(&dir).wrap_err_with(|| format!("cannot create {}", dir.display()))?;
        let platform = Self { sim, dir };
        let kubeconfig = platform.kubeconfig();
        std::fs::write(&kubeconfig, platform.sim.endpoints.kubeconfig_yaml())
            .wrap_err_with(|| format!("cannot write {}", kubeconfig.display()))?;
        Ok(platform)
    }

    pub fn kubeconfig(&self) -> PathBuf {
        self.dir.join("kubeconfig")
    }

    /// The platdeck config of this sim (every endpoint pointed at it).
    pub fn config(&self) -> Config {
        config_for(&self.sim.endpoints, Some(&self.kubeconfig()))
    }

    pub async fn close(self) {
        let _ = tokio::time::timeout(super::SHUTDOWN_GRACE, self.sim.shutdown()).await;
        let _ = std::fs::remove_dir_all(self.dir);
    }
}

/// A platdeck config that points every source at this sim.
pub fn config_for(endpoints: &Endpoints, kubeconfig: Option<&Path>) -> Config {
    let mut config = Config::default();
    config.cluster.context = Some(endpoints.kube_context.clone());
    config.cluster.kubeconfig = kubeconfig.map(Path::to_path_buf);
    config.loki.url = Some(endpoints.loki.clone());
    config.grafana.url = Some(endpoints.grafana.clone());
    config.grafana.token = Some(Secret::Value(endpoints.grafana_token.clone()));
    config.grafana.loki_datasource = Some(grafana::LOKI_UID.to_string());
    config.prometheus.url = Some(endpoints.prometheus.clone());
    config.ecr.region = endpoints.ecr_region.clone();
    config.ecr.account_id = Some(endpoints.ecr_account_id.clone());
    config.ecr.endpoint_url = Some(endpoints.ecr.clone());
    config
}
