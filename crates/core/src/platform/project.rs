//! Projections: raw objects, as the API server sends them (`serde_json::Value`), into the compact model.
//! Sources call these at the edge so caches hold a few hundred bytes per object. Every lookup tolerates
//! absence and wrong types: a garbage object projects to Unknown/empty values, never a panic.

use jiff::Timestamp;
use serde_json::Value;

use super::model::{
    AppCondition, AppHistoryEntry, AppInfo, AppResource, DeploymentInfo, EventInfo, HealthStatus,
    OperationInfo, PodInfo, PolicyInfo, PolicyMode, PolicyResult, PolicyResultInfo, RolloutState, Severity,
    SyncStatus,
};

/// The label that names a service (required by the platform's conventions and its Kyverno policy).
pub const SERVICE_LABEL: &str = "app.kubernetes.io/name";

// ---------------------------------------------------------------------------------------------------
// Tolerant JSON access: every helper returns an empty value when the path is missing or mistyped.

/// The value at `path`, if every step is an object holding the next key.
fn at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter().try_fold(v, |cur, key| cur.as_object()?.get(*key))
}

/// The string at `path`, or "" (numbers, arrays, null ... are not strings).
fn text<'a>(v: &'a Value, path: &[&str]) -> &'a str {
    at(v, path).and_then(Value::as_str).unwrap_or("")
}

fn owned(v: &Value, path: &[&str]) -> String {
    text(v, path).to_owned()
}

/// The non-empty string at `path`.
fn opt_text(v: &Value, path: &[&str]) -> Option<String> {
    Some(text(v, path)).filter(|s| !s.is_empty()).map(str::to_owned)
}

/// The array at `path`, or an empty slice.
fn list<'a>(v: &'a Value, path: &[&str]) -> &'a [Value] {
    at(v, path).and_then(Value::as_array).map(Vec::as_slice).unwrap_or(&[])
}

fn int(v: &Value, path: &[&str]) -> Option<i64> {
    at(v, path).and_then(Value::as_i64)
}

/// A count: absent, negative or mistyped means 0 (Kubernetes omits zero counts).
fn count(v: &Value, path: &[&str]) -> u32 {
    int(v, path).map_or(0, clamp_u32)
}

fn clamp_u32(n: i64) -> u32 {
    u32::try_from(n.max(0)).unwrap_or(u32::MAX)
}

fn len_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

fn flag(v: &Value, path: &[&str]) -> Option<bool> {
    at(v, path).and_then(Value::as_bool)
}

/// An RFC 3339 timestamp (metav1.Time, MicroTime) at `path`.
fn time(v: &Value, path: &[&str]) -> Option<Timestamp> {
    text(v, path).parse().ok()
}

/// A metav1.Timestamp as policy reports write it, `{seconds, nanos}`; RFC 3339 strings are accepted too.
fn seconds_nanos(v: Option<&Value>) -> Option<Timestamp> {
    let v = v?;
    if let Some(s) = v.as_str() {
        return s.parse().ok();
    }
    let seconds = int(v, &["seconds"])?;
    let nanos = int(v, &["nanos"]).and_then(|n| i32::try_from(n).ok()).unwrap_or(0);
    Timestamp::new(seconds, nanos).ok()
}

/// A label (or annotation) value from `metadata.<field>`.
fn meta_map<'a>(v: &'a Value, field: &str, key: &str) -> &'a str {
    at(v, &["metadata", field, key]).and_then(Value::as_str).unwrap_or("")
}

/// `images` of a pod spec's containers, skipping entries without one.
fn container_images(spec: Option<&Value>) -> Vec<String> {
    let Some(spec) = spec else { return Vec::new() };
    list(spec, &["containers"]).iter().filter_map(|c| opt_text(c, &["image"])).collect()
}

/// The condition of `type` in a `conditions` array.
fn condition<'a>(conditions: &'a [Value], kind: &str) -> Option<&'a Value> {
    conditions.iter().find(|c| text(c, &["type"]) == kind)
}

// ---------------------------------------------------------------------------------------------------
// Wire words ↔ enums.

pub fn parse_sync(s: &str) -> SyncStatus {
    match s {
        "Synced" => SyncStatus::Synced,
        "OutOfSync" => SyncStatus::OutOfSync,
        _ => SyncStatus::Unknown,
    }
}

pub fn parse_health(s: &str) -> HealthStatus {
    match s {
        "Healthy" => HealthStatus::Healthy,
        "Suspended" => HealthStatus::Suspended,
        "Progressing" => HealthStatus::Progressing,
        "Missing" => HealthStatus::Missing,
        "Degraded" => HealthStatus::Degraded,
        _ => HealthStatus::Unknown,
    }
}

/// A report result word. There is no Unknown result in the model; an unrecognised word becomes `Skip`,
/// the neutral result (neither a pass nor a violation).
pub fn parse_result(s: &str) -> PolicyResult {
    match s.to_ascii_lowercase().as_str() {
        "pass" => PolicyResult::Pass,
        "fail" => PolicyResult::Fail,
        "warn" => PolicyResult::Warn,
        "error" => PolicyResult::Error,
        _ => PolicyResult::Skip,
    }
}

pub fn parse_severity(s: &str) -> Severity {
    match s.to_ascii_lowercase().as_str() {
        "critical" => Severity::Critical,
        "high" => Severity::High,
        "medium" => Severity::Medium,
        "low" => Severity::Low,
        "info" => Severity::Info,
        _ => Severity::Unknown,
    }
}

/// Kyverno accepts `Audit`/`Enforce` and the deprecated lowercase spellings.
pub fn parse_mode(s: &str) -> PolicyMode {
    if s.eq_ignore_ascii_case("audit") {
        PolicyMode::Audit
    } else if s.eq_ignore_ascii_case("enforce") {
        PolicyMode::Enforce
    } else {
        PolicyMode::Unknown
    }
}

pub fn sync_name(s: SyncStatus) -> &'static str {
    match s {
        SyncStatus::Synced => "Synced",
        SyncStatus::OutOfSync => "OutOfSync",
        SyncStatus::Unknown => "Unknown",
    }
}

pub fn health_name(h: HealthStatus) -> &'static str {
    match h {
        HealthStatus::Healthy => "Healthy",
        HealthStatus::Suspended => "Suspended",
        HealthStatus::Progressing => "Progressing",
        HealthStatus::Missing => "Missing",
        HealthStatus::Degraded => "Degraded",
        HealthStatus::Unknown => "Unknown",
    }
}

pub fn rollout_name(r: RolloutState) -> &'static str {
    match r {
        RolloutState::Complete => "Complete",
        RolloutState::Progressing => "Progressing",
        RolloutState::Stalled => "Stalled",
        RolloutState::Paused => "Paused",
        RolloutState::Unknown => "Unknown",
    }
}

/// The report's lowercase word.
pub fn result_name(r: PolicyResult) -> &'static str {
    match r {
        PolicyResult::Pass => "pass",
        PolicyResult::Fail => "fail",
        PolicyResult::Warn => "warn",
        PolicyResult::Error => "error",
        PolicyResult::Skip => "skip",
    }
}

