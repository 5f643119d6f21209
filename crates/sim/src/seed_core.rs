//! The objects a real cluster of this platform holds beside its workloads, put into the world when a
//! scenario is seeded: each namespace's `default` ServiceAccount and `kube-root-ca.crt` ConfigMap, each
//! workload's ServiceAccount, ConfigMap and Secret, the CRDs of the custom resources served, Argo CD's
//! `default` AppProject, storage classes and the volumes of Loki and Prometheus, Grafana's Ingress, a
//! NetworkPolicy for the services, RBAC, and a nightly CronJob with its last Job.

use base64::Engine;
use serde_json::{Value, json};

use crate::clock::now_rfc3339;
use crate::crds;
use crate::resources::{
    APP_PROJECTS, CLUSTER_ROLE_BINDINGS, CLUSTER_ROLES, CONFIG_MAPS, CRON_JOBS, CUSTOM_RESOURCE_DEFINITIONS,
    INGRESSES, JOBS, NETWORK_POLICIES, PERSISTENT_VOLUME_CLAIMS, PERSISTENT_VOLUMES, ROLE_BINDINGS, ROLES,
    ResourceKind, SECRETS, SERVICE_ACCOUNTS, STORAGE_CLASSES,
};
use crate::scenario::{Scenario, WorkloadSpec};
use crate::world::World;

const CA_CERT: &str = "-----BEGIN CERTIFICATE-----\nMIIDBTCCAe2gAwIBAgIIplatdeckc2ltMA0GCSqGSIb3DQEBCwUAMBUxEzARBgNV\nBAMTCmt1YmVybmV0ZXMwHhcNMjYwMTAxMDAwMDAwWhcNMzYwMTAxMDAwMDAwWjAV\n-----END CERTIFICATE-----\n";

fn create(world: &World, kind: &ResourceKind, object: Value) {
    if let Err(err) = world.create(kind, object, false) {
        tracing::error!(%err, kind = kind.kind, "seeding failed");
    }
}

fn b64(text: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(text)
}

/// What every namespace holds from its creation on.
pub fn namespace_defaults(world: &World, namespace: &str) {
    create(world, &SERVICE_ACCOUNTS, json!({"metadata": {"name": "default", "namespace": namespace}}));
    create(
        world,
        &CONFIG_MAPS,
        json!({"metadata": {"name": "kube-root-ca.crt", "namespace": namespace,
            "annotations": {"kubernetes.io/description": "Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters."}},
            "data": {"ca.crt": CA_CERT}}),
    );
}

/// A workload's ServiceAccount, ConfigMap and Secret, labelled as its Deployment is.
pub fn workload_objects(
    world: &World,
    namespace: &str,
    w: &WorkloadSpec,
    labels: &serde_json::Map<String, Value>,
) {
    let meta = |name: String| json!({"name": name, "namespace": namespace, "labels": labels});
    create(world, &SERVICE_ACCOUNTS, json!({"metadata": meta(w.name.clone())}));
    create(
        world,
        &CONFIG_MAPS,
        json!({"metadata": meta(format!("{}-config", w.name)),
            "data": {"PORT": w.port.to_string(), "LOG_FORMAT": "json", "LOG_LEVEL": "info",
                "SERVICE_NAME": w.name, "OTEL_SERVICE_NAME": w.name}}),
    );
    let token = format!("{:032x}", crate::controllers::events::fnv(&[namespace, &w.name, "secret"]));
    create(
        world,
        &SECRETS,
        json!({"metadata": meta(format!("{}-secrets", w.name)), "type": "Opaque",
            "data": {"API_TOKEN": b64(&token), "DATABASE_URL": b64(&format!("postgres://{}@db.internal:5432/{}", w.name, w.name))}}),
    );
}

