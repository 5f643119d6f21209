//! Server-side printing: the `Table` kubectl asks for, with the columns real servers print.

use axum::http::HeaderMap;
use serde_json::{Value, json};

use super::request;
use crate::crds;
use crate::jsonpath::JsonPath;
use crate::resources::ResourceKind;
use crate::world::Obj;

pub fn wanted(headers: &HeaderMap) -> bool {
    request::wants_table(headers)
}

struct Column {
    name: String,
    kind: String,
    priority: u64,
    description: String,
    /// Custom resources: where the cell comes from.
    path: Option<Option<JsonPath>>,
}

fn col(name: &str, kind: &str, priority: u64) -> Column {
    Column { name: name.into(), kind: kind.into(), priority, description: name.into(), path: None }
}

const NAME_DESCRIPTION: &str = "Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names";

/// A custom resource's columns: Name, then its CRD's `additionalPrinterColumns` (or Age when it declares none).
fn custom_columns(kind: &ResourceKind) -> Option<Vec<Column>> {
    let version = crds::version(kind)?;
    let mut out = vec![Column { description: NAME_DESCRIPTION.into(), ..col("Name", "string", 0) }];
    match version.get("additionalPrinterColumns").and_then(Value::as_array) {
        Some(declared) if !declared.is_empty() => {
            for c in declared {
                let path = c["jsonPath"].as_str().unwrap_or("");
                out.push(Column {
                    name: c["name"].as_str().unwrap_or("").into(),
                    kind: c["type"].as_str().unwrap_or("string").into(),
                    priority: c["priority"].as_u64().unwrap_or(0),
                    description: c["description"].as_str().map_or_else(
                        || format!("Custom resource definition column (in JSONPath format): {path}"),
                        str::to_string,
                    ),
                    path: Some(JsonPath::parse(path)),
                });
            }
        }
        _ => out.push(Column {
            description:
                "CreationTimestamp is a timestamp representing the server time when this object was created."
                    .into(),
            path: Some(JsonPath::parse(".metadata.creationTimestamp")),
            ..col("Age", "date", 0)
        }),
    }
    Some(out)
}

