//! The Argo CD application controller: compares each Application's desired state with the live objects
//! (sync status), derives health from them, runs sync operations requested through the `operation` field
//! (by users or by automated sync), keeps history and honours the refresh annotation.
//!
//! Where the desired state comes from is a [`Target`]: the scenario's simulated git for its own apps
//! (`argocd_scenario`), or a git repository on the local disk read by the repo-server (`argocd_git`).

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};

use super::argocd_git::{self, GitTarget};
use super::argocd_scenario::ScenarioApps;
use super::events::{self, EventKind};
use super::repo_server::{Fetched, REFRESH_ANNOTATION, RepoServer, Source};
use crate::clock::now_rfc3339;
use crate::git_repo::{self, RepoError};
use crate::resources::{APPLICATIONS, CLUSTER_POLICIES, DEPLOYMENTS, SERVICES};
use crate::scenario::Scenario;
use crate::seed::ARGOCD_NAMESPACE;
use crate::state::Shared;
use crate::world::{World, meta_str};

pub use super::argocd_health::deployment_health;

const COMPONENT: &str = "argocd-application-controller";
const RESOURCES_FINALIZER: &str = "resources-finalizer.argocd.argoproj.io";
/// How long a sync operation runs before it completes (scenario time).
const SYNC_TAKES: Duration = Duration::from_millis(1500);
/// Automated sync retries a drifted app no more often than this.
const SELF_HEAL_EVERY: Duration = Duration::from_secs(5);

/// An automated sync policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Automated {
    pub self_heal: bool,
    pub prune: bool,
}

/// Sync status and the `status.resources` entries, with the images the desired state runs.
pub struct Comparison {
    pub status: &'static str,
    pub resources: Vec<Value>,
    pub images: Vec<String>,
}

/// One Application's desired state at a revision, as the controller compares, syncs and assesses it.
pub trait Target {
    /// The commit the desired state is at.
    fn revision(&self) -> &str;
    /// `spec.source`, as `comparedTo` and history report it.
    fn source(&self) -> Value;
    /// The destination namespace.
    fn namespace(&self) -> &str;
    fn automated(&self) -> Option<Automated>;
    /// Why the desired state could not be loaded (a `ComparisonError`), if so.
    fn error(&self) -> Option<&str> {
        None
    }
    /// Whether a pending refresh annotation has been served and may be removed.
    fn refreshed(&self) -> bool {
        true
    }
    fn compare(&self, world: &World) -> Comparison;
    /// Applies the desired objects (pruning what git no longer declares when asked); ResourceResults.
    fn apply(&self, world: &World, prune: bool) -> Vec<Value>;
    fn health(&self, world: &World) -> Value;
}

/// What a controller pass saw: the watched kinds' resourceVersions, the git state (scenario commits,
/// repo-server generation), and when.
type PassMark = (Vec<u64>, (u64, u64), Duration);

#[derive(Debug, Default)]
struct Progress {
    /// Scenario time the running operation started at.
    running_since: Option<Duration>,
    /// Last automated sync attempt (scenario time) and the revision it was for.
    last_auto: Option<(Duration, String)>,
    history_id: i64,
}

pub struct ArgoCd {
    scenario: ScenarioApps,
    repos: Arc<RepoServer>,
    last_pass: Mutex<Option<PassMark>>,
    progress: Mutex<HashMap<String, Progress>>,
    /// Local-repo Applications seen, and whether deleting each cascades to its resources.
    git_apps: Mutex<HashMap<String, bool>>,
}

impl ArgoCd {
    pub fn new(scenario: &Scenario, repos: Arc<RepoServer>) -> Self {
        Self {
            scenario: ScenarioApps::new(scenario),
            repos,
            last_pass: Mutex::new(None),
            progress: Mutex::new(HashMap::new()),
            git_apps: Mutex::new(HashMap::new()),
        }
    }

    pub fn git_push(&self, app: &str, workload: &str, tag: &str) -> bool {
        self.scenario.commit(app, workload, |w| w.tag = tag.to_string())
    }

    pub fn drop_labels(&self, app: &str, workload: &str, labels: &[String]) -> bool {
        self.scenario.commit(app, workload, |w| w.dropped_labels = labels.to_vec())
    }

    pub fn restore_labels(&self, app: &str, workload: &str) -> bool {
        self.scenario.commit(app, workload, |w| w.dropped_labels.clear())
    }

