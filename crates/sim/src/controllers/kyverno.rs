//! Kyverno, as the platform runs it: ClusterPolicies get their `Ready` status, and the background scan
//! checks existing resources against every `validate.pattern` / `validate.anyPattern` rule, writing one
//! `wgpolicyk8s.io/v1alpha2` PolicyReport per resource (ClusterPolicyReport for cluster-scoped ones) named
//! by the resource's UID, with `scope` and an owner reference to the resource — Kyverno ≥ 1.10's layout.
//!
//! What is simulated and what is not:
//! - Matching: `match` / `exclude` with `any`, `all` or the legacy `resources`; within a resource filter
//!   `kinds` (`Kind`, `version/Kind`, `group/version/Kind`, wildcards), `names`, `namespaces`, `selector`,
//!   `namespaceSelector` and `annotations`. Subjects and roles are admission-only and never match here.
//! - Scanned kinds: Deployments and Pods; objects in `kube-system` and `kyverno` (Kyverno's default resource
//!   filters) and objects being deleted are left out. Rules with `deny`, `foreach`, `podSecurity`, `cel` or
//!   `manifests`, `preconditions`, variables and auto-generated pod-controller rules are not simulated.
//! - Results: `pass`, `fail` (Audit and Enforce alike: in a background scan both report), `warn` for `fail` when
//!   the policy is annotated `policies.kyverno.io/scored: "false"`, `skip` when a conditional or global anchor
//!   does not hold. Messages are Kyverno's: `validation rule 'r' passed.` and
//!   `validation error: <message> rule <r> failed at path <path>`.
//! - A report is written only when its content (ignoring result timestamps) changes, so watchers see no churn;
//!   results that did not change keep their timestamp. Reports of resources that are gone or no longer matched
//!   are deleted (the garbage collector may get there first through the owner reference).
//! - When a rule's result for a resource turns to `fail`, a `PolicyViolation` Warning event is recorded on the
//!   resource, as Kyverno does: `policy <policy>/<rule> fail: <message>`.
//!
//! Cost: [`Kyverno`] keeps the results per resource (uid → resourceVersion, outcomes, report version). Its first
//! pass lists everything; later passes take in only the objects and reports that changed since, from the world's
//! watch history (like an informer), and re-evaluate only resources whose resourceVersion moved — at 20,000
//! pods an idle pass is a few milliseconds. When the policies change or the history no longer reaches back
//! (410), it falls back to a full pass. [`reconcile`] is the uncached equivalent (a full pass every time).

use std::collections::hash_map::DefaultHasher;
use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::sync::Mutex;

use serde_json::{Map, Value, json};

use crate::clock::now_rfc3339;
use crate::controllers::events::{self, EventKind};
use crate::resources::{
    CLUSTER_POLICIES, CLUSTER_POLICY_REPORTS, DEPLOYMENTS, NAMESPACES, PODS, POLICY_REPORTS, ResourceKind,
};
use crate::state::Shared;
use crate::world::{EventType, Obj, World, meta_str};
use platdeck_core::kyverno::pattern::{MismatchKind, match_pattern, wildcard_match};

/// The kinds the background scan looks at.
pub const SCANNED_KINDS: &[ResourceKind] = &[DEPLOYMENTS, PODS];

/// Namespaces Kyverno's default resource filters leave alone.
const SKIPPED_NAMESPACES: &[&str] = &["kube-system", "kyverno"];

const MANAGED_BY: &str = "app.kubernetes.io/managed-by";
const EVENT_COMPONENT: &str = "kyverno-scan";

/// What one scan did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ScanStats {
    /// Resources the policies select that are in scope (skipped namespaces and terminating objects excluded).
    pub resources: usize,
    /// Resources whose rules were (re)evaluated rather than taken from the cache.
    pub evaluated: usize,
    /// Reports created or updated.
    pub written: usize,
    /// Reports deleted.
    pub deleted: usize,
    /// `PolicyViolation` events recorded.
    pub violations: usize,
}

/// The Kyverno controller with its result cache. Run [`Kyverno::reconcile`] on a tick.
pub struct Kyverno {
    cache: Mutex<ScanCache>,
}

impl Default for Kyverno {
    fn default() -> Self {
        Self::new()
    }
}

impl Kyverno {
    pub fn new() -> Self {
        Self { cache: Mutex::new(ScanCache::default()) }
    }

    pub fn reconcile(&self, state: &Shared) {
        self.scan(&state.world);
    }

    /// One pass: policy status, then a background scan that re-evaluates only changed resources.
    pub fn scan(&self, world: &World) -> ScanStats {
        let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        scan(world, &mut cache, SCANNED_KINDS)
    }
}

/// Uncached reconcile (every resource is re-evaluated; reports are still only written on change).
/// Prefer a long-lived [`Kyverno`].
pub fn reconcile(state: &Shared) {
    scan_once(&state.world);
}

/// One uncached pass over a world.
pub fn scan_once(world: &World) -> ScanStats {
    scan(world, &mut ScanCache::default(), SCANNED_KINDS)
}

// ---------------------------------------------------------------------------------------------------------
// Compiled policies

struct Policy {
    name: String,
    severity: Option<String>,
    category: Option<String>,
    scored: bool,
    rules: Vec<Rule>,
}

struct Rule {
    name: String,
    message: String,
    matches: MatchBlock,
    excludes: Option<MatchBlock>,
    check: Check,
}

enum Check {
    Pattern(Value),
    AnyPattern(Vec<Value>),
}

/// `match` or `exclude`: `any` filters (one must hold) and `all` filters (each must hold). A `None` filter
/// is an element without `resources` (subjects or roles only), which a background scan cannot satisfy.
struct MatchBlock {
    any: Vec<Option<Filter>>,
    all: Vec<Option<Filter>>,
}

#[derive(Default)]
struct Filter {
    kinds: Vec<String>,
    names: Vec<String>,
    namespaces: Vec<String>,
    selector: Option<Value>,
    namespace_selector: Option<Value>,
    annotations: Option<Map<String, Value>>,
}

fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).map(str::to_string).collect())
        .unwrap_or_default()
}

impl Filter {
    fn parse(resources: &Value) -> Option<Filter> {
        let resources = resources.as_object()?;
        let mut names = resources.get("names").map(strings).unwrap_or_default();
        if let Some(name) = resources.get("name").and_then(Value::as_str) {
            names.push(name.to_string());
        }
        let non_null = |key: &str| resources.get(key).filter(|v| !v.is_null()).cloned();
        Some(Filter {
            kinds: resources.get("kinds").map(strings).unwrap_or_default(),
            names,
            namespaces: resources.get("namespaces").map(strings).unwrap_or_default(),
            selector: non_null("selector"),
            namespace_selector: non_null("namespaceSelector"),
            annotations: resources.get("annotations").and_then(Value::as_object).cloned(),
        })
    }

    fn selects_kind(&self, kind: &ResourceKind) -> bool {
        self.kinds.is_empty() || self.kinds.iter().any(|k| kind_selects(k, kind))
    }

