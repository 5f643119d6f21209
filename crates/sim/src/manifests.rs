//! The Kubernetes objects a scenario's workloads are made of, as their GitOps manifests declare them.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::scenario::WorkloadSpec;
use super::server::{ECR_ACCOUNT_ID, ECR_REGION};

/// The ECR registry host of the sim.
pub fn ecr_registry() -> String {
    format!("{ECR_ACCOUNT_ID}.dkr.ecr.{ECR_REGION}.amazonaws.com")
}

/// The full image reference of a workload at a tag (`ecr:NAME` resolves to the sim's registry).
pub fn image_ref(workload: &WorkloadSpec, tag: &str) -> String {
    match workload.image.strip_prefix("ecr:") {
        Some(repo) => format!("{}/{repo}:{tag}", ecr_registry()),
        None => format!("{}:{tag}", workload.image),
    }
}

/// The ECR repository a workload's image lives in, if any.
pub fn ecr_repository(workload: &WorkloadSpec) -> Option<&str> {
    workload.image.strip_prefix("ecr:")
}

/// The tag of an image reference (`repo:tag`), or "latest".
pub fn image_tag(image: &str) -> &str {
    let after_slash = image.rsplit('/').next().unwrap_or(image);
    after_slash.split_once(':').map_or("latest", |(_, t)| t)
}

/// The seed's labels for a workload, minus the ones it omits (or a commit dropped).
pub fn labels(
    workload: &WorkloadSpec,
    part_of: &str,
    managed_by: &str,
    dropped: &[String],
) -> BTreeMap<String, String> {
    let mut labels = BTreeMap::new();
    let all = [
        ("app.kubernetes.io/name", workload.name.as_str()),
        ("app.kubernetes.io/component", workload.component.as_str()),
        ("app.kubernetes.io/part-of", part_of),
        ("app.kubernetes.io/version", workload.version.as_str()),
        ("app.kubernetes.io/managed-by", managed_by),
    ];
    for (k, v) in all {
        if !workload.omit_labels.iter().any(|o| o == k) && !dropped.iter().any(|d| d == k) {
            labels.insert(k.to_string(), v.to_string());
        }
    }
    labels
}

fn probes(workload: &WorkloadSpec) -> Value {
    json!({
        "livenessProbe": {"httpGet": {"path": "/health", "port": workload.port, "scheme": "HTTP"},
            "initialDelaySeconds": 15, "periodSeconds": 10, "timeoutSeconds": 5, "failureThreshold": 3, "successThreshold": 1},
        "readinessProbe": {"httpGet": {"path": "/ready", "port": workload.port, "scheme": "HTTP"},
            "initialDelaySeconds": 5, "periodSeconds": 5, "timeoutSeconds": 3, "failureThreshold": 3, "successThreshold": 1},
    })
}

/// A Deployment for a workload at an image tag.
pub fn deployment(
    workload: &WorkloadSpec,
    namespace: &str,
    tag: &str,
    labels: &BTreeMap<String, String>,
    tracking_app: Option<&str>,
) -> Value {
    let mut container = json!({
        "name": workload.name,
        "image": image_ref(workload, tag),
        "imagePullPolicy": "IfNotPresent",
        "ports": [{"name": "http", "containerPort": workload.port, "protocol": "TCP"}],
        "env": [{"name": "PORT", "value": workload.port.to_string()}, {"name": "LOG_FORMAT", "value": "json"}],
        "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"memory": "256Mi"}},
        "terminationMessagePath": "/dev/termination-log",
        "terminationMessagePolicy": "File",
    });
    if workload.probes
        && let (Some(c), Value::Object(p)) = (container.as_object_mut(), probes(workload))
    {
        c.extend(p);
    }
    let mut annotations = json!({
        "prometheus.io/scrape": "true",
        "prometheus.io/port": workload.port.to_string(),
        "prometheus.io/path": "/metrics",
    });
    if let Some(app) = tracking_app {
        annotations["argocd.argoproj.io/tracking-id"] =
            json!(format!("{app}:apps/Deployment:{namespace}/{}", workload.name));
    }
    let mut spec = json!({
        "replicas": workload.replicas,
        "revisionHistoryLimit": 10,
        "selector": {"matchLabels": {"app.kubernetes.io/name": workload.name}},
        "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}},
        "template": {
            "metadata": {
                "labels": labels_with_name(labels, &workload.name),
                "annotations": {"prometheus.io/scrape": "true", "prometheus.io/port": workload.port.to_string(), "prometheus.io/path": "/metrics"},
            },
            "spec": {"containers": [container], "restartPolicy": "Always", "terminationGracePeriodSeconds": 30,
                "dnsPolicy": "ClusterFirst", "schedulerName": "default-scheduler"},
        },
    });
    spec["progressDeadlineSeconds"] = json!(workload.progress_deadline_seconds.unwrap_or(600));
    json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": workload.name, "namespace": namespace, "labels": labels, "annotations": annotations},
        "spec": spec,
    })
}

/// Pod labels must keep the selector's label even when a commit drops the others.
fn labels_with_name(labels: &BTreeMap<String, String>, name: &str) -> BTreeMap<String, String> {
    let mut l = labels.clone();
    l.insert("app.kubernetes.io/name".into(), name.to_string());
    l
}

/// A ClusterIP Service in front of a workload.
pub fn service(
    workload: &WorkloadSpec,
    namespace: &str,
    labels: &BTreeMap<String, String>,
    cluster_ip: &str,
) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": workload.name, "namespace": namespace, "labels": labels},
        "spec": {
            "type": "ClusterIP",
            "clusterIP": cluster_ip,
            "clusterIPs": [cluster_ip],
            "selector": {"app.kubernetes.io/name": workload.name},
            "ports": [{"name": "http", "port": 80, "targetPort": workload.port, "protocol": "TCP"}],
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn workload() -> WorkloadSpec {
        serde_norway::from_str(
            "{name: orders-api, image: 'ecr:orders-api', tag: abc, omit_labels: [app.kubernetes.io/part-of]}",
        )
        .unwrap()
    }

    #[test]
    fn ecr_images_resolve_to_the_sim_registry() {
        let w = workload();
        assert_eq!(image_ref(&w, "abc"), "123456789012.dkr.ecr.us-east-1.amazonaws.com/orders-api:abc");
        assert_eq!(image_tag("123456789012.dkr.ecr.us-east-1.amazonaws.com/orders-api:abc"), "abc");
        assert_eq!(image_tag("localhost:5000/x"), "latest");
        assert_eq!(ecr_repository(&w), Some("orders-api"));
    }

    #[test]
    fn deployments_carry_the_seed_labels_and_probes() {
        let w = workload();
        let l = labels(&w, "platform-services", "backstage", &["app.kubernetes.io/version".into()]);
        assert!(!l.contains_key("app.kubernetes.io/part-of"));
        assert!(!l.contains_key("app.kubernetes.io/version"));
        let d = deployment(&w, "platform-services", "abc", &l, Some("orders-api"));
        let c = &d["spec"]["template"]["spec"]["containers"][0];
        assert_eq!(c["livenessProbe"]["httpGet"]["path"], "/health");
        assert_eq!(c["readinessProbe"]["httpGet"]["path"], "/ready");
        assert_eq!(d["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/name"], "orders-api");
    }
}