fn columns(kind: &ResourceKind) -> Vec<Column> {
    if !kind.builtin
        && let Some(custom) = custom_columns(kind)
    {
        return custom;
    }
    let defs: &[(&str, &str, u64)] = match kind.kind {
        "Pod" => &[
            ("Name", "string", 0),
            ("Ready", "string", 0),
            ("Status", "string", 0),
            ("Restarts", "string", 0),
            ("Age", "string", 0),
            ("IP", "string", 1),
            ("Node", "string", 1),
            ("Nominated Node", "string", 1),
            ("Readiness Gates", "string", 1),
        ],
        "Deployment" => &[
            ("Name", "string", 0),
            ("Ready", "string", 0),
            ("Up-to-date", "string", 0),
            ("Available", "string", 0),
            ("Age", "string", 0),
            ("Containers", "string", 1),
            ("Images", "string", 1),
            ("Selector", "string", 1),
        ],
        "ReplicaSet" | "ReplicationController" => &[
            ("Name", "string", 0),
            ("Desired", "integer", 0),
            ("Current", "integer", 0),
            ("Ready", "integer", 0),
            ("Age", "string", 0),
            ("Containers", "string", 1),
            ("Images", "string", 1),
            ("Selector", "string", 1),
        ],
        "StatefulSet" => &[
            ("Name", "string", 0),
            ("Ready", "string", 0),
            ("Age", "string", 0),
            ("Containers", "string", 1),
            ("Images", "string", 1),
        ],
        "DaemonSet" => &[
            ("Name", "string", 0),
            ("Desired", "integer", 0),
            ("Current", "integer", 0),
            ("Ready", "integer", 0),
            ("Up-to-date", "integer", 0),
            ("Available", "integer", 0),
            ("Node Selector", "string", 0),
            ("Age", "string", 0),
            ("Containers", "string", 1),
            ("Images", "string", 1),
            ("Selector", "string", 1),
        ],
        "Job" => &[
            ("Name", "string", 0),
            ("Status", "string", 0),
            ("Completions", "string", 0),
            ("Duration", "string", 0),
            ("Age", "string", 0),
            ("Containers", "string", 1),
            ("Images", "string", 1),
            ("Selector", "string", 1),
        ],
        "CronJob" => &[
            ("Name", "string", 0),
            ("Schedule", "string", 0),
            ("Timezone", "string", 0),
            ("Suspend", "boolean", 0),
            ("Active", "integer", 0),
            ("Last Schedule", "string", 0),
            ("Age", "string", 0),
            ("Containers", "string", 1),
            ("Images", "string", 1),
            ("Selector", "string", 1),
        ],
        "Service" => &[
            ("Name", "string", 0),
            ("Type", "string", 0),
            ("Cluster-IP", "string", 0),
            ("External-IP", "string", 0),
            ("Port(s)", "string", 0),
            ("Age", "string", 0),
            ("Selector", "string", 1),
        ],
        "ConfigMap" => &[("Name", "string", 0), ("Data", "string", 0), ("Age", "string", 0)],
        "Secret" => {
            &[("Name", "string", 0), ("Type", "string", 0), ("Data", "string", 0), ("Age", "string", 0)]
        }
        "ServiceAccount" => &[("Name", "string", 0), ("Age", "string", 0)],
        "Endpoints" => &[("Name", "string", 0), ("Endpoints", "string", 0), ("Age", "string", 0)],
        "PersistentVolumeClaim" => &[
            ("Name", "string", 0),
            ("Status", "string", 0),
            ("Volume", "string", 0),
            ("Capacity", "string", 0),
            ("Access Modes", "string", 0),
            ("StorageClass", "string", 0),
            ("VolumeAttributesClass", "string", 0),
            ("Age", "string", 0),
            ("VolumeMode", "string", 1),
        ],
        "PersistentVolume" => &[
            ("Name", "string", 0),
            ("Capacity", "string", 0),
            ("Access Modes", "string", 0),
            ("Reclaim Policy", "string", 0),
            ("Status", "string", 0),
            ("Claim", "string", 0),
            ("StorageClass", "string", 0),
            ("VolumeAttributesClass", "string", 0),
            ("Reason", "string", 0),
            ("Age", "string", 0),
            ("VolumeMode", "string", 1),
        ],
        "Ingress" => &[
            ("Name", "string", 0),
            ("Class", "string", 0),
            ("Hosts", "string", 0),
            ("Address", "string", 0),
            ("Ports", "string", 0),
            ("Age", "string", 0),
        ],
        "NetworkPolicy" => &[("Name", "string", 0), ("Pod-Selector", "string", 0), ("Age", "string", 0)],
        "StorageClass" => &[
            ("Name", "string", 0),
            ("Provisioner", "string", 0),
            ("ReclaimPolicy", "string", 0),
            ("VolumeBindingMode", "string", 0),
            ("AllowVolumeExpansion", "string", 0),
            ("Age", "string", 0),
        ],
        "Role" | "ClusterRole" | "CustomResourceDefinition" => {
            &[("Name", "string", 0), ("Created At", "date", 0)]
        }
        "RoleBinding" | "ClusterRoleBinding" => &[
            ("Name", "string", 0),
            ("Role", "string", 0),
            ("Age", "string", 0),
            ("Users", "string", 1),
            ("Groups", "string", 1),
            ("ServiceAccounts", "string", 1),
        ],
        "Namespace" => &[("Name", "string", 0), ("Status", "string", 0), ("Age", "string", 0)],
        "Node" => &[
            ("Name", "string", 0),
            ("Status", "string", 0),
            ("Roles", "string", 0),
            ("Age", "string", 0),
            ("Version", "string", 0),
            ("Internal-IP", "string", 1),
            ("External-IP", "string", 1),
            ("OS-Image", "string", 1),
            ("Kernel-Version", "string", 1),
            ("Container-Runtime", "string", 1),
        ],
        "Event" => &[
            ("Last Seen", "string", 0),
            ("Type", "string", 0),
            ("Reason", "string", 0),
            ("Object", "string", 0),
            ("Subobject", "string", 1),
            ("Source", "string", 1),
            ("Message", "string", 0),
            ("First Seen", "string", 1),
            ("Count", "string", 1),
            ("Name", "string", 1),
        ],
        _ => &[("Name", "string", 0), ("Age", "string", 0)],
    };
    defs.iter().map(|(name, kind, priority)| col(name, kind, *priority)).collect()
}