    fn matches(&self, kind: &ResourceKind, object: &Value, namespaces: &NamespaceIndex<'_>) -> bool {
        let name = meta_str(object, "name");
        let namespace = meta_str(object, "namespace");
        if !self.selects_kind(kind) {
            return false;
        }
        if !self.names.is_empty() && !self.names.iter().any(|n| wildcard_match(n, name)) {
            return false;
        }
        if !self.namespaces.is_empty() && !self.namespaces.iter().any(|n| wildcard_match(n, namespace)) {
            return false;
        }
        if let Some(wanted) = &self.annotations {
            let have = object.pointer("/metadata/annotations").and_then(Value::as_object);
            let all = wanted.iter().all(|(key, value)| {
                let value = value.as_str().unwrap_or_default();
                have.is_some_and(|h| {
                    h.iter().any(|(k, v)| {
                        wildcard_match(key, k) && wildcard_match(value, v.as_str().unwrap_or(""))
                    })
                })
            });
            if !all {
                return false;
            }
        }
        if let Some(selector) = &self.selector
            && !selector_matches(selector, object.pointer("/metadata/labels").and_then(Value::as_object))
        {
            return false;
        }
        if let Some(selector) = &self.namespace_selector {
            if !kind.namespaced {
                return false;
            }
            let labels = namespaces
                .get(namespace)
                .and_then(|ns| ns.pointer("/metadata/labels"))
                .and_then(Value::as_object);
            if !selector_matches(selector, labels) {
                return false;
            }
        }
        true
    }
}

impl MatchBlock {
    fn parse(block: &Value) -> Option<MatchBlock> {
        let filters = |key: &str| -> Vec<Option<Filter>> {
            block
                .get(key)
                .and_then(Value::as_array)
                .map(|a| a.iter().map(|e| Filter::parse(&e["resources"])).collect())
                .unwrap_or_default()
        };
        let any = filters("any");
        let mut all = filters("all");
        if any.is_empty() && all.is_empty() {
            all.push(Some(Filter::parse(block.get("resources")?)?));
        }
        Some(MatchBlock { any, all })
    }

    fn test(&self, holds: impl Fn(&Filter) -> bool) -> bool {
        let holds = |f: &Option<Filter>| f.as_ref().is_some_and(&holds);
        (self.any.is_empty() || self.any.iter().any(holds))
            && (self.all.is_empty() || self.all.iter().all(holds))
    }

    fn may_select(&self, kind: &ResourceKind) -> bool {
        self.test(|f| f.selects_kind(kind))
    }

    fn matches(&self, kind: &ResourceKind, object: &Value, namespaces: &NamespaceIndex<'_>) -> bool {
        self.test(|f| f.matches(kind, object, namespaces))
    }

    fn uses_namespace_selector(&self) -> bool {
        self.any.iter().chain(&self.all).flatten().any(|f| f.namespace_selector.is_some())
    }
}

impl Rule {
    fn may_select(&self, kind: &ResourceKind) -> bool {
        self.matches.may_select(kind)
    }

    fn applies(&self, kind: &ResourceKind, object: &Value, namespaces: &NamespaceIndex<'_>) -> bool {
        self.matches.matches(kind, object, namespaces)
            && !self.excludes.as_ref().is_some_and(|e| e.matches(kind, object, namespaces))
    }

    fn uses_namespace_selector(&self) -> bool {
        self.matches.uses_namespace_selector()
            || self.excludes.as_ref().is_some_and(MatchBlock::uses_namespace_selector)
    }
}

/// `Deployment`, `apps/v1/Deployment`, `v1/Pod`, `*` (wildcards allowed in each part).
fn kind_selects(entry: &str, kind: &ResourceKind) -> bool {
    let parts: Vec<&str> = entry.split('/').collect();
    match parts.as_slice() {
        [k] => wildcard_match(k, kind.kind),
        [v, k] => {
            (wildcard_match(v, kind.version) || wildcard_match(v, kind.group)) && wildcard_match(k, kind.kind)
        }
        [g, v, k] => {
            wildcard_match(g, kind.group) && wildcard_match(v, kind.version) && wildcard_match(k, kind.kind)
        }
        _ => false,
    }
}

/// A structured label selector (`matchLabels`, `matchExpressions`) against a label map.
fn selector_matches(selector: &Value, labels: Option<&Map<String, Value>>) -> bool {
    let get = |key: &str| labels.and_then(|l| l.get(key)).and_then(Value::as_str);
    if let Some(wanted) = selector.get("matchLabels").and_then(Value::as_object) {
        let all = wanted
            .iter()
            .all(|(k, v)| get(k).is_some_and(|have| wildcard_match(v.as_str().unwrap_or(""), have)));
        if !all {
            return false;
        }
    }
    if let Some(expressions) = selector.get("matchExpressions").and_then(Value::as_array) {
        for e in expressions {
            let have = get(e["key"].as_str().unwrap_or(""));
            let values = strings(&e["values"]);
            let in_values = have.is_some_and(|h| values.iter().any(|v| v == h));
            let ok = match e["operator"].as_str() {
                Some("In") => in_values,
                Some("NotIn") => !in_values,
                Some("Exists") => have.is_some(),
                Some("DoesNotExist") => have.is_none(),
                _ => false,
            };
            if !ok {
                return false;
            }
        }
    }
    true
}

fn annotation(policy: &Value, key: &str) -> Option<String> {
    policy
        .pointer("/metadata/annotations")
        .and_then(|a| a.get(key))
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

fn compile(policy: &Value) -> Policy {
    let rules = policy
        .pointer("/spec/rules")
        .and_then(Value::as_array)
        .map(|rules| rules.iter().filter_map(compile_rule).collect())
        .unwrap_or_default();
    Policy {
        name: meta_str(policy, "name").to_string(),
        severity: annotation(policy, "policies.kyverno.io/severity"),
        category: annotation(policy, "policies.kyverno.io/category"),
        scored: annotation(policy, "policies.kyverno.io/scored").as_deref() != Some("false"),
        rules,
    }
}

fn compile_rule(rule: &Value) -> Option<Rule> {
    let validate = rule.get("validate")?;
    let check = match (validate.get("pattern").filter(|p| !p.is_null()), validate.get("anyPattern")) {
        (Some(pattern), _) => Check::Pattern(pattern.clone()),
        (None, Some(Value::Array(patterns))) => Check::AnyPattern(patterns.clone()),
        _ => return None,
    };
    Some(Rule {
        name: rule.get("name").and_then(Value::as_str).unwrap_or_default().to_string(),
        message: validate.get("message").and_then(Value::as_str).unwrap_or_default().to_string(),
        matches: MatchBlock::parse(rule.get("match")?)?,
        excludes: rule.get("exclude").and_then(MatchBlock::parse),
        check,
    })
}

fn background(policy: &Value) -> bool {
    policy.pointer("/spec/background").and_then(Value::as_bool) != Some(false)
}

fn deleting(object: &Value) -> bool {
    object.pointer("/metadata/deletionTimestamp").is_some_and(|v| !v.is_null())
}

/// Changes whenever what the scan depends on in the policies changes (not their status).
fn policies_fingerprint(policies: &[&Obj]) -> u64 {
    let mut h = DefaultHasher::new();
    for p in policies {
        meta_str(p, "uid").hash(&mut h);
        p.get("spec").map(Value::to_string).hash(&mut h);
        p.pointer("/metadata/annotations").map(Value::to_string).hash(&mut h);
    }
    h.finish()
}

// ---------------------------------------------------------------------------------------------------------
// Evaluation

type NamespaceIndex<'a> = HashMap<&'a str, &'a Obj>;

/// One rule's result for one resource: a report result without its timestamp.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Outcome {
    policy: String,
    rule: String,
    result: &'static str,
    message: String,
    severity: Option<String>,
    category: Option<String>,
    scored: bool,
}

