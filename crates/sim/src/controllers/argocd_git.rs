//! Applications whose source is a git repository on the local disk: their desired objects are what the
//! repo-server read at the resolved commit, applied into the world like `kubectl apply` and tracked by
//! Argo CD's default label, `app.kubernetes.io/instance: <app>`.
//!
//! Simplifications, kept deliberately small: "applied" means the desired fields are merged into the live
//! object (fields removed from git stay on the live object, as `kubectl apply` without a last-applied
//! annotation would leave them), and a live object is in sync when it contains every desired field.

use std::collections::HashSet;

use serde_json::{Map, Value, json};

use super::argocd::{Automated, Comparison, Target};
use super::argocd_health::{resource_health, worst};
use super::repo_server::Fetched;
use crate::clock::now_rfc3339;
use crate::resources::{
    self, APPLICATIONS, CLUSTER_POLICIES, DEPLOYMENTS, NAMESPACES, ResourceKind, SERVICES,
};
use crate::world::{World, meta_str};

/// Argo CD's default resource-tracking label.
pub const TRACKING_LABEL: &str = "app.kubernetes.io/instance";
/// Kinds an Application may own at the top level: where tracked objects are looked for (pruning,
/// cascading deletion). Pods, ReplicaSets and events belong to their controllers, not to Argo CD.
const TRACKED_KINDS: [ResourceKind; 4] = [DEPLOYMENTS, SERVICES, APPLICATIONS, CLUSTER_POLICIES];
/// Metadata the server owns: never part of a desired object.
const SERVER_FIELDS: [&str; 7] = [
    "uid",
    "resourceVersion",
    "creationTimestamp",
    "generation",
    "managedFields",
    "deletionTimestamp",
    "selfLink",
];

/// One desired object and the collection it belongs in (None: a kind the sim does not serve).
struct DesiredObject {
    kind: Option<ResourceKind>,
    object: Value,
}

impl DesiredObject {
    fn namespace(&self) -> &str {
        meta_str(&self.object, "namespace")
    }
    fn name(&self) -> &str {
        meta_str(&self.object, "name")
    }
    fn live(&self, world: &World) -> Option<crate::world::Obj> {
        self.kind.and_then(|k| world.get(&k, self.namespace(), self.name()))
    }
    fn key(&self) -> (String, String, String) {
        (kind_name(&self.object), self.namespace().to_string(), self.name().to_string())
    }
}

fn kind_name(object: &Value) -> String {
    object.get("kind").and_then(Value::as_str).unwrap_or("").to_string()
}

/// `status.resources` entry (and sync result base) for an object.
fn resource_ref(object: &Value, status: &str) -> Value {
    let api_version = object.get("apiVersion").and_then(Value::as_str).unwrap_or("");
    let (group, version) = api_version.rsplit_once('/').unwrap_or(("", api_version));
    let mut r = json!({"version": version, "kind": kind_name(object), "name": meta_str(object, "name"), "status": status});
    if !group.is_empty() {
        r["group"] = json!(group);
    }
    if !meta_str(object, "namespace").is_empty() {
        r["namespace"] = json!(meta_str(object, "namespace"));
    }
    r
}

/// Whether `live` holds every field `want` declares (arrays element by element).
pub fn contains(live: &Value, want: &Value) -> bool {
    match (live, want) {
        (_, Value::Null) => true,
        (Value::Object(l), Value::Object(w)) => {
            w.iter().all(|(k, wv)| l.get(k).map_or(wv.is_null(), |lv| contains(lv, wv)))
        }
        (Value::Array(l), Value::Array(w)) => {
            l.len() == w.len() && l.iter().zip(w).all(|(a, b)| contains(a, b))
        }
        (Value::Number(l), Value::Number(w)) => l.as_f64() == w.as_f64(),
        _ => live == want,
    }
}

