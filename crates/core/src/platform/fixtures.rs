//! Realistic snapshots for tests: objects captured from `platdeck sim` with kubectl
//! (`tests/fixtures/platform/<scenario>/`), projected exactly as the sources project live objects.
//! Used by the platform tests and the TUI's snapshot tests; nothing at run time reads these files.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use jiff::Timestamp;
use serde_json::Value;

use super::model::{Snapshot, SourceHealth};
use super::project::{app_info, deployment_info, event_info, pod_info, policy_info, policy_results};

/// Captured at a degraded moment of the `incident` scenario: payments-api Degraded and crash-looping,
/// users-api missing labels, notifications-worker failing the observability policy.
pub const INCIDENT: &str = "incident";
/// The `platform` scenario at rest: all healthy, notifications-worker failing the observability policy.
pub const PLATFORM: &str = "platform";

/// `tests/fixtures/platform/<name>` in this crate.
pub fn fixture_dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/platform").join(name)
}

/// The files of a fixture directory, each a Kubernetes `List`.
pub const FILES: [&str; 5] =
    ["workloads.json", "applications.json", "policyreports.json", "clusterpolicies.json", "events.json"];

/// The snapshot of a fixture directory: `workloads.json` (pods and deployments), `applications.json`,
/// `policyreports.json`, `clusterpolicies.json`, `events.json` — each a kubectl `List` with `items`.
/// Every source is marked Connected.
pub fn snapshot_from_dir(dir: &Path) -> io::Result<Snapshot> {
    let workloads = items(&dir.join("workloads.json"))?;
    let kind = |o: &Value| o.get("kind").and_then(Value::as_str).unwrap_or("").to_owned();
    let snapshot = Snapshot {
        apps: items(&dir.join("applications.json"))?.iter().map(|o| Arc::new(app_info(o))).collect(),
        deployments: workloads
            .iter()
            .filter(|o| kind(o) == "Deployment")
            .map(|o| Arc::new(deployment_info(o)))
            .collect(),
        pods: workloads.iter().filter(|o| kind(o) == "Pod").map(|o| Arc::new(pod_info(o))).collect(),
        policy_results: items(&dir.join("policyreports.json"))?
            .iter()
            .flat_map(policy_results)
            .map(Arc::new)
            .collect(),
        policies: items(&dir.join("clusterpolicies.json"))?
            .iter()
            .map(|o| Arc::new(policy_info(o)))
            .collect(),
        events: items(&dir.join("events.json"))?.iter().map(|o| Arc::new(event_info(o))).collect(),
        sources: ["applications", "deployments", "pods", "policyreports", "policies", "events"]
            .into_iter()
            .map(|s| (s.to_owned(), SourceHealth::Connected))
            .collect(),
    };
    Ok(snapshot)
}

/// The snapshot of a named fixture (`INCIDENT`, `PLATFORM`).
pub fn fixture_snapshot(name: &str) -> io::Result<Snapshot> {
    snapshot_from_dir(&fixture_dir(name))
}

/// The moment a snapshot was taken, as well as its contents tell: the latest timestamp it holds (event
/// last seen, pod creation, policy result, Argo CD operation). Tests use it as `now`, so ages and the
/// "last 15 minutes" windows are deterministic.
pub fn snapshot_time(s: &Snapshot) -> Option<Timestamp> {
    let events = s.events.iter().filter_map(|e| e.last_seen);
    let pods = s.pods.iter().filter_map(|p| p.created);
    let results = s.policy_results.iter().filter_map(|r| r.timestamp);
    let operations = s
        .apps
        .iter()
        .filter_map(|a| a.last_operation.as_ref())
        .flat_map(|o| [o.started_at, o.finished_at])
        .flatten();
    events.chain(pods).chain(results).chain(operations).max()
}

/// The `items` of a kubectl `List` file.
fn items(path: &Path) -> io::Result<Vec<Value>> {
    let text = std::fs::read_to_string(path)?;
    let list: Value = serde_json::from_str(&text)
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, format!("{}: {e}", path.display())))?;
    match list.get("items") {
        Some(Value::Array(items)) => Ok(items.clone()),
        _ => Err(io::Error::new(io::ErrorKind::InvalidData, format!("{}: no `items` array", path.display()))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixtures_load_and_are_small() {
        for name in [INCIDENT, PLATFORM] {
            let s = fixture_snapshot(name).unwrap();
            assert!(!s.apps.is_empty() && !s.pods.is_empty() && !s.deployments.is_empty(), "{name}");
            assert!(!s.policy_results.is_empty() && !s.policies.is_empty() && !s.events.is_empty(), "{name}");
            assert_eq!(s.sources.len(), 6);
            assert!(snapshot_time(&s).is_some());
            for entry in std::fs::read_dir(fixture_dir(name)).unwrap() {
                let entry = entry.unwrap();
                assert!(entry.metadata().unwrap().len() < 300_000, "{} too big", entry.path().display());
            }
        }
    }

    #[test]
    fn missing_or_malformed_files_are_errors() {
        assert!(snapshot_from_dir(Path::new("/nonexistent/platdeck")).is_err());
        let dir = tempfile::tempdir().unwrap();
        for file in FILES {
            std::fs::write(dir.path().join(file), r#"{"kind": "List", "items": []}"#).unwrap();
        }
        let empty = snapshot_from_dir(dir.path()).unwrap();
        assert!(empty.pods.is_empty() && snapshot_time(&empty).is_none());
        std::fs::write(dir.path().join("events.json"), "{not json").unwrap();
        let err = snapshot_from_dir(dir.path()).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
        assert!(err.to_string().contains("events.json"));
    }
}