fn evaluate(
    policies: &[Policy],
    kind: &ResourceKind,
    object: &Value,
    namespaces: &NamespaceIndex<'_>,
) -> Vec<Outcome> {
    let mut out = Vec::new();
    for policy in policies {
        for rule in &policy.rules {
            if !rule.applies(kind, object, namespaces) {
                continue;
            }
            let (mut result, message) = check(rule, object);
            if result == "fail" && !policy.scored {
                result = "warn";
            }
            out.push(Outcome {
                policy: policy.name.clone(),
                rule: rule.name.clone(),
                result,
                message,
                severity: policy.severity.clone(),
                category: policy.category.clone(),
                scored: policy.scored,
            });
        }
    }
    out.sort_by(|a, b| (&a.policy, &a.rule).cmp(&(&b.policy, &b.rule)));
    out
}

/// Kyverno's `validation error: ...` text for a failed `pattern`.
fn error_message(rule: &Rule, path: &str) -> String {
    if rule.message.is_empty() {
        return format!("validation error: rule {} failed at path {path}", rule.name);
    }
    let dot = if rule.message.ends_with('.') { "" } else { "." };
    format!("validation error: {}{dot} rule {} failed at path {path}", rule.message, rule.name)
}

fn check(rule: &Rule, object: &Value) -> (&'static str, String) {
    match &rule.check {
        Check::Pattern(pattern) => match match_pattern(object, pattern) {
            Ok(()) => ("pass", format!("validation rule '{}' passed.", rule.name)),
            Err(m) if m.kind == MismatchKind::Skip => ("skip", m.detail),
            Err(m) => ("fail", error_message(rule, &m.path)),
        },
        Check::AnyPattern(patterns) => {
            let mut failed = Vec::new();
            let mut skipped = Vec::new();
            for (i, pattern) in patterns.iter().enumerate() {
                match match_pattern(object, pattern) {
                    Ok(()) => {
                        return ("pass", format!("validation rule '{}' anyPattern[{i}] passed.", rule.name));
                    }
                    Err(m) if m.kind == MismatchKind::Skip => {
                        skipped.push(format!("rule {}[{i}] skipped: {}", rule.name, m.detail));
                    }
                    Err(m) => failed.push(format!("rule {}[{i}] failed at path {}", rule.name, m.path)),
                }
            }
            if failed.is_empty() && !skipped.is_empty() {
                return ("skip", skipped.join(" "));
            }
            if failed.is_empty() {
                return ("pass", rule.message.clone());
            }
            let errors = failed.join(" ");
            let message = if rule.message.is_empty() {
                format!("validation error: {errors}")
            } else if rule.message.ends_with('.') {
                format!("validation error: {} {errors}", rule.message)
            } else {
                format!("validation error: {}. {errors}", rule.message)
            };
            ("fail", message)
        }
    }
}

// ---------------------------------------------------------------------------------------------------------
// Policy status

fn rule_count(policy: &Value) -> Value {
    let rules = policy.pointer("/spec/rules").and_then(Value::as_array);
    let count = |key: &str| {
        rules.map_or(0, |r| r.iter().filter(|rule| rule.get(key).is_some_and(|v| !v.is_null())).count())
    };
    json!({"validate": count("validate"), "mutate": count("mutate"), "generate": count("generate"),
        "verifyimages": count("verifyImages")})
}

fn update_policy_status(world: &World, policy: &Value) {
    if deleting(policy) {
        return;
    }
    let rulecount = rule_count(policy);
    let status = &policy["status"];
    let ready = status["conditions"].as_array().and_then(|c| c.iter().find(|c| c["type"] == "Ready"));
    let current = ready
        .is_some_and(|c| c["status"] == "True" && c["reason"] == "Succeeded" && c["message"] == "Ready")
        && status["ready"] == true
        && status["rulecount"] == rulecount;
    if current {
        return;
    }
    let since = ready
        .filter(|c| c["status"] == "True")
        .and_then(|c| c["lastTransitionTime"].as_str())
        .map_or_else(now_rfc3339, str::to_string);
    let result = world.modify(&CLUSTER_POLICIES, "", meta_str(policy, "name"), |p| {
        let Some(object) = p.as_object_mut() else { return Ok(()) };
        let status = object.entry("status").or_insert_with(|| json!({}));
        if !status.is_object() {
            *status = json!({});
        }
        let Some(status) = status.as_object_mut() else { return Ok(()) };
        let mut conditions = status.get("conditions").and_then(Value::as_array).cloned().unwrap_or_default();
        conditions.retain(|c| c["type"] != "Ready");
        conditions.push(json!({"type": "Ready", "status": "True", "reason": "Succeeded", "message": "Ready",
            "lastTransitionTime": since}));
        status.insert("conditions".into(), Value::Array(conditions));
        status.insert("ready".into(), json!(true));
        status.insert("rulecount".into(), rulecount);
        Ok(())
    });
    if let Err(err) = result {
        tracing::debug!(%err, "policy status not updated");
    }
}

// ---------------------------------------------------------------------------------------------------------
// Reports

/// The ObjectReference Kyverno writes in `scope` and `results[].resources`.
fn object_ref(kind: &ResourceKind, object: &Value) -> Value {
    let mut r = json!({"apiVersion": kind.api_version(), "kind": kind.kind, "name": meta_str(object, "name"),
        "uid": meta_str(object, "uid")});
    if kind.namespaced {
        r["namespace"] = json!(meta_str(object, "namespace"));
    }
    r
}

fn timestamp_now() -> Value {
    json!({"seconds": jiff::Timestamp::now().as_second(), "nanos": 0})
}

fn result_json(o: &Outcome, resource: &Value, timestamp: Value) -> Value {
    let mut r = json!({
        "source": "kyverno", "policy": o.policy, "rule": o.rule, "result": o.result, "scored": o.scored,
        "message": o.message, "properties": {"process": "background scan"}, "timestamp": timestamp,
        "resources": [resource],
    });
    if let Some(severity) = &o.severity {
        r["severity"] = json!(severity);
    }
    if let Some(category) = &o.category {
        r["category"] = json!(category);
    }
    r
}

fn summary(outcomes: &[Outcome]) -> Value {
    let count = |r: &str| outcomes.iter().filter(|o| o.result == r).count();
    json!({"pass": count("pass"), "fail": count("fail"), "warn": count("warn"), "error": count("error"),
        "skip": count("skip")})
}

/// Equal apart from their `timestamp`.
fn same_result(a: &Value, b: &Value) -> bool {
    match (a.as_object(), b.as_object()) {
        (Some(a), Some(b)) => {
            let fields = |m: &Map<String, Value>| m.keys().filter(|k| *k != "timestamp").count();
            fields(a) == fields(b)
                && a.iter().filter(|(k, _)| *k != "timestamp").all(|(k, v)| b.get(k) == Some(v))
        }
        _ => a == b,
    }
}

fn is_managed(report: &Value) -> bool {
    report.pointer("/metadata/labels").and_then(|l| l.get(MANAGED_BY)).and_then(Value::as_str)
        == Some("kyverno")
}

/// Whether a stored report already says what the desired one says.
fn report_current(existing: &Value, desired: &Value) -> bool {
    let results_same = match (existing["results"].as_array(), desired["results"].as_array()) {
        (Some(a), Some(b)) => a.len() == b.len() && a.iter().zip(b).all(|(x, y)| same_result(x, y)),
        _ => false,
    };
    results_same
        && is_managed(existing)
        && existing["scope"] == desired["scope"]
        && existing["summary"] == desired["summary"]
        && existing.pointer("/metadata/ownerReferences") == desired.pointer("/metadata/ownerReferences")
}