/// Cluster-wide objects, and the few namespaced ones that belong to the platform's components.
pub fn cluster_objects(world: &World, scenario: &Scenario) {
    let now = now_rfc3339();
    for definition in crds::definitions() {
        create(world, &CUSTOM_RESOURCE_DEFINITIONS, crds::stored_object(definition, &now));
    }
    let has = |ns: &str| scenario.namespaces.iter().any(|n| n == ns);
    if has("argocd") {
        create(
            world,
            &APP_PROJECTS,
            json!({"metadata": {"name": "default", "namespace": "argocd"},
                "spec": {"sourceRepos": ["*"], "destinations": [{"namespace": "*", "server": "*"}],
                    "clusterResourceWhitelist": [{"group": "*", "kind": "*"}]}}),
        );
    }
    storage(world, &has);
    if has("observability") {
        create(
            world,
            &INGRESSES,
            json!({"metadata": {"name": "grafana", "namespace": "observability",
                    "labels": {"app.kubernetes.io/name": "grafana", "app.kubernetes.io/instance": "kube-prometheus-stack"},
                    "annotations": {"alb.ingress.kubernetes.io/scheme": "internet-facing"}},
                "spec": {"ingressClassName": "alb",
                    "rules": [{"host": "grafana.platform.example.com", "http": {"paths": [{"path": "/", "pathType": "Prefix",
                        "backend": {"service": {"name": "grafana", "port": {"number": 3000}}}}]}}],
                    "tls": [{"hosts": ["grafana.platform.example.com"]}]},
                "status": {"loadBalancer": {"ingress": [{"hostname": "k8s-observab-grafana-5f2a9c1e7b-1234567890.us-east-1.elb.amazonaws.com"}]}}}),
        );
        let container = json!({"name": "backup", "image": "grafana/grafana:11.4.0",
            "command": ["/bin/sh", "-c", "grafana cli admin data-migration export /backup"]});
        create(
            world,
            &CRON_JOBS,
            json!({"metadata": {"name": "grafana-backup", "namespace": "observability"},
                "spec": {"schedule": "0 2 * * *", "concurrencyPolicy": "Forbid", "suspend": false,
                    "successfulJobsHistoryLimit": 1, "failedJobsHistoryLimit": 1,
                    "jobTemplate": {"spec": {"backoffLimit": 2, "template": {"spec": {"restartPolicy": "OnFailure",
                        "containers": [container.clone()]}}}}},
                "status": {"lastScheduleTime": now, "lastSuccessfulTime": now}}),
        );
        // The last run finished; its pod went with `ttlSecondsAfterFinished`'s cleanup of the pods.
        create(
            world,
            &JOBS,
            json!({"metadata": {"name": "grafana-backup-29384400", "namespace": "observability",
                    "labels": {"batch.kubernetes.io/job-name": "grafana-backup-29384400"}},
                "spec": {"completions": 1, "parallelism": 1, "backoffLimit": 2,
                    "selector": {"matchLabels": {"batch.kubernetes.io/controller-uid": "5b0d4c1e-0000-4000-8000-000000000001"}},
                    "template": {"spec": {"restartPolicy": "OnFailure", "containers": [container]}}},
                "status": {"succeeded": 1, "startTime": now, "completionTime": now, "ready": 0, "terminating": 0,
                    "conditions": [{"type": "SuccessCriteriaMet", "status": "True", "lastProbeTime": now, "lastTransitionTime": now},
                        {"type": "Complete", "status": "True", "lastProbeTime": now, "lastTransitionTime": now}]}}),
        );
    }
    if has("platform-services") {
        create(
            world,
            &NETWORK_POLICIES,
            json!({"metadata": {"name": "allow-same-namespace-and-ingress", "namespace": "platform-services"},
                "spec": {"podSelector": {"matchLabels": {"app.kubernetes.io/part-of": "platform-services"}},
                    "policyTypes": ["Ingress"],
                    "ingress": [{"from": [{"podSelector": {}},
                        {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "observability"}}}]}]}}),
        );
    }
    rbac(world, &has);
}

fn storage(world: &World, has: &dyn Fn(&str) -> bool) {
    create(
        world,
        &STORAGE_CLASSES,
        json!({"metadata": {"name": "gp3", "annotations": {"storageclass.kubernetes.io/is-default-class": "true"}},
            "provisioner": "ebs.csi.aws.com", "parameters": {"type": "gp3", "encrypted": "true"},
            "reclaimPolicy": "Delete", "volumeBindingMode": "WaitForFirstConsumer", "allowVolumeExpansion": true}),
    );
    create(
        world,
        &STORAGE_CLASSES,
        json!({"metadata": {"name": "gp2"}, "provisioner": "kubernetes.io/aws-ebs", "parameters": {"type": "gp2", "fsType": "ext4"},
            "reclaimPolicy": "Delete", "volumeBindingMode": "WaitForFirstConsumer", "allowVolumeExpansion": false}),
    );
    if !has("observability") {
        return;
    }
    for (claim, size, volume) in [
        ("storage-loki-0", "10Gi", "pvc-3c1f9a7e-5b2d-4e8a-9f61-0a7d2c4b8e01"),
        ("prometheus-db", "50Gi", "pvc-8d24b6f0-1c3e-4a57-b9d2-6e0f1a3c5b02"),
    ] {
        create(
            world,
            &PERSISTENT_VOLUMES,
            json!({"metadata": {"name": volume, "annotations": {"pv.kubernetes.io/provisioned-by": "ebs.csi.aws.com"}},
                "spec": {"capacity": {"storage": size}, "accessModes": ["ReadWriteOnce"], "persistentVolumeReclaimPolicy": "Delete",
                    "storageClassName": "gp3", "volumeMode": "Filesystem",
                    "claimRef": {"kind": "PersistentVolumeClaim", "namespace": "observability", "name": claim, "apiVersion": "v1"},
                    "csi": {"driver": "ebs.csi.aws.com", "volumeHandle": format!("vol-0{:016x}", crate::controllers::events::fnv(&[volume]) >> 4), "fsType": "ext4"}},
                "status": {"phase": "Bound"}}),
        );
        create(
            world,
            &PERSISTENT_VOLUME_CLAIMS,
            json!({"metadata": {"name": claim, "namespace": "observability"},
                "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": size}},
                    "storageClassName": "gp3", "volumeMode": "Filesystem", "volumeName": volume},
                "status": {"phase": "Bound", "accessModes": ["ReadWriteOnce"], "capacity": {"storage": size}}}),
        );
    }
}

