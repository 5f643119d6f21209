//! Server-side printing: the `Table` kubectl asks for, with the columns real servers print.

use axum::http::HeaderMap;
use serde_json::{Value, json};

use super::request;
use crate::resources::ResourceKind;
use crate::world::Obj;

pub fn wanted(headers: &HeaderMap) -> bool {
    request::wants_table(headers)
}

struct Column {
    name: &'static str,
    kind: &'static str,
    priority: u8,
}

const fn col(name: &'static str, kind: &'static str, priority: u8) -> Column {
    Column { name, kind, priority }
}

fn columns(kind: &ResourceKind) -> Vec<Column> {
    match kind.kind {
        "Pod" => vec![
            col("Name", "string", 0),
            col("Ready", "string", 0),
            col("Status", "string", 0),
            col("Restarts", "string", 0),
            col("Age", "string", 0),
            col("IP", "string", 1),
            col("Node", "string", 1),
        ],
        "Deployment" => vec![
            col("Name", "string", 0),
            col("Ready", "string", 0),
            col("Up-to-date", "integer", 0),
            col("Available", "integer", 0),
            col("Age", "string", 0),
            col("Containers", "string", 1),
            col("Images", "string", 1),
        ],
        "ReplicaSet" => vec![
            col("Name", "string", 0),
            col("Desired", "integer", 0),
            col("Current", "integer", 0),
            col("Ready", "integer", 0),
            col("Age", "string", 0),
        ],
        "Service" => vec![
            col("Name", "string", 0),
            col("Type", "string", 0),
            col("Cluster-IP", "string", 0),
            col("Port(s)", "string", 0),
            col("Age", "string", 0),
        ],
        "Namespace" => vec![col("Name", "string", 0), col("Status", "string", 0), col("Age", "string", 0)],
        "Node" => vec![
            col("Name", "string", 0),
            col("Status", "string", 0),
            col("Roles", "string", 0),
            col("Age", "string", 0),
            col("Version", "string", 0),
        ],
        "Event" => vec![
            col("Last Seen", "string", 0),
            col("Type", "string", 0),
            col("Reason", "string", 0),
            col("Object", "string", 0),
            col("Message", "string", 0),
            col("Name", "string", 1),
        ],
        "Application" => vec![
            col("Name", "string", 0),
            col("Sync Status", "string", 0),
            col("Health Status", "string", 0),
            col("Revision", "string", 10),
            col("Project", "string", 10),
        ],
        "PolicyReport" | "ClusterPolicyReport" => vec![
            col("Name", "string", 0),
            col("Kind", "string", 1),
            col("Resource", "string", 1),
            col("Pass", "integer", 0),
            col("Fail", "integer", 0),
            col("Warn", "integer", 0),
            col("Error", "integer", 0),
            col("Skip", "integer", 0),
            col("Age", "string", 0),
        ],
        "ClusterPolicy" => vec![
            col("Name", "string", 0),
            col("Admission", "boolean", 0),
            col("Background", "boolean", 0),
            col("Ready", "string", 0),
            col("Age", "string", 0),
        ],
        _ => vec![col("Name", "string", 0), col("Age", "string", 0)],
    }
}

fn s<'a>(o: &'a Value, pointer: &str) -> &'a str {
    o.pointer(pointer).and_then(Value::as_str).unwrap_or("")
}

fn n(o: &Value, pointer: &str) -> i64 {
    o.pointer(pointer).and_then(Value::as_i64).unwrap_or(0)
}