struct Written {
    resource_version: String,
    written: bool,
    violations: usize,
}

/// Brings the resource's report in line with its outcomes, recording violation events for new failures.
fn sync_report(
    world: &World,
    kind: &ResourceKind,
    object: &Value,
    outcomes: &[Outcome],
    existing: Option<&Obj>,
) -> Result<Written, crate::status::ApiError> {
    let report_kind = report_kind_for(kind);
    let resource = object_ref(kind, object);
    let previous: &[Value] = existing.and_then(|r| r["results"].as_array()).map_or(&[], Vec::as_slice);
    let now = timestamp_now();
    let results: Vec<Value> = outcomes
        .iter()
        .map(|o| {
            // An unchanged result keeps the time it was first reported.
            let since = previous
                .iter()
                .find(|p| {
                    p["policy"] == o.policy
                        && p["rule"] == o.rule
                        && p["result"] == o.result
                        && p["message"] == o.message
                })
                .map(|p| p["timestamp"].clone())
                .filter(Value::is_object)
                .unwrap_or_else(|| now.clone());
            result_json(o, &resource, since)
        })
        .collect();
    let uid = meta_str(object, "uid");
    let namespace = meta_str(object, "namespace");
    let owner = json!([{"apiVersion": kind.api_version(), "kind": kind.kind, "name": meta_str(object, "name"), "uid": uid}]);
    let mut desired = json!({
        "metadata": {"name": uid, "labels": {MANAGED_BY: "kyverno"}, "ownerReferences": owner},
        "scope": resource,
        "summary": summary(outcomes),
        "results": results,
    });
    if kind.namespaced {
        desired["metadata"]["namespace"] = json!(namespace);
    }
    if let Some(existing) = existing
        && report_current(existing, &desired)
    {
        return Ok(Written {
            resource_version: meta_str(existing, "resourceVersion").to_string(),
            written: false,
            violations: 0,
        });
    }
    let stored = match existing {
        Some(_) => world.modify(&report_kind, if kind.namespaced { namespace } else { "" }, uid, |r| {
            let Some(report) = r.as_object_mut() else { return Ok(()) };
            let meta = report.entry("metadata").or_insert_with(|| json!({}));
            if !meta.is_object() {
                *meta = json!({});
            }
            if let Some(meta) = meta.as_object_mut() {
                let labels = meta.entry("labels").or_insert_with(|| json!({}));
                if !labels.is_object() {
                    *labels = json!({});
                }
                if let Some(labels) = labels.as_object_mut() {
                    labels.insert(MANAGED_BY.into(), json!("kyverno"));
                }
                meta.insert("ownerReferences".into(), desired["metadata"]["ownerReferences"].clone());
            }
            for field in ["scope", "summary", "results"] {
                report.insert(field.into(), desired[field].clone());
            }
            Ok(())
        })?,
        None => world.create(&report_kind, desired, false)?,
    };
    let mut violations = 0;
    for o in outcomes.iter().filter(|o| o.result == "fail") {
        let was_failing =
            previous.iter().any(|p| p["policy"] == o.policy && p["rule"] == o.rule && p["result"] == "fail");
        if !was_failing {
            let message = format!("policy {}/{} fail: {}", o.policy, o.rule, o.message);
            events::record(world, object, EventKind::Warning, "PolicyViolation", &message, EVENT_COMPONENT);
            violations += 1;
        }
    }
    Ok(Written {
        resource_version: meta_str(&stored, "resourceVersion").to_string(),
        written: true,
        violations,
    })
}

// ---------------------------------------------------------------------------------------------------------
// The scan

/// Where a tracked resource stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Standing {
    /// Evaluated; has a report when any rule applies.
    Scanned,
    /// In a namespace Kyverno leaves alone: no report.
    Excluded,
    /// Being deleted: its report is left as it is (the owner reference takes it along).
    Terminating,
}

struct Entry {
    kind: ResourceKind,
    /// The resource as last seen.
    object: Obj,
    standing: Standing,
    outcomes: Vec<Outcome>,
    /// resourceVersion of the report last written or found current for these outcomes.
    report_version: Option<String>,
}

impl Entry {
    fn wants_report(&self) -> bool {
        self.standing == Standing::Scanned && !self.outcomes.is_empty()
    }
}

/// Resources whose report must be looked at this pass: uid → (resource kind, namespace).
type Dirty = HashMap<String, (ResourceKind, String)>;

#[derive(Default)]
struct ScanCache {
    /// Fingerprint of the policies (and namespaces, when selectors read them) the entries were computed with.
    fingerprint: Option<(u64, u64)>,
    policies: Vec<Policy>,
    /// Every object of the kinds the policies select, by uid.
    entries: HashMap<String, Entry>,
    /// Whether `entries` and `positions` are in step with the world.
    synced: bool,
    /// World resourceVersion up to which each kind (by plural) has been taken in.
    positions: HashMap<&'static str, u64>,
}

const REPORT_KINDS: [ResourceKind; 2] = [POLICY_REPORTS, CLUSTER_POLICY_REPORTS];

fn report_kind_for(kind: &ResourceKind) -> ResourceKind {
    if kind.namespaced { POLICY_REPORTS } else { CLUSTER_POLICY_REPORTS }
}

/// One pass. The first pass (and any pass after the policies changed or the world's history ran out) lists
/// everything; later passes take in only what changed since, from the world's watch history.
fn scan(world: &World, cache: &mut ScanCache, kinds: &[ResourceKind]) -> ScanStats {
    let mut stats = ScanStats::default();
    let (_, policy_objects) = world.list(&CLUSTER_POLICIES, None);
    for policy in &policy_objects {
        update_policy_status(world, policy);
    }
    let active: Vec<&Obj> = policy_objects.iter().filter(|p| background(p) && !deleting(p)).collect();
    let policy_fp = policies_fingerprint(&active);
    if cache.fingerprint.map(|f| f.0) != Some(policy_fp) {
        cache.policies = active.iter().map(|p| compile(p)).collect();
    }
    let uses_namespaces = cache.policies.iter().any(|p| p.rules.iter().any(Rule::uses_namespace_selector));
    let namespace_objects = if uses_namespaces { world.list(&NAMESPACES, None).1 } else { Vec::new() };
    let namespaces: NamespaceIndex<'_> = namespace_objects.iter().map(|n| (meta_str(n, "name"), n)).collect();
    let namespace_fp = {
        let mut h = DefaultHasher::new();
        for n in &namespace_objects {
            (meta_str(n, "name"), meta_str(n, "resourceVersion")).hash(&mut h);
        }
        h.finish()
    };
    if cache.fingerprint != Some((policy_fp, namespace_fp)) {
        cache.entries.clear();
        cache.synced = false;
        cache.fingerprint = Some((policy_fp, namespace_fp));
    }
    let needed: Vec<ResourceKind> = kinds
        .iter()
        .filter(|k| cache.policies.iter().any(|p| p.rules.iter().any(|r| r.may_select(k))))
        .copied()
        .collect();

    let mut dirty = Dirty::new();
    let caught_up =
        cache.synced && catch_up(world, cache, &needed, kinds, &namespaces, &mut dirty, &mut stats);
    if !caught_up {
        dirty.clear();
        resync(world, cache, &needed, kinds, &namespaces, &mut dirty, &mut stats);
    }
    for (uid, (kind, namespace)) in dirty {
        sync(world, cache, &uid, &kind, &namespace, &mut stats);
    }
    stats.resources = cache.entries.values().filter(|e| e.standing == Standing::Scanned).count();
    stats
}