/// The annotation's lowercase word.
pub fn severity_name(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "critical",
        Severity::High => "high",
        Severity::Medium => "medium",
        Severity::Low => "low",
        Severity::Info => "info",
        Severity::Unknown => "unknown",
    }
}

pub fn mode_name(m: PolicyMode) -> &'static str {
    match m {
        PolicyMode::Audit => "Audit",
        PolicyMode::Enforce => "Enforce",
        PolicyMode::Unknown => "Unknown",
    }
}

// ---------------------------------------------------------------------------------------------------
// Argo CD Application.

/// An `argoproj.io/v1alpha1` Application.
pub fn app_info(obj: &Value) -> AppInfo {
    let spec = at(obj, &["spec"]).unwrap_or(&Value::Null);
    let status = at(obj, &["status"]).unwrap_or(&Value::Null);
    // Multi-source apps have `sources`; the first one is what a single line can show.
    let source = at(spec, &["source"]).or_else(|| list(spec, &["sources"]).first()).unwrap_or(&Value::Null);
    let project = text(spec, &["project"]);
    // Automated sync is on iff `automated` is present and `enabled` is not false.
    let automated = at(spec, &["syncPolicy", "automated"]).filter(|a| a.is_object());
    let auto_sync = automated.is_some_and(|a| flag(a, &["enabled"]) != Some(false));
    let revision = match text(status, &["sync", "revision"]) {
        "" => list(status, &["sync", "revisions"]).first().and_then(Value::as_str).unwrap_or(""),
        r => r,
    };
    AppInfo {
        namespace: owned(obj, &["metadata", "namespace"]),
        name: owned(obj, &["metadata", "name"]),
        // Argo CD treats an empty project as `default`.
        project: if project.is_empty() { "default".to_owned() } else { project.to_owned() },
        sync: parse_sync(text(status, &["sync", "status"])),
        health: parse_health(text(status, &["health", "status"])),
        health_message: owned(status, &["health", "message"]),
        revision: revision.to_owned(),
        auto_sync,
        repo_url: owned(source, &["repoURL"]),
        path: owned(source, &["path"]),
        destination_namespace: owned(spec, &["destination", "namespace"]),
        // `operation` is top-level, not under spec/status; Argo CD clears it when the operation ends.
        operation_pending: at(obj, &["operation"]).is_some_and(Value::is_object),
        last_operation: at(status, &["operationState"]).filter(|o| o.is_object()).map(operation_info),
        resources: list(status, &["resources"]).iter().map(app_resource).collect(),
        conditions: list(status, &["conditions"])
            .iter()
            .map(|c| AppCondition { kind: owned(c, &["type"]), message: owned(c, &["message"]) })
            .collect(),
        history: list(status, &["history"]).iter().map(history_entry).collect(),
        images: list(status, &["summary", "images"])
            .iter()
            .filter_map(|i| i.as_str().map(str::to_owned))
            .collect(),
        created: time(obj, &["metadata", "creationTimestamp"]),
    }
}

/// Who started an operation: a user name, or "automated" for the auto-sync controller.
fn initiated_by(v: Option<&Value>) -> String {
    let Some(v) = v else { return String::new() };
    match text(v, &["username"]) {
        "" if flag(v, &["automated"]) == Some(true) => "automated".to_owned(),
        name => name.to_owned(),
    }
}

fn operation_info(op: &Value) -> OperationInfo {
    OperationInfo {
        phase: owned(op, &["phase"]),
        message: owned(op, &["message"]),
        started_at: time(op, &["startedAt"]),
        finished_at: time(op, &["finishedAt"]),
        initiated_by: initiated_by(at(op, &["operation", "initiatedBy"])),
    }
}

fn app_resource(r: &Value) -> AppResource {
    AppResource {
        group: owned(r, &["group"]),
        kind: owned(r, &["kind"]),
        namespace: owned(r, &["namespace"]),
        name: owned(r, &["name"]),
        sync: parse_sync(text(r, &["status"])),
        // Argo CD 3 does not persist per-resource health by default: absent stays None.
        health: at(r, &["health"]).filter(|h| h.is_object()).map(|h| parse_health(text(h, &["status"]))),
    }
}

fn history_entry(h: &Value) -> AppHistoryEntry {
    let revision = match text(h, &["revision"]) {
        "" => list(h, &["revisions"]).first().and_then(Value::as_str).unwrap_or(""),
        r => r,
    };
    AppHistoryEntry {
        id: int(h, &["id"]).unwrap_or(0),
        revision: revision.to_owned(),
        deployed_at: time(h, &["deployedAt"]),
        initiated_by: initiated_by(at(h, &["initiatedBy"])),
    }
}

// ---------------------------------------------------------------------------------------------------
// Pods.

/// A core/v1 Pod, with kubectl's STATUS column.
pub fn pod_info(obj: &Value) -> PodInfo {
    let spec = at(obj, &["spec"]);
    let statuses = list(obj, &["status", "containerStatuses"]);
    let conditions = list(obj, &["status", "conditions"]);
    let spec_containers = spec.map_or(0, |s| list(s, &["containers"]).len());
    let mut images = container_images(spec);
    if images.is_empty() {
        images = statuses.iter().filter_map(|c| opt_text(c, &["image"])).collect();
    }
    let terminating = at(obj, &["metadata", "deletionTimestamp"]).is_some_and(|d| !d.is_null());
    let (status, restarts) = kubectl_status(obj, terminating);
    PodInfo {
        namespace: owned(obj, &["metadata", "namespace"]),
        name: owned(obj, &["metadata", "name"]),
        uid: owned(obj, &["metadata", "uid"]),
        service: Some(meta_map(obj, "labels", SERVICE_LABEL)).filter(|s| !s.is_empty()).map(str::to_owned),
        owner: controller_owner(obj, "ReplicaSet"),
        phase: match text(obj, &["status", "phase"]) {
            "" => "Unknown".to_owned(),
            p => p.to_owned(),
        },
        status,
        ready: condition(conditions, "Ready").is_some_and(|c| text(c, &["status"]) == "True"),
        ready_containers: len_u32(statuses.iter().filter(|c| flag(c, &["ready"]) == Some(true)).count()),
        total_containers: len_u32(spec_containers.max(statuses.len())),
        restarts,
        last_termination: last_termination(statuses),
        node: opt_text(obj, &["spec", "nodeName"]),
        images,
        created: time(obj, &["metadata", "creationTimestamp"]),
        terminating,
    }
}

/// The owner reference of `kind` (the controller one when several).
fn controller_owner(obj: &Value, kind: &str) -> Option<String> {
    let owners = list(obj, &["metadata", "ownerReferences"]);
    let of_kind = || owners.iter().filter(|o| text(o, &["kind"]) == kind);
    of_kind()
        .find(|o| flag(o, &["controller"]) == Some(true))
        .or_else(|| of_kind().next())
        .and_then(|o| opt_text(o, &["name"]))
}