/// Merges `want` into `live`: objects field by field, anything else replaced.
pub fn merge_into(live: &mut Value, want: &Value) {
    match (live, want) {
        (_, Value::Null) => {}
        (Value::Object(l), Value::Object(w)) => {
            for (k, wv) in w {
                match l.get_mut(k) {
                    Some(lv) => merge_into(lv, wv),
                    None => {
                        l.insert(k.clone(), wv.clone());
                    }
                }
            }
        }
        (l, w) => *l = w.clone(),
    }
}

/// An Application with a local git source, at the commit the repo-server read.
pub struct GitTarget {
    app: String,
    namespace: String,
    source: Value,
    revision: String,
    desired: Vec<DesiredObject>,
    error: Option<String>,
    automated: Option<Automated>,
    create_namespace: bool,
    refreshed: bool,
}

/// The automated sync policy of an Application: on iff `automated` is present and `enabled` is not false.
pub fn automated_policy(app: &Value) -> Option<Automated> {
    let automated = app.pointer("/spec/syncPolicy/automated").filter(|a| a.is_object())?;
    if automated.get("enabled").and_then(Value::as_bool) == Some(false) {
        return None;
    }
    let flag = |k: &str| automated.get(k).and_then(Value::as_bool).unwrap_or(false);
    Some(Automated { self_heal: flag("selfHeal"), prune: flag("prune") })
}

impl GitTarget {
    pub fn new(app: &Value, fetched: Fetched, refreshed: bool) -> Self {
        let name = meta_str(app, "name").to_string();
        let namespace =
            app.pointer("/spec/destination/namespace").and_then(Value::as_str).unwrap_or("").to_string();
        let create_namespace = app
            .pointer("/spec/syncPolicy/syncOptions")
            .and_then(Value::as_array)
            .is_some_and(|o| o.iter().any(|v| v == "CreateNamespace=true"));
        let (desired, error) = match &fetched.objects {
            Ok(objects) => (objects.iter().map(|o| desired_object(o, &name, &namespace)).collect(), None),
            Err(message) => (Vec::new(), Some(message.clone())),
        };
        Self {
            source: app.pointer("/spec/source").cloned().unwrap_or_else(|| json!({})),
            revision: fetched.sha.unwrap_or_default(),
            automated: automated_policy(app),
            app: name,
            namespace,
            desired,
            error,
            create_namespace,
            refreshed,
        }
    }

    /// Live objects carrying this app's tracking label that git no longer declares.
    fn extras(&self, world: &World) -> Vec<(ResourceKind, crate::world::Obj)> {
        let wanted: HashSet<_> = self.desired.iter().map(DesiredObject::key).collect();
        tracked_objects(world, &self.app)
            .into_iter()
            .filter(|(_, o)| {
                let key =
                    (kind_name(o), meta_str(o, "namespace").to_string(), meta_str(o, "name").to_string());
                !wanted.contains(&key)
            })
            .collect()
    }

    fn ensure_namespace(&self, world: &World) -> Option<Value> {
        if !self.create_namespace
            || self.namespace.is_empty()
            || world.get(&NAMESPACES, "", &self.namespace).is_some()
        {
            return None;
        }
        let ns = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": self.namespace,
            "labels": {"kubernetes.io/metadata.name": self.namespace}},
            "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}});
        let (status, message) = match world.create(&NAMESPACES, ns.clone(), false) {
            Ok(_) => ("Synced", format!("namespace/{} created", self.namespace)),
            Err(err) => ("SyncFailed", err.message),
        };
        let mut result = resource_ref(&ns, status);
        result["message"] = json!(message);
        result["hookPhase"] = json!("Running");
        result["syncPhase"] = json!("PreSync");
        Some(result)
    }
}