/// Takes in one object as it now is (or its deletion), re-evaluating it only if its resourceVersion moved.
fn take_in(
    cache: &mut ScanCache,
    kind: &ResourceKind,
    object: &Obj,
    deleted: bool,
    namespaces: &NamespaceIndex<'_>,
    dirty: &mut Dirty,
    stats: &mut ScanStats,
) {
    let uid = meta_str(object, "uid");
    let namespace = meta_str(object, "namespace");
    if deleted {
        if cache.entries.remove(uid).is_some() {
            dirty.insert(uid.to_string(), (*kind, namespace.to_string()));
        }
        return;
    }
    let rv = meta_str(object, "resourceVersion");
    if cache.entries.get(uid).is_some_and(|e| meta_str(&e.object, "resourceVersion") == rv) {
        return;
    }
    let standing = if deleting(object) {
        Standing::Terminating
    } else if kind.namespaced && SKIPPED_NAMESPACES.contains(&namespace) {
        Standing::Excluded
    } else {
        Standing::Scanned
    };
    let outcomes = if standing == Standing::Scanned {
        stats.evaluated += 1;
        evaluate(&cache.policies, kind, object, namespaces)
    } else {
        Vec::new()
    };
    let previous = cache.entries.remove(uid);
    let unchanged = previous.as_ref().is_some_and(|p| p.standing == standing && p.outcomes == outcomes);
    // A report checked for other outcomes says nothing about these.
    let report_version = previous.filter(|_| unchanged).and_then(|p| p.report_version);
    cache.entries.insert(
        uid.to_string(),
        Entry { kind: *kind, object: object.clone(), standing, outcomes, report_version },
    );
    if !unchanged {
        dirty.insert(uid.to_string(), (*kind, namespace.to_string()));
    }
}

/// Whether a report is Kyverno's and about a resource of a scanned kind.
fn scanned_report(report: &Value, kinds: &[ResourceKind]) -> bool {
    let scope = &report["scope"];
    is_managed(report)
        && kinds.iter().any(|k| scope["kind"] == k.kind && scope["apiVersion"] == k.api_version().as_str())
}

fn delete_report(world: &World, report_kind: &ResourceKind, report: &Value, stats: &mut ScanStats) {
    match world.delete(report_kind, meta_str(report, "namespace"), meta_str(report, "name"), false) {
        Ok(_) => stats.deleted += 1,
        Err(err) => tracing::debug!(%err, "stale policy report not deleted"),
    }
}

/// Incremental pass: what changed since the last one, from the watch history. False if history ran out.
fn catch_up(
    world: &World,
    cache: &mut ScanCache,
    needed: &[ResourceKind],
    kinds: &[ResourceKind],
    namespaces: &NamespaceIndex<'_>,
    dirty: &mut Dirty,
    stats: &mut ScanStats,
) -> bool {
    for kind in needed {
        let Some(&from) = cache.positions.get(kind.plural) else { return false };
        let Ok(start) = world.watch(kind, Some(from)) else { return false };
        for event in &start.backlog {
            take_in(cache, kind, &event.object, event.kind == EventType::Deleted, namespaces, dirty, stats);
        }
        cache.positions.insert(kind.plural, start.rv);
    }
    for report_kind in &REPORT_KINDS {
        let Some(&from) = cache.positions.get(report_kind.plural) else { return false };
        let Ok(start) = world.watch(report_kind, Some(from)) else { return false };
        for event in &start.backlog {
            let report = &event.object;
            let name = meta_str(report, "name");
            match cache.entries.get(name) {
                // Our own write.
                Some(e) if e.report_version.as_deref() == Some(meta_str(report, "resourceVersion")) => {}
                Some(e) => {
                    dirty.insert(name.to_string(), (e.kind, meta_str(&e.object, "namespace").to_string()));
                }
                // A report for a resource that is not tracked (gone, or of a kind no policy selects), unless a
                // later event in this backlog already removed it.
                None if event.kind != EventType::Deleted
                    && scanned_report(report, kinds)
                    && world.get(report_kind, meta_str(report, "namespace"), name).is_some() =>
                {
                    delete_report(world, report_kind, report, stats);
                }
                None => {}
            }
        }
        cache.positions.insert(report_kind.plural, start.rv);
    }
    true
}

/// Full pass: lists every selected resource and every report, drops stale reports, and marks every
/// tracked resource for a report check.
fn resync(
    world: &World,
    cache: &mut ScanCache,
    needed: &[ResourceKind],
    kinds: &[ResourceKind],
    namespaces: &NamespaceIndex<'_>,
    dirty: &mut Dirty,
    stats: &mut ScanStats,
) {
    cache.positions.clear();
    let mut seen: HashSet<String> = HashSet::new();
    for kind in needed {
        let (rv, objects) = world.list(kind, None);
        for object in &objects {
            take_in(cache, kind, object, false, namespaces, dirty, stats);
            seen.insert(meta_str(object, "uid").to_string());
        }
        cache.positions.insert(kind.plural, rv);
    }
    cache.entries.retain(|uid, _| seen.contains(uid));
    dirty.clear();
    for (uid, e) in &cache.entries {
        dirty.insert(uid.clone(), (e.kind, meta_str(&e.object, "namespace").to_string()));
    }
    for report_kind in &REPORT_KINDS {
        let (rv, reports) = world.list(report_kind, None);
        for report in &reports {
            let name = meta_str(report, "name");
            let keep = cache
                .entries
                .get(name)
                .is_some_and(|e| e.wants_report() || e.standing == Standing::Terminating);
            if !keep && scanned_report(report, kinds) {
                delete_report(world, report_kind, report, stats);
            }
        }
        cache.positions.insert(report_kind.plural, rv);
    }
    cache.synced = true;
}