/// kubectl's STATUS column and RESTARTS, following its pod printer: the phase (or `status.reason`, e.g.
/// Evicted), overridden by a failing init container (`Init:<reason>`, `Init:i/n`), then by a container's
/// waiting or terminated reason; `Terminating` while a deletion is in progress.
fn kubectl_status(obj: &Value, terminating: bool) -> (String, u32) {
    let status = at(obj, &["status"]).unwrap_or(&Value::Null);
    let phase = text(status, &["phase"]);
    let mut reason = match text(status, &["reason"]) {
        "" if phase.is_empty() => "Unknown".to_owned(),
        "" => phase.to_owned(),
        r => r.to_owned(),
    };
    let mut restarts: u32 = 0;

    let init_specs = list(obj, &["spec", "initContainers"]);
    let init_statuses = list(status, &["initContainerStatuses"]);
    let mut initializing = false;
    for (i, c) in init_statuses.iter().enumerate() {
        restarts = restarts.saturating_add(count(c, &["restartCount"]));
        let terminated = at(c, &["state", "terminated"]).filter(|t| t.is_object());
        let waiting_reason = text(c, &["state", "waiting", "reason"]);
        // A sidecar (restartable init container) that has started does not hold initialization.
        let name = text(c, &["name"]);
        let sidecar =
            init_specs.iter().any(|s| text(s, &["name"]) == name && text(s, &["restartPolicy"]) == "Always");
        if terminated.is_some_and(|t| int(t, &["exitCode"]) == Some(0)) {
            continue;
        }
        if sidecar && flag(c, &["started"]) == Some(true) {
            continue;
        }
        initializing = true;
        reason = if let Some(t) = terminated {
            match text(t, &["reason"]) {
                "" => format!("Init:{}", exit_word(t)),
                r => format!("Init:{r}"),
            }
        } else if !waiting_reason.is_empty() && waiting_reason != "PodInitializing" {
            format!("Init:{waiting_reason}")
        } else {
            format!("Init:{i}/{}", init_specs.len().max(init_statuses.len()))
        };
        break;
    }

    let initialized = condition(list(status, &["conditions"]), "Initialized")
        .is_some_and(|c| text(c, &["status"]) == "True");
    if !initializing || initialized {
        restarts = 0;
        let mut has_running = false;
        // kubectl walks containers last to first, so the first container's reason wins.
        for c in list(status, &["containerStatuses"]).iter().rev() {
            restarts = restarts.saturating_add(count(c, &["restartCount"]));
            let waiting = text(c, &["state", "waiting", "reason"]);
            let terminated = at(c, &["state", "terminated"]).filter(|t| t.is_object());
            if !waiting.is_empty() {
                reason = waiting.to_owned();
            } else if let Some(t) = terminated {
                reason = match text(t, &["reason"]) {
                    "" => exit_word(t),
                    r => r.to_owned(),
                };
            } else if flag(c, &["ready"]) == Some(true) && at(c, &["state", "running"]).is_some() {
                has_running = true;
            }
        }
        // A container that completed beside one still running: the pod is Running (or NotReady).
        if reason == "Completed" && has_running {
            let ready = condition(list(status, &["conditions"]), "Ready")
                .is_some_and(|c| text(c, &["status"]) == "True");
            reason = if ready { "Running" } else { "NotReady" }.to_owned();
        }
    }

    if terminating {
        if text(status, &["reason"]) == "NodeLost" {
            reason = "Unknown".to_owned();
        } else if phase != "Succeeded" && phase != "Failed" {
            reason = "Terminating".to_owned();
        }
    }
    (reason, restarts)
}

/// `Signal:N` or `ExitCode:N` for a terminated state without a reason.
fn exit_word(terminated: &Value) -> String {
    match int(terminated, &["signal"]).filter(|s| *s != 0) {
        Some(signal) => format!("Signal:{signal}"),
        None => format!("ExitCode:{}", int(terminated, &["exitCode"]).unwrap_or(0)),
    }
}

/// The reason of the most recent termination among the containers (lastState first: that is what a
/// restarting container was killed by).
fn last_termination(statuses: &[Value]) -> Option<String> {
    let of = |state: &str| {
        statuses
            .iter()
            .filter_map(|c| {
                let t = at(c, &[state, "terminated"]).filter(|t| t.is_object())?;
                let finished = time(t, &["finishedAt"]);
                let reason = match text(t, &["reason"]) {
                    "" => exit_word(t),
                    r => r.to_owned(),
                };
                Some((finished, reason))
            })
            .max_by_key(|(finished, _)| *finished)
            .map(|(_, reason)| reason)
    };
    of("lastState").or_else(|| of("state"))
}

// ---------------------------------------------------------------------------------------------------
// Deployments.

/// An apps/v1 Deployment, with where its rollout stands (as `kubectl rollout status` reads it).
pub fn deployment_info(obj: &Value) -> DeploymentInfo {
    let status = at(obj, &["status"]).filter(|s| s.is_object());
    let empty = Value::Null;
    let st = status.unwrap_or(&empty);
    // `spec.replicas` defaults to 1 when absent.
    let desired = at(obj, &["spec", "replicas"]).map_or(1, |r| r.as_i64().map_or(1, clamp_u32));
    let current = count(st, &["replicas"]);
    let updated = count(st, &["updatedReplicas"]);
    let available = count(st, &["availableReplicas"]);
    let generation = int(obj, &["metadata", "generation"]).unwrap_or(0);
    let observed_generation = int(st, &["observedGeneration"]).unwrap_or(0);
    let conditions = list(st, &["conditions"]);
    let progressing = condition(conditions, "Progressing");

    let rollout = if flag(obj, &["spec", "paused"]) == Some(true) {
        RolloutState::Paused
    } else if status.is_none() {
        RolloutState::Unknown
    } else if progressing.is_some_and(|c| text(c, &["reason"]) == "ProgressDeadlineExceeded") {
        RolloutState::Stalled
    } else if generation > observed_generation
        || updated < desired
        || current > updated
        || available < updated
    {
        RolloutState::Progressing
    } else {
        RolloutState::Complete
    };

    let mut labels: Vec<(String, String)> = at(obj, &["metadata", "labels"])
        .and_then(Value::as_object)
        .map(|m| m.iter().filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned()))).collect())
        .unwrap_or_default();
    labels.sort();

    // The service name: the Deployment's label, else its pod template's (what the pods will carry).
    let service = [
        meta_map(obj, "labels", SERVICE_LABEL),
        text(obj, &["spec", "template", "metadata", "labels", SERVICE_LABEL]),
    ]
    .into_iter()
    .find(|s| !s.is_empty())
    .map(str::to_owned);

    DeploymentInfo {
        namespace: owned(obj, &["metadata", "namespace"]),
        name: owned(obj, &["metadata", "name"]),
        uid: owned(obj, &["metadata", "uid"]),
        service,
        desired,
        current,
        updated,
        ready: count(st, &["readyReplicas"]),
        available,
        generation,
        observed_generation,
        rollout,
        rollout_message: progressing.map(|c| owned(c, &["message"])).unwrap_or_default(),
        images: container_images(at(obj, &["spec", "template", "spec"])),
        labels,
        created: time(obj, &["metadata", "creationTimestamp"]),
    }
}

// ---------------------------------------------------------------------------------------------------
// Kyverno.

