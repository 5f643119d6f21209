//! The scenario's Applications and their simulated GitOps repository: the desired state lives in memory
//! (the scenario's workloads, moved on by timeline commits) and is compared and synced as a [`Target`].

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::{Value, json};

use super::argocd::{Automated, Comparison, Target};
use super::argocd_health::{deployment_health, worst};
use super::events;
use crate::manifests;
use crate::resources::{CLUSTER_POLICIES, DEPLOYMENTS, SERVICES};
use crate::scenario::{AppSpec, Scenario, WorkloadSpec};
use crate::world::{World, meta_str};

/// What the GitOps repository declares for one workload.
#[derive(Debug, Clone)]
pub struct DesiredWorkload {
    pub tag: String,
    pub dropped_labels: Vec<String>,
}

/// What the GitOps repository declares for one Application, at a revision.
#[derive(Debug, Clone)]
pub struct Desired {
    pub revision: String,
    pub workloads: HashMap<String, DesiredWorkload>,
}

/// A git-like revision id for a commit.
fn revision_for(parts: &[&str]) -> String {
    let a = events::fnv(parts);
    let b = events::fnv(&[&a.to_string()]);
    format!("{a:016x}{b:016x}{:08x}", (a ^ b) as u32)
}

/// The scenario's apps and their simulated git.
pub struct ScenarioApps {
    apps: HashMap<String, AppSpec>,
    desired: Mutex<HashMap<String, Desired>>,
    /// Bumped on every commit, so a commit triggers a controller pass.
    commits: AtomicU64,
    repo: String,
}

impl ScenarioApps {
    pub fn new(scenario: &Scenario) -> Self {
        let apps = scenario.apps.iter().map(|a| (a.name.clone(), a.clone())).collect();
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
            desired: Mutex::new(desired),
            commits: AtomicU64::default(),
            repo: scenario.gitops_repo.clone(),
        }
    }

    pub fn commits(&self) -> u64 {
        self.commits.load(Ordering::Relaxed)
    }

    pub fn desired(&self, app: &str) -> Option<Desired> {
        self.desired.lock().unwrap_or_else(|p| p.into_inner()).get(app).cloned()
    }

    /// The target of a scenario app, at its current simulated revision.
    pub fn target(&self, app: &str) -> Option<ScenarioTarget<'_>> {
        let spec = self.apps.get(app)?;
        let desired = self.desired(app)?;
        Some(ScenarioTarget { spec, desired, repo: &self.repo })
    }

    /// A commit to the GitOps repo changes a workload; the app's revision moves on.
    pub fn commit(&self, app: &str, workload: &str, change: impl FnOnce(&mut DesiredWorkload)) -> bool {
        let mut all = self.desired.lock().unwrap_or_else(|p| p.into_inner());
        let Some(d) = all.get_mut(app) else { return false };
        let Some(w) = d.workloads.get_mut(workload) else { return false };
        change(w);
        self.commits.fetch_add(1, Ordering::Relaxed);
        d.revision = revision_for(&[&d.revision, workload, &w.tag, &w.dropped_labels.join(",")]);
        true
    }
}

/// A scenario app's desired state at one revision.
pub struct ScenarioTarget<'a> {
    spec: &'a AppSpec,
    desired: Desired,
    repo: &'a str,
}

impl ScenarioTarget<'_> {
    /// The live Deployment a workload should be, per its app's desired state.
    fn desired_deployment(&self, w: &WorkloadSpec, d: &DesiredWorkload) -> Value {
        let app = self.spec;
        let (part_of, managed_by) =
            if app.platform { (app.name.as_str(), "Helm") } else { ("platform-services", "backstage") };
        let labels = manifests::labels(w, part_of, managed_by, &d.dropped_labels);
        manifests::deployment(w, &app.namespace, &d.tag, &labels, Some(&app.name))
    }

    fn workloads(&self) -> impl Iterator<Item = (&WorkloadSpec, &DesiredWorkload)> {
        self.spec.workloads.iter().filter_map(|w| self.desired.workloads.get(&w.name).map(|d| (w, d)))
    }

    fn policies(&self, world: &World) -> Vec<String> {
        if !self.spec.manages_policies {
            return Vec::new();
        }
        world.list(&CLUSTER_POLICIES, None).1.iter().map(|p| meta_str(p, "name").to_string()).collect()
    }
}