    /// Whether anything this controller reacts to moved since its last pass: watched objects, git,
    /// a running operation, or time (self-heal retries).
    fn pass_due(&self, world: &World, now: Duration) -> bool {
        let kinds: Vec<u64> = [APPLICATIONS, DEPLOYMENTS, SERVICES, CLUSTER_POLICIES]
            .iter()
            .map(|k| world.kind_rv(k))
            .collect();
        let commits = (self.scenario.commits(), self.repos.generation());
        let running = self
            .progress
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .values()
            .any(|p| p.running_since.is_some());
        let mut last = self.last_pass.lock().unwrap_or_else(|p| p.into_inner());
        let due = match &*last {
            Some((seen, seen_commits, at)) => {
                running || *seen != kinds || *seen_commits != commits || now >= *at + SELF_HEAL_EVERY
            }
            None => true,
        };
        if due {
            *last = Some((kinds, commits, now));
        }
        due
    }

    pub fn reconcile(&self, state: &Shared) {
        let world = &state.world;
        let now = state.clock.elapsed();
        if !self.pass_due(world, now) {
            return;
        }
        let (_, apps) = world.list(&APPLICATIONS, Some(ARGOCD_NAMESPACE));
        let mut git_seen = HashMap::new();
        for app in &apps {
            let name = meta_str(app, "name");
            let source = Source::of(app);
            // The scenario's own apps follow its simulated git unless pointed at a local repository.
            if !git_repo::is_local(&source.repo_url)
                && let Some(target) = self.scenario.target(name)
            {
                self.reconcile_app(world, now, app, &target);
                continue;
            }
            git_seen.insert(name.to_string(), cascades(app));
            let fetched = if git_repo::is_local(&source.repo_url) {
                // Not read yet: the repo-server is on it; nothing to compare until then.
                let Some(fetched) = self.repos.fetched(name, &source) else { continue };
                fetched
            } else {
                let err = RepoError::NotLocal(source.repo_url.clone());
                Fetched { source, sha: None, objects: Err(err.to_string()) }
            };
            let target = GitTarget::new(app, fetched, self.repos.take_refreshed(name));
            self.reconcile_app(world, now, app, &target);
        }
        self.forget_deleted(world, &apps, git_seen);
    }

    /// Forgets deleted Applications; a deleted local-repo app's resources are deleted with it.
    fn forget_deleted(&self, world: &World, apps: &[crate::world::Obj], seen: HashMap<String, bool>) {
        let names: HashSet<&str> = apps.iter().map(|a| meta_str(a, "name")).collect();
        self.progress
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .retain(|name, _| names.contains(name.as_str()));
        let mut known = self.git_apps.lock().unwrap_or_else(|p| p.into_inner());
        for (name, cascade) in known.iter() {
            if *cascade && !names.contains(name.as_str()) {
                tracing::info!(app = name, "application deleted: deleting its resources");
                argocd_git::delete_tracked(world, name);
            }
        }
        *known = seen;
    }

