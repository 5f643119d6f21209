//! Controllers that make the sim move like a cluster. Each runs as its own task, reconciling on a
//! short tick until the sim shuts down; all of them read and write only through the `World`.

pub mod argocd;
pub mod argocd_git;
pub mod argocd_health;
pub mod argocd_scenario;
pub mod behaviour;
pub mod churn;
pub mod deployments;
pub mod events;
pub mod gc;
pub mod kubelet;
pub mod kyverno;
pub mod loggen;
pub mod repo_server;
pub mod timeline;

use std::sync::Arc;
use std::time::Duration;

use tokio_util::task::TaskTracker;

use super::scenario::Scenario;
use super::state::Shared;

/// How often controllers reconcile (real time; scenario delays are scaled by `--speed`).
pub const TICK: Duration = Duration::from_millis(200);

pub fn spawn_all(state: &Shared, scenario: Scenario, tracker: &TaskTracker) {
    let scenario = Arc::new(scenario);
    let repos = Arc::new(repo_server::RepoServer::default());
    let argo = Arc::new(argocd::ArgoCd::new(&scenario, repos.clone()));
    let behaviour = Arc::new(behaviour::Behaviour::default());
    // One synchronous pass first, so the very first request sees derived status.
    argo.reconcile(state);
    kyverno::reconcile(state);
    let deployments = deployments::DeploymentController::default();
    tracker.spawn(run_every(state.clone(), TICK, move |s| deployments.reconcile(s)));
    tracker.spawn(repo_server::run(state.clone(), repos));
    tracker.spawn(kubelet::run(state.clone(), scenario.clone(), behaviour.clone()));
    {
        let argo = argo.clone();
        tracker.spawn(run_every(state.clone(), TICK, move |s| argo.reconcile(s)));
    }
    let kyverno = kyverno::Kyverno::new();
    tracker.spawn(run_every(state.clone(), Duration::from_secs(2), move |s| kyverno.reconcile(s)));
    let namespaces = crate::seed_core::NamespaceDefaults::default();
    tracker.spawn(run_every(state.clone(), TICK, move |s| namespaces.reconcile(&s.world)));
    let gc = gc::GarbageCollector::default();
    tracker.spawn(run_every(state.clone(), Duration::from_secs(1), move |s| gc.reconcile(s)));
    tracker.spawn(loggen::run(state.clone(), scenario.clone(), behaviour.clone()));
    tracker.spawn(timeline::run(state.clone(), scenario, argo, behaviour));
}

/// Runs `step` every `period` until shutdown.
async fn run_every(state: Shared, period: Duration, step: impl Fn(&Shared)) {
    let mut tick = tokio::time::interval(period);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => step(&state),
            _ = state.shutdown.cancelled() => return,
        }
    }
}
