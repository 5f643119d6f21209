//! The service join: everything the console knows, grouped by service — (namespace,
//! `app.kubernetes.io/name`) of the workloads, with the Argo CD app that deploys them, their non-passing
//! policy results and their warning events. One pass over each list with hash maps: O(n) at 10k pods.

use std::collections::HashMap;
use std::sync::Arc;

use super::model::{
    AppInfo, DeploymentInfo, EventInfo, PodInfo, PolicyResult, PolicyResultInfo, ServiceKey, Snapshot,
};

/// One service and everything joined to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceView {
    pub key: ServiceKey,
    pub app: Option<Arc<AppInfo>>,
    /// By name.
    pub deployments: Vec<Arc<DeploymentInfo>>,
    /// By name.
    pub pods: Vec<Arc<PodInfo>>,
    /// Failing results only (fail, warn, error; pass and skip are not news), by policy, rule, resource.
    pub results: Vec<Arc<PolicyResultInfo>>,
    /// Warning events only, most recent first.
    pub events: Vec<Arc<EventInfo>>,
}

impl ServiceView {
    fn new(key: ServiceKey) -> Self {
        ServiceView {
            key,
            app: None,
            deployments: Vec::new(),
            pods: Vec::new(),
            results: Vec::new(),
            events: Vec::new(),
        }
    }
}

/// The service a deployment belongs to: its `app.kubernetes.io/name`, else (unlabelled) its own name.
pub fn service_of_deployment(d: &DeploymentInfo) -> ServiceKey {
    let name = d.service.as_deref().unwrap_or(&d.name);
    ServiceKey { namespace: d.namespace.clone(), name: name.to_owned() }
}

/// The service a pod belongs to: its `app.kubernetes.io/name`, else the deployment its ReplicaSet
/// belongs to (an unlabelled deployment is its own service). A bare pod belongs to none.
pub fn service_of_pod(p: &PodInfo) -> Option<ServiceKey> {
    let name = match (&p.service, &p.owner) {
        (Some(s), _) => s.as_str(),
        (None, Some(rs)) => deployment_of_replicaset(rs)?,
        (None, None) => return None,
    };
    Some(ServiceKey { namespace: p.namespace.clone(), name: name.to_owned() })
}

/// The service an app stands for when none of its workloads exist: (destination namespace, app name).
pub fn service_of_app(a: &AppInfo) -> ServiceKey {
    let namespace = if a.destination_namespace.is_empty() { &a.namespace } else { &a.destination_namespace };
    ServiceKey { namespace: namespace.clone(), name: a.name.clone() }
}

/// A ReplicaSet `<deployment>-<pod-template-hash>` belongs to `<deployment>`.
pub fn deployment_of_replicaset(rs: &str) -> Option<&str> {
    rs.rsplit_once('-').map(|(d, _)| d).filter(|d| !d.is_empty())
}

/// A Deployment's pod `<deployment>-<hash>-<suffix>` belongs to `<deployment>` (used when the pod is gone
/// and only an event names it).
pub fn deployment_of_pod_name(pod: &str) -> Option<&str> {
    deployment_of_replicaset(pod).and_then(deployment_of_replicaset)
}

/// Borrowed (namespace, name), the hash-map key of the join.
type Key<'a> = (&'a str, &'a str);

/// The join being built: views, and where each workload and app went.
struct Join<'a> {
    views: Vec<ServiceView>,
    slots: HashMap<Key<'a>, usize>,
    deployment_slot: HashMap<Key<'a>, usize>,
    pod_slot: HashMap<Key<'a>, usize>,
}

impl<'a> Join<'a> {
    fn slot(&mut self, namespace: &'a str, name: &'a str) -> usize {
        let views = &mut self.views;
        *self.slots.entry((namespace, name)).or_insert_with(|| {
            views.push(ServiceView::new(ServiceKey {
                namespace: namespace.to_owned(),
                name: name.to_owned(),
            }));
            views.len() - 1
        })
    }

    /// The service of a workload named by kind and name (from a policy result or an event).
    fn workload_slot(&self, namespace: &str, kind: &str, name: &str) -> Option<usize> {
        let deployment = |d: &str| self.deployment_slot.get(&(namespace, d)).copied();
        match kind {
            "Deployment" => deployment(name),
            "ReplicaSet" => deployment_of_replicaset(name).and_then(deployment),
            // A pod that is gone (crash-looping pods get replaced) is found through its name.
            "Pod" => self
                .pod_slot
                .get(&(namespace, name))
                .copied()
                .or_else(|| deployment_of_pod_name(name).and_then(deployment)),
            _ => None,
        }
    }
}