/// A desired object as Argo CD applies it: in the destination namespace unless it names one (namespaced
/// kinds only), carrying the tracking label, without server-owned fields or status.
fn desired_object(object: &Value, app: &str, destination: &str) -> DesiredObject {
    let api_version = object.get("apiVersion").and_then(Value::as_str).unwrap_or("");
    let kind = resources::lookup_kind(api_version, &kind_name(object));
    let mut object = object.clone();
    if let Some(o) = object.as_object_mut() {
        o.remove("status");
    }
    if !object.get("metadata").is_some_and(Value::is_object) {
        object["metadata"] = json!({});
    }
    let meta = &mut object["metadata"];
    if let Some(m) = meta.as_object_mut() {
        for field in SERVER_FIELDS {
            m.remove(field);
        }
    }
    let namespaced = kind.is_none_or(|k| k.namespaced);
    if namespaced && meta_str(&json!({"metadata": meta.clone()}), "namespace").is_empty() {
        meta["namespace"] = json!(destination);
    }
    if !namespaced && let Some(m) = meta.as_object_mut() {
        m.remove("namespace");
    }
    if !meta.get("labels").is_some_and(Value::is_object) {
        meta["labels"] = Value::Object(Map::new());
    }
    meta["labels"][TRACKING_LABEL] = json!(app);
    DesiredObject { kind, object }
}

/// Top-level live objects labelled as managed by `app`.
pub fn tracked_objects(world: &World, app: &str) -> Vec<(ResourceKind, crate::world::Obj)> {
    let mut out = Vec::new();
    for kind in TRACKED_KINDS {
        let (_, objects) = world.list_from(&kind, None, None, usize::MAX, |o| {
            o.get("metadata")
                .and_then(|m| m.get("labels"))
                .and_then(|l| l.get(TRACKING_LABEL))
                .and_then(Value::as_str)
                == Some(app)
                && o.pointer("/metadata/ownerReferences").is_none()
        });
        out.extend(objects.into_iter().map(|o| (kind, o)));
    }
    out
}

/// Deletes what an Application managed (its deletion cascades).
pub fn delete_tracked(world: &World, app: &str) {
    for (kind, object) in tracked_objects(world, app) {
        if let Err(err) =
            world.delete(&kind, meta_str(&object, "namespace"), meta_str(&object, "name"), false)
        {
            tracing::debug!(%err, app, "cascading deletion skipped an object");
        }
    }
}

impl Target for GitTarget {
    fn revision(&self) -> &str {
        &self.revision
    }

    fn source(&self) -> Value {
        self.source.clone()
    }

    fn namespace(&self) -> &str {
        &self.namespace
    }

    fn automated(&self) -> Option<Automated> {
        self.automated
    }

    fn error(&self) -> Option<&str> {
        self.error.as_deref()
    }

    fn refreshed(&self) -> bool {
        self.refreshed
    }

    fn apply(&self, world: &World, prune: bool) -> Vec<Value> {
        let mut results: Vec<Value> = self.ensure_namespace(world).into_iter().collect();
        // Namespaces first, then services, then workloads (Argo CD's kind order within a wave).
        let order = |d: &&DesiredObject| match kind_name(&d.object).as_str() {
            "Namespace" => 0,
            "Service" => 1,
            _ => 2,
        };
        let mut desired: Vec<&DesiredObject> = self.desired.iter().collect();
        desired.sort_by_key(order);
        for d in desired {
            let label = format!("{}/{}", kind_name(&d.object).to_lowercase(), d.name());
            let outcome = match (d.kind, d.live(world)) {
                (None, _) => Err(format!(
                    "The Kubernetes API could not find {} for requested resource {}/{}",
                    kind_name(&d.object),
                    d.namespace(),
                    d.name()
                )),
                (Some(kind), None) => {
                    world.create(&kind, d.object.clone(), false).map(|_| "created").map_err(|e| e.message)
                }
                (Some(_), Some(live)) if contains(&live, &d.object) => Ok("unchanged"),
                (Some(kind), Some(_)) => world
                    .modify(&kind, d.namespace(), d.name(), |live| {
                        merge_into(live, &d.object);
                        Ok(())
                    })
                    .map(|_| "configured")
                    .map_err(|e| e.message),
            };
            let mut result = resource_ref(&d.object, if outcome.is_ok() { "Synced" } else { "SyncFailed" });
            result["message"] = json!(match outcome {
                Ok(verb) => format!("{label} {verb}"),
                Err(message) => message,
            });
            result["hookPhase"] = json!("Running");
            result["syncPhase"] = json!("Sync");
            results.push(result);
        }
        for (kind, extra) in self.extras(world) {
            let (status, message) = if !prune {
                ("PruneSkipped", "ignored (requires pruning)".to_string())
            } else {
                match world.delete(&kind, meta_str(&extra, "namespace"), meta_str(&extra, "name"), false) {
                    Ok(_) => ("Pruned", "pruned".to_string()),
                    Err(err) => ("SyncFailed", err.message),
                }
            };
            let mut result = resource_ref(&extra, status);
            result["message"] = json!(message);
            result["hookPhase"] = json!("Running");
            result["syncPhase"] = json!("Sync");
            results.push(result);
        }
        results
    }