fn cells(kind: &ResourceKind, o: &Value) -> Vec<Value> {
    let name = json!(s(o, "/metadata/name"));
    let age_cell = json!(age(s(o, "/metadata/creationTimestamp")));
    match kind.kind {
        "Pod" => {
            let statuses =
                o.pointer("/status/containerStatuses").and_then(Value::as_array).cloned().unwrap_or_default();
            let total = o.pointer("/spec/containers").and_then(Value::as_array).map_or(0, Vec::len);
            let ready = statuses.iter().filter(|c| c["ready"] == true).count();
            let restarts: i64 = statuses.iter().map(|c| c["restartCount"].as_i64().unwrap_or(0)).sum();
            vec![
                name,
                json!(format!("{ready}/{total}")),
                json!(pod_status(o)),
                json!(restarts.to_string()),
                age_cell,
                json!(or_none(s(o, "/status/podIP"))),
                json!(or_none(s(o, "/spec/nodeName"))),
            ]
        }
        "Deployment" => {
            let containers = o
                .pointer("/spec/template/spec/containers")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            let names: Vec<&str> = containers.iter().filter_map(|c| c["name"].as_str()).collect();
            let images: Vec<&str> = containers.iter().filter_map(|c| c["image"].as_str()).collect();
            vec![
                name,
                json!(format!("{}/{}", n(o, "/status/readyReplicas"), n(o, "/spec/replicas"))),
                json!(n(o, "/status/updatedReplicas")),
                json!(n(o, "/status/availableReplicas")),
                age_cell,
                json!(names.join(",")),
                json!(images.join(",")),
            ]
        }
        "ReplicaSet" => vec![
            name,
            json!(n(o, "/spec/replicas")),
            json!(n(o, "/status/replicas")),
            json!(n(o, "/status/readyReplicas")),
            age_cell,
        ],
        "Service" => {
            let ports: Vec<String> = o
                .pointer("/spec/ports")
                .and_then(Value::as_array)
                .map(|ps| {
                    ps.iter()
                        .map(|p| format!("{}/{}", p["port"], p["protocol"].as_str().unwrap_or("TCP")))
                        .collect()
                })
                .unwrap_or_default();
            vec![
                name,
                json!(or_default(s(o, "/spec/type"), "ClusterIP")),
                json!(or_none(s(o, "/spec/clusterIP"))),
                json!(ports.join(",")),
                age_cell,
            ]
        }
        "Namespace" => vec![name, json!(or_default(s(o, "/status/phase"), "Active")), age_cell],
        "Node" => vec![
            name,
            json!("Ready"),
            json!("<none>"),
            age_cell,
            json!(s(o, "/status/nodeInfo/kubeletVersion")),
        ],
        "Event" => {
            let last = or_default(s(o, "/lastTimestamp"), s(o, "/eventTime"));
            let object =
                format!("{}/{}", s(o, "/involvedObject/kind").to_lowercase(), s(o, "/involvedObject/name"));
            vec![
                json!(age(last)),
                json!(s(o, "/type")),
                json!(s(o, "/reason")),
                json!(object),
                json!(s(o, "/message")),
                name,
            ]
        }
        "Application" => vec![
            name,
            json!(s(o, "/status/sync/status")),
            json!(s(o, "/status/health/status")),
            json!(s(o, "/status/sync/revision")),
            json!(s(o, "/spec/project")),
        ],
        "PolicyReport" | "ClusterPolicyReport" => vec![
            name,
            json!(s(o, "/scope/kind")),
            json!(s(o, "/scope/name")),
            json!(n(o, "/summary/pass")),
            json!(n(o, "/summary/fail")),
            json!(n(o, "/summary/warn")),
            json!(n(o, "/summary/error")),
            json!(n(o, "/summary/skip")),
            age_cell,
        ],
        "ClusterPolicy" => {
            let ready = o
                .pointer("/status/conditions")
                .and_then(Value::as_array)
                .and_then(|cs| cs.iter().find(|c| c["type"] == "Ready"))
                .and_then(|c| c["status"].as_str())
                .unwrap_or("Unknown");
            vec![
                name,
                json!(o.pointer("/spec/admission").and_then(Value::as_bool).unwrap_or(true)),
                json!(o.pointer("/spec/background").and_then(Value::as_bool).unwrap_or(true)),
                json!(ready),
                age_cell,
            ]
        }
        _ => vec![name, age_cell],
    }
}

/// The STATUS column of `kubectl get pods`: phase, overridden by a container's waiting/terminated reason.
pub fn pod_status(pod: &Value) -> String {
    if pod.pointer("/metadata/deletionTimestamp").is_some() {
        return "Terminating".into();
    }
    let mut status = or_default(s(pod, "/status/reason"), s(pod, "/status/phase")).to_string();
    if let Some(cs) = pod.pointer("/status/containerStatuses").and_then(Value::as_array) {
        for c in cs {
            let waiting = s(c, "/state/waiting/reason");
            let terminated = s(c, "/state/terminated/reason");
            if !waiting.is_empty() {
                status = waiting.to_string();
            } else if !terminated.is_empty() {
                status = terminated.to_string();
            }
        }
    }
    if status.is_empty() { "Unknown".into() } else { status }
}

fn or_none(v: &str) -> &str {
    if v.is_empty() { "<none>" } else { v }
}

fn or_default<'a>(v: &'a str, default: &'a str) -> &'a str {
    if v.is_empty() { default } else { v }
}