/// Every service of the snapshot, by key.
pub fn services(snapshot: &Snapshot) -> Vec<ServiceView> {
    let mut join = Join {
        views: Vec::new(),
        slots: HashMap::new(),
        deployment_slot: HashMap::with_capacity(snapshot.deployments.len()),
        pod_slot: HashMap::with_capacity(snapshot.pods.len()),
    };

    for d in &snapshot.deployments {
        let name = d.service.as_deref().unwrap_or(&d.name);
        let slot = join.slot(&d.namespace, name);
        join.views[slot].deployments.push(Arc::clone(d));
        join.deployment_slot.insert((&d.namespace, &d.name), slot);
    }

    for p in &snapshot.pods {
        // An unlabelled pod follows its ReplicaSet's deployment, if that deployment is known.
        let slot = match (&p.service, &p.owner) {
            (Some(s), _) => Some(join.slot(&p.namespace, s)),
            (None, Some(rs)) => deployment_of_replicaset(rs)
                .and_then(|d| join.deployment_slot.get(&(p.namespace.as_str(), d)).copied()),
            (None, None) => None,
        };
        if let Some(slot) = slot {
            join.views[slot].pods.push(Arc::clone(p));
            join.pod_slot.insert((&p.namespace, &p.name), slot);
        }
    }

    let app_slots = join_apps(&mut join, &snapshot.apps);

    for r in &snapshot.policy_results {
        if matches!(r.result, PolicyResult::Pass | PolicyResult::Skip) {
            continue;
        }
        if let Some(slot) = join.workload_slot(&r.namespace, &r.resource_kind, &r.resource_name) {
            join.views[slot].results.push(Arc::clone(r));
        }
    }

    // Events of an Application (in Argo CD's namespace) go to every service the app deploys.
    for e in snapshot.events.iter().filter(|e| e.warning) {
        if e.object_kind == "Application" {
            let slots = app_slots.get(&(e.namespace.as_str(), e.object_name.as_str()));
            for &slot in slots.into_iter().flatten() {
                join.views[slot].events.push(Arc::clone(e));
            }
        } else if let Some(slot) = join.workload_slot(&e.namespace, &e.object_kind, &e.object_name) {
            join.views[slot].events.push(Arc::clone(e));
        }
    }

    let mut views = join.views;
    for v in &mut views {
        v.deployments.sort_by(|a, b| a.name.cmp(&b.name));
        v.pods.sort_by(|a, b| a.name.cmp(&b.name));
        v.results.sort_by(|a, b| {
            (&a.policy, &a.rule, &a.resource_kind, &a.resource_name).cmp(&(
                &b.policy,
                &b.rule,
                &b.resource_kind,
                &b.resource_name,
            ))
        });
        v.events.sort_by(|a, b| b.last_seen.cmp(&a.last_seen).then_with(|| a.name.cmp(&b.name)));
    }
    views.sort_by(|a, b| a.key.cmp(&b.key));
    views
}