fn s<'a>(o: &'a Value, pointer: &str) -> &'a str {
    o.pointer(pointer).and_then(Value::as_str).unwrap_or("")
}

fn n(o: &Value, pointer: &str) -> i64 {
    o.pointer(pointer).and_then(Value::as_i64).unwrap_or(0)
}

fn items<'a>(o: &'a Value, pointer: &str) -> &'a [Value] {
    o.pointer(pointer).and_then(Value::as_array).map_or(&[], Vec::as_slice)
}

/// `a=b,c=d` from a label map, or `<none>`.
fn selector(o: &Value, pointer: &str) -> String {
    let pairs: Vec<String> = o
        .pointer(pointer)
        .and_then(Value::as_object)
        .map(|m| m.iter().map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or(""))).collect())
        .unwrap_or_default();
    if pairs.is_empty() { "<none>".into() } else { pairs.join(",") }
}

/// The Containers and Images columns of a pod template.
fn containers(o: &Value, pointer: &str) -> (Value, Value) {
    let cs = items(o, pointer);
    let names: Vec<&str> = cs.iter().filter_map(|c| c["name"].as_str()).collect();
    let images: Vec<&str> = cs.iter().filter_map(|c| c["image"].as_str()).collect();
    (json!(names.join(",")), json!(images.join(",")))
}

fn custom_cell(column: &Column, o: &Value) -> Value {
    let Some(Some(path)) = &column.path else { return json!(s(o, "/metadata/name")) };
    match path.find(o) {
        None | Some(Value::Null) => Value::Null,
        Some(v) if column.kind == "date" => v.as_str().map_or(Value::Null, |t| json!(age(t))),
        Some(Value::String(text)) => json!(text),
        Some(v) if column.kind == "string" => json!(v.to_string()),
        Some(v) => v.clone(),
    }
}

