//! The Argo CD application controller: compares each Application's GitOps desired state with the
//! live objects (sync status), derives health from them, runs sync operations requested through the
//! `operation` field (by users or by automated sync), keeps history and honours the refresh annotation.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use serde_json::{Value, json};

use super::events::{self, EventKind};
use crate::sim::clock::now_rfc3339;
use crate::sim::manifests;
use crate::sim::resources::{APPLICATIONS, CLUSTER_POLICIES, DEPLOYMENTS, SERVICES};
use crate::sim::scenario::{AppSpec, Scenario};
use crate::sim::seed::ARGOCD_NAMESPACE;
use crate::sim::state::Shared;
use crate::sim::world::{World, meta_str};

const COMPONENT: &str = "argocd-application-controller";
const REFRESH_ANNOTATION: &str = "argocd.argoproj.io/refresh";
/// How long a sync operation runs before it completes (scenario time).
const SYNC_TAKES: Duration = Duration::from_millis(1500);
/// Automated sync retries a drifted app no more often than this.
const SELF_HEAL_EVERY: Duration = Duration::from_secs(5);

/// What the GitOps repository declares for one workload.
#[derive(Debug, Clone)]
struct DesiredWorkload {
    tag: String,
    dropped_labels: Vec<String>,
}

/// What the GitOps repository declares for one Application, at a revision.
#[derive(Debug, Clone)]
struct Desired {
    revision: String,
    workloads: HashMap<String, DesiredWorkload>,
}

#[derive(Debug, Default)]
struct Progress {
    /// Scenario time the running operation started at.
    running_since: Option<Duration>,
    /// Last automated sync attempt (scenario time) and the revision it was for.
    last_auto: Option<(Duration, String)>,
    history_id: i64,
}

pub struct ArgoCd {
    apps: HashMap<String, AppSpec>,
    /// What the last full pass saw (resourceVersions of the watched kinds, the git state, and when).
    last_pass: Mutex<Option<(Vec<u64>, u64, Duration)>>,
    /// Bumped on every GitOps commit, so a commit triggers a pass.
    commits: std::sync::atomic::AtomicU64,
    desired: Mutex<HashMap<String, Desired>>,
    progress: Mutex<HashMap<String, Progress>>,
    repo: String,
}

/// A git-like revision id for a commit.
fn revision_for(parts: &[&str]) -> String {
    let a = events::fnv(parts);
    let b = events::fnv(&[&a.to_string()]);
    format!("{a:016x}{b:016x}{:08x}", (a ^ b) as u32)
}

impl ArgoCd {
    pub fn new(scenario: &Scenario) -> Self {
        let apps: HashMap<String, AppSpec> =
            scenario.apps.iter().map(|a| (a.name.clone(), a.clone())).collect();
        let desired = scenario
            .apps
            .iter()
            .map(|a| {
                let workloads = a
                    .workloads
                    .iter()
                    .map(|w| {
                        (w.name.clone(), DesiredWorkload { tag: w.tag.clone(), dropped_labels: Vec::new() })
                    })
                    .collect();
                (a.name.clone(), Desired { revision: revision_for(&[&a.name, "initial"]), workloads })
            })
            .collect();
        Self {
            apps,
            last_pass: Mutex::new(None),
            commits: Default::default(),
            desired: Mutex::new(desired),
            progress: Mutex::new(HashMap::new()),
            repo: scenario.gitops_repo.clone(),
        }
    }

    fn desired(&self, app: &str) -> Option<Desired> {
        self.desired.lock().unwrap_or_else(|p| p.into_inner()).get(app).cloned()
    }

    /// A commit to the GitOps repo changes a workload; the app's revision moves on.
    fn commit(&self, app: &str, workload: &str, change: impl FnOnce(&mut DesiredWorkload)) -> bool {
        let mut all = self.desired.lock().unwrap_or_else(|p| p.into_inner());
        let Some(d) = all.get_mut(app) else { return false };
        let Some(w) = d.workloads.get_mut(workload) else { return false };
        change(w);
        self.commits.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        d.revision = revision_for(&[&d.revision, workload, &w.tag, &w.dropped_labels.join(",")]);
        true
    }

    pub fn git_push(&self, app: &str, workload: &str, tag: &str) -> bool {
        self.commit(app, workload, |w| w.tag = tag.to_string())
    }

    pub fn drop_labels(&self, app: &str, workload: &str, labels: &[String]) -> bool {
        self.commit(app, workload, |w| w.dropped_labels = labels.to_vec())
    }

    pub fn restore_labels(&self, app: &str, workload: &str) -> bool {
        self.commit(app, workload, |w| w.dropped_labels.clear())
    }

