//! `metrics.k8s.io/v1beta1` as metrics-server serves it: NodeMetrics and PodMetrics (get and list only),
//! with usage that follows what the pods are doing. Only running containers are measured: a pod whose
//! container is waiting (crash-looping, pulling) has no metrics, as with metrics-server; a container that
//! was OOM-killed comes back using most of its memory limit; usage moves a little from one read to the next.

use axum::response::Response;
use serde_json::{Value, json};

use super::json_response;
use super::request::Params;
use crate::clock::now_rfc3339;
use crate::controllers::events::fnv;
use crate::resources::{NODES, PODS, ResourceKind};
use crate::state::Shared;
use crate::status::ApiError;
use crate::world::meta_str;

const WINDOW: &str = "15s";
/// What the kubelet and system daemons use on every node, besides the pods.
const SYSTEM_CPU_NANO: f64 = 180e6;
const SYSTEM_MEMORY_KI: f64 = 620.0 * 1024.0;

fn wobble(seed: u64, seconds: f64) -> f64 {
    1.0 + 0.15 * (seconds / 20.0 + (seed % 628) as f64 / 100.0).sin()
}

/// A running container's usage (nanocores, KiB), or `None` when it is not running.
fn container_usage(pod: &Value, status: &Value, seconds: f64) -> Option<(f64, f64)> {
    status.pointer("/state/running")?;
    let name = status["name"].as_str().unwrap_or("");
    let seed = fnv(&[meta_str(pod, "uid"), name]);
    let cpu = (5.0 + (seed % 115) as f64) * 1e6 * wobble(seed, seconds);
    let limit_ki = pod
        .pointer("/spec/containers")
        .and_then(Value::as_array)
        .and_then(|cs| cs.iter().find(|c| c["name"] == name))
        .and_then(|c| c.pointer("/resources/limits/memory"))
        .and_then(Value::as_str)
        .and_then(memory_ki);
    let oom_killed =
        status.pointer("/lastState/terminated/reason").and_then(Value::as_str) == Some("OOMKilled");
    let memory = match (oom_killed, limit_ki) {
        (true, Some(limit)) => limit * 0.93 * wobble(seed >> 8, seconds).min(1.07),
        _ => (40.0 + ((seed >> 16) % 160) as f64) * 1024.0 * wobble(seed >> 8, seconds),
    };
    Some((cpu, memory))
}

fn memory_ki(quantity: &str) -> Option<f64> {
    let (number, unit) =
        quantity.split_at(quantity.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(quantity.len()));
    let n: f64 = number.parse().ok()?;
    Some(match unit {
        "Ki" => n,
        "Mi" => n * 1024.0,
        "Gi" => n * 1024.0 * 1024.0,
        "" => n / 1024.0,
        _ => return None,
    })
}

fn usage(cpu_nano: f64, memory_ki: f64) -> Value {
    json!({"cpu": format!("{}n", cpu_nano as u64), "memory": format!("{}Ki", memory_ki as u64)})
}

fn pod_metrics(pod: &Value, now: &str, seconds: f64) -> Option<Value> {
    if pod.pointer("/status/phase").and_then(Value::as_str) != Some("Running") {
        return None;
    }
    let mut containers = Vec::new();
    for status in pod.pointer("/status/containerStatuses").and_then(Value::as_array)? {
        if let Some((cpu, memory)) = container_usage(pod, status, seconds) {
            containers.push(json!({"name": status["name"], "usage": usage(cpu, memory)}));
        }
    }
    if containers.is_empty() {
        return None;
    }
    let mut meta = json!({"name": meta_str(pod, "name"), "namespace": meta_str(pod, "namespace"), "creationTimestamp": now});
    if let Some(labels) = pod.pointer("/metadata/labels") {
        meta["labels"] = labels.clone();
    }
    Some(json!({"kind": "PodMetrics", "apiVersion": "metrics.k8s.io/v1beta1", "metadata": meta,
        "timestamp": now, "window": WINDOW, "containers": containers}))
}