    fn compare(&self, world: &World) -> Comparison {
        if self.error.is_some() {
            let resources =
                tracked_objects(world, &self.app).iter().map(|(_, o)| resource_ref(o, "Unknown")).collect();
            return Comparison { status: "Unknown", resources, images: Vec::new() };
        }
        let mut all_synced = true;
        let mut resources = Vec::new();
        let mut images = Vec::new();
        for d in &self.desired {
            let synced = d.live(world).is_some_and(|live| contains(&live, &d.object));
            all_synced &= synced;
            resources.push(resource_ref(&d.object, if synced { "Synced" } else { "OutOfSync" }));
            let containers = d.object.pointer("/spec/template/spec/containers").and_then(Value::as_array);
            images.extend(
                containers.into_iter().flatten().filter_map(|c| c["image"].as_str().map(str::to_string)),
            );
        }
        for (_, extra) in self.extras(world) {
            all_synced = false;
            let mut r = resource_ref(&extra, "OutOfSync");
            r["requiresPruning"] = json!(true);
            resources.push(r);
        }
        Comparison { status: if all_synced { "Synced" } else { "OutOfSync" }, resources, images }
    }

    fn health(&self, world: &World) -> Value {
        if self.error.is_some() {
            return worst(tracked_objects(world, &self.app).iter().filter_map(|(_, o)| resource_health(o)));
        }
        worst(self.desired.iter().filter_map(|d| match d.live(world) {
            None => Some(("Missing", String::new())),
            Some(live) => resource_health(&live),
        }))
    }
}

