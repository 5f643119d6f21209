//! Starting a sim for a test and waiting on conditions.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use platdeck_console::sources::cache::Caches;
use platdeck_console::sources::kube::{WatchScope, spawn_watchers};
use platdeck_sim::faults::FaultSpec;
use platdeck_sim::scenario::ScenarioSource;
use platdeck_sim::{SimOptions, SimServer};

pub async fn start_sim(faults: &str) -> SimServer {
    start_with(SimOptions {
        scenario: ScenarioSource::Builtin("platform".into()),
        faults: FaultSpec::parse(faults).expect("fault spec"),
        ..SimOptions::default()
    })
    .await
}

pub async fn start_with(options: SimOptions) -> SimServer {
    platdeck_sim::start(options).await.expect("sim starts")
}

/// Polls `check` until it returns `Some`, or panics with `what` after `timeout`.
pub async fn wait_for<T, F, Fut>(what: &str, timeout: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if let Some(v) = check().await {
            return v;
        }
        if tokio::time::Instant::now() > deadline {
            panic!("timed out after {timeout:?} waiting for {what}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The console's own kube watchers on the sim, feeding its caches (as the TUI's would).
pub fn console_caches(sim: &SimServer) -> (Arc<Caches>, CancellationToken) {
    let client =
        kube::Client::try_from(kube::Config::new(sim.endpoints.kubernetes.parse().unwrap())).unwrap();
    let (caches, _changed) = Caches::new();
    let token = CancellationToken::new();
    let scope = WatchScope { namespace: None, argocd_namespace: "argocd".into() };
    spawn_watchers(&client, &scope, &caches, &TaskTracker::new(), &token);
    (caches, token)
}