fn rbac(world: &World, has: &dyn Fn(&str) -> bool) {
    let all = json!([{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}, {"nonResourceURLs": ["*"], "verbs": ["*"]}]);
    let read = json!([{"apiGroups": ["*"], "resources": ["*"], "verbs": ["get", "list", "watch"]}]);
    for (name, rules) in [("cluster-admin", all.clone()), ("view", read.clone()), ("platdeck-console", all)] {
        create(world, &CLUSTER_ROLES, json!({"metadata": {"name": name}, "rules": rules}));
    }
    create(
        world,
        &CLUSTER_ROLE_BINDINGS,
        json!({"metadata": {"name": "cluster-admin"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"},
            "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "system:masters"}]}),
    );
    create(
        world,
        &CLUSTER_ROLE_BINDINGS,
        json!({"metadata": {"name": "platdeck-console"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "platdeck-console"},
            "subjects": [{"kind": "ServiceAccount", "name": "console", "namespace": "platdeck"}]}),
    );
    for (ns, name) in
        [("argocd", "argocd-application-controller"), ("kyverno", "kyverno-admission-controller")]
    {
        if !has(ns) {
            continue;
        }
        create(
            world,
            &ROLES,
            json!({"metadata": {"name": name, "namespace": ns},
                "rules": [{"apiGroups": [""], "resources": ["secrets", "configmaps"], "verbs": ["get", "list", "watch"]},
                    {"apiGroups": ["coordination.k8s.io"], "resources": ["leases"], "verbs": ["create", "get", "update"]}]}),
        );
        create(
            world,
            &ROLE_BINDINGS,
            json!({"metadata": {"name": name, "namespace": ns},
                "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": name},
                "subjects": [{"kind": "ServiceAccount", "name": name, "namespace": ns}]}),
        );
    }
}

/// What the service-account controller and the root-CA publisher do for every new namespace: its
/// `default` ServiceAccount and `kube-root-ca.crt` ConfigMap, following namespaces through the change feed.
#[derive(Default)]
pub struct NamespaceDefaults {
    seen_rv: std::sync::Mutex<Option<u64>>,
}

impl NamespaceDefaults {
    pub fn reconcile(&self, world: &World) {
        let mut seen = self.seen_rv.lock().unwrap_or_else(|p| p.into_inner());
        let current = world.current_rv();
        let Some(rv) = *seen else {
            *seen = Some(current);
            return;
        };
        let added: Vec<String> = match world.changes_since(&crate::resources::NAMESPACES, rv) {
            crate::world::Changes::Expired => world
                .list(&crate::resources::NAMESPACES, None)
                .1
                .iter()
                .map(|n| crate::world::meta_str(n, "name").to_string())
                .collect(),
            crate::world::Changes::Events(events) => events
                .iter()
                .filter(|e| e.kind == crate::world::EventType::Added)
                .map(|e| crate::world::meta_str(&e.object, "name").to_string())
                .collect(),
        };
        for ns in added {
            if world.get(&SERVICE_ACCOUNTS, &ns, "default").is_none() {
                create(world, &SERVICE_ACCOUNTS, json!({"metadata": {"name": "default", "namespace": ns}}));
            }
            if world.get(&CONFIG_MAPS, &ns, "kube-root-ca.crt").is_none() {
                create(
                    world,
                    &CONFIG_MAPS,
                    json!({"metadata": {"name": "kube-root-ca.crt", "namespace": ns}, "data": {"ca.crt": CA_CERT}}),
                );
            }
        }
        *seen = Some(current);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::NAMESPACES;

    #[test]
    fn new_namespaces_get_their_default_service_account_and_root_ca() {
        let w = World::default();
        let defaults = NamespaceDefaults::default();
        defaults.reconcile(&w);
        w.create(&NAMESPACES, json!({"metadata": {"name": "team-a"}}), false).unwrap();
        defaults.reconcile(&w);
        assert!(w.get(&SERVICE_ACCOUNTS, "team-a", "default").is_some());
        assert!(w.get(&CONFIG_MAPS, "team-a", "kube-root-ca.crt").is_some());
        let rv = w.current_rv();
        defaults.reconcile(&w);
        assert_eq!(w.current_rv(), rv, "nothing more to do");
    }
}