    /// The live Deployment a workload should be, per its app's desired state.
    fn desired_deployment(
        &self,
        app: &AppSpec,
        w: &crate::sim::scenario::WorkloadSpec,
        d: &DesiredWorkload,
    ) -> Value {
        let (part_of, managed_by) =
            if app.platform { (app.name.as_str(), "Helm") } else { ("platform-services", "backstage") };
        let labels = manifests::labels(w, part_of, managed_by, &d.dropped_labels);
        manifests::deployment(w, &app.namespace, &d.tag, &labels, Some(&app.name))
    }

    /// Whether anything this controller reacts to moved since its last pass: watched objects, git,
    /// a running operation, or time (self-heal retries).
    fn pass_due(&self, world: &World, now: Duration) -> bool {
        let kinds: Vec<u64> = [APPLICATIONS, DEPLOYMENTS, SERVICES, CLUSTER_POLICIES]
            .iter()
            .map(|k| world.kind_rv(k))
            .collect();
        let commits = self.commits.load(std::sync::atomic::Ordering::Relaxed);
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
        for app_obj in apps {
            let name = meta_str(&app_obj, "name").to_string();
            let Some(spec) = self.apps.get(&name) else { continue };
            let Some(desired) = self.desired(&name) else { continue };
            self.reconcile_app(world, now, &app_obj, spec, &desired);
        }
    }