/// Every result of a PolicyReport or ClusterPolicyReport (`wgpolicyk8s.io/v1alpha2`, and OpenReports,
/// which keeps the same fields), pass included, one per (result, resource). A result without its own
/// `resources` is about the report's `scope`.
pub fn policy_results(report: &Value) -> Vec<PolicyResultInfo> {
    let namespace = text(report, &["metadata", "namespace"]);
    let name = text(report, &["metadata", "name"]);
    let scope = at(report, &["scope"]).filter(|s| s.is_object());
    let mut out = Vec::new();
    for r in list(report, &["results"]) {
        let resources = list(r, &["resources"]);
        let targets: Vec<Option<&Value>> =
            if resources.is_empty() { vec![scope] } else { resources.iter().map(Some).collect() };
        for target in targets {
            let t = target.unwrap_or(&Value::Null);
            out.push(PolicyResultInfo {
                namespace: namespace.to_owned(),
                report: name.to_owned(),
                resource_kind: owned(t, &["kind"]),
                resource_name: owned(t, &["name"]),
                resource_uid: owned(t, &["uid"]),
                policy: owned(r, &["policy"]),
                rule: owned(r, &["rule"]),
                result: parse_result(text(r, &["result"])),
                severity: parse_severity(text(r, &["severity"])),
                category: owned(r, &["category"]),
                message: owned(r, &["message"]),
                timestamp: seconds_nanos(at(r, &["timestamp"])),
            });
        }
    }
    out
}

/// A Kyverno ClusterPolicy (or namespaced Policy).
pub fn policy_info(obj: &Value) -> PolicyInfo {
    let spec = at(obj, &["spec"]).filter(|s| s.is_object());
    let rules = spec.map_or(&[][..], |s| list(s, &["rules"]));
    let ready = match condition(list(obj, &["status", "conditions"]), "Ready") {
        Some(c) => text(c, &["status"]) == "True",
        None => flag(obj, &["status", "ready"]) == Some(true),
    };
    PolicyInfo {
        name: owned(obj, &["metadata", "name"]),
        mode: policy_mode(spec, rules),
        // Kyverno's default: background scans on.
        background: spec.and_then(|s| flag(s, &["background"])).unwrap_or(true),
        ready,
        rules: rules.iter().map(|r| owned(r, &["name"])).collect(),
        severity: parse_severity(meta_map(obj, "annotations", "policies.kyverno.io/severity")),
        title: meta_map(obj, "annotations", "policies.kyverno.io/title").to_owned(),
    }
}

/// The per-rule `validate.failureAction` when every rule that sets one agrees, else the deprecated
/// spec-level `validationFailureAction`; with neither written, Kyverno's default (Audit).
fn policy_mode(spec: Option<&Value>, rules: &[Value]) -> PolicyMode {
    let Some(spec) = spec else { return PolicyMode::Unknown };
    let actions: Vec<PolicyMode> = rules
        .iter()
        .filter_map(|r| at(r, &["validate", "failureAction"]).and_then(Value::as_str))
        .map(parse_mode)
        .collect();
    if let Some(first) = actions.first().filter(|f| **f != PolicyMode::Unknown)
        && actions.iter().all(|a| a == first)
    {
        return *first;
    }
    match at(spec, &["validationFailureAction"]).and_then(Value::as_str) {
        Some(s) => parse_mode(s),
        None if actions.is_empty() => PolicyMode::Audit,
        None => PolicyMode::Unknown,
    }
}

// ---------------------------------------------------------------------------------------------------
// Events.

/// A core/v1 Event (events.k8s.io/v1 field names are accepted too: `regarding`, `note`, `deprecated*`).
pub fn event_info(obj: &Value) -> EventInfo {
    let involved = at(obj, &["involvedObject"]).or_else(|| at(obj, &["regarding"])).unwrap_or(&Value::Null);
    let message = match text(obj, &["message"]) {
        "" => text(obj, &["note"]),
        m => m,
    };
    let count = [&["count"][..], &["series", "count"], &["deprecatedCount"]]
        .iter()
        .find_map(|p| int(obj, p))
        .map_or(1, |c| clamp_u32(c).max(1));
    // Last seen: lastTimestamp; for events written through the new API (lastTimestamp null) the series'
    // last observation, which is always later than eventTime (the first one); then firstTimestamp.
    let last_seen = [
        &["lastTimestamp"][..],
        &["deprecatedLastTimestamp"],
        &["series", "lastObservedTime"],
        &["eventTime"],
        &["firstTimestamp"],
        &["deprecatedFirstTimestamp"],
    ]
    .iter()
    .find_map(|p| time(obj, p));
    EventInfo {
        namespace: owned(obj, &["metadata", "namespace"]),
        name: owned(obj, &["metadata", "name"]),
        warning: text(obj, &["type"]) == "Warning",
        reason: owned(obj, &["reason"]),
        message: message.to_owned(),
        object_kind: owned(involved, &["kind"]),
        object_name: owned(involved, &["name"]),
        count,
        last_seen,
    }
}

