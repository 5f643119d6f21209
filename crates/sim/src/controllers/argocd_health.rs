//! Argo CD's health assessment of the resources an Application manages (gitops-engine `pkg/health`).

use serde_json::{Value, json};

use crate::world::meta_str;

/// Health order from Argo CD: Healthy < Suspended < Progressing < Missing < Degraded < Unknown.
pub fn rank(status: &str) -> u8 {
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

/// A resource's health as Argo CD assesses its kind; None for kinds without a health check.
pub fn resource_health(object: &Value) -> Option<(&'static str, String)> {
    match object.get("kind").and_then(Value::as_str) {
        Some("Deployment") => Some(deployment_health(object)),
        Some("Service" | "Namespace" | "ConfigMap" | "Secret") => Some(("Healthy", String::new())),
        _ => None,
    }
}

/// The app-level health: the worst of its resources' (Healthy when it has none).
pub fn worst(healths: impl IntoIterator<Item = (&'static str, String)>) -> Value {
    let mut worst = ("Healthy", String::new());
    for h in healths {
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
    fn the_worst_health_wins() {
        assert_eq!(worst([]), json!({"status": "Healthy"}));
        let v = worst([("Healthy", String::new()), ("Missing", String::new()), ("Progressing", "p".into())]);
        assert_eq!(v["status"], "Missing");
        assert_eq!(rank("Degraded"), 4);
        assert_eq!(resource_health(&json!({"kind": "Service"})).unwrap().0, "Healthy");
        assert!(resource_health(&json!({"kind": "Widget"})).is_none());
    }
}