/// Attach each Argo CD app to its services: the app whose `status.resources` lists one of the service's
/// Deployments, else the app named like the service in its destination namespace. An app that matches
/// no workload still gets a service of its own, so a Missing app with no pods is visible. Returns the
/// services of each app, by the app's (namespace, name).
fn join_apps<'a>(join: &mut Join<'a>, apps: &'a [Arc<AppInfo>]) -> HashMap<Key<'a>, Vec<usize>> {
    let mut by_deployment: HashMap<Key<'a>, usize> = HashMap::new();
    let mut by_name: HashMap<Key<'a>, usize> = HashMap::with_capacity(apps.len());
    for (i, app) in apps.iter().enumerate() {
        for r in app.resources.iter().filter(|r| r.kind == "Deployment") {
            by_deployment.entry((r.namespace.as_str(), r.name.as_str())).or_insert(i);
        }
        by_name.entry((app.destination_namespace.as_str(), app.name.as_str())).or_insert(i);
    }

    let mut app_slots: HashMap<Key<'a>, Vec<usize>> = HashMap::with_capacity(apps.len());
    for (slot, view) in join.views.iter_mut().enumerate() {
        let managed = view
            .deployments
            .iter()
            .find_map(|d| by_deployment.get(&(d.namespace.as_str(), d.name.as_str())).copied());
        let found =
            managed.or_else(|| by_name.get(&(view.key.namespace.as_str(), view.key.name.as_str())).copied());
        if let Some(app) = found.and_then(|i| apps.get(i)) {
            view.app = Some(Arc::clone(app));
            app_slots.entry((&app.namespace, &app.name)).or_default().push(slot);
        }
    }

    for app in apps {
        if app_slots.contains_key(&(app.namespace.as_str(), app.name.as_str())) {
            continue;
        }
        let namespace =
            if app.destination_namespace.is_empty() { &app.namespace } else { &app.destination_namespace };
        let slot = join.slot(namespace, &app.name);
        // A same-named service already joined to another app keeps it.
        if join.views[slot].app.is_none() {
            join.views[slot].app = Some(Arc::clone(app));
            app_slots.entry((&app.namespace, &app.name)).or_default().push(slot);
        }
    }
    app_slots
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::platform::fixtures::{INCIDENT, PLATFORM, fixture_snapshot};
    use crate::platform::model::{AppResource, HealthStatus, RolloutState, Severity, SyncStatus};

    fn key(namespace: &str, name: &str) -> ServiceKey {
        ServiceKey { namespace: namespace.to_owned(), name: name.to_owned() }
    }

    fn find<'a>(views: &'a [ServiceView], namespace: &str, name: &str) -> &'a ServiceView {
        views.iter().find(|v| v.key == key(namespace, name)).unwrap_or_else(|| panic!("no service {name}"))
    }

    #[test]
    fn incident_join() {
        let snapshot = fixture_snapshot(INCIDENT).unwrap();
        let views = services(&snapshot);
        assert!(views.windows(2).all(|w| w[0].key < w[1].key), "sorted, unique keys");

        let payments = find(&views, "platform-services", "payments-api");
        assert_eq!(payments.app.as_ref().map(|a| a.name.as_str()), Some("payments-api"));
        assert_eq!(payments.deployments.len(), 1);
        assert_eq!(payments.pods.len(), 3);
        assert!(payments.pods.windows(2).all(|w| w[0].name <= w[1].name));
        assert!(payments.events.iter().any(|e| e.reason == "BackOff"));
        assert!(payments.events.iter().all(|e| e.warning));
        assert!(payments.results.is_empty());

        let users = find(&views, "platform-services", "users-api");
        assert_eq!(users.results.len(), 1);
        assert_eq!(users.results[0].rule, "check-recommended-labels");
        assert!(users.events.iter().any(|e| e.reason == "PolicyViolation"));

        let worker = find(&views, "platform-services", "notifications-worker");
        assert_eq!(worker.results.len(), 3);
        assert!(worker.results.iter().all(|r| r.result == PolicyResult::Fail));

        let catalog = find(&views, "platform-services", "catalog-api");
        assert!(catalog.events.iter().any(|e| e.reason == "Unhealthy"));

        // One app, several services (kube-prometheus-stack deploys four workloads).
        for name in ["prometheus", "grafana", "alertmanager", "kube-state-metrics"] {
            let v = find(&views, "observability", name);
            assert_eq!(v.app.as_ref().map(|a| a.name.as_str()), Some("kube-prometheus-stack"), "{name}");
        }
        // An app without workloads still has its service.
        let policies = find(&views, "kyverno", "kyverno-policies");
        assert!(policies.pods.is_empty() && policies.app.is_some());
        // Argo CD itself is not deployed by an app.
        assert!(find(&views, "argocd", "argocd-server").app.is_none());

        // Every pod and deployment lands in exactly one service; every app in at least one.
        assert_eq!(views.iter().map(|v| v.pods.len()).sum::<usize>(), snapshot.pods.len());
        assert_eq!(views.iter().map(|v| v.deployments.len()).sum::<usize>(), snapshot.deployments.len());
        for app in &snapshot.apps {
            assert!(
                views.iter().any(|v| v.app.as_ref().is_some_and(|a| Arc::ptr_eq(a, app))),
                "{}",
                app.name
            );
        }
    }

    #[test]
    fn platform_join_policy_failures() {
        let views = services(&fixture_snapshot(PLATFORM).unwrap());
        let with_results: Vec<&str> =
            views.iter().filter(|v| !v.results.is_empty()).map(|v| v.key.name.as_str()).collect();
        assert_eq!(with_results, ["notifications-worker"]);
        let worker = find(&views, "platform-services", "notifications-worker");
        assert_eq!(worker.results.len(), 3);
        assert_eq!(worker.app.as_ref().map(|a| a.health), Some(HealthStatus::Healthy));
    }

    fn pod(namespace: &str, name: &str, service: Option<&str>, owner: Option<&str>) -> Arc<PodInfo> {
        Arc::new(PodInfo {
            namespace: namespace.into(),
            name: name.into(),
            uid: String::new(),
            service: service.map(Into::into),
            owner: owner.map(Into::into),
            phase: "Running".into(),
            status: "Running".into(),
            ready: true,
            ready_containers: 1,
            total_containers: 1,
            restarts: 0,
            last_termination: None,
            node: None,
            images: Vec::new(),
            created: None,
            terminating: false,
        })
    }

    fn deployment(namespace: &str, name: &str, service: Option<&str>) -> Arc<DeploymentInfo> {
        Arc::new(DeploymentInfo {
            namespace: namespace.into(),
            name: name.into(),
            uid: String::new(),
            service: service.map(Into::into),
            desired: 1,
            current: 1,
            updated: 1,
            ready: 1,
            available: 1,
            generation: 1,
            observed_generation: 1,
            rollout: RolloutState::Complete,
            rollout_message: String::new(),
            images: Vec::new(),
            labels: Vec::new(),
            created: None,
        })
    }

    fn app(name: &str, destination: &str, deployments: &[(&str, &str)]) -> Arc<AppInfo> {
        Arc::new(AppInfo {
            namespace: "argocd".into(),
            name: name.into(),
            project: "default".into(),
            sync: SyncStatus::Synced,
            health: HealthStatus::Healthy,
            health_message: String::new(),
            revision: String::new(),
            auto_sync: true,
            repo_url: String::new(),
            path: String::new(),
            destination_namespace: destination.into(),
            operation_pending: false,
            last_operation: None,
            resources: deployments
                .iter()
                .map(|(ns, n)| AppResource {
                    group: "apps".into(),
                    kind: "Deployment".into(),
                    namespace: (*ns).into(),
                    name: (*n).into(),
                    sync: SyncStatus::Synced,
                    health: None,
                })
                .collect(),
            conditions: Vec::new(),
            history: Vec::new(),
            images: Vec::new(),
            created: None,
        })
    }

    fn event(namespace: &str, kind: &str, name: &str, warning: bool) -> Arc<EventInfo> {
        Arc::new(EventInfo {
            namespace: namespace.into(),
            name: format!("{name}.1"),
            warning,
            reason: "BackOff".into(),
            message: String::new(),
            object_kind: kind.into(),
            object_name: name.into(),
            count: 1,
            last_seen: None,
        })
    }

    fn result(namespace: &str, kind: &str, name: &str, result: PolicyResult) -> Arc<PolicyResultInfo> {
        Arc::new(PolicyResultInfo {
            namespace: namespace.into(),
            report: String::new(),
            resource_kind: kind.into(),
            resource_name: name.into(),
            resource_uid: String::new(),
            policy: "p".into(),
            rule: "r".into(),
            result,
            severity: Severity::Medium,
            category: String::new(),
            message: String::new(),
            timestamp: None,
        })
    }

    #[test]
    fn hand_written_join_rules() {
        let snapshot = Snapshot {
            deployments: vec![
                deployment("shop", "web-frontend", Some("web")),
                deployment("shop", "legacy", None),
            ],
            pods: vec![
                pod("shop", "web-frontend-6d4f-abcde", Some("web"), Some("web-frontend-6d4f")),
                // Unlabelled pods follow their ReplicaSet's deployment.
                pod("shop", "legacy-77f-x1", None, Some("legacy-77f")),
                // A bare pod belongs to no service.
                pod("shop", "debug", None, None),
            ],
            apps: vec![
                app("storefront", "shop", &[("shop", "web-frontend")]),
                app("legacy", "shop", &[]),
                app("ghost", "shop", &[]),
                app("cluster-addons", "", &[]),
            ],
            policy_results: vec![
                result("shop", "Deployment", "web-frontend", PolicyResult::Fail),
                result("shop", "Deployment", "web-frontend", PolicyResult::Pass),
                result("shop", "Deployment", "web-frontend", PolicyResult::Skip),
                result("shop", "Pod", "legacy-77f-x1", PolicyResult::Warn),
                result("shop", "ReplicaSet", "web-frontend-6d4f", PolicyResult::Error),
                result("other", "Deployment", "web-frontend", PolicyResult::Fail),
            ],
            events: vec![
                event("shop", "Pod", "web-frontend-6d4f-abcde", true),
                event("shop", "Pod", "web-frontend-6d4f-gone1", true),
                event("shop", "ReplicaSet", "legacy-77f", true),
                event("shop", "Deployment", "legacy", false),
                event("argocd", "Application", "ghost", true),
                event("argocd", "Application", "storefront", true),
                event("shop", "Pod", "debug", true),
            ],
            ..Snapshot::default()
        };
        let views = services(&snapshot);
        let names: Vec<String> = views.iter().map(|v| v.key.to_string()).collect();
        assert_eq!(names, ["argocd/cluster-addons", "shop/ghost", "shop/legacy", "shop/web"]);

        let web = find(&views, "shop", "web");
        assert_eq!(web.app.as_ref().unwrap().name, "storefront", "joined through status.resources");
        assert_eq!(web.pods.len(), 1);
        assert_eq!(
            web.results.len(),
            2,
            "fail on the Deployment, error on its ReplicaSet; pass/skip dropped"
        );
        assert_eq!(web.events.len(), 3, "its pod, a pod that is gone, its app");

        let legacy = find(&views, "shop", "legacy");
        assert_eq!(legacy.app.as_ref().unwrap().name, "legacy", "joined by destination namespace and name");
        assert_eq!(legacy.pods.len(), 1);
        assert_eq!(legacy.results.len(), 1);
        assert_eq!(legacy.events.len(), 1, "the ReplicaSet warning; the Normal event is dropped");

        let ghost = find(&views, "shop", "ghost");
        assert!(ghost.pods.is_empty() && ghost.deployments.is_empty());
        assert_eq!(ghost.events.len(), 1);
        assert_eq!(find(&views, "argocd", "cluster-addons").app.as_ref().unwrap().name, "cluster-addons");
    }

    #[test]
    fn helpers() {
        assert_eq!(deployment_of_replicaset("payments-api-kmbb2c5zmj"), Some("payments-api"));
        assert_eq!(deployment_of_replicaset("nohash"), None);
        assert_eq!(deployment_of_replicaset("-x"), None);
        assert_eq!(deployment_of_pod_name("payments-api-kmbb2c5zmj-b2slw"), Some("payments-api"));
        assert_eq!(deployment_of_pod_name("web-1"), None);
        let p = pod("ns", "a-1-2", None, Some("a-1"));
        assert_eq!(service_of_pod(&p), Some(key("ns", "a")));
        assert_eq!(service_of_pod(&pod("ns", "x", Some("svc"), None)), Some(key("ns", "svc")));
        assert_eq!(service_of_pod(&pod("ns", "x", None, None)), None);
        assert_eq!(service_of_deployment(&deployment("ns", "d", None)), key("ns", "d"));
        assert_eq!(service_of_app(&app("a", "", &[])), key("argocd", "a"));
        assert_eq!(service_of_app(&app("a", "dest", &[])), key("dest", "a"));
    }

    /// 10k pods and 500 apps: the join is hash-map based, one pass per list.
    #[test]
    fn scale() {
        let mut snapshot = Snapshot::default();
        for a in 0..500 {
            let ns = format!("team-{}", a % 20);
            let name = format!("svc-{a}");
            snapshot.apps.push(app(&name, &ns, &[(&ns, &name)]));
            snapshot.deployments.push(deployment(&ns, &name, Some(&name)));
            for p in 0..20 {
                snapshot.pods.push(pod(
                    &ns,
                    &format!("{name}-abc-{p}"),
                    Some(&name),
                    Some(&format!("{name}-abc")),
                ));
                snapshot.events.push(event(&ns, "Pod", &format!("{name}-abc-{p}"), true));
            }
            snapshot.policy_results.push(result(&ns, "Deployment", &name, PolicyResult::Fail));
        }
        let started = std::time::Instant::now();
        let views = services(&snapshot);
        let elapsed = started.elapsed();
        assert_eq!(views.len(), 500);
        assert!(views.iter().all(|v| v.pods.len() == 20 && v.events.len() == 20 && v.results.len() == 1));
        assert!(views.iter().all(|v| v.app.as_ref().is_some_and(|a| a.name == v.key.name)));
        // Generous bound (debug build, shared CI machine): a quadratic join takes seconds here.
        assert!(elapsed.as_millis() < 2000, "services() took {elapsed:?}");
    }
}