    fn reconcile_app(&self, world: &World, now: Duration, app: &Value, spec: &AppSpec, desired: &Desired) {
        let name = meta_str(app, "name").to_string();
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
                        &format!("Initiated sync to {} by {by}", desired.revision),
                        COMPONENT,
                    );
                    op_state = Some(json!({"operation": op, "phase": "Running",
                        "message": "one or more tasks are running", "startedAt": now_rfc3339()}));
                }
                Some(since) if now >= since + SYNC_TAKES => {
                    prog.running_since = None;
                    let results = self.apply(world, spec, desired);
                    let failed = results.iter().any(|r| r["status"] == "SyncFailed");
                    let started = op_state
                        .as_ref()
                        .and_then(|s| s["startedAt"].as_str().map(str::to_string))
                        .unwrap_or_else(now_rfc3339);
                    let (phase, message) = if failed {
                        ("Failed", "one or more objects failed to apply")
                    } else {
                        ("Succeeded", "successfully synced (all tasks run)")
                    };
                    op_state = Some(json!({"operation": op, "phase": phase, "message": message,
                        "startedAt": started, "finishedAt": now_rfc3339(),
                        "syncResult": {"revision": desired.revision, "source": self.source(spec), "resources": results}}));
                    events::record(
                        world,
                        app,
                        if failed { EventKind::Warning } else { EventKind::Normal },
                        "OperationCompleted",
                        &format!("Sync operation to {} {}", desired.revision, phase.to_lowercase()),
                        COMPONENT,
                    );
                    prog.history_id += 1;
                    finished_sync = Some((prog.history_id, started, op.get("initiatedBy").cloned()));
                }
                Some(_) => {}
            }
        }

        let (sync_status, resources) = self.compare(world, spec, desired);
        let health = self.health(world, spec);

        // Automated sync: sync a new revision once, and (self-heal) drift again after a pause.
        let mut start_auto = false;
        if spec.auto_sync && op.is_none() && sync_status == "OutOfSync" {
            let due = match &prog.last_auto {
                Some((at, rev)) if *rev == desired.revision => spec.self_heal && now >= *at + SELF_HEAL_EVERY,
                _ => true,
            };
            if due {
                prog.last_auto = Some((now, desired.revision.clone()));
                start_auto = true;
            }
        }
        drop(progress);

        let images: Vec<String> = resources.iter().filter_map(|(_, img)| img.clone()).collect();
        let resource_list: Vec<Value> = resources.into_iter().map(|(r, _)| r).collect();
        let source = self.source(spec);
        let result = world.modify(&APPLICATIONS, ARGOCD_NAMESPACE, &name, |obj| {
            if let Some(annotations) = obj.pointer_mut("/metadata/annotations").and_then(Value::as_object_mut)
                && annotations.remove(REFRESH_ANNOTATION).is_some()
            {
                obj["status"]["reconciledAt"] = json!(now_rfc3339());
            }
            if finished_sync.is_some() {
                if let Some(o) = obj.as_object_mut() {
                    o.remove("operation");
                }
            }
            if start_auto {
                obj["operation"] = json!({"initiatedBy": {"automated": true},
                    "sync": {"revision": desired.revision, "prune": true, "syncStrategy": {"hook": {}}},
                    "retry": {"limit": 5}});
            }
            if !obj.get("status").is_some_and(Value::is_object) {
                obj["status"] = json!({"reconciledAt": now_rfc3339()});
            }
            let status = &mut obj["status"];
            status["sync"] = json!({"status": sync_status, "revision": desired.revision,
                "comparedTo": {"source": source, "destination": {"server": "https://kubernetes.default.svc", "namespace": spec.namespace}}});
            status["health"] = health.clone();
            status["resources"] = json!(resource_list);
            status["resourceHealthSource"] = json!("appTree");
            status["sourceType"] = json!("Directory");
            status["controllerNamespace"] = json!(ARGOCD_NAMESPACE);
            status["summary"] = json!({"images": images});
            if let Some(s) = &op_state {
                status["operationState"] = s.clone();
            }
            if let Some((id, started, by)) = &finished_sync {
                let mut history = status["history"].as_array().cloned().unwrap_or_default();
                history.push(json!({"id": id, "revision": desired.revision, "deployStartedAt": started,
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

    fn source(&self, spec: &AppSpec) -> Value {
        json!({"repoURL": self.repo, "path": spec.path, "targetRevision": "HEAD"})
    }

    /// Applies the desired objects; returns Argo CD ResourceResults.
    fn apply(&self, world: &World, spec: &AppSpec, desired: &Desired) -> Vec<Value> {
        let mut results = Vec::new();
        for w in &spec.workloads {
            let Some(d) = desired.workloads.get(&w.name) else { continue };
            let want = self.desired_deployment(spec, w, d);
            let outcome = match world.get(&DEPLOYMENTS, &spec.namespace, &w.name) {
                None => world.create(&DEPLOYMENTS, want, false).map(|_| "created"),
                Some(_) => world
                    .modify(&DEPLOYMENTS, &spec.namespace, &w.name, |live| {
                        live["metadata"]["labels"] = want["metadata"]["labels"].clone();
                        live["spec"]["replicas"] = want["spec"]["replicas"].clone();
                        live["spec"]["template"]["metadata"]["labels"] =
                            want["spec"]["template"]["metadata"]["labels"].clone();
                        live["spec"]["template"]["spec"]["containers"][0]["image"] =
                            want["spec"]["template"]["spec"]["containers"][0]["image"].clone();
                        Ok(())
                    })
                    .map(|_| "configured"),
            };
            let (status, message) = match outcome {
                Ok(verb) => ("Synced", format!("deployment.apps/{} {verb}", w.name)),
                Err(err) => ("SyncFailed", err.message),
            };
            results.push(json!({"group": "apps", "version": "v1", "kind": "Deployment", "namespace": spec.namespace,
                "name": w.name, "status": status, "message": message, "hookPhase": "Running", "syncPhase": "Sync"}));
        }
        if spec.manages_policies {
            let (_, policies) = world.list(&CLUSTER_POLICIES, None);
            for p in policies {
                results.push(json!({"group": "kyverno.io", "version": "v1", "kind": "ClusterPolicy", "name": meta_str(&p, "name"),
                    "status": "Synced", "message": format!("clusterpolicy.kyverno.io/{} unchanged", meta_str(&p, "name")),
                    "hookPhase": "Running", "syncPhase": "Sync"}));
            }
        }
        results
    }

    /// Sync status and the resource list (health left to the resource tree, as Argo CD 3 does).
    fn compare(
        &self,
        world: &World,
        spec: &AppSpec,
        desired: &Desired,
    ) -> (&'static str, Vec<(Value, Option<String>)>) {
        let mut all_synced = true;
        let mut out = Vec::new();
        for w in &spec.workloads {
            let Some(d) = desired.workloads.get(&w.name) else { continue };
            let want = self.desired_deployment(spec, w, d);
            let live = world.get(&DEPLOYMENTS, &spec.namespace, &w.name);
            let image = want
                .pointer("/spec/template/spec/containers/0/image")
                .and_then(Value::as_str)
                .map(str::to_string);
            let synced = live.as_ref().is_some_and(|l| {
                l.pointer("/spec/template/spec/containers/0/image")
                    == want.pointer("/spec/template/spec/containers/0/image")
                    && l.pointer("/spec/replicas") == want.pointer("/spec/replicas")
                    && l.pointer("/metadata/labels") == want.pointer("/metadata/labels")
            });
            all_synced &= synced;
            let status = if synced { "Synced" } else { "OutOfSync" };
            out.push((
                json!({"group": "apps", "version": "v1", "kind": "Deployment", "namespace": spec.namespace,
                "name": w.name, "status": status}),
                image,
            ));
            if world.get(&SERVICES, &spec.namespace, &w.name).is_some() {
                out.push((json!({"version": "v1", "kind": "Service", "namespace": spec.namespace, "name": w.name, "status": "Synced"}), None));
            }
        }
        if spec.manages_policies {
            let (_, policies) = world.list(&CLUSTER_POLICIES, None);
            for p in policies {
                out.push((json!({"group": "kyverno.io", "version": "v1", "kind": "ClusterPolicy", "name": meta_str(&p, "name"), "status": "Synced"}), None));
            }
        }
        (if all_synced { "Synced" } else { "OutOfSync" }, out)
    }

    /// App health: the worst of its deployments' health, as Argo CD assesses Deployments.
    fn health(&self, world: &World, spec: &AppSpec) -> Value {
        let mut worst = ("Healthy", String::new());
        for w in &spec.workloads {
            let h = match world.get(&DEPLOYMENTS, &spec.namespace, &w.name) {
                None => ("Missing", String::new()),
                Some(d) => deployment_health(&d),
            };
            if rank(h.0) > rank(worst.0) {
                worst = h;
            }
        }
        let mut v = json!({"status": worst.0});
        if !worst.1.is_empty() {
            v["message"] = json!(worst.1);
        }
        v
    }
}

/// Health order from Argo CD: Healthy < Suspended < Progressing < Missing < Degraded < Unknown.
fn rank(status: &str) -> u8 {
    match status {
        "Healthy" => 0,
        "Suspended" => 1,
        "Progressing" => 2,
        "Missing" => 3,
        "Degraded" => 4,
        _ => 5,
    }
}

/// Argo CD's Deployment health check (gitops-engine `getDeploymentHealth`).
pub fn deployment_health(d: &Value) -> (&'static str, String) {
    let n = |p: &str| d.pointer(p).and_then(Value::as_i64).unwrap_or(0);
    if d.pointer("/spec/paused").and_then(Value::as_bool) == Some(true) {
        return ("Suspended", "Deployment is paused".into());
    }
    if n("/metadata/generation") > n("/status/observedGeneration") {
        return (
            "Progressing",
            "Waiting for rollout to finish: observed deployment generation less than desired generation"
                .into(),
        );
    }
    let progressing = d
        .pointer("/status/conditions")
        .and_then(Value::as_array)
        .and_then(|cs| cs.iter().find(|c| c["type"] == "Progressing"));
    if progressing.is_some_and(|c| c["reason"] == "ProgressDeadlineExceeded") {
        return (
            "Degraded",
            format!("Deployment \"{}\" exceeded its progress deadline", meta_str(d, "name")),
        );
    }
    let want = d.pointer("/spec/replicas").and_then(Value::as_i64).unwrap_or(1);
    let (updated, total, available) =
        (n("/status/updatedReplicas"), n("/status/replicas"), n("/status/availableReplicas"));
    if updated < want {
        return (
            "Progressing",
            format!(
                "Waiting for rollout to finish: {updated} out of {want} new replicas have been updated..."
            ),
        );
    }
    if total > updated {
        return (
            "Progressing",
            format!(
                "Waiting for rollout to finish: {} old replicas are pending termination...",
                total - updated
            ),
        );
    }
    if available < updated {
        return (
            "Progressing",
            format!(
                "Waiting for rollout to finish: {available} of {updated} updated replicas are available..."
            ),
        );
    }
    ("Healthy", String::new())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deployment_health_follows_argo() {
        let healthy = json!({"metadata": {"generation": 2, "name": "d"}, "spec": {"replicas": 2},
            "status": {"observedGeneration": 2, "replicas": 2, "updatedReplicas": 2, "availableReplicas": 2}});
        assert_eq!(deployment_health(&healthy).0, "Healthy");
        let mut stale = healthy.clone();
        stale["metadata"]["generation"] = json!(3);
        assert_eq!(deployment_health(&stale).0, "Progressing");
        let mut rolling = healthy.clone();
        rolling["status"]["replicas"] = json!(3);
        assert!(deployment_health(&rolling).1.contains("old replicas are pending termination"));
        let mut stuck = healthy.clone();
        stuck["status"]["conditions"] =
            json!([{"type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded"}]);
        assert_eq!(deployment_health(&stuck).0, "Degraded");
    }

    #[test]
    fn commits_move_the_revision() {
        let scenario = crate::sim::scenario::load(
            &crate::sim::scenario::ScenarioSource::Builtin("platform".into()),
            None,
        )
        .unwrap();
        let argo = ArgoCd::new(&scenario);
        let before = argo.desired("orders-api").unwrap().revision;
        assert!(argo.git_push("orders-api", "orders-api", "new"));
        let after = argo.desired("orders-api").unwrap();
        assert_ne!(before, after.revision);
        assert_eq!(after.revision.len(), 40);
        assert_eq!(after.workloads["orders-api"].tag, "new");
        assert!(!argo.git_push("orders-api", "nope", "x"));
        assert_eq!(rank("Degraded"), 4);
    }
}
