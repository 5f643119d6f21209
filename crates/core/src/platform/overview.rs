//! The overview: the platform's vital counts at one moment, and the ranked "needs attention" list —
//! what the dashboard's first screen and `platdeck status` show.

use jiff::Timestamp;

use super::attention::{Finding, is_crashlooping, is_recent, rank};
use super::model::{HealthStatus, PolicyResult, Snapshot, SyncStatus};
use super::services::ServiceView;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Overview {
    pub apps_total: usize,
    /// Sync statuses present, in the model's order (Synced, OutOfSync, Unknown); zeros left out.
    pub apps_by_sync: Vec<(SyncStatus, usize)>,
    /// Healths present, in Argo CD's order (healthiest first); zeros left out.
    pub apps_by_health: Vec<(HealthStatus, usize)>,
    pub pods_total: usize,
    /// Pods expected to be ready that are not: terminating and completed (Succeeded) pods excluded.
    pub pods_not_ready: usize,
    pub pods_crashlooping: usize,
    /// Results `fail` and `error`.
    pub policy_failures: usize,
    /// Results `warn`.
    pub policy_warnings: usize,
    /// Warning events (rows, as `kubectl get events` lists them) last seen within 15 minutes of now.
    pub warning_events_15m: usize,
    pub needs_attention: Vec<Finding>,
}

const SYNC_ORDER: [SyncStatus; 3] = [SyncStatus::Synced, SyncStatus::OutOfSync, SyncStatus::Unknown];
const HEALTH_ORDER: [HealthStatus; 6] = [
    HealthStatus::Healthy,
    HealthStatus::Suspended,
    HealthStatus::Progressing,
    HealthStatus::Missing,
    HealthStatus::Degraded,
    HealthStatus::Unknown,
];

/// The overview of `snapshot`; `services` is `services(snapshot)` (computed once, shared with the views).
pub fn overview(snapshot: &Snapshot, services: &[ServiceView], now: Timestamp) -> Overview {
    let apps = &snapshot.apps;
    let pods = &snapshot.pods;
    let results = &snapshot.policy_results;
    Overview {
        apps_total: apps.len(),
        apps_by_sync: tally(&SYNC_ORDER, |s| apps.iter().filter(|a| a.sync == s).count()),
        apps_by_health: tally(&HEALTH_ORDER, |h| apps.iter().filter(|a| a.health == h).count()),
        pods_total: pods.len(),
        pods_not_ready: pods.iter().filter(|p| !p.ready && !p.terminating && p.phase != "Succeeded").count(),
        pods_crashlooping: pods.iter().filter(|p| is_crashlooping(p)).count(),
        policy_failures: results
            .iter()
            .filter(|r| matches!(r.result, PolicyResult::Fail | PolicyResult::Error))
            .count(),
        policy_warnings: results.iter().filter(|r| r.result == PolicyResult::Warn).count(),
        warning_events_15m: snapshot
            .events
            .iter()
            .filter(|e| e.warning && is_recent(e.last_seen, now))
            .count(),
        needs_attention: rank(services, now),
    }
}

/// (value, count) for each value in `order` whose count is not zero.
fn tally<T: Copy>(order: &[T], count: impl Fn(T) -> usize) -> Vec<(T, usize)> {
    order.iter().map(|v| (*v, count(*v))).filter(|(_, n)| *n > 0).collect()
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::platform::attention::Urgency;
    use crate::platform::fixtures::{INCIDENT, PLATFORM, fixture_snapshot, snapshot_time};
    use crate::platform::model::{EventInfo, PodInfo};
    use crate::platform::services::services;

    fn of(fixture: &str) -> Overview {
        let snapshot = fixture_snapshot(fixture).unwrap();
        let now = snapshot_time(&snapshot).unwrap();
        overview(&snapshot, &services(&snapshot), now)
    }

    /// Expected numbers counted independently from the fixture files with jq.
    #[test]
    fn incident_counts() {
        let o = of(INCIDENT);
        assert_eq!(o.apps_total, 10);
        assert_eq!(o.apps_by_sync, [(SyncStatus::Synced, 10)]);
        assert_eq!(o.apps_by_health, [(HealthStatus::Healthy, 9), (HealthStatus::Degraded, 1)]);
        assert_eq!(o.pods_total, 27);
        assert_eq!(o.pods_not_ready, 1);
        assert_eq!(o.pods_crashlooping, 1);
        assert_eq!(o.policy_failures, 4);
        assert_eq!(o.policy_warnings, 0);
        assert_eq!(o.warning_events_15m, 7);
        assert_eq!(o.needs_attention[0].service.name, "payments-api");
        assert_eq!(o.needs_attention[0].urgency, Urgency::Critical);
    }

    #[test]
    fn platform_counts() {
        let o = of(PLATFORM);
        assert_eq!(o.apps_total, 10);
        assert_eq!(o.apps_by_health, [(HealthStatus::Healthy, 10)]);
        assert_eq!((o.pods_total, o.pods_not_ready, o.pods_crashlooping), (26, 0, 0));
        assert_eq!(o.policy_failures, 3);
        assert_eq!(o.warning_events_15m, 3);
        assert_eq!(o.needs_attention.len(), 1);
    }

    #[test]
    fn terminating_and_completed_pods_are_not_unready_and_old_events_not_counted() {
        let mut snapshot = fixture_snapshot(PLATFORM).unwrap();
        let now = snapshot_time(&snapshot).unwrap();
        let base = (*snapshot.pods[0]).clone();
        let terminating = PodInfo { name: "t".into(), ready: false, terminating: true, ..base.clone() };
        let done = PodInfo { name: "d".into(), ready: false, phase: "Succeeded".into(), ..base.clone() };
        let pending = PodInfo { name: "p".into(), ready: false, phase: "Pending".into(), ..base };
        snapshot.pods.extend([terminating, done, pending].map(Arc::new));
        let old = EventInfo {
            namespace: "ns".into(),
            name: "old".into(),
            warning: true,
            reason: "BackOff".into(),
            message: String::new(),
            object_kind: "Pod".into(),
            object_name: "x".into(),
            count: 1,
            last_seen: Some(now - jiff::SignedDuration::from_mins(16)),
        };
        let normal = EventInfo { name: "normal".into(), warning: false, last_seen: Some(now), ..old.clone() };
        snapshot.events = vec![Arc::new(old), Arc::new(normal)];
        let o = overview(&snapshot, &services(&snapshot), now);
        assert_eq!((o.pods_total, o.pods_not_ready), (29, 1));
        assert_eq!(o.warning_events_15m, 0);
    }

    #[test]
    fn empty_snapshot() {
        let o = overview(&Snapshot::default(), &[], "2026-01-01T00:00:00Z".parse().unwrap());
        assert_eq!(o.apps_total, 0);
        assert!(o.apps_by_sync.is_empty() && o.apps_by_health.is_empty() && o.needs_attention.is_empty());
    }
}
