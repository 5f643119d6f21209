//! Starts the sim: its state, its controllers, and one loopback listener per protocol.

pub mod ecr;
pub mod grafana;
pub mod kube;
pub mod loki;
pub mod prometheus;
pub mod prometheus_api;
pub mod prometheus_targets;
pub mod websocket;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use axum::serve::ListenerExt;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::clock::Clock;
use super::controllers;
use super::ecr::EcrStore;
use super::endpoints::Endpoints;
use super::faults::{FaultSpec, Faults};
use super::logs::{LogLimits, LogStore};
use super::metrics::MetricsStore;
use super::scenario::{self, Scale, ScenarioSource};
use super::state::{Shared, SimState};
use super::world::World;

pub const ECR_REGION: &str = "us-east-1";
pub const ECR_ACCOUNT_ID: &str = "123456789012";
pub const KUBE_CONTEXT: &str = "platdeck-sim";

/// Ports to listen on; 0 picks a free one.
#[derive(Debug, Clone, Copy, Default)]
pub struct Ports {
    pub kube: u16,
    pub loki: u16,
    pub grafana: u16,
    pub metrics: u16,
    pub ecr: u16,
}

#[derive(Debug, Clone)]
pub struct SimOptions {
    pub scenario: ScenarioSource,
    pub scale: Option<Scale>,
    pub faults: FaultSpec,
    pub speed: f64,
    /// Background pod updates per second (load for benchmarks of watchers).
    pub churn: f64,
    pub ports: Ports,
}

impl Default for SimOptions {
    fn default() -> Self {
        Self {
            scenario: ScenarioSource::Builtin("platform".into()),
            scale: None,
            faults: FaultSpec::default(),
            speed: 1.0,
            churn: 0.0,
            ports: Ports::default(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SimError {
    #[error("cannot listen on 127.0.0.1:{port} for {what}: {source}")]
    Listen { what: &'static str, port: u16, source: std::io::Error },
    #[error(transparent)]
    Scenario(#[from] scenario::ScenarioError),
}

/// A running sim. Dropping it does not stop it; call `shutdown`.
pub struct SimServer {
    pub endpoints: Endpoints,
    pub state: Shared,
    tracker: TaskTracker,
}

impl SimServer {
    /// Stops every server, stream and controller, waiting a little for them to finish.
    pub async fn shutdown(self) {
        self.state.shutdown.cancel();
        self.tracker.close();
        let _ = tokio::time::timeout(Duration::from_secs(5), self.tracker.wait()).await;
    }
}

async fn bind(what: &'static str, port: u16) -> Result<(TcpListener, String), SimError> {
    let addr = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port);
    let listener = TcpListener::bind(addr).await.map_err(|source| SimError::Listen { what, port, source })?;
    let local = listener.local_addr().map_err(|source| SimError::Listen { what, port, source })?;
    Ok((listener, format!("http://{local}")))
}

/// Starts the sim on loopback and returns once every listener is bound and the scenario is loaded.
pub async fn start(options: SimOptions) -> Result<SimServer, SimError> {
    let scenario = scenario::load(&options.scenario, options.scale)?;
    let (kube_l, kube_url) = bind("the Kubernetes API", options.ports.kube).await?;
    let (loki_l, loki_url) = bind("Loki", options.ports.loki).await?;
    let (grafana_l, grafana_url) = bind("Grafana", options.ports.grafana).await?;
    let (metrics_l, metrics_url) = bind("Prometheus metrics", options.ports.metrics).await?;
    let (ecr_l, ecr_url) = bind("ECR", options.ports.ecr).await?;

    let state: Shared = Arc::new(SimState {
        world: Arc::new(World::default()),
        logs: Arc::new(LogStore::new(LogLimits::default())),
        metrics: Arc::new(MetricsStore::new()),
        ecr: Arc::new(EcrStore::new(ECR_REGION, ECR_ACCOUNT_ID)),
        faults: Arc::new(Faults::new(options.faults.clone())),
        clock: Clock::new(options.speed),
        shutdown: CancellationToken::new(),
        mutating_requests: Default::default(),
        history: Default::default(),
    });
    let grafana_token = format!("glsa_sim_{}", uuid::Uuid::new_v4().simple());
    let endpoints = Endpoints {
        kubernetes: kube_url,
        loki: loki_url.clone(),
        grafana: grafana_url,
        grafana_token: grafana_token.clone(),
        metrics: metrics_url.clone(),
        ecr: ecr_url,
        ecr_region: ECR_REGION.into(),
        ecr_account_id: ECR_ACCOUNT_ID.into(),
        kube_context: KUBE_CONTEXT.into(),
        prometheus: metrics_url.clone(),
    };

    super::seed::seed(&state, &scenario);

    let tracker = TaskTracker::new();
    let serve = |listener: TcpListener, router: axum::Router, token: CancellationToken| async move {
        let shutdown = async move { token.cancelled().await };
        // No Nagle: a response's headers and body go out at once, not 40–200 ms apart (delayed ACKs).
        let listener = listener.tap_io(|tcp| {
            let _ = tcp.set_nodelay(true);
        });
        if let Err(err) = axum::serve(listener, router).with_graceful_shutdown(shutdown).await {
            tracing::error!(%err, "sim listener failed");
        }
    };
    let token = state.shutdown.clone();
    tracker.spawn(serve(kube_l, kube::router(state.clone()), token.clone()));
    tracker.spawn(serve(
        loki_l,
        loki::router(loki::LokiState { logs: state.logs.clone(), faults: state.faults.clone() }),
        token.clone(),
    ));
    tracker.spawn(serve(
        grafana_l,
        grafana::router(grafana::GrafanaState {
            token: grafana_token,
            loki_url,
            prometheus_url: metrics_url,
            faults: state.faults.clone(),
        }),
        token.clone(),
    ));
    tracker.spawn(serve(
        metrics_l,
        prometheus::router(state.metrics.clone(), state.faults.clone())
            .merge(prometheus_api::router(state.clone())),
        token.clone(),
    ));
    tracker.spawn(super::scrape::run(state.clone()));
    tracker.spawn(serve(
        ecr_l,
        ecr::router(ecr::EcrState { store: state.ecr.clone(), faults: state.faults.clone() }),
        token.clone(),
    ));
    controllers::spawn_all(&state, scenario, &tracker);
    if options.churn > 0.0 {
        tracker.spawn(controllers::churn::run(state.clone(), options.churn));
    }
    Ok(SimServer { endpoints, state, tracker })
}