#[cfg(test)]
mod tests {
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};
    use serde_json::{Value, json};

    use super::*;
    use crate::platform::fixtures::{INCIDENT, PLATFORM, fixture_dir};

    /// The objects of `<fixture>/<file>` whose `metadata.name` is `name` (and `kind`, when given).
    fn fixture_object(fixture: &str, file: &str, kind: Option<&str>, name: &str) -> Value {
        let path = fixture_dir(fixture).join(file);
        let text = std::fs::read_to_string(&path).unwrap();
        let list: Value = serde_json::from_str(&text).unwrap();
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["metadata"]["name"] == name && kind.is_none_or(|k| o["kind"] == k))
            .cloned()
            .unwrap_or_else(|| panic!("{name} not in {}", path.display()))
    }

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    // --- Argo CD ---------------------------------------------------------------------------------

    #[test]
    fn app_from_fixture_degraded_argocd3_without_resource_health() {
        let app = app_info(&fixture_object(INCIDENT, "applications.json", None, "payments-api"));
        assert_eq!(app.namespace, "argocd");
        assert_eq!(app.name, "payments-api");
        assert_eq!(app.project, "default");
        assert_eq!(app.sync, SyncStatus::Synced);
        assert_eq!(app.health, HealthStatus::Degraded);
        assert!(app.health_message.contains("exceeded its progress deadline"), "{}", app.health_message);
        assert!(app.auto_sync);
        assert!(!app.operation_pending);
        assert_eq!(app.repo_url, "https://github.com/darede-labs/gitops.git");
        assert_eq!(app.path, "apps/payments-api");
        assert_eq!(app.destination_namespace, "platform-services");
        assert_eq!(app.revision.len(), 40);
        let op = app.last_operation.as_ref().unwrap();
        assert_eq!(op.phase, "Succeeded");
        assert_eq!(op.initiated_by, "automated");
        assert!(op.started_at.is_some() && op.finished_at.is_some());
        // Argo CD 3: resourceHealthSource appTree, no per-resource health.
        let deployment = app.resources.iter().find(|r| r.kind == "Deployment").unwrap();
        assert_eq!((deployment.group.as_str(), deployment.name.as_str()), ("apps", "payments-api"));
        assert_eq!(deployment.health, None);
        assert_eq!(deployment.sync, SyncStatus::Synced);
        assert_eq!(app.history.len(), 1);
        assert_eq!(app.history[0].initiated_by, "automated");
        assert!(app.images.iter().any(|i| i.ends_with(":7e1d9c4")));
        assert!(app.created.is_some());
    }

    #[test]
    fn app_hand_written_edge_cases() {
        let app = app_info(&json!({
            "metadata": {"name": "web", "namespace": "argocd"},
            "spec": {
                "project": "",
                "sources": [{"repoURL": "https://git/x.git", "path": "a"}, {"repoURL": "https://git/y.git"}],
                "destination": {"namespace": "web"},
                "syncPolicy": {"automated": {"enabled": false}}
            },
            "operation": {"sync": {"revision": "abc"}, "initiatedBy": {"username": "alice"}},
            "status": {
                "sync": {"status": "OutOfSync", "revisions": ["r1", "r2"]},
                "health": {"status": "Missing"},
                "resources": [{"kind": "Deployment", "name": "web", "namespace": "web", "status": "OutOfSync",
                               "health": {"status": "Missing", "message": "gone"}}],
                "operationState": {"phase": "Failed", "message": "one or more objects failed to apply",
                                   "operation": {"initiatedBy": {"username": "alice"}}},
                "conditions": [{"type": "SyncError", "message": "boom"}],
                "history": [{"id": 7, "revisions": ["r0"], "deployedAt": "2026-01-01T00:00:00Z"}]
            }
        }));
        assert_eq!(app.project, "default");
        assert_eq!(app.repo_url, "https://git/x.git");
        assert_eq!(app.path, "a");
        assert!(!app.auto_sync, "enabled: false turns automated sync off");
        assert!(app.operation_pending);
        assert_eq!(app.sync, SyncStatus::OutOfSync);
        assert_eq!(app.health, HealthStatus::Missing);
        assert_eq!(app.revision, "r1");
        assert_eq!(app.resources[0].health, Some(HealthStatus::Missing));
        assert_eq!(app.resources[0].group, "");
        let op = app.last_operation.unwrap();
        assert_eq!((op.phase.as_str(), op.initiated_by.as_str()), ("Failed", "alice"));
        assert_eq!(op.started_at, None);
        assert_eq!(app.conditions, vec![AppCondition { kind: "SyncError".into(), message: "boom".into() }]);
        assert_eq!(app.history[0].id, 7);
        assert_eq!(app.history[0].revision, "r0");
        assert_eq!(app.history[0].deployed_at, Some(ts("2026-01-01T00:00:00Z")));

        let auto = |sync_policy: Value| app_info(&json!({"spec": {"syncPolicy": sync_policy}})).auto_sync;
        assert!(auto(json!({"automated": {}})));
        assert!(auto(json!({"automated": {"enabled": true, "prune": true}})));
        assert!(!auto(json!({"automated": null})));
        assert!(!auto(json!({})));
        assert!(!auto(json!({"automated": "yes"})));
        // `operation: null` (cleared) is not pending.
        assert!(!app_info(&json!({"operation": null})).operation_pending);
    }

    // --- Pods -------------------------------------------------------------------------------------

    fn pod(status: Value) -> PodInfo {
        pod_info(&json!({
            "metadata": {"name": "p", "namespace": "ns", "labels": {"app.kubernetes.io/name": "svc"},
                         "ownerReferences": [{"kind": "ReplicaSet", "name": "svc-abc", "controller": true}]},
            "spec": {"containers": [{"name": "app", "image": "repo/app:1"}], "nodeName": "n1"},
            "status": status
        }))
    }

    #[test]
    fn pod_from_fixture_crashloop() {
        let obj = fixture_object(INCIDENT, "workloads.json", Some("Pod"), "payments-api-kmbb2c5zmj-b2slw");
        let p = pod_info(&obj);
        assert_eq!(p.status, "CrashLoopBackOff");
        assert_eq!(p.phase, "Running");
        assert!(!p.ready);
        assert_eq!(p.restarts, 3);
        assert_eq!((p.ready_containers, p.total_containers), (0, 1));
        assert_eq!(p.last_termination.as_deref(), Some("Error"));
        assert_eq!(p.service.as_deref(), Some("payments-api"));
        assert_eq!(p.owner.as_deref(), Some("payments-api-kmbb2c5zmj"));
        assert!(p.images[0].ends_with("payments-api:7e1d9c4"));
        assert!(p.node.is_some() && p.created.is_some() && !p.uid.is_empty());
        assert!(!p.terminating);

        let list: Value = serde_json::from_str(
            &std::fs::read_to_string(fixture_dir(PLATFORM).join("workloads.json")).unwrap(),
        )
        .unwrap();
        let pods: Vec<PodInfo> =
            list["items"].as_array().unwrap().iter().filter(|o| o["kind"] == "Pod").map(pod_info).collect();
        assert!(
            pods.iter().all(|p| p.status == "Running" && p.ready && p.ready_containers == 1),
            "{pods:#?}"
        );
    }

    #[test]
    fn pod_status_follows_kubectl() {
        let waiting = |reason: &str| {
            json!({"phase": "Pending", "containerStatuses": [{"name": "app", "ready": false, "restartCount": 0,
                   "state": {"waiting": {"reason": reason}}}]})
        };
        assert_eq!(pod(waiting("ImagePullBackOff")).status, "ImagePullBackOff");
        assert_eq!(pod(waiting("ErrImagePull")).status, "ErrImagePull");
        assert_eq!(pod(waiting("ContainerCreating")).status, "ContainerCreating");

        let oom = pod(json!({"phase": "Running", "containerStatuses": [{"name": "app", "ready": false,
            "restartCount": 4, "state": {"terminated": {"exitCode": 137, "reason": "OOMKilled"}},
            "lastState": {"terminated": {"exitCode": 137, "reason": "OOMKilled", "finishedAt": "2026-01-01T00:00:00Z"}}}]}));
        assert_eq!((oom.status.as_str(), oom.restarts), ("OOMKilled", 4));
        assert_eq!(oom.last_termination.as_deref(), Some("OOMKilled"));

        let exit = pod(json!({"phase": "Running", "containerStatuses": [{"name": "app", "ready": false,
            "restartCount": 1, "state": {"terminated": {"exitCode": 2}}}]}));
        assert_eq!(exit.status, "ExitCode:2");
        assert_eq!(exit.last_termination.as_deref(), Some("ExitCode:2"));
        let signal = pod(json!({"phase": "Running", "containerStatuses": [{"name": "app",
            "state": {"terminated": {"exitCode": 0, "signal": 9}}}]}));
        assert_eq!(signal.status, "Signal:9");

        // The pod-level reason (eviction) replaces the phase.
        let evicted = pod(json!({"phase": "Failed", "reason": "Evicted", "message": "low on memory"}));
        assert_eq!(evicted.status, "Evicted");

        // Deletion in progress.
        let mut obj = json!({"metadata": {"name": "p", "deletionTimestamp": "2026-01-01T00:00:00Z"},
            "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}],
                       "containerStatuses": [{"name": "app", "ready": true, "state": {"running": {}}}]}});
        let terminating = pod_info(&obj);
        assert_eq!(terminating.status, "Terminating");
        assert!(terminating.terminating && terminating.ready);
        obj["status"]["phase"] = json!("Succeeded");
        assert_eq!(pod_info(&obj).status, "Succeeded", "a finished pod being deleted keeps its phase");
        obj["metadata"]["deletionTimestamp"] = Value::Null;
        assert!(!pod_info(&obj).terminating);

        // Ready only when condition Ready is "True".
        let unready = pod(json!({"phase": "Running", "conditions": [{"type": "Ready", "status": "False"}],
            "containerStatuses": [{"name": "app", "ready": false, "restartCount": 0, "state": {"running": {}}}]}));
        assert_eq!((unready.status.as_str(), unready.ready), ("Running", false));
        let ready_true_bool =
            pod(json!({"phase": "Running", "conditions": [{"type": "Ready", "status": true}]}));
        assert!(!ready_true_bool.ready, "status must be the string \"True\"");

        // No status at all.
        let bare = pod_info(&json!({"metadata": {"name": "p"}}));
        assert_eq!((bare.status.as_str(), bare.phase.as_str()), ("Unknown", "Unknown"));
    }

    #[test]
    fn pod_status_init_containers_and_sidecars() {
        let with_init = |init: Value, containers: Value, initialized: bool| {
            pod_info(&json!({
                "spec": {"initContainers": [{"name": "migrate"}, {"name": "proxy", "restartPolicy": "Always"}],
                         "containers": [{"name": "app"}]},
                "status": {"phase": "Pending",
                           "conditions": [{"type": "Initialized", "status": if initialized { "True" } else { "False" }}],
                           "initContainerStatuses": init, "containerStatuses": containers}
            }))
        };
        let app_waiting = json!([{"name": "app", "state": {"waiting": {"reason": "PodInitializing"}}}]);
        let crash = with_init(
            json!([{"name": "migrate", "restartCount": 3, "state": {"waiting": {"reason": "CrashLoopBackOff"}}}]),
            app_waiting.clone(),
            false,
        );
        assert_eq!((crash.status.as_str(), crash.restarts), ("Init:CrashLoopBackOff", 3));
        let failed = with_init(
            json!([{"name": "migrate", "state": {"terminated": {"exitCode": 1, "reason": "Error"}}}]),
            app_waiting.clone(),
            false,
        );
        assert_eq!(failed.status, "Init:Error");
        let no_reason = with_init(
            json!([{"name": "migrate", "state": {"terminated": {"exitCode": 3}}}]),
            app_waiting.clone(),
            false,
        );
        assert_eq!(no_reason.status, "Init:ExitCode:3");
        let running = with_init(
            json!([{"name": "migrate", "state": {"running": {}}}, {"name": "proxy", "state": {"waiting": {}}}]),
            app_waiting.clone(),
            false,
        );
        assert_eq!(running.status, "Init:0/2");
        // Init done, sidecar started: the regular containers decide.
        let done = with_init(
            json!([{"name": "migrate", "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}},
                   {"name": "proxy", "started": true, "state": {"running": {}}}]),
            json!([{"name": "app", "ready": true, "restartCount": 1, "state": {"running": {}}}]),
            true,
        );
        assert_eq!((done.status.as_str(), done.restarts), ("Pending", 1));

        // A completed container beside a running one: Running when the pod is ready, else NotReady.
        let two = |ready: &str| {
            pod_info(
                &json!({"status": {"phase": "Running", "conditions": [{"type": "Ready", "status": ready}],
                "containerStatuses": [
                    {"name": "a", "ready": true, "state": {"running": {}}},
                    {"name": "b", "ready": false, "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}}]}}),
            )
        };
        assert_eq!(two("True").status, "Running");
        assert_eq!(two("False").status, "NotReady");
    }

    // --- Deployments ------------------------------------------------------------------------------

    #[test]
    fn deployment_from_fixture_stalled_rollout() {
        let d =
            deployment_info(&fixture_object(INCIDENT, "workloads.json", Some("Deployment"), "payments-api"));
        assert_eq!(d.rollout, RolloutState::Stalled);
        assert!(d.rollout_message.contains("timed out progressing"), "{}", d.rollout_message);
        assert_eq!((d.desired, d.current, d.updated, d.ready, d.available), (2, 3, 1, 2, 2));
        assert_eq!((d.generation, d.observed_generation), (2, 2));
        assert_eq!(d.service.as_deref(), Some("payments-api"));
        assert!(d.images[0].ends_with(":7e1d9c4"));
        assert!(d.labels.iter().any(|(k, v)| k == "app.kubernetes.io/part-of" && v == "platform-services"));
        assert!(d.labels.windows(2).all(|w| w[0] <= w[1]), "labels are sorted");

        let rest =
            deployment_info(&fixture_object(PLATFORM, "workloads.json", Some("Deployment"), "payments-api"));
        assert_eq!(rest.rollout, RolloutState::Complete);
        assert!(rest.rollout_message.contains("successfully progressed") || !rest.rollout_message.is_empty());
    }

    #[test]
    fn deployment_rollout_states_and_defaults() {
        let dep = |spec: Value, status: Value, generation: i64| {
            let mut obj = json!({"metadata": {"name": "d", "generation": generation}, "spec": spec});
            if !status.is_null() {
                obj["status"] = status;
            }
            deployment_info(&obj)
        };
        let full = json!({"observedGeneration": 3, "replicas": 2, "updatedReplicas": 2, "readyReplicas": 2,
                          "availableReplicas": 2});
        assert_eq!(dep(json!({"replicas": 2}), full.clone(), 3).rollout, RolloutState::Complete);
        assert_eq!(
            dep(json!({"replicas": 2}), full.clone(), 4).rollout,
            RolloutState::Progressing,
            "new generation"
        );
        assert_eq!(
            dep(json!({"replicas": 3}), full.clone(), 3).rollout,
            RolloutState::Progressing,
            "scaling up"
        );
        let old_pending =
            json!({"observedGeneration": 1, "replicas": 3, "updatedReplicas": 2, "availableReplicas": 2});
        assert_eq!(dep(json!({"replicas": 2}), old_pending, 1).rollout, RolloutState::Progressing);
        let unavailable =
            json!({"observedGeneration": 1, "replicas": 2, "updatedReplicas": 2, "availableReplicas": 1});
        assert_eq!(dep(json!({"replicas": 2}), unavailable, 1).rollout, RolloutState::Progressing);
        assert_eq!(
            dep(json!({"replicas": 2, "paused": true}), full.clone(), 3).rollout,
            RolloutState::Paused
        );
        assert_eq!(dep(json!({"replicas": 2}), Value::Null, 1).rollout, RolloutState::Unknown);

        // Absent counts are 0; absent replicas means 1.
        let empty = dep(json!({}), json!({}), 0);
        assert_eq!(
            (empty.desired, empty.current, empty.updated, empty.ready, empty.available),
            (1, 0, 0, 0, 0)
        );
        assert_eq!(empty.rollout, RolloutState::Progressing);
        let zero = dep(json!({"replicas": 0}), json!({"observedGeneration": 1}), 1);
        assert_eq!((zero.desired, zero.rollout), (0, RolloutState::Complete), "scaled to zero");
        let wrong = dep(json!({"replicas": "two"}), json!({"replicas": -3, "updatedReplicas": 1.5}), 0);
        assert_eq!((wrong.desired, wrong.current, wrong.updated), (1, 0, 0));

        let stalled = json!({"observedGeneration": 1, "conditions": [
            {"type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded", "message": "timed out"}]});
        let s = dep(json!({"replicas": 1}), stalled, 1);
        assert_eq!((s.rollout, s.rollout_message.as_str()), (RolloutState::Stalled, "timed out"));

        // The service name falls back to the pod template's label.
        let templated = deployment_info(&json!({"metadata": {"name": "d"},
            "spec": {"template": {"metadata": {"labels": {"app.kubernetes.io/name": "svc"}}}}}));
        assert_eq!(templated.service.as_deref(), Some("svc"));
        assert_eq!(deployment_info(&json!({"metadata": {"name": "d"}})).service, None);
    }

    // --- Kyverno ----------------------------------------------------------------------------------

    #[test]
    fn policy_results_from_fixture_report() {
        let reports: Value = serde_json::from_str(
            &std::fs::read_to_string(fixture_dir(INCIDENT).join("policyreports.json")).unwrap(),
        )
        .unwrap();
        let report =
            reports["items"].as_array().unwrap().iter().find(|r| r["scope"]["name"] == "users-api").unwrap();
        let results = policy_results(report);
        assert_eq!(results.len(), 4, "every result, pass included");
        assert_eq!(results.iter().filter(|r| r.result == PolicyResult::Pass).count(), 3);
        let fail = results.iter().find(|r| r.result == PolicyResult::Fail).unwrap();
        assert_eq!(fail.namespace, "platform-services");
        assert_eq!(fail.report, report["metadata"]["name"].as_str().unwrap());
        assert_eq!((fail.resource_kind.as_str(), fail.resource_name.as_str()), ("Deployment", "users-api"));
        assert_eq!(fail.resource_uid, report["scope"]["uid"].as_str().unwrap());
        assert_eq!(
            (fail.policy.as_str(), fail.rule.as_str()),
            ("require-observability-labels", "check-recommended-labels")
        );
        assert_eq!(fail.severity, Severity::Medium);
        assert_eq!(fail.category, "Observability");
        assert!(fail.message.contains("recommended labels"));
        let seconds = report["results"][0]["timestamp"]["seconds"].as_i64().unwrap();
        assert!(results.iter().any(|r| r.timestamp == Some(Timestamp::from_second(seconds).unwrap())));
    }

    #[test]
    fn policy_results_edge_cases() {
        let results = policy_results(&json!({
            "metadata": {"name": "cluster-report"},
            "scope": {"kind": "Namespace", "name": "team-a", "uid": "u1"},
            "results": [
                {"policy": "p", "rule": "r", "result": "FAIL", "severity": "HIGH", "timestamp": {"seconds": 10, "nanos": 5}},
                {"policy": "p", "rule": "r2", "result": "pass", "timestamp": "2026-01-01T00:00:00Z",
                 "resources": [{"kind": "Pod", "name": "a"}, {"kind": "Pod", "name": "b"}]},
                {"policy": "p", "rule": "r3", "result": "bogus", "severity": 3, "timestamp": {"seconds": "x"}},
                "not an object"
            ]
        }));
        assert_eq!(results.len(), 5);
        assert_eq!(results[0].namespace, "");
        assert_eq!(
            (results[0].resource_kind.as_str(), results[0].resource_name.as_str()),
            ("Namespace", "team-a")
        );
        assert_eq!((results[0].result, results[0].severity), (PolicyResult::Fail, Severity::High));
        assert_eq!(results[0].timestamp, Some(Timestamp::new(10, 5).unwrap()));
        assert_eq!((results[1].resource_name.as_str(), results[2].resource_name.as_str()), ("a", "b"));
        assert_eq!(results[1].timestamp, Some(ts("2026-01-01T00:00:00Z")));
        assert_eq!(
            (results[3].result, results[3].severity, results[3].timestamp),
            (PolicyResult::Skip, Severity::Unknown, None)
        );
        assert_eq!(results[4].policy, "");
        assert!(policy_results(&json!({"results": "nope"})).is_empty());
    }

    #[test]
    fn policy_from_fixture_and_mode_rules() {
        let p = policy_info(&fixture_object(
            INCIDENT,
            "clusterpolicies.json",
            None,
            "require-observability-labels",
        ));
        assert_eq!(p.mode, PolicyMode::Audit);
        assert!(p.background && p.ready);
        assert_eq!(p.rules.len(), 4);
        assert!(p.rules.contains(&"check-recommended-labels".to_owned()));
        assert_eq!(p.severity, Severity::Medium);
        assert_eq!(p.title, "Require Observability Labels");

        let mode = |spec: Value| policy_info(&json!({"spec": spec})).mode;
        let rule = |action: &str| json!({"name": "r", "validate": {"failureAction": action}});
        assert_eq!(mode(json!({"rules": [rule("Enforce"), rule("enforce")]})), PolicyMode::Enforce);
        assert_eq!(
            mode(json!({"validationFailureAction": "audit", "rules": [rule("Enforce"), rule("Audit")]})),
            PolicyMode::Audit,
            "rules disagree: the spec decides"
        );
        assert_eq!(mode(json!({"rules": [rule("Enforce"), rule("Audit")]})), PolicyMode::Unknown);
        assert_eq!(
            mode(json!({"validationFailureAction": "Enforce", "rules": [{"name": "r"}]})),
            PolicyMode::Enforce
        );
        assert_eq!(
            mode(json!({"rules": [{"name": "r", "validate": {}}]})),
            PolicyMode::Audit,
            "Kyverno's default"
        );
        assert_eq!(mode(json!({"validationFailureAction": "Block"})), PolicyMode::Unknown);
        assert_eq!(policy_info(&json!({})).mode, PolicyMode::Unknown);

        let ready = |status: Value| policy_info(&json!({"status": status})).ready;
        assert!(ready(json!({"ready": true})));
        assert!(!ready(json!({"ready": true, "conditions": [{"type": "Ready", "status": "False"}]})));
        assert!(ready(json!({"conditions": [{"type": "Ready", "status": "True"}]})));
        assert!(!ready(json!({})));
        assert!(!policy_info(&json!({"spec": {"background": false}})).background);
    }

    // --- Events -----------------------------------------------------------------------------------

    #[test]
    fn events_last_seen_and_count() {
        let e = |extra: Value| {
            let mut obj = json!({"metadata": {"name": "e", "namespace": "ns"}, "type": "Warning", "reason": "BackOff",
                                 "message": "m", "involvedObject": {"kind": "Pod", "name": "p"}});
            if let (Some(o), Some(x)) = (obj.as_object_mut(), extra.as_object()) {
                o.extend(x.clone());
            }
            event_info(&obj)
        };
        let all = e(json!({"lastTimestamp": "2026-01-01T00:00:03Z", "eventTime": "2026-01-01T00:00:02.5Z",
                           "series": {"count": 4, "lastObservedTime": "2026-01-01T00:00:04Z"},
                           "firstTimestamp": "2026-01-01T00:00:01Z", "count": 7}));
        assert_eq!(all.last_seen, Some(ts("2026-01-01T00:00:03Z")));
        assert_eq!(all.count, 7);
        assert!(all.warning);
        assert_eq!((all.object_kind.as_str(), all.object_name.as_str()), ("Pod", "p"));

        let micro = e(json!({"lastTimestamp": null, "eventTime": "2026-01-01T00:00:02.123456Z"}));
        assert_eq!(micro.last_seen, Some(ts("2026-01-01T00:00:02.123456Z")));
        assert_eq!(micro.count, 1, "count defaults to 1");
        let series = e(json!({"eventTime": "2026-01-01T00:00:02Z",
                              "series": {"count": 5, "lastObservedTime": "2026-01-01T00:09:00Z"}}));
        assert_eq!((series.last_seen, series.count), (Some(ts("2026-01-01T00:09:00Z")), 5));
        let first = e(json!({"firstTimestamp": "2026-01-01T00:00:01Z", "count": 0}));
        assert_eq!((first.last_seen, first.count), (Some(ts("2026-01-01T00:00:01Z")), 1));
        assert_eq!(e(json!({})).last_seen, None);

        // events.k8s.io/v1 field names.
        let new_api = event_info(&json!({"type": "Normal", "regarding": {"kind": "Deployment", "name": "d"},
                                         "note": "scaled", "deprecatedCount": 2}));
        assert_eq!(
            (new_api.object_kind.as_str(), new_api.message.as_str(), new_api.count),
            ("Deployment", "scaled", 2)
        );
        assert!(!new_api.warning);
    }

    #[test]
    fn events_from_fixture() {
        let list: Value = serde_json::from_str(
            &std::fs::read_to_string(fixture_dir(INCIDENT).join("events.json")).unwrap(),
        )
        .unwrap();
        let events: Vec<EventInfo> = list["items"].as_array().unwrap().iter().map(event_info).collect();
        assert!(events.iter().all(|e| e.last_seen.is_some()));
        let backoff = events.iter().find(|e| e.reason == "BackOff").unwrap();
        assert!(backoff.warning && backoff.count >= 2);
        assert!(backoff.object_name.starts_with("payments-api-"));
    }

    // --- Garbage in, no panic ---------------------------------------------------------------------

    /// Field names the projections look for, so random trees hit real paths with wrong types.
    const KEYS: &[&str] = &[
        "metadata",
        "spec",
        "status",
        "name",
        "namespace",
        "labels",
        "annotations",
        "app.kubernetes.io/name",
        "ownerReferences",
        "kind",
        "controller",
        "deletionTimestamp",
        "creationTimestamp",
        "generation",
        "phase",
        "reason",
        "conditions",
        "type",
        "containerStatuses",
        "initContainerStatuses",
        "initContainers",
        "containers",
        "image",
        "state",
        "lastState",
        "waiting",
        "terminated",
        "running",
        "exitCode",
        "signal",
        "restartCount",
        "ready",
        "replicas",
        "updatedReplicas",
        "availableReplicas",
        "readyReplicas",
        "observedGeneration",
        "paused",
        "template",
        "source",
        "sources",
        "destination",
        "syncPolicy",
        "automated",
        "enabled",
        "operation",
        "operationState",
        "initiatedBy",
        "username",
        "resources",
        "health",
        "sync",
        "history",
        "summary",
        "images",
        "results",
        "scope",
        "timestamp",
        "seconds",
        "nanos",
        "result",
        "severity",
        "rules",
        "validate",
        "failureAction",
        "validationFailureAction",
        "background",
        "involvedObject",
        "regarding",
        "lastTimestamp",
        "eventTime",
        "series",
        "lastObservedTime",
        "firstTimestamp",
        "count",
        "message",
        "startedAt",
        "finishedAt",
        "revision",
        "revisions",
        "id",
    ];

    fn garbage(rng: &mut StdRng, depth: u32) -> Value {
        let leaf = depth == 0 || rng.random_bool(0.3);
        match rng.random_range(0..if leaf { 6 } else { 8 }) {
            0 => Value::Null,
            1 => json!(rng.random_bool(0.5)),
            2 => json!(rng.random_range(-5_i64..5) * if rng.random_bool(0.1) { i64::MAX / 8 } else { 1 }),
            3 => json!(rng.random::<f64>() * 1e12),
            4 => json!(
                [
                    "True",
                    "Warning",
                    "Degraded",
                    "CrashLoopBackOff",
                    "",
                    "2026-01-01T00:00:00Z",
                    "x-y-z",
                    "Pod"
                ][rng.random_range(0..8)]
            ),
            5 => json!(KEYS[rng.random_range(0..KEYS.len())]),
            6 => Value::Array((0..rng.random_range(0..4)).map(|_| garbage(rng, depth - 1)).collect()),
            _ => Value::Object(
                (0..rng.random_range(0..6))
                    .map(|_| (KEYS[rng.random_range(0..KEYS.len())].to_owned(), garbage(rng, depth - 1)))
                    .collect(),
            ),
        }
    }

    /// Replace random subtrees of a real object with garbage.
    fn mutate(rng: &mut StdRng, v: &mut Value, depth: u32) {
        if rng.random_bool(0.08) {
            *v = garbage(rng, depth.min(3));
            return;
        }
        match v {
            Value::Object(m) => m.values_mut().for_each(|x| mutate(rng, x, depth + 1)),
            Value::Array(a) => a.iter_mut().for_each(|x| mutate(rng, x, depth + 1)),
            _ => {}
        }
    }

    fn project_all(v: &Value) {
        let _ = app_info(v);
        let _ = pod_info(v);
        let _ = deployment_info(v);
        let _ = policy_results(v);
        let _ = policy_info(v);
        let _ = event_info(v);
    }

    #[test]
    fn garbage_never_panics() {
        let mut rng = StdRng::seed_from_u64(0x5eed);
        for _ in 0..3000 {
            project_all(&garbage(&mut rng, 6));
        }
        let mut real = Vec::new();
        for file in crate::platform::fixtures::FILES {
            let list: Value =
                serde_json::from_str(&std::fs::read_to_string(fixture_dir(INCIDENT).join(file)).unwrap())
                    .unwrap();
            real.extend(list["items"].as_array().unwrap().iter().take(6).cloned());
        }
        for round in 0..40 {
            for obj in &real {
                let mut m = obj.clone();
                mutate(&mut rng, &mut m, 0);
                project_all(&m);
                if round == 0 {
                    project_all(obj);
                }
            }
        }
        for v in
            [json!(null), json!(1), json!("pod"), json!([]), json!({"metadata": []}), json!({"status": 7})]
        {
            project_all(&v);
        }
    }
}