/// A ComparisonError condition, keeping its transition time while the message stays the same.
pub fn comparison_condition(previous: Option<&Value>, message: &str) -> Value {
    let since = previous
        .and_then(Value::as_array)
        .and_then(|cs| cs.iter().find(|c| c["type"] == "ComparisonError" && c["message"] == message))
        .and_then(|c| c["lastTransitionTime"].as_str().map(str::to_string))
        .unwrap_or_else(now_rfc3339);
    json!([{"type": "ComparisonError", "message": message, "lastTransitionTime": since}])
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::controllers::repo_server::Source;

    fn app() -> Value {
        json!({"metadata": {"name": "web", "namespace": "argocd"},
            "spec": {"source": {"repoURL": "file:///r", "path": "apps/web", "targetRevision": "main"},
                "destination": {"namespace": "shop"},
                "syncPolicy": {"automated": {"prune": true, "selfHeal": true}, "syncOptions": ["CreateNamespace=true"]}}})
    }

    fn fetched(objects: Vec<Value>) -> Fetched {
        Fetched { source: Source::of(&app()), sha: Some("a".repeat(40)), objects: Ok(Arc::new(objects)) }
    }

    fn deployment(image: &str) -> Value {
        json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "labels": {"app.kubernetes.io/name": "web"}},
            "spec": {"replicas": 1, "selector": {"matchLabels": {"app.kubernetes.io/name": "web"}},
                "template": {"metadata": {"labels": {"app.kubernetes.io/name": "web"}},
                    "spec": {"containers": [{"name": "web", "image": image}]}}}})
    }

    fn service() -> Value {
        json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
            "spec": {"selector": {"app.kubernetes.io/name": "web"}, "ports": [{"port": 80, "targetPort": "http"}]}})
    }

    #[test]
    fn containment_and_merging() {
        let live = json!({"a": {"b": 1, "c": [1, {"d": 2, "e": 3}]}, "f": "x"});
        assert!(contains(&live, &json!({"a": {"c": [1, {"d": 2}]}})));
        assert!(contains(&live, &json!({"a": {"b": 1.0}})));
        assert!(!contains(&live, &json!({"a": {"c": [1]}})));
        assert!(!contains(&live, &json!({"g": 1})));
        let mut merged = live.clone();
        merge_into(&mut merged, &json!({"a": {"b": 2, "c": [9]}, "g": true}));
        assert_eq!(merged, json!({"a": {"b": 2, "c": [9]}, "f": "x", "g": true}));
    }

    #[test]
    fn sync_creates_the_namespace_and_tracked_objects_then_prunes() {
        let world = World::default();
        let target = GitTarget::new(&app(), fetched(vec![deployment("web:1"), service()]), true);
        assert_eq!(target.compare(&world).status, "OutOfSync");
        assert_eq!(target.health(&world)["status"], "Missing");
        let results = target.apply(&world, true);
        let statuses: Vec<_> =
            results.iter().map(|r| (r["kind"].as_str().unwrap(), r["status"].as_str().unwrap())).collect();
        assert_eq!(statuses, [("Namespace", "Synced"), ("Service", "Synced"), ("Deployment", "Synced")]);
        let live = world.get(&DEPLOYMENTS, "shop", "web").unwrap();
        assert_eq!(live["metadata"]["labels"][TRACKING_LABEL], "web");
        let compared = target.compare(&world);
        assert_eq!(compared.status, "Synced");
        assert_eq!(compared.images, ["web:1"]);
        assert_eq!(compared.resources[0]["group"], "apps");

        // A new commit: the image moves on and the service is gone from git.
        let next = GitTarget::new(&app(), fetched(vec![deployment("web:2")]), true);
        let compared = next.compare(&world);
        assert_eq!(compared.status, "OutOfSync");
        assert!(compared.resources.iter().any(|r| r["kind"] == "Service" && r["requiresPruning"] == true));
        let results = next.apply(&world, false);
        assert!(results.iter().any(|r| r["status"] == "PruneSkipped"));
        assert!(world.get(&SERVICES, "shop", "web").is_some());
        next.apply(&world, true);
        assert!(world.get(&SERVICES, "shop", "web").is_none());
        let live = world.get(&DEPLOYMENTS, "shop", "web").unwrap();
        assert_eq!(live["spec"]["template"]["spec"]["containers"][0]["image"], "web:2");
        assert_eq!(next.compare(&world).status, "Synced");

        delete_tracked(&world, "web");
        assert!(world.get(&DEPLOYMENTS, "shop", "web").is_none());
    }

    #[test]
    fn errors_and_unknown_kinds() {
        let world = World::default();
        let broken = Fetched { objects: Err("app path does not exist".into()), sha: None, ..fetched(vec![]) };
        let target = GitTarget::new(&app(), broken, false);
        assert_eq!(target.error(), Some("app path does not exist"));
        assert_eq!(target.compare(&world).status, "Unknown");
        assert!(!target.refreshed());
        let widget = json!({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}});
        let target = GitTarget::new(&app(), fetched(vec![widget]), true);
        let results = target.apply(&world, true);
        assert_eq!(results.last().unwrap()["status"], "SyncFailed");
        assert_eq!(target.compare(&world).status, "OutOfSync");
    }

    #[test]
    fn automated_policy_follows_argo() {
        assert!(automated_policy(&app()).is_some_and(|a| a.prune && a.self_heal));
        let mut off = app();
        off["spec"]["syncPolicy"]["automated"]["enabled"] = json!(false);
        assert!(automated_policy(&off).is_none());
        let cond = comparison_condition(None, "m");
        assert_eq!(comparison_condition(Some(&cond), "m"), cond);
    }
}