/// A short age like kubectl prints: `45s`, `5m30s`, `42m`, `3h20m`, `30h`, `5d`.
pub fn age(timestamp: &str) -> String {
    let Ok(then) = timestamp.parse::<jiff::Timestamp>() else { return "<unknown>".into() };
    let secs = (jiff::Timestamp::now().as_second() - then.as_second()).max(0);
    human_duration(secs)
}

fn human_duration(secs: i64) -> String {
    let (m, h, d) = (secs / 60, secs / 3600, secs / 86400);
    match secs {
        s if s < 120 => format!("{s}s"),
        s if s < 600 => format!("{m}m{}s", s % 60),
        s if s < 3 * 3600 => format!("{m}m"),
        s if s < 8 * 3600 => format!("{h}h{}m", m % 60),
        s if s < 48 * 3600 => format!("{h}h"),
        s if s < 8 * 86400 => format!("{d}d{}h", h % 24),
        _ => format!("{d}d"),
    }
}

/// The row's object: PartialObjectMetadata, as with the default `includeObject=Metadata`.
fn row_object(o: &Value) -> Value {
    let mut meta = serde_json::Map::new();
    if let Some(m) = o.get("metadata").and_then(Value::as_object) {
        for key in [
            "name",
            "namespace",
            "uid",
            "resourceVersion",
            "creationTimestamp",
            "labels",
            "deletionTimestamp",
        ] {
            if let Some(v) = m.get(key) {
                meta.insert(key.into(), v.clone());
            }
        }
    }
    json!({"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": meta})
}

/// A `meta.k8s.io/v1` Table for these objects.
pub fn table(kind: &ResourceKind, items: &[Obj], rv: u64, next: Option<&str>) -> Value {
    let defs: Vec<Value> = columns(kind)
        .iter()
        .map(|c| {
            json!({"name": c.name, "type": c.kind, "format": if c.name == "Name" { "name" } else { "" },
                "description": c.name, "priority": c.priority})
        })
        .collect();
    let rows: Vec<Value> =
        items.iter().map(|o| json!({"cells": cells(kind, o), "object": row_object(o)})).collect();
    let mut meta = json!({"resourceVersion": rv.to_string()});
    if let Some(c) = next {
        meta["continue"] = json!(c);
    }
    json!({"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": meta, "columnDefinitions": defs, "rows": rows})
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::{APPLICATIONS, PODS};
    use std::sync::Arc;

    #[test]
    fn pod_rows_show_readiness_status_and_restarts() {
        let pod = json!({"metadata": {"name": "web-1", "namespace": "dev", "creationTimestamp": "2020-01-01T00:00:00Z"},
            "spec": {"containers": [{"name": "app"}], "nodeName": "node-1"},
            "status": {"phase": "Running", "containerStatuses": [{"name": "app", "ready": false, "restartCount": 4,
                "state": {"waiting": {"reason": "CrashLoopBackOff"}}}]}});
        let t = table(&PODS, &[Arc::new(pod)], 7, None);
        let row = &t["rows"][0]["cells"];
        assert_eq!(row[0], "web-1");
        assert_eq!(row[1], "0/1");
        assert_eq!(row[2], "CrashLoopBackOff");
        assert_eq!(row[3], "4");
        assert_eq!(t["rows"][0]["object"]["metadata"]["namespace"], "dev");
        assert_eq!(t["columnDefinitions"].as_array().unwrap().len(), row.as_array().unwrap().len());
    }

    #[test]
    fn application_rows() {
        let app = json!({"metadata": {"name": "loki"}, "spec": {"project": "default"},
            "status": {"sync": {"status": "Synced", "revision": "abc"}, "health": {"status": "Healthy"}}});
        let t = table(&APPLICATIONS, &[Arc::new(app)], 1, Some("tok"));
        assert_eq!(t["rows"][0]["cells"], json!(["loki", "Synced", "Healthy", "abc", "default"]));
        assert_eq!(t["metadata"]["continue"], "tok");
    }

    #[test]
    fn human_durations() {
        assert_eq!(human_duration(45), "45s");
        assert_eq!(human_duration(330), "5m30s");
        assert_eq!(human_duration(42 * 60), "42m");
        assert_eq!(human_duration(3 * 3600 + 1200), "3h20m");
        assert_eq!(human_duration(30 * 3600), "30h");
        assert_eq!(human_duration(5 * 86400), "5d0h");
        assert_eq!(human_duration(20 * 86400), "20d");
    }
}