/// Brings one resource's report in line: written when wanted and out of date, deleted when not wanted.
fn sync(
    world: &World,
    cache: &mut ScanCache,
    uid: &str,
    kind: &ResourceKind,
    namespace: &str,
    stats: &mut ScanStats,
) {
    let report_kind = report_kind_for(kind);
    let report_namespace = if kind.namespaced { namespace } else { "" };
    let existing = world.get(&report_kind, report_namespace, uid);
    match cache.entries.get_mut(uid) {
        Some(e) if e.standing == Standing::Terminating => {}
        Some(e) if e.wants_report() => {
            let existing_rv = existing.as_ref().map(|r| meta_str(r, "resourceVersion"));
            if existing_rv.is_some() && e.report_version.as_deref() == existing_rv {
                return;
            }
            match sync_report(world, &e.kind, &e.object, &e.outcomes, existing.as_ref()) {
                Ok(w) => {
                    e.report_version = Some(w.resource_version);
                    stats.written += usize::from(w.written);
                    stats.violations += w.violations;
                }
                Err(err) => {
                    e.report_version = None;
                    tracing::debug!(%err, uid, "policy report not written");
                }
            }
        }
        other => {
            if let Some(e) = other {
                e.report_version = None;
            }
            if let Some(report) = existing.filter(|r| is_managed(r)) {
                delete_report(world, &report_kind, &report, stats);
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::resources::EVENTS;
    use crate::world::object_rv;

    const NS: &str = "platform-services";

    fn policy() -> Value {
        let text = platdeck_core::assets::policy("require-observability-labels").unwrap();
        serde_norway::from_str::<Value>(text).unwrap()
    }

    fn world() -> World {
        let w = World::default();
        for ns in [NS, "kube-system"] {
            w.create(&NAMESPACES, json!({"metadata": {"name": ns, "labels": {"team": ns}}}), false).unwrap();
        }
        w.create(&CLUSTER_POLICIES, policy(), false).unwrap();
        w
    }

    fn probe(path: &str) -> Value {
        json!({"httpGet": {"path": path, "port": 3000}, "periodSeconds": 10})
    }

    fn deployment(name: &str, namespace: &str, labels: Value, container: Value) -> Value {
        json!({
            "metadata": {"name": name, "namespace": namespace, "labels": labels},
            "spec": {"replicas": 2, "selector": {"matchLabels": {"app.kubernetes.io/name": name}},
                "template": {"metadata": {"labels": {"app.kubernetes.io/name": name}},
                    "spec": {"containers": [container]}}},
        })
    }

    fn compliant(name: &str) -> Value {
        deployment(
            name,
            NS,
            json!({"app.kubernetes.io/name": name, "app.kubernetes.io/component": "backend",
                "app.kubernetes.io/part-of": "platform-services", "app.kubernetes.io/version": "1.0.0"}),
            json!({"name": name, "image": "x", "livenessProbe": probe("/health"), "readinessProbe": probe("/ready")}),
        )
    }

    fn broken(name: &str) -> Value {
        deployment(
            name,
            NS,
            json!({"app.kubernetes.io/name": name, "app.kubernetes.io/part-of": "platform-services",
                "app.kubernetes.io/version": "1.0.0"}),
            json!({"name": name, "image": "x", "livenessProbe": probe("/health")}),
        )
    }

    fn report(w: &World, uid: &str) -> Option<Obj> {
        w.get(&POLICY_REPORTS, NS, uid)
    }

    fn result<'a>(report: &'a Value, rule: &str) -> &'a Value {
        report["results"].as_array().unwrap().iter().find(|r| r["rule"] == rule).unwrap()
    }

    fn violations(w: &World, name: &str) -> Vec<Obj> {
        w.list(&EVENTS, Some(NS))
            .1
            .into_iter()
            .filter(|e| e["reason"] == "PolicyViolation" && e["involvedObject"]["name"] == name)
            .collect()
    }

    #[test]
    fn policy_becomes_ready_once() {
        let w = world();
        let k = Kyverno::new();
        k.scan(&w);
        let p = w.get(&CLUSTER_POLICIES, "", "require-observability-labels").unwrap();
        let ready = &p["status"]["conditions"][0];
        assert_eq!(ready["type"], "Ready");
        assert_eq!(ready["status"], "True");
        assert_eq!(ready["reason"], "Succeeded");
        assert_eq!(ready["message"], "Ready");
        assert!(ready["lastTransitionTime"].as_str().is_some_and(|t| t.ends_with('Z')));
        assert_eq!(p["status"]["ready"], true);
        assert_eq!(
            p["status"]["rulecount"],
            json!({"validate": 4, "mutate": 0, "generate": 0, "verifyimages": 0})
        );
        k.scan(&w);
        let again = w.get(&CLUSTER_POLICIES, "", "require-observability-labels").unwrap();
        assert_eq!(object_rv(&again), object_rv(&p));
    }

    #[test]
    fn background_scan_writes_one_report_per_deployment() {
        let w = world();
        let good = w.create(&DEPLOYMENTS, compliant("orders-api"), false).unwrap();
        let bad = w.create(&DEPLOYMENTS, broken("notifications-worker"), false).unwrap();
        let k = Kyverno::new();
        let stats = k.scan(&w);
        assert_eq!(stats.resources, 2);
        assert_eq!(stats.written, 2);
        assert_eq!(stats.violations, 2);

        let good_uid = meta_str(&good, "uid");
        let r = report(&w, good_uid).unwrap();
        assert_eq!(r["apiVersion"], "wgpolicyk8s.io/v1alpha2");
        assert_eq!(r["kind"], "PolicyReport");
        assert_eq!(meta_str(&r, "name"), good_uid);
        assert_eq!(r["metadata"]["labels"]["app.kubernetes.io/managed-by"], "kyverno");
        assert_eq!(
            r["metadata"]["ownerReferences"],
            json!([{"apiVersion": "apps/v1", "kind": "Deployment", "name": "orders-api", "uid": good_uid}])
        );
        assert_eq!(
            r["scope"],
            json!({"apiVersion": "apps/v1", "kind": "Deployment", "namespace": NS, "name": "orders-api", "uid": good_uid})
        );
        assert_eq!(r["summary"], json!({"pass": 4, "fail": 0, "warn": 0, "error": 0, "skip": 0}));
        let liveness = result(&r, "require-liveness-probe");
        assert_eq!(liveness["result"], "pass");
        assert_eq!(liveness["message"], "validation rule 'require-liveness-probe' passed.");
        assert_eq!(liveness["policy"], "require-observability-labels");
        assert_eq!(liveness["source"], "kyverno");
        assert_eq!(liveness["scored"], true);
        assert_eq!(liveness["severity"], "medium");
        assert_eq!(liveness["category"], "Observability");
        assert_eq!(liveness["properties"], json!({"process": "background scan"}));
        assert!(liveness["timestamp"]["seconds"].as_i64().is_some_and(|s| s > 1_700_000_000));
        assert_eq!(liveness["timestamp"]["nanos"], 0);
        assert_eq!(liveness["resources"], json!([r["scope"]]));

        let bad_uid = meta_str(&bad, "uid");
        let r = report(&w, bad_uid).unwrap();
        assert_eq!(r["summary"], json!({"pass": 2, "fail": 2, "warn": 0, "error": 0, "skip": 0}));
        let labels = result(&r, "check-recommended-labels");
        assert_eq!(labels["result"], "fail");
        let message = labels["message"].as_str().unwrap();
        assert!(message.starts_with("validation error: The recommended labels"), "{message}");
        assert!(
            message.ends_with(
                " rule check-recommended-labels failed at path /metadata/labels/app.kubernetes.io/component/"
            ),
            "{message}"
        );
        let readiness = result(&r, "require-readiness-probe");
        assert_eq!(
            readiness["message"],
            "validation error: Every container must define an httpGet readiness probe. rule require-readiness-probe failed at path /spec/template/spec/containers/0/readinessProbe/"
        );
        assert_eq!(result(&r, "check-required-labels")["result"], "pass");
        assert_eq!(result(&r, "require-liveness-probe")["result"], "pass");

        let events = violations(&w, "notifications-worker");
        assert_eq!(events.len(), 2);
        let event = events
            .iter()
            .find(|e| e["message"].as_str().unwrap().contains("/require-readiness-probe "))
            .unwrap();
        assert_eq!(event["type"], "Warning");
        assert_eq!(event["source"]["component"], "kyverno-scan");
        assert_eq!(event["involvedObject"]["uid"], bad_uid);
        assert_eq!(
            event["message"],
            format!(
                "policy require-observability-labels/require-readiness-probe fail: {}",
                readiness["message"].as_str().unwrap()
            )
        );
        assert!(violations(&w, "orders-api").is_empty());
    }

    #[test]
    fn a_second_scan_changes_nothing() {
        let w = world();
        let bad = w.create(&DEPLOYMENTS, broken("worker"), false).unwrap();
        let k = Kyverno::new();
        k.scan(&w);
        let before = report(&w, meta_str(&bad, "uid")).unwrap();
        let rv = w.current_rv();
        let stats = k.scan(&w);
        assert_eq!(stats, ScanStats { resources: 1, ..ScanStats::default() });
        assert_eq!(w.current_rv(), rv, "nothing may be written");
        // The uncached path compares with the stored report and writes nothing either.
        let stats = scan_once(&w);
        assert_eq!((stats.evaluated, stats.written, stats.violations), (1, 0, 0));
        assert_eq!(w.current_rv(), rv);
        assert_eq!(object_rv(&report(&w, meta_str(&bad, "uid")).unwrap()), object_rv(&before));
    }

    #[test]
    fn fixes_and_regressions_update_the_report() {
        let w = world();
        let bad = w.create(&DEPLOYMENTS, broken("worker"), false).unwrap();
        let uid = meta_str(&bad, "uid").to_string();
        let k = Kyverno::new();
        k.scan(&w);
        let first = report(&w, &uid).unwrap();
        let kept_timestamp = result(&first, "check-required-labels")["timestamp"].clone();

        w.modify(&DEPLOYMENTS, NS, "worker", |d| {
            d["metadata"]["labels"]["app.kubernetes.io/component"] = json!("worker");
            d["spec"]["template"]["spec"]["containers"][0]["readinessProbe"] = probe("/ready");
            Ok(())
        })
        .unwrap();
        let stats = k.scan(&w);
        assert_eq!((stats.evaluated, stats.written, stats.violations), (1, 1, 0));
        let fixed = report(&w, &uid).unwrap();
        assert_eq!(fixed["summary"]["pass"], 4);
        assert_eq!(fixed["summary"]["fail"], 0);
        assert_eq!(result(&fixed, "check-required-labels")["timestamp"], kept_timestamp);
        assert_eq!(violations(&w, "worker").len(), 2);

        // Breaking it again is a new transition to fail: the event is recorded again (aggregated).
        w.modify(&DEPLOYMENTS, NS, "worker", |d| {
            d["spec"]["template"]["spec"]["containers"][0].as_object_mut().unwrap().remove("readinessProbe");
            Ok(())
        })
        .unwrap();
        let stats = k.scan(&w);
        assert_eq!(stats.violations, 1);
        let again = violations(&w, "worker");
        let readiness = again.iter().find(|e| e["message"].as_str().unwrap().contains("readiness")).unwrap();
        assert_eq!(readiness["count"], 2);
    }

    #[test]
    fn reports_go_when_the_resource_goes() {
        let w = world();
        let d = w.create(&DEPLOYMENTS, compliant("orders-api"), false).unwrap();
        let uid = meta_str(&d, "uid").to_string();
        let k = Kyverno::new();
        k.scan(&w);
        assert!(report(&w, &uid).is_some());
        w.delete(&DEPLOYMENTS, NS, "orders-api", false).unwrap();
        let stats = k.scan(&w);
        assert_eq!(stats.deleted, 1);
        assert!(report(&w, &uid).is_none());
        // Idempotent, also when the garbage collector got there first.
        assert_eq!(k.scan(&w).deleted, 0);
        assert_eq!(scan_once(&w).deleted, 0);
    }

    #[test]
    fn terminating_resources_keep_their_report_and_skipped_namespaces_get_none() {
        let w = world();
        let d = w.create(&DEPLOYMENTS, broken("worker"), false).unwrap();
        let sys = w.create(&DEPLOYMENTS, broken("coredns").tap_ns("kube-system"), false).unwrap();
        let k = Kyverno::new();
        k.scan(&w);
        assert!(w.get(&POLICY_REPORTS, "kube-system", meta_str(&sys, "uid")).is_none());
        w.modify(&DEPLOYMENTS, NS, "worker", |d| {
            d["metadata"]["deletionTimestamp"] = json!(now_rfc3339());
            Ok(())
        })
        .unwrap();
        let stats = k.scan(&w);
        assert_eq!((stats.resources, stats.deleted), (0, 0));
        assert!(report(&w, meta_str(&d, "uid")).is_some());
    }

    #[test]
    fn a_deleted_or_edited_report_is_restored() {
        let w = world();
        let d = w.create(&DEPLOYMENTS, broken("worker"), false).unwrap();
        let uid = meta_str(&d, "uid").to_string();
        let k = Kyverno::new();
        k.scan(&w);
        w.modify(&POLICY_REPORTS, NS, &uid, |r| {
            r["summary"]["fail"] = json!(0);
            Ok(())
        })
        .unwrap();
        assert_eq!(k.scan(&w).written, 1);
        assert_eq!(report(&w, &uid).unwrap()["summary"]["fail"], 2);
        w.delete(&POLICY_REPORTS, NS, &uid, false).unwrap();
        let stats = k.scan(&w);
        assert_eq!((stats.evaluated, stats.written), (0, 1));
        assert!(report(&w, &uid).is_some());
    }

    #[test]
    fn policy_changes_rescan_and_removal_clears_reports() {
        let w = world();
        let d = w.create(&DEPLOYMENTS, broken("worker"), false).unwrap();
        let uid = meta_str(&d, "uid").to_string();
        let k = Kyverno::new();
        k.scan(&w);
        // Not scored: failures become warnings.
        w.modify(&CLUSTER_POLICIES, "", "require-observability-labels", |p| {
            p["metadata"]["annotations"]["policies.kyverno.io/scored"] = json!("false");
            Ok(())
        })
        .unwrap();
        let stats = k.scan(&w);
        assert_eq!(stats.evaluated, 1);
        let r = report(&w, &uid).unwrap();
        assert_eq!(r["summary"], json!({"pass": 2, "fail": 0, "warn": 2, "error": 0, "skip": 0}));
        assert_eq!(result(&r, "require-readiness-probe")["scored"], false);
        // Background scans off: the policy's reports go.
        w.modify(&CLUSTER_POLICIES, "", "require-observability-labels", |p| {
            p["spec"]["background"] = json!(false);
            Ok(())
        })
        .unwrap();
        assert_eq!(k.scan(&w).deleted, 1);
        assert!(report(&w, &uid).is_none());
        w.delete(&CLUSTER_POLICIES, "", "require-observability-labels", false).unwrap();
        assert_eq!(k.scan(&w), ScanStats::default());
    }

    #[test]
    fn only_changed_resources_are_reevaluated() {
        let w = world();
        for i in 0..20 {
            w.create(&DEPLOYMENTS, compliant(&format!("svc-{i}")), false).unwrap();
        }
        let k = Kyverno::new();
        assert_eq!(k.scan(&w).evaluated, 20);
        w.modify(&DEPLOYMENTS, NS, "svc-3", |d| {
            d["spec"]["replicas"] = json!(5);
            Ok(())
        })
        .unwrap();
        let stats = k.scan(&w);
        assert_eq!((stats.resources, stats.evaluated, stats.written), (20, 1, 0));
    }

    #[test]
    fn pod_rules_with_selectors_excludes_and_anchors() {
        let w = world();
        let pod_policy = json!({
            "metadata": {"name": "pods-need-limits", "annotations": {"policies.kyverno.io/severity": "high"}},
            "spec": {"rules": [{
                "name": "memory-limit",
                "match": {"any": [{"resources": {"kinds": ["v1/Pod"], "namespaceSelector": {"matchLabels": {"team": NS}}}}]},
                "exclude": {"any": [{"resources": {"selector": {"matchExpressions": [{"key": "skip", "operator": "Exists"}]}}}]},
                "validate": {"message": "memory limits are required",
                    "pattern": {"spec": {"containers": [{"(name)": "app*", "resources": {"limits": {"memory": "?*"}}}]}}},
            }, {
                "name": "any-probe",
                "match": {"resources": {"kinds": ["Pod"], "names": ["web-*"]}},
                "validate": {"anyPattern": [
                    {"spec": {"containers": [{"readinessProbe": {"httpGet": {"port": "*"}}}]}},
                    {"spec": {"containers": [{"readinessProbe": {"tcpSocket": {"port": "*"}}}]}},
                ]},
            }]},
        });
        w.create(&CLUSTER_POLICIES, pod_policy, false).unwrap();
        let pod = |name: &str, labels: Value, containers: Value| json!({"metadata": {"name": name, "namespace": NS, "labels": labels}, "spec": {"containers": containers}});
        let limited = w
            .create(
                &PODS,
                pod(
                    "web-1",
                    json!({}),
                    json!([{"name": "app", "resources": {"limits": {"memory": "1Gi"}},
                "readinessProbe": {"tcpSocket": {"port": 3000}}}]),
                ),
                false,
            )
            .unwrap();
        let unlimited = w
            .create(
                &PODS,
                pod("web-2", json!({}), json!([{"name": "app", "readinessProbe": {"exec": {}}}])),
                false,
            )
            .unwrap();
        let sidecar_only =
            w.create(&PODS, pod("job-1", json!({}), json!([{"name": "istio"}])), false).unwrap();
        let excluded =
            w.create(&PODS, pod("job-2", json!({"skip": "yes"}), json!([{"name": "app"}])), false).unwrap();
        let elsewhere =
            w.create(&PODS, pod("web-3", json!({}), json!([{"name": "app"}])).tap_ns("kube-system"), false);
        assert!(elsewhere.is_ok());
        Kyverno::new().scan(&w);

        let r = report(&w, meta_str(&limited, "uid")).unwrap();
        assert_eq!(r["scope"]["apiVersion"], "v1");
        assert_eq!(r["scope"]["kind"], "Pod");
        assert_eq!(result(&r, "memory-limit")["result"], "pass");
        assert_eq!(result(&r, "memory-limit")["severity"], "high");
        assert!(result(&r, "memory-limit").get("category").is_none());
        assert_eq!(result(&r, "any-probe")["message"], "validation rule 'any-probe' anyPattern[1] passed.");

        let r = report(&w, meta_str(&unlimited, "uid")).unwrap();
        assert_eq!(
            result(&r, "memory-limit")["message"],
            "validation error: memory limits are required. rule memory-limit failed at path /spec/containers/0/resources/"
        );
        assert_eq!(
            result(&r, "any-probe")["message"],
            "validation error: rule any-probe[0] failed at path /spec/containers/0/readinessProbe/httpGet/ rule any-probe[1] failed at path /spec/containers/0/readinessProbe/tcpSocket/"
        );

        let r = report(&w, meta_str(&sidecar_only, "uid")).unwrap();
        assert_eq!(r["summary"], json!({"pass": 0, "fail": 0, "warn": 0, "error": 0, "skip": 1}));
        assert!(
            result(&r, "memory-limit")["message"].as_str().unwrap().contains("conditional anchor mismatch")
        );

        assert!(report(&w, meta_str(&excluded, "uid")).is_none());
    }

    #[test]
    fn cluster_scoped_resources_get_cluster_policy_reports() {
        let w = world();
        w.create(
            &CLUSTER_POLICIES,
            json!({"metadata": {"name": "ns-owner"}, "spec": {"rules": [{"name": "owner-label",
                "match": {"any": [{"resources": {"kinds": ["Namespace"]}}]},
                "validate": {"pattern": {"metadata": {"labels": {"owner": "?*"}}}}}]}}),
            false,
        )
        .unwrap();
        let mut cache = ScanCache::default();
        let stats = scan(&w, &mut cache, &[NAMESPACES]);
        assert_eq!(stats.written, 2);
        let ns = w.get(&NAMESPACES, "", NS).unwrap();
        let r = w.get(&CLUSTER_POLICY_REPORTS, "", meta_str(&ns, "uid")).unwrap();
        assert_eq!(
            r["scope"],
            json!({"apiVersion": "v1", "kind": "Namespace", "name": NS, "uid": meta_str(&ns, "uid")})
        );
        assert_eq!(r["summary"]["fail"], 1);
        // The violation event lands in "default" for a cluster-scoped object; it need not exist here.
        w.delete(&NAMESPACES, "", NS, false).unwrap();
        assert_eq!(scan(&w, &mut cache, &[NAMESPACES]).deleted, 1);
    }

    #[test]
    fn kind_entries() {
        assert!(kind_selects("Deployment", &DEPLOYMENTS));
        assert!(kind_selects("apps/v1/Deployment", &DEPLOYMENTS));
        assert!(kind_selects("apps/*/Deployment", &DEPLOYMENTS));
        assert!(kind_selects("v1/Pod", &PODS));
        assert!(kind_selects("*", &PODS));
        assert!(!kind_selects("batch/v1/Job", &PODS));
        assert!(!kind_selects("Pod/status", &PODS));
        assert!(!kind_selects("v1/Pod", &DEPLOYMENTS));
    }

    #[test]
    fn expired_history_falls_back_to_a_full_resync() {
        let w = world();
        w.create(&DEPLOYMENTS, compliant("orders-api"), false).unwrap();
        let k = Kyverno::new();
        assert_eq!(k.scan(&w).evaluated, 1);
        let late = w.create(&DEPLOYMENTS, broken("worker"), false).unwrap();
        w.compact();
        let stats = k.scan(&w);
        // Only the new resource is evaluated; the unchanged one comes from the cache.
        assert_eq!((stats.resources, stats.evaluated, stats.written, stats.violations), (2, 1, 1, 2));
        assert!(report(&w, meta_str(&late, "uid")).is_some());
        assert_eq!(k.scan(&w), ScanStats { resources: 2, ..ScanStats::default() });
    }

    #[test]
    fn foreign_and_orphaned_reports() {
        let w = world();
        let k = Kyverno::new();
        k.scan(&w);
        let scope = |uid: &str| json!({"apiVersion": "apps/v1", "kind": "Deployment", "namespace": NS, "name": "gone", "uid": uid});
        // A Kyverno report whose resource does not exist goes, also when it appears between scans.
        let orphan = json!({"metadata": {"name": "orphan", "namespace": NS, "labels": {MANAGED_BY: "kyverno"}},
            "scope": scope("orphan"), "summary": {}, "results": []});
        w.create(&POLICY_REPORTS, orphan, false).unwrap();
        // Someone else's report is not Kyverno's to remove.
        let foreign = json!({"metadata": {"name": "trivy", "namespace": NS, "labels": {MANAGED_BY: "trivy-operator"}},
            "scope": scope("trivy"), "summary": {}, "results": []});
        w.create(&POLICY_REPORTS, foreign, false).unwrap();
        assert_eq!(k.scan(&w).deleted, 1);
        assert!(w.get(&POLICY_REPORTS, NS, "orphan").is_none());
        assert!(w.get(&POLICY_REPORTS, NS, "trivy").is_some());
        assert_eq!(scan_once(&w).deleted, 0);
    }

    #[test]
    fn the_controller_can_live_in_a_task() {
        fn task_safe<T: Send + Sync + 'static>() {}
        task_safe::<Kyverno>();
    }

    trait TapNamespace {
        fn tap_ns(self, ns: &str) -> Value;
    }

    impl TapNamespace for Value {
        fn tap_ns(mut self, ns: &str) -> Value {
            self["metadata"]["namespace"] = json!(ns);
            self
        }
    }
}
