//! Plays a scenario's timeline: at each step's scenario time, the scripted change happens.

use std::sync::Arc;

use super::argocd::ArgoCd;
use super::behaviour::Behaviour;
use crate::faults::parse_duration;
use crate::scenario::{Action, Scenario};
use crate::state::Shared;

pub async fn run(state: Shared, scenario: Arc<Scenario>, argo: Arc<ArgoCd>, behaviour: Arc<Behaviour>) {
    let mut steps = scenario.timeline.clone();
    steps.sort_by_key(|s| s.at());
    for step in steps {
        let wait = step.at().saturating_sub(state.clock.elapsed());
        tokio::select! {
            _ = tokio::time::sleep(state.clock.real(wait)) => {}
            _ = state.shutdown.cancelled() => return,
        }
        let (app, workload) = step.action.target();
        let namespace = scenario.app(app).map(|a| a.namespace.clone()).unwrap_or_default();
        let now = state.clock.elapsed();
        tracing::info!(at = step.at, ?step.action, "scenario step");
        match &step.action {
            Action::GitPush { tag, .. } => {
                argo.git_push(app, workload, tag);
            }
            Action::DropLabels { labels, .. } => {
                argo.drop_labels(app, workload, labels);
            }
            Action::RestoreLabels { .. } => {
                argo.restore_labels(app, workload);
            }
            Action::ReadinessFlap { duration, .. } => {
                behaviour.flap(&namespace, workload, now + parse_duration(duration).unwrap_or_default());
            }
            Action::ErrorBurst { error_rate, duration, .. } => {
                behaviour.error_burst(
                    &namespace,
                    workload,
                    *error_rate,
                    now + parse_duration(duration).unwrap_or_default(),
                );
            }
        }
    }
}
