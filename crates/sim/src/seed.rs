//! Puts a scenario's starting state into the world: namespaces, nodes, policies, Argo CD
//! Applications and their workloads already rolled out and running, and ECR images.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::controllers::{deployments, kubelet};
use super::manifests;
use super::resources::{
    APPLICATIONS, CLUSTER_POLICIES, DEPLOYMENTS, NAMESPACES, NODES, PODS, REPLICASETS, SERVICES,
};
use super::scenario::{AppSpec, Scenario, WorkloadSpec};
use super::state::SimState;
use super::world::World;

pub const ARGOCD_NAMESPACE: &str = "argocd";

pub fn node_name(i: u32) -> String {
    format!("ip-10-0-{}-{}.ec2.internal", 1 + i % 3, 10 + i)
}

pub fn seed(state: &SimState, scenario: &Scenario) {
    let world = &state.world;
    for ns in &scenario.namespaces {
        create(
            world,
            &NAMESPACES,
            json!({"metadata": {"name": ns, "labels": {"kubernetes.io/metadata.name": ns}},
            "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}}),
        );
        super::seed_core::namespace_defaults(world, ns);
    }
    super::seed_core::cluster_objects(world, scenario);
    for i in 0..scenario.nodes.max(1) {
        create(world, &NODES, node(&node_name(i)));
    }
    for policy in &scenario.policies {
        if let Some(text) = platdeck_core::assets::policy(policy) {
            match serde_norway::from_str::<Value>(text) {
                Ok(doc) => create(world, &CLUSTER_POLICIES, doc),
                Err(err) => tracing::error!(%err, policy, "built-in policy does not parse"),
            }
        }
    }
    let mut ip = IpAllocator::default();
    for system in &scenario.system {
        for w in &system.workloads {
            let labels = manifests::labels(w, "argocd", "Helm", &[]);
            roll_out(world, scenario, w, &system.namespace, &labels, None, &mut ip);
        }
    }
    for app in &scenario.apps {
        create(world, &APPLICATIONS, application(app, &scenario.gitops_repo));
        for w in &app.workloads {
            let (part_of, managed_by) =
                if app.platform { (app.name.as_str(), "Helm") } else { ("platform-services", "backstage") };
            let labels = manifests::labels(w, part_of, managed_by, &[]);
            roll_out(world, scenario, w, &app.namespace, &labels, Some(&app.name), &mut ip);
            // A service's /metrics exists from its start, before its first request.
            state.metrics.register_service(&app.namespace, &w.name);
            if let Some(repo) = manifests::ecr_repository(w) {
                seed_images(state, repo, &w.tag);
            }
        }
    }
    // Deployment and ReplicaSet status follow from the pods, as the controllers derive them.
    deployments::reconcile_world(world, state.clock.speed());
}

fn create(world: &World, kind: &super::resources::ResourceKind, object: Value) {
    if let Err(err) = world.create(kind, object, false) {
        tracing::error!(%err, kind = kind.kind, "seeding failed");
    }
}

/// A workload as it stands after a finished rollout: Deployment, Service, ReplicaSet and ready pods.
fn roll_out(
    world: &World,
    scenario: &Scenario,
    w: &WorkloadSpec,
    namespace: &str,
    labels: &BTreeMap<String, String>,
    app: Option<&str>,
    ip: &mut IpAllocator,
) {
    create(world, &SERVICES, manifests::service(w, namespace, labels, &ip.service()));
    let label_map: serde_json::Map<String, Value> =
        labels.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
    super::seed_core::workload_objects(world, namespace, w, &label_map);
    let Ok(deployment) =
        world.create(&DEPLOYMENTS, manifests::deployment(w, namespace, &w.tag, labels, app), false)
    else {
        return;
    };
    let Ok(rs) = world.create(&REPLICASETS, deployments::new_replicaset(&deployment, w.replicas), false)
    else {
        return;
    };
    for i in 0..w.replicas {
        let mut pod = deployments::new_pod(&rs);
        let node = node_name(ip.next_node(scenario.nodes));
        pod["spec"]["nodeName"] = json!(node);
        pod["status"] = kubelet::ready_status(&pod, &node, &ip.pod(), i64::from(i));
        create(world, &PODS, pod);
    }
}

fn seed_images(state: &SimState, repo: &str, tag: &str) {
    // A few earlier builds, then the deployed one (also `latest`).
    let mut findings = BTreeMap::new();
    findings.insert("MEDIUM".to_string(), 2);
    findings.insert("LOW".to_string(), 5);
    for (i, old) in ["a0c3f91", "b7d2e40"].iter().enumerate() {
        let digest = format!("sha256:{:064x}", super::controllers::events::fnv(&[repo, old]));
        state.ecr.seed_image(repo, old, &digest, 48_000_000 + i as u64 * 1_000_000, findings.clone());
    }
    let digest = format!("sha256:{:064x}", super::controllers::events::fnv(&[repo, tag]));
    state.ecr.seed_image(repo, tag, &digest, 51_234_567, findings.clone());
    state.ecr.seed_image(repo, "latest", &digest, 51_234_567, findings);
}

fn application(app: &AppSpec, repo: &str) -> Value {
    let mut spec = json!({
        "project": app.project,
        "source": {"repoURL": repo, "path": app.path, "targetRevision": "HEAD"},
        "destination": {"server": "https://kubernetes.default.svc", "namespace": app.namespace},
        "syncPolicy": {"syncOptions": ["CreateNamespace=true"]},
    });
    if app.auto_sync {
        spec["syncPolicy"]["automated"] = json!({"prune": true, "selfHeal": app.self_heal});
    }
    json!({
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {"name": app.name, "namespace": ARGOCD_NAMESPACE,
            "labels": {"app.kubernetes.io/part-of": if app.platform { "platform" } else { "platform-services" }},
            "finalizers": ["resources-finalizer.argocd.argoproj.io"]},
        "spec": spec,
    })
}

fn node(name: &str) -> Value {
    json!({
        "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name, "kubernetes.io/os": "linux",
            "node.kubernetes.io/instance-type": "m6i.large", "topology.kubernetes.io/zone": "us-east-1a"}},
        "spec": {"providerID": format!("aws:///us-east-1a/i-{:017x}", super::controllers::events::fnv(&[name]) >> 4)},
        "status": {
            "conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady", "message": "kubelet is posting ready status"}],
            "capacity": {"cpu": "2", "memory": "8027652Ki", "pods": "110"},
            "allocatable": {"cpu": "1930m", "memory": "7289348Ki", "pods": "110"},
            "nodeInfo": {"kubeletVersion": "v1.34.0-eks", "containerRuntimeVersion": "containerd://1.7.27",
                "osImage": "Amazon Linux 2023", "architecture": "amd64", "operatingSystem": "linux"},
        },
    })
}

/// Hands out pod and service IPs and spreads pods over nodes.
#[derive(Default)]
pub struct IpAllocator {
    pods: u32,
    services: u32,
    nodes: u32,
}

impl IpAllocator {
    pub fn pod(&mut self) -> String {
        self.pods += 1;
        format!("10.0.{}.{}", 16 + self.pods / 250, 1 + self.pods % 250)
    }

    fn service(&mut self) -> String {
        self.services += 1;
        format!("172.20.{}.{}", self.services / 250, 1 + self.services % 250)
    }

    fn next_node(&mut self, nodes: u32) -> u32 {
        self.nodes += 1;
        self.nodes % nodes.max(1)
    }
}