impl Target for ScenarioTarget<'_> {
    fn revision(&self) -> &str {
        &self.desired.revision
    }

    fn source(&self) -> Value {
        json!({"repoURL": self.repo, "path": self.spec.path, "targetRevision": "HEAD"})
    }

    fn namespace(&self) -> &str {
        &self.spec.namespace
    }

    fn automated(&self) -> Option<Automated> {
        self.spec.auto_sync.then_some(Automated { self_heal: self.spec.self_heal, prune: true })
    }

    fn apply(&self, world: &World, _prune: bool) -> Vec<Value> {
        let ns = &self.spec.namespace;
        let mut results = Vec::new();
        for (w, d) in self.workloads() {
            let want = self.desired_deployment(w, d);
            let outcome = match world.get(&DEPLOYMENTS, ns, &w.name) {
                None => world.create(&DEPLOYMENTS, want, false).map(|_| "created"),
                Some(_) => world
                    .modify(&DEPLOYMENTS, ns, &w.name, |live| {
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
            results.push(json!({"group": "apps", "version": "v1", "kind": "Deployment", "namespace": ns,
                "name": w.name, "status": status, "message": message, "hookPhase": "Running", "syncPhase": "Sync"}));
        }
        for name in self.policies(world) {
            results.push(
                json!({"group": "kyverno.io", "version": "v1", "kind": "ClusterPolicy", "name": name,
                "status": "Synced", "message": format!("clusterpolicy.kyverno.io/{name} unchanged"),
                "hookPhase": "Running", "syncPhase": "Sync"}),
            );
        }
        results
    }

    fn compare(&self, world: &World) -> Comparison {
        let ns = &self.spec.namespace;
        let mut all_synced = true;
        let mut resources = Vec::new();
        let mut images = Vec::new();
        for (w, d) in self.workloads() {
            let want = self.desired_deployment(w, d);
            let live = world.get(&DEPLOYMENTS, ns, &w.name);
            if let Some(image) =
                want.pointer("/spec/template/spec/containers/0/image").and_then(Value::as_str)
            {
                images.push(image.to_string());
            }
            let synced = live.as_ref().is_some_and(|l| {
                l.pointer("/spec/template/spec/containers/0/image")
                    == want.pointer("/spec/template/spec/containers/0/image")
                    && l.pointer("/spec/replicas") == want.pointer("/spec/replicas")
                    && l.pointer("/metadata/labels") == want.pointer("/metadata/labels")
            });
            all_synced &= synced;
            let status = if synced { "Synced" } else { "OutOfSync" };
            resources.push(json!({"group": "apps", "version": "v1", "kind": "Deployment", "namespace": ns,
                "name": w.name, "status": status}));
            if world.get(&SERVICES, ns, &w.name).is_some() {
                resources.push(
                    json!({"version": "v1", "kind": "Service", "namespace": ns, "name": w.name, "status": "Synced"}),
                );
            }
        }
        for name in self.policies(world) {
            resources.push(
                json!({"group": "kyverno.io", "version": "v1", "kind": "ClusterPolicy", "name": name, "status": "Synced"}),
            );
        }
        Comparison { status: if all_synced { "Synced" } else { "OutOfSync" }, resources, images }
    }

    /// The worst of its deployments' health, as Argo CD assesses Deployments.
    fn health(&self, world: &World) -> Value {
        worst(self.spec.workloads.iter().map(|w| {
            match world.get(&DEPLOYMENTS, &self.spec.namespace, &w.name) {
                None => ("Missing", String::new()),
                Some(d) => deployment_health(&d),
            }
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commits_move_the_revision() {
        let scenario =
            crate::scenario::load(&crate::scenario::ScenarioSource::Builtin("platform".into()), None)
                .unwrap();
        let apps = ScenarioApps::new(&scenario);
        let before = apps.desired("orders-api").unwrap().revision;
        assert!(apps.commit("orders-api", "orders-api", |w| w.tag = "new".into()));
        let after = apps.desired("orders-api").unwrap();
        assert_ne!(before, after.revision);
        assert_eq!(after.revision.len(), 40);
        assert_eq!(after.workloads["orders-api"].tag, "new");
        assert!(!apps.commit("orders-api", "nope", |w| w.tag = "x".into()));
        assert_eq!(apps.commits(), 1);
        assert_eq!(apps.target("orders-api").unwrap().revision(), after.revision);
    }
}