    fn reconcile_app(&self, world: &World, now: Duration, app: &Value, target: &dyn Target) {
        let name = meta_str(app, "name").to_string();
        let revision = target.revision().to_string();
        let mut progress = self.progress.lock().unwrap_or_else(|p| p.into_inner());
        let prog = progress.entry(name.clone()).or_default();
        let op = app.get("operation").filter(|o| !o.is_null()).cloned();

        // An operation runs for a moment, then applies the desired state and completes.
        let mut op_state = app.pointer("/status/operationState").cloned();
        let mut finished_sync = None;
        if let Some(op) = &op {
            match prog.running_since {
                None => {
                    prog.running_since = Some(now);
                    let by =
                        op.pointer("/initiatedBy/username").and_then(Value::as_str).unwrap_or("automated");
                    events::record(
                        world,
                        app,
                        EventKind::Normal,
                        "OperationStarted",
                        &format!("Initiated sync to {revision} by {by}"),
                        COMPONENT,
                    );
                    op_state = Some(json!({"operation": op, "phase": "Running",
                        "message": "one or more tasks are running", "startedAt": now_rfc3339()}));
                }
                Some(since) if now >= since + SYNC_TAKES => {
                    prog.running_since = None;
                    let prune = op.pointer("/sync/prune").and_then(Value::as_bool).unwrap_or(false);
                    let started = op_state
                        .as_ref()
                        .and_then(|s| s["startedAt"].as_str().map(str::to_string))
                        .unwrap_or_else(now_rfc3339);
                    let (phase, message, results) = match target.error() {
                        Some(err) => ("Error", err.to_string(), Vec::new()),
                        None => {
                            let results = target.apply(world, prune);
                            if results.iter().any(|r| r["status"] == "SyncFailed") {
                                ("Failed", "one or more objects failed to apply".to_string(), results)
                            } else {
                                ("Succeeded", "successfully synced (all tasks run)".to_string(), results)
                            }
                        }
                    };
                    let failed = phase != "Succeeded";
                    op_state = Some(json!({"operation": op, "phase": phase, "message": message,
                        "startedAt": started, "finishedAt": now_rfc3339(),
                        "syncResult": {"revision": revision, "source": target.source(), "resources": results}}));
                    events::record(
                        world,
                        app,
                        if failed { EventKind::Warning } else { EventKind::Normal },
                        "OperationCompleted",
                        &format!("Sync operation to {revision} {}", phase.to_lowercase()),
                        COMPONENT,
                    );
                    prog.history_id += 1;
                    finished_sync = Some((prog.history_id, started, op.get("initiatedBy").cloned()));
                }
                Some(_) => {}
            }
        }

        let comparison = target.compare(world);
        let health = target.health(world);

        // Automated sync: sync a new revision once, and (self-heal) drift again after a pause.
        let mut start_auto = None;
        if let Some(auto) = target.automated()
            && op.is_none()
            && comparison.status == "OutOfSync"
        {
            let due = match &prog.last_auto {
                Some((at, rev)) if *rev == revision => auto.self_heal && now >= *at + SELF_HEAL_EVERY,
                _ => true,
            };
            if due {
                prog.last_auto = Some((now, revision.clone()));
                start_auto = Some(auto);
            }
        }
        drop(progress);

        let source = target.source();
        let refreshed = target.refreshed();
        let error = target.error().map(str::to_string);
        let destination =
            json!({"server": "https://kubernetes.default.svc", "namespace": target.namespace()});
        let result = world.modify(&APPLICATIONS, ARGOCD_NAMESPACE, &name, |obj| {
            if refreshed
                && let Some(annotations) =
                    obj.pointer_mut("/metadata/annotations").and_then(Value::as_object_mut)
                && annotations.remove(REFRESH_ANNOTATION).is_some()
            {
                obj["status"]["reconciledAt"] = json!(now_rfc3339());
            }
            if finished_sync.is_some()
                && let Some(o) = obj.as_object_mut()
            {
                o.remove("operation");
            }
            if let Some(auto) = start_auto {
                obj["operation"] = json!({"initiatedBy": {"automated": true},
                    "sync": {"revision": revision, "prune": auto.prune, "syncStrategy": {"hook": {}}},
                    "retry": {"limit": 5}});
            }
            if !obj.get("status").is_some_and(Value::is_object) {
                obj["status"] = json!({"reconciledAt": now_rfc3339()});
            }
            let status = &mut obj["status"];
            status["sync"] = json!({"status": comparison.status, "revision": revision,
                "comparedTo": {"source": source, "destination": destination}});
            status["health"] = health;
            status["resources"] = json!(comparison.resources);
            status["resourceHealthSource"] = json!("appTree");
            status["sourceType"] = json!("Directory");
            status["controllerNamespace"] = json!(ARGOCD_NAMESPACE);
            status["summary"] = json!({"images": comparison.images});
            match &error {
                Some(message) => {
                    status["conditions"] = argocd_git::comparison_condition(status.get("conditions"), message)
                }
                None => {
                    if let Some(s) = status.as_object_mut() {
                        s.remove("conditions");
                    }
                }
            }
            if let Some(s) = &op_state {
                status["operationState"] = s.clone();
            }
            if let Some((id, started, by)) = &finished_sync {
                let mut history = status["history"].as_array().cloned().unwrap_or_default();
                history.push(json!({"id": id, "revision": revision, "deployStartedAt": started,
                    "deployedAt": now_rfc3339(), "source": source, "initiatedBy": by.clone().unwrap_or(json!({"automated": true}))}));
                let keep = history.len().saturating_sub(10);
                status["history"] = json!(history.split_off(keep));
            }
            Ok(())
        });
        if let Err(err) = result {
            tracing::debug!(%err, app = name, "application status not written");
        }
    }
}

/// Whether deleting an Application deletes its resources. The sim's API removes a deleted object at once
/// (it does not hold it for finalizers), so the controller cascades afterwards: for an app carrying Argo
/// CD's resources finalizer, as Argo CD does, and — a simplification — for one with automated prune.
fn cascades(app: &Value) -> bool {
    let finalizer = app
        .pointer("/metadata/finalizers")
        .and_then(Value::as_array)
        .is_some_and(|f| f.iter().any(|v| v == RESOURCES_FINALIZER));
    finalizer || argocd_git::automated_policy(app).is_some_and(|a| a.prune)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deletion_cascades_with_the_finalizer_or_automated_prune() {
        assert!(cascades(&json!({"metadata": {"finalizers": [RESOURCES_FINALIZER]}})));
        assert!(cascades(&json!({"spec": {"syncPolicy": {"automated": {"prune": true}}}})));
        assert!(!cascades(&json!({"spec": {"syncPolicy": {"automated": {"prune": false}}}})));
    }
}