fn cells(kind: &ResourceKind, defs: &[Column], o: &Value) -> Vec<Value> {
    if defs.iter().any(|c| c.path.is_some()) {
        return defs.iter().map(|c| custom_cell(c, o)).collect();
    }
    let name = json!(s(o, "/metadata/name"));
    let age_cell = json!(age(s(o, "/metadata/creationTimestamp")));
    let created = json!(s(o, "/metadata/creationTimestamp"));
    match kind.kind {
        "Pod" => {
            let statuses = items(o, "/status/containerStatuses");
            let total = items(o, "/spec/containers").len();
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
                json!(or_none(s(o, "/status/nominatedNodeName"))),
                json!("<none>"),
            ]
        }
        "Deployment" => {
            let (names, images) = containers(o, "/spec/template/spec/containers");
            vec![
                name,
                json!(format!("{}/{}", n(o, "/status/readyReplicas"), n(o, "/spec/replicas"))),
                json!(n(o, "/status/updatedReplicas")),
                json!(n(o, "/status/availableReplicas")),
                age_cell,
                names,
                images,
                json!(selector(o, "/spec/selector/matchLabels")),
            ]
        }
        "ReplicaSet" | "ReplicationController" => {
            let (names, images) = containers(o, "/spec/template/spec/containers");
            vec![
                name,
                json!(n(o, "/spec/replicas")),
                json!(n(o, "/status/replicas")),
                json!(n(o, "/status/readyReplicas")),
                age_cell,
                names,
                images,
                json!(selector(o, "/spec/selector/matchLabels")),
            ]
        }
        "StatefulSet" => {
            let (names, images) = containers(o, "/spec/template/spec/containers");
            let ready = format!("{}/{}", n(o, "/status/readyReplicas"), n(o, "/spec/replicas"));
            vec![name, json!(ready), age_cell, names, images]
        }
        "DaemonSet" => {
            let (names, images) = containers(o, "/spec/template/spec/containers");
            vec![
                name,
                json!(n(o, "/status/desiredNumberScheduled")),
                json!(n(o, "/status/currentNumberScheduled")),
                json!(n(o, "/status/numberReady")),
                json!(n(o, "/status/updatedNumberScheduled")),
                json!(n(o, "/status/numberAvailable")),
                json!(selector(o, "/spec/template/spec/nodeSelector")),
                age_cell,
                names,
                images,
                json!(selector(o, "/spec/selector/matchLabels")),
            ]
        }
        "Job" => {
            let (names, images) = containers(o, "/spec/template/spec/containers");
            let complete = items(o, "/status/conditions")
                .iter()
                .any(|c| c["type"] == "Complete" && c["status"] == "True");
            let status = if complete {
                "Complete"
            } else if n(o, "/status/active") > 0 {
                "Running"
            } else {
                "Pending"
            };
            let duration = match (s(o, "/status/startTime"), s(o, "/status/completionTime")) {
                ("", _) => String::new(),
                (start, "") => age(start),
                (start, end) => match (start.parse::<jiff::Timestamp>(), end.parse::<jiff::Timestamp>()) {
                    (Ok(a), Ok(b)) => human_duration(b.as_second() - a.as_second()),
                    _ => String::new(),
                },
            };
            let completions = format!(
                "{}/{}",
                n(o, "/status/succeeded"),
                o.pointer("/spec/completions").and_then(Value::as_i64).unwrap_or(1)
            );
            vec![
                name,
                json!(status),
                json!(completions),
                json!(duration),
                age_cell,
                names,
                images,
                json!(selector(o, "/spec/selector/matchLabels")),
            ]
        }
        "CronJob" => {
            let (names, images) = containers(o, "/spec/jobTemplate/spec/template/spec/containers");
            let last = s(o, "/status/lastScheduleTime");
            vec![
                name,
                json!(s(o, "/spec/schedule")),
                json!(or_none(s(o, "/spec/timeZone"))),
                json!(o.pointer("/spec/suspend").and_then(Value::as_bool).unwrap_or(false)),
                json!(items(o, "/status/active").len()),
                json!(if last.is_empty() { "<none>".to_string() } else { age(last) }),
                age_cell,
                names,
                images,
                json!("<none>"),
            ]
        }
        "Service" => {
            let ports: Vec<String> = items(o, "/spec/ports")
                .iter()
                .map(|p| format!("{}/{}", p["port"], p["protocol"].as_str().unwrap_or("TCP")))
                .collect();
            vec![
                name,
                json!(or_default(s(o, "/spec/type"), "ClusterIP")),
                json!(or_none(s(o, "/spec/clusterIP"))),
                json!("<none>"),
                json!(if ports.is_empty() { "<none>".to_string() } else { ports.join(",") }),
                age_cell,
                json!(selector(o, "/spec/selector")),
            ]
        }
        "ConfigMap" => {
            let data = o.get("data").and_then(Value::as_object).map_or(0, |m| m.len())
                + o.get("binaryData").and_then(Value::as_object).map_or(0, |m| m.len());
            vec![name, json!(data), age_cell]
        }
        "Secret" => {
            let data = o.get("data").and_then(Value::as_object).map_or(0, |m| m.len());
            vec![name, json!(or_default(s(o, "/type"), "Opaque")), json!(data), age_cell]
        }
        "ServiceAccount" => vec![name, age_cell],
        "Endpoints" => {
            let mut eps = Vec::new();
            for subset in items(o, "/subsets") {
                for a in items(subset, "/addresses") {
                    for p in items(subset, "/ports") {
                        eps.push(format!("{}:{}", s(a, "/ip"), p["port"]));
                    }
                }
            }
            let shown = if eps.is_empty() {
                "<none>".to_string()
            } else if eps.len() > 3 {
                format!("{} + {} more...", eps[..3].join(","), eps.len() - 3)
            } else {
                eps.join(",")
            };
            vec![name, json!(shown), age_cell]
        }
        "PersistentVolumeClaim" => {
            let modes: Vec<&str> = items(o, "/status/accessModes")
                .iter()
                .filter_map(Value::as_str)
                .map(short_access_mode)
                .collect();
            vec![
                name,
                json!(or_default(s(o, "/status/phase"), "Pending")),
                json!(s(o, "/spec/volumeName")),
                json!(s(o, "/status/capacity/storage")),
                json!(modes.join(",")),
                json!(s(o, "/spec/storageClassName")),
                json!("<unset>"),
                age_cell,
                json!(or_default(s(o, "/spec/volumeMode"), "Filesystem")),
            ]
        }
        "PersistentVolume" => {
            let modes: Vec<&str> = items(o, "/spec/accessModes")
                .iter()
                .filter_map(Value::as_str)
                .map(short_access_mode)
                .collect();
            let claim = match s(o, "/spec/claimRef/name") {
                "" => String::new(),
                claim => format!("{}/{claim}", s(o, "/spec/claimRef/namespace")),
            };
            vec![
                name,
                json!(s(o, "/spec/capacity/storage")),
                json!(modes.join(",")),
                json!(or_default(s(o, "/spec/persistentVolumeReclaimPolicy"), "Retain")),
                json!(s(o, "/status/phase")),
                json!(claim),
                json!(s(o, "/spec/storageClassName")),
                json!("<unset>"),
                json!(s(o, "/status/reason")),
                age_cell,
                json!(or_default(s(o, "/spec/volumeMode"), "Filesystem")),
            ]
        }
        "Ingress" => {
            let hosts: Vec<&str> =
                items(o, "/spec/rules").iter().filter_map(|r| r["host"].as_str()).collect();
            let address: Vec<&str> = items(o, "/status/loadBalancer/ingress")
                .iter()
                .filter_map(|i| i["hostname"].as_str().or_else(|| i["ip"].as_str()))
                .collect();
            let ports = if items(o, "/spec/tls").is_empty() { "80" } else { "80, 443" };
            vec![
                name,
                json!(or_none(s(o, "/spec/ingressClassName"))),
                json!(if hosts.is_empty() { "*".to_string() } else { hosts.join(",") }),
                json!(address.join(",")),
                json!(ports),
                age_cell,
            ]
        }
        "NetworkPolicy" => vec![name, json!(selector(o, "/spec/podSelector/matchLabels")), age_cell],
        "StorageClass" => {
            let default = o.pointer("/metadata/annotations/storageclass.kubernetes.io~1is-default-class")
                == Some(&json!("true"));
            let shown = if default {
                format!("{} (default)", s(o, "/metadata/name"))
            } else {
                s(o, "/metadata/name").to_string()
            };
            vec![
                json!(shown),
                json!(s(o, "/provisioner")),
                json!(or_default(s(o, "/reclaimPolicy"), "Delete")),
                json!(or_default(s(o, "/volumeBindingMode"), "Immediate")),
                json!(o.get("allowVolumeExpansion").and_then(Value::as_bool).unwrap_or(false).to_string()),
                age_cell,
            ]
        }
        "Role" | "ClusterRole" | "CustomResourceDefinition" => vec![name, created],
        "RoleBinding" | "ClusterRoleBinding" => {
            let subjects = |k: &str| -> String {
                items(o, "/subjects")
                    .iter()
                    .filter(|x| x["kind"] == k)
                    .map(|x| match (k, x["namespace"].as_str()) {
                        ("ServiceAccount", Some(ns)) => format!("{ns}/{}", s(x, "/name")),
                        _ => s(x, "/name").to_string(),
                    })
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            vec![
                name,
                json!(format!("{}/{}", s(o, "/roleRef/kind"), s(o, "/roleRef/name"))),
                age_cell,
                json!(subjects("User")),
                json!(subjects("Group")),
                json!(subjects("ServiceAccount")),
            ]
        }
        "Namespace" => vec![name, json!(or_default(s(o, "/status/phase"), "Active")), age_cell],
        "Node" => {
            let address = |t: &str| {
                items(o, "/status/addresses")
                    .iter()
                    .find(|a| a["type"] == t)
                    .map_or("<none>", |a| s(a, "/address"))
            };
            vec![
                name,
                json!("Ready"),
                json!("<none>"),
                age_cell,
                json!(s(o, "/status/nodeInfo/kubeletVersion")),
                json!(address("InternalIP")),
                json!(address("ExternalIP")),
                json!(or_default(s(o, "/status/nodeInfo/osImage"), "<unknown>")),
                json!(or_default(s(o, "/status/nodeInfo/kernelVersion"), "<unknown>")),
                json!(or_default(s(o, "/status/nodeInfo/containerRuntimeVersion"), "<unknown>")),
            ]
        }
        "Event" => {
            let last = or_default(s(o, "/lastTimestamp"), s(o, "/eventTime"));
            let first = or_default(s(o, "/firstTimestamp"), s(o, "/eventTime"));
            let object =
                format!("{}/{}", s(o, "/involvedObject/kind").to_lowercase(), s(o, "/involvedObject/name"));
            let source = or_default(s(o, "/source/component"), s(o, "/reportingComponent"));
            vec![
                json!(age(last)),
                json!(s(o, "/type")),
                json!(s(o, "/reason")),
                json!(object),
                json!(s(o, "/involvedObject/fieldPath")),
                json!(source),
                json!(s(o, "/message")),
                json!(age(first)),
                json!(o.get("count").and_then(Value::as_i64).unwrap_or(1).to_string()),
                name,
            ]
        }
        _ => vec![name, age_cell],
    }
}