fn node_metrics(state: &Shared, node: &Value, now: &str, seconds: f64) -> Value {
    let name = meta_str(node, "name");
    let (mut cpu, mut memory) = (SYSTEM_CPU_NANO, SYSTEM_MEMORY_KI);
    let pods = state.world.snapshot(&PODS);
    for (_, pod) in pods.iter(None, None) {
        if pod.pointer("/spec/nodeName").and_then(Value::as_str) != Some(name) {
            continue;
        }
        for status in
            pod.pointer("/status/containerStatuses").and_then(Value::as_array).map_or(&[][..], Vec::as_slice)
        {
            if let Some((c, m)) = container_usage(pod, status, seconds) {
                cpu += c;
                memory += m;
            }
        }
    }
    let mut meta = json!({"name": name, "creationTimestamp": now});
    if let Some(labels) = node.pointer("/metadata/labels") {
        meta["labels"] = labels.clone();
    }
    json!({"kind": "NodeMetrics", "apiVersion": "metrics.k8s.io/v1beta1", "metadata": meta,
        "timestamp": now, "window": WINDOW, "usage": usage(cpu, memory)})
}

fn not_found(kind: &ResourceKind, name: &str) -> ApiError {
    let resource = if kind.kind == "PodMetrics" { "podmetrics" } else { "nodemetrics" };
    ApiError::new(404, "NotFound", format!("{resource}.metrics.k8s.io \"{name}\" not found"))
}

pub fn list(
    state: &Shared,
    kind: &ResourceKind,
    namespace: Option<&str>,
    params: &Params,
) -> Result<Response, ApiError> {
    let labels = params.label_selector()?;
    let fields = params.field_selector()?;
    let (now, seconds) = (now_rfc3339(), state.clock.elapsed().as_secs_f64());
    let items: Vec<Value> = if kind.kind == "PodMetrics" {
        let pods = state.world.snapshot(&PODS);
        pods.iter(namespace, None)
            .filter(|(_, p)| labels.matches(p) && fields.matches(p))
            .filter_map(|(_, p)| pod_metrics(p, &now, seconds))
            .collect()
    } else {
        let nodes = state.world.snapshot(&NODES);
        nodes
            .iter(None, None)
            .filter(|(_, n)| labels.matches(n) && fields.matches(n))
            .map(|(_, n)| node_metrics(state, n, &now, seconds))
            .collect()
    };
    Ok(json_response(
        json!({"kind": kind.list_kind(), "apiVersion": kind.api_version(), "metadata": {}, "items": items}),
    ))
}

pub fn get(state: &Shared, kind: &ResourceKind, namespace: &str, name: &str) -> Result<Response, ApiError> {
    let (now, seconds) = (now_rfc3339(), state.clock.elapsed().as_secs_f64());
    if kind.kind == "PodMetrics" {
        let pod = state
            .world
            .get(&PODS, namespace, name)
            .ok_or_else(|| not_found(kind, &format!("{namespace}/{name}")))?;
        let metrics = pod_metrics(&pod, &now, seconds)
            .ok_or_else(|| not_found(kind, &format!("{namespace}/{name}")))?;
        return Ok(json_response(metrics));
    }
    let node = state.world.get(&NODES, "", name).ok_or_else(|| not_found(kind, name))?;
    Ok(json_response(node_metrics(state, &node, &now, seconds)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_running_containers_are_measured_and_oom_kills_show_in_memory() {
        let pod = |state: Value| {
            json!({"metadata": {"name": "p", "namespace": "n", "uid": "u"}, "status": {"phase": "Running",
                "containerStatuses": [state]},
                "spec": {"containers": [{"name": "app", "resources": {"limits": {"memory": "256Mi"}}}]}})
        };
        let running = pod(json!({"name": "app", "state": {"running": {}}}));
        let m = pod_metrics(&running, "t", 0.0).unwrap();
        assert!(m["containers"][0]["usage"]["cpu"].as_str().unwrap().ends_with('n'));
        let waiting = pod(json!({"name": "app", "state": {"waiting": {"reason": "CrashLoopBackOff"}}}));
        assert!(pod_metrics(&waiting, "t", 0.0).is_none());
        let oom = pod(
            json!({"name": "app", "state": {"running": {}}, "lastState": {"terminated": {"reason": "OOMKilled"}}}),
        );
        let mem = pod_metrics(&oom, "t", 0.0).unwrap()["containers"][0]["usage"]["memory"]
            .as_str()
            .unwrap()
            .to_string();
        let ki: f64 = mem.trim_end_matches("Ki").parse().unwrap();
        assert!(ki > 256.0 * 1024.0 * 0.75, "{mem}");
        assert_eq!(memory_ki("256Mi"), Some(262_144.0));
    }
}