fn short_access_mode(mode: &str) -> &str {
    match mode {
        "ReadWriteOnce" => "RWO",
        "ReadOnlyMany" => "ROX",
        "ReadWriteMany" => "RWX",
        "ReadWriteOncePod" => "RWOP",
        other => other,
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
pub fn table(
    kind: &ResourceKind,
    items: &[Obj],
    rv: u64,
    next: Option<&str>,
    remaining: Option<usize>,
) -> Value {
    let columns = columns(kind);
    let defs: Vec<Value> = columns
        .iter()
        .map(|c| {
            let format = if c.name == "Name" && c.priority == 0 { "name" } else { "" };
            json!({"name": c.name, "type": c.kind, "format": format, "description": c.description, "priority": c.priority})
        })
        .collect();
    let rows: Vec<Value> =
        items.iter().map(|o| json!({"cells": cells(kind, &columns, o), "object": row_object(o)})).collect();
    let mut meta = json!({"resourceVersion": rv.to_string()});
    if let Some(c) = next {
        meta["continue"] = json!(c);
    }
    if let Some(n) = remaining {
        meta["remainingItemCount"] = json!(n);
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
        let t = table(&PODS, &[Arc::new(pod)], 7, None, None);
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
        let t = table(&APPLICATIONS, &[Arc::new(app)], 1, Some("tok"), None);
        assert_eq!(t["rows"][0]["cells"], json!(["loki", "Synced", "Healthy", "abc", "default"]));
        assert_eq!(t["columnDefinitions"][3]["priority"], 10);
        assert_eq!(t["metadata"]["continue"], "tok");
    }

    #[test]
    fn custom_resources_print_their_crd_columns_with_null_for_missing_values() {
        let report = json!({"metadata": {"name": "r1", "creationTimestamp": "2020-01-01T00:00:00Z"},
            "scope": {"kind": "Deployment", "name": "web"}, "summary": {"pass": 2, "fail": 1}});
        let t = table(&crate::resources::POLICY_REPORTS, &[Arc::new(report)], 1, None, None);
        let names: Vec<&str> =
            t["columnDefinitions"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
        assert_eq!(names, ["Name", "Kind", "Name", "Pass", "Fail", "Warn", "Error", "Skip", "Age"]);
        let cells = &t["rows"][0]["cells"];
        assert_eq!(cells[1], "Deployment");
        assert_eq!(cells[3], 2);
        assert_eq!(cells[5], Value::Null);
        assert!(cells[8].as_str().unwrap().ends_with('d'));
        let project = json!({"metadata": {"name": "default", "creationTimestamp": "2020-01-01T00:00:00Z"}});
        let t = table(&crate::resources::APP_PROJECTS, &[Arc::new(project)], 1, None, None);
        assert_eq!(t["columnDefinitions"][1]["name"], "Age");
        assert_eq!(t["columnDefinitions"][1]["type"], "date");
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
