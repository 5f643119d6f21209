//! The deployment and replicaset controllers: a template change makes a new ReplicaSet, a rolling
//! update moves pods from old to new within maxSurge/maxUnavailable, and status and conditions are
//! written as `kubectl rollout status` reads them.

use std::collections::HashMap;

use serde_json::{Value, json};

use super::events::{self, EventKind};
use crate::clock::now_rfc3339;
use crate::resources::{DEPLOYMENTS, PODS, REPLICASETS};
use crate::state::Shared;
use crate::world::{Changes, EventType, Obj, World, meta_str, random_suffix};

const COMPONENT: &str = "deployment-controller";

/// The deployment and replicaset controllers' pass, run only when something they act on changed: a
/// Deployment or ReplicaSet, or a pod's owner, readiness or termination (not, say, an annotation a
/// heartbeat rewrites). Time alone matters while a rollout is in progress (progress deadlines), so an
/// unfinished rollout also gets a pass every few seconds.
#[derive(Default)]
pub struct DeploymentController {
    seen: std::sync::Mutex<Seen>,
}

#[derive(Default)]
struct Seen {
    /// The resourceVersion the last pass read the world at (`None` before the first).
    rv: Option<u64>,
    /// What the controllers care about of each pod: owner, ready, terminating.
    pods: HashMap<String, (String, bool, bool)>,
    last_pass: Option<std::time::Instant>,
    rollout_in_progress: bool,
}

/// How often an unfinished rollout is looked at again with nothing else changing.
const DEADLINE_CHECK_EVERY: std::time::Duration = std::time::Duration::from_secs(3);

fn pod_facts(pod: &Value) -> (String, bool, bool) {
    (owner_uid(pod).to_string(), is_pod_ready(pod), is_terminating(pod))
}

impl DeploymentController {
    pub fn reconcile(&self, state: &Shared) {
        let world = &state.world;
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        let current = world.current_rv();
        let changed = match seen.rv {
            None => {
                seen.pods = all_pod_facts(world);
                true
            }
            Some(rv) => relevant_changes(world, &mut seen, rv),
        };
        let deadline_check =
            seen.rollout_in_progress && seen.last_pass.is_none_or(|at| at.elapsed() >= DEADLINE_CHECK_EVERY);
        if changed || deadline_check {
            seen.rollout_in_progress = reconcile_world(world, state.clock.speed());
            seen.last_pass = Some(std::time::Instant::now());
        }
        seen.rv = Some(current);
    }
}

fn all_pod_facts(world: &World) -> HashMap<String, (String, bool, bool)> {
    world
        .snapshot(&PODS)
        .iter(None, None)
        .map(|(_, p)| (meta_str(p, "uid").to_string(), pod_facts(p)))
        .collect()
}

/// Whether anything the controllers act on changed after `rv` (updating the pod facts on the way).
fn relevant_changes(world: &World, seen: &mut Seen, rv: u64) -> bool {
    let mut relevant = false;
    for kind in [DEPLOYMENTS, REPLICASETS] {
        match world.changes_since(&kind, rv) {
            Changes::Expired => return true,
            Changes::Events(events) => relevant |= !events.is_empty(),
        }
    }
    match world.changes_since(&PODS, rv) {
        Changes::Expired => {
            seen.pods = all_pod_facts(world);
            true
        }
        Changes::Events(events) => {
            for e in events {
                let uid = meta_str(&e.object, "uid").to_string();
                if e.kind == EventType::Deleted {
                    relevant |= seen.pods.remove(&uid).is_some();
                    continue;
                }
                let facts = pod_facts(&e.object);
                if seen.pods.get(&uid) != Some(&facts) {
                    relevant = true;
                    seen.pods.insert(uid, facts);
                }
            }
            relevant
        }
    }
}

/// One pass of both controllers over the whole world; says whether a rollout is still in progress.
pub fn reconcile_world(world: &World, speed: f64) -> bool {
    let (_, deployments) = world.list(&DEPLOYMENTS, None);
    let (_, replicasets) = world.list(&REPLICASETS, None);
    let (_, pods) = world.list(&PODS, None);
    let mut rs_by_owner: HashMap<&str, Vec<&Obj>> = HashMap::new();
    for rs in &replicasets {
        rs_by_owner.entry(owner_uid(rs)).or_default().push(rs);
    }
    let mut pods_by_owner: HashMap<&str, Vec<&Obj>> = HashMap::new();
    for pod in &pods {
        pods_by_owner.entry(owner_uid(pod)).or_default().push(pod);
    }
    let mut in_progress = false;
    for d in &deployments {
        let owned = rs_by_owner.get(meta_str(d, "uid")).cloned().unwrap_or_default();
        in_progress |= !reconcile_deployment(world, d, &owned, &pods_by_owner, speed);
    }
    for rs in &replicasets {
        let owned = pods_by_owner.get(meta_str(rs, "uid")).cloned().unwrap_or_default();
        reconcile_replicaset(world, rs, &owned);
    }
    in_progress
}

fn owner_uid(object: &Value) -> &str {
    object.pointer("/metadata/ownerReferences/0/uid").and_then(Value::as_str).unwrap_or("")
}

pub fn is_terminating(pod: &Value) -> bool {
    pod.get("metadata").and_then(|m| m.get("deletionTimestamp")).is_some()
}

pub fn is_pod_ready(pod: &Value) -> bool {
    // `get` chains, not `pointer`: this runs for every pod on every pass.
    !is_terminating(pod)
        && pod.get("status").and_then(|s| s.get("conditions")).and_then(Value::as_array).is_some_and(|cs| {
            cs.iter().any(|c| {
                c.get("type").and_then(Value::as_str) == Some("Ready")
                    && c.get("status").and_then(Value::as_str) == Some("True")
            })
        })
}

fn replicas(object: &Value) -> i64 {
    object.pointer("/spec/replicas").and_then(Value::as_i64).unwrap_or(1)
}

/// pod-template-hash: a stable short hash of the pod template.
pub fn template_hash(template: &Value) -> String {
    const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    let mut h = events::fnv(&[&template.to_string()]);
    (0..10)
        .map(|_| {
            let c = ALPHABET[(h % ALPHABET.len() as u64) as usize] as char;
            h /= ALPHABET.len() as u64;
            c
        })
        .collect()
}

fn owner_ref(owner: &Value, api_version: &str, kind: &str) -> Value {
    json!([{"apiVersion": api_version, "kind": kind, "name": meta_str(owner, "name"), "uid": meta_str(owner, "uid"),
        "controller": true, "blockOwnerDeletion": true}])
}

/// The ReplicaSet a deployment's current template runs in.
pub fn new_replicaset(deployment: &Value, replicas: u32) -> Value {
    new_replicaset_at_revision(deployment, i64::from(replicas), 1)
}

fn new_replicaset_at_revision(deployment: &Value, count: i64, revision: i64) -> Value {
    let mut template = deployment.pointer("/spec/template").cloned().unwrap_or_else(|| json!({}));
    let hash = template_hash(&template);
    template["metadata"]["labels"]["pod-template-hash"] = json!(hash);
    let mut selector =
        deployment.pointer("/spec/selector").cloned().unwrap_or_else(|| json!({"matchLabels": {}}));
    selector["matchLabels"]["pod-template-hash"] = json!(hash);
    json!({
        "metadata": {
            "name": format!("{}-{hash}", meta_str(deployment, "name")),
            "namespace": meta_str(deployment, "namespace"),
            "labels": template["metadata"]["labels"],
            "annotations": {"deployment.kubernetes.io/revision": revision.to_string(),
                "deployment.kubernetes.io/desired-replicas": replicas(deployment).to_string()},
            "ownerReferences": owner_ref(deployment, "apps/v1", "Deployment"),
        },
        "spec": {"replicas": count, "selector": selector, "template": template},
        "status": {"replicas": 0},
    })
}

/// A pod for a ReplicaSet, as the replicaset controller creates it (the kubelet takes it from there).
pub fn new_pod(rs: &Value) -> Value {
    let template = rs.pointer("/spec/template").cloned().unwrap_or_else(|| json!({}));
    json!({
        "metadata": {
            "name": format!("{}-{}", meta_str(rs, "name"), random_suffix(5)),
            "namespace": meta_str(rs, "namespace"),
            "labels": template.pointer("/metadata/labels").cloned().unwrap_or_else(|| json!({})),
            "annotations": template.pointer("/metadata/annotations").cloned().unwrap_or_else(|| json!({})),
            "ownerReferences": owner_ref(rs, "apps/v1", "ReplicaSet"),
        },
        "spec": template.get("spec").cloned().unwrap_or_else(|| json!({})),
        "status": {"phase": "Pending", "qosClass": "Burstable"},
    })
}

fn revision(rs: &Value) -> i64 {
    rs.pointer("/metadata/annotations/deployment.kubernetes.io~1revision")
        .and_then(Value::as_str)
        .and_then(|r| r.parse().ok())
        .unwrap_or(0)
}

struct PodCounts {
    total: i64,
    ready: i64,
}

fn counts(pods: Option<&Vec<&Obj>>) -> PodCounts {
    let pods = pods.map(Vec::as_slice).unwrap_or_default();
    PodCounts {
        total: pods.iter().filter(|p| !is_terminating(p)).count() as i64,
        ready: pods.iter().filter(|p| is_pod_ready(p)).count() as i64,
    }
}

fn scale(world: &World, deployment: &Value, rs: &Value, to: i64) {
    let from = replicas(rs);
    if from == to {
        return;
    }
    let name = meta_str(rs, "name").to_string();
    let result = world.modify(&REPLICASETS, meta_str(rs, "namespace"), &name, |r| {
        r["spec"]["replicas"] = json!(to);
        Ok(())
    });
    if result.is_ok() {
        let verb = if to > from { "up" } else { "down" };
        let msg = format!("Scaled {verb} replica set {name} from {from} to {to}");
        events::record(world, deployment, EventKind::Normal, "ScalingReplicaSet", &msg, COMPONENT);
    }
}

/// Reconciles one deployment; true when its rollout is complete.
fn reconcile_deployment(
    world: &World,
    d: &Obj,
    owned: &[&Obj],
    pods: &HashMap<&str, Vec<&Obj>>,
    speed: f64,
) -> bool {
    let desired = replicas(d).max(0);
    let template = d.pointer("/spec/template").cloned().unwrap_or_else(|| json!({}));
    let hash = template_hash(&template);
    let is_new = |rs: &&&Obj| {
        rs.pointer("/metadata/labels/pod-template-hash").and_then(Value::as_str) == Some(hash.as_str())
    };
    let Some(new_rs) = owned.iter().find(is_new).map(|rs| (**rs).clone()) else {
        let next_revision = owned.iter().map(|rs| revision(rs)).max().unwrap_or(0) + 1;
        let start = if owned.is_empty() { desired } else { 0 };
        let rs = new_replicaset_at_revision(d, start, next_revision);
        if let Ok(created) = world.create(&REPLICASETS, rs, false)
            && start > 0
        {
            let msg = format!("Scaled up replica set {} from 0 to {start}", meta_str(&created, "name"));
            events::record(world, d, EventKind::Normal, "ScalingReplicaSet", &msg, COMPONENT);
        }
        return false;
    };
    let mut old: Vec<&Obj> = owned.iter().filter(|rs| !is_new(rs)).copied().collect();
    old.sort_by_key(|rs| revision(rs));

    let surge = (desired as f64 * 0.25).ceil() as i64;
    let unavailable = (desired as f64 * 0.25).floor() as i64;
    let surge = if surge == 0 && unavailable == 0 { 1 } else { surge };
    let new_counts = counts(pods.get(meta_str(&new_rs, "uid")));
    let old_counts: Vec<PodCounts> = old.iter().map(|rs| counts(pods.get(meta_str(rs, "uid")))).collect();
    let old_spec: i64 = old.iter().map(|rs| replicas(rs)).sum();
    let new_spec = replicas(&new_rs);

    // Scale the new ReplicaSet up within the surge allowance (or down to the desired count).
    if new_spec < desired {
        let room = desired + surge - (old_spec + new_spec);
        if room > 0 {
            scale(world, d, &new_rs, new_spec + room.min(desired - new_spec));
        }
    } else if new_spec > desired {
        scale(world, d, &new_rs, desired);
    }
    // Scale old ReplicaSets down: their unready pods first, then ready ones while enough stay available.
    let ready_total: i64 = new_counts.ready + old_counts.iter().map(|c| c.ready).sum::<i64>();
    let mut may_remove_ready = (ready_total - (desired - unavailable)).max(0);
    for (rs, c) in old.iter().zip(&old_counts) {
        let spec = replicas(rs);
        let unready = (spec - c.ready).clamp(0, spec);
        let ready_removal = may_remove_ready.min(spec - unready);
        may_remove_ready -= ready_removal;
        let target = spec - unready - ready_removal;
        if target != spec {
            scale(world, d, rs, target);
        }
    }

    // Status, as `kubectl rollout status` and Argo CD read it.
    let total = new_counts.total + old_counts.iter().map(|c| c.total).sum::<i64>();
    let updated = new_counts.total;
    let available = ready_total;
    let complete = updated >= desired && total <= updated && available >= updated;
    let new_name = meta_str(&new_rs, "name").to_string();
    let deadline = d.pointer("/spec/progressDeadlineSeconds").and_then(Value::as_f64).unwrap_or(600.0);
    let generation = d.pointer("/metadata/generation").cloned().unwrap_or(json!(1));
    let now = now_rfc3339();
    // The status is computed from the listed object and written only when it differs, so a steady
    // deployment costs no clone and no write.
    let status = {
        let empty = json!({});
        let previous = d.get("status").unwrap_or(&empty);
        let progressed = previous["updatedReplicas"].as_i64() != Some(updated)
            || previous["availableReplicas"].as_i64() != Some(available)
            || previous["observedGeneration"] != generation;
        let old_progress = condition(previous, "Progressing");
        let last_progress = match (&old_progress, progressed) {
            (Some(c), false) => c["lastUpdateTime"].as_str().unwrap_or(&now).to_string(),
            _ => now.clone(),
        };
        let stalled = !complete && elapsed_secs(&last_progress) * speed > deadline;
        let (p_status, p_reason, p_message) = if complete {
            (
                "True",
                "NewReplicaSetAvailable",
                format!("ReplicaSet \"{new_name}\" has successfully progressed."),
            )
        } else if stalled {
            (
                "False",
                "ProgressDeadlineExceeded",
                format!("ReplicaSet \"{new_name}\" has timed out progressing."),
            )
        } else {
            ("True", "ReplicaSetUpdated", format!("ReplicaSet \"{new_name}\" is progressing."))
        };
        let available_ok = available >= desired - unavailable;
        let (a_status, a_reason, a_message) = if available_ok {
            ("True", "MinimumReplicasAvailable", "Deployment has minimum availability.")
        } else {
            ("False", "MinimumReplicasUnavailable", "Deployment does not have minimum availability.")
        };
        let conditions = vec![
            keep_transition(
                condition(previous, "Available"),
                "Available",
                a_status,
                a_reason,
                a_message,
                &now,
                &now,
            ),
            keep_transition(
                old_progress,
                "Progressing",
                p_status,
                p_reason,
                &p_message,
                &last_progress,
                &now,
            ),
        ];
        let mut status = json!({
            "observedGeneration": generation,
            "replicas": total,
            "updatedReplicas": updated,
            "readyReplicas": ready_total,
            "availableReplicas": available,
            "conditions": conditions,
        });
        let missing = (desired - available).max(0);
        if missing > 0 {
            status["unavailableReplicas"] = json!(missing);
        }
        // Counts are omitempty upstream: absent means 0.
        for key in ["replicas", "updatedReplicas", "readyReplicas", "availableReplicas"] {
            if status[key] == 0
                && let Some(m) = status.as_object_mut()
            {
                m.remove(key);
            }
        }
        status
    };
    if d.get("status") != Some(&status) {
        let _ = world.modify(&DEPLOYMENTS, meta_str(d, "namespace"), meta_str(d, "name"), |obj| {
            obj["status"] = status;
            Ok(())
        });
    }
    complete
}

fn condition(status: &Value, kind: &str) -> Option<Value> {
    status["conditions"].as_array()?.iter().find(|c| c["type"] == kind).cloned()
}

/// A condition whose lastTransitionTime only moves when its status does.
fn keep_transition(
    old: Option<Value>,
    kind: &str,
    status: &str,
    reason: &str,
    message: &str,
    update: &str,
    now: &str,
) -> Value {
    let transition = match &old {
        Some(c) if c["status"] == status => c["lastTransitionTime"].as_str().unwrap_or(now).to_string(),
        _ => now.to_string(),
    };
    let update = match &old {
        Some(c) if c["status"] == status && c["reason"] == reason && kind == "Available" => {
            c["lastUpdateTime"].as_str().unwrap_or(update).to_string()
        }
        _ => update.to_string(),
    };
    json!({"type": kind, "status": status, "reason": reason, "message": message,
        "lastUpdateTime": update, "lastTransitionTime": transition})
}

fn elapsed_secs(timestamp: &str) -> f64 {
    timestamp
        .parse::<jiff::Timestamp>()
        .map(|t| (jiff::Timestamp::now().as_millisecond() - t.as_millisecond()) as f64 / 1000.0)
        .unwrap_or(0.0)
}

fn reconcile_replicaset(world: &World, rs: &Obj, pods: &[&Obj]) {
    let want = replicas(rs).max(0);
    let live: Vec<&&Obj> = pods.iter().filter(|p| !is_terminating(p)).collect();
    let have = live.len() as i64;
    if have < want {
        for _ in have..want {
            match world.create(&PODS, new_pod(rs), false) {
                Ok(pod) => {
                    let msg = format!("Created pod: {}", meta_str(&pod, "name"));
                    events::record(
                        world,
                        rs,
                        EventKind::Normal,
                        "SuccessfulCreate",
                        &msg,
                        "replicaset-controller",
                    );
                }
                Err(err) => tracing::warn!(%err, "replicaset could not create a pod"),
            }
        }
    } else if have > want {
        // Remove unready pods first, then the newest.
        let mut victims = live.clone();
        victims.sort_by_key(|p| {
            (is_pod_ready(p), std::cmp::Reverse(meta_str(p, "creationTimestamp").to_string()))
        });
        for pod in victims.into_iter().take((have - want) as usize) {
            let name = meta_str(pod, "name").to_string();
            let marked = world.modify(&PODS, meta_str(pod, "namespace"), &name, |p| {
                p["metadata"]["deletionTimestamp"] = json!(now_rfc3339());
                p["metadata"]["deletionGracePeriodSeconds"] = json!(30);
                Ok(())
            });
            if marked.is_ok() {
                let msg = format!("Deleted pod: {name}");
                events::record(
                    world,
                    rs,
                    EventKind::Normal,
                    "SuccessfulDelete",
                    &msg,
                    "replicaset-controller",
                );
            }
        }
    }
    let ready = live.iter().filter(|p| is_pod_ready(p)).count() as i64;
    let generation = rs.pointer("/metadata/generation").cloned().unwrap_or(json!(1));
    let status = json!({"replicas": have, "fullyLabeledReplicas": have,
        "readyReplicas": ready, "availableReplicas": ready, "observedGeneration": generation});
    if rs.get("status") != Some(&status) {
        let _ = world.modify(&REPLICASETS, meta_str(rs, "namespace"), meta_str(rs, "name"), |obj| {
            obj["status"] = status;
            Ok(())
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::NAMESPACES;

    fn world_with_deployment(replicas: i64) -> World {
        let w = World::default();
        w.create(&NAMESPACES, json!({"metadata": {"name": "dev"}}), false).unwrap();
        w.create(&DEPLOYMENTS, json!({"metadata": {"name": "web", "namespace": "dev"},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "web"}},
                "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "web", "image": "web:1"}]}}}}), false).unwrap();
        w
    }

    fn make_all_ready(w: &World) {
        let (_, pods) = w.list(&PODS, Some("dev"));
        for p in pods {
            w.modify(&PODS, "dev", meta_str(&p, "name"), |p| {
                p["status"] =
                    json!({"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]});
                Ok(())
            })
            .unwrap();
        }
    }

    fn remove_terminating(w: &World) {
        let (_, pods) = w.list(&PODS, Some("dev"));
        for p in pods.iter().filter(|p| is_terminating(p)) {
            w.delete(&PODS, "dev", meta_str(p, "name"), false).unwrap();
        }
    }

    #[test]
    fn a_new_deployment_gets_a_replicaset_and_pods() {
        let w = world_with_deployment(3);
        reconcile_world(&w, 1.0);
        reconcile_world(&w, 1.0);
        assert_eq!(w.count(&REPLICASETS), 1);
        assert_eq!(w.count(&PODS), 3);
        make_all_ready(&w);
        reconcile_world(&w, 1.0);
        let d = w.get(&DEPLOYMENTS, "dev", "web").unwrap();
        assert_eq!(d["status"]["availableReplicas"], 3);
        assert_eq!(d["status"]["conditions"][1]["reason"], "NewReplicaSetAvailable");
    }

    #[test]
    fn a_template_change_rolls_pods_over_to_a_new_replicaset() {
        let w = world_with_deployment(2);
        for _ in 0..2 {
            reconcile_world(&w, 1.0);
        }
        make_all_ready(&w);
        let before: Vec<String> =
            w.list(&PODS, Some("dev")).1.iter().map(|p| meta_str(p, "name").to_string()).collect();
        w.modify(&DEPLOYMENTS, "dev", "web", |d| {
            d["spec"]["template"]["metadata"]["annotations"] =
                json!({"kubectl.kubernetes.io/restartedAt": "now"});
            Ok(())
        })
        .unwrap();
        for _ in 0..20 {
            reconcile_world(&w, 1.0);
            make_all_ready(&w);
            remove_terminating(&w);
        }
        assert_eq!(w.count(&REPLICASETS), 2);
        let after: Vec<String> =
            w.list(&PODS, Some("dev")).1.iter().map(|p| meta_str(p, "name").to_string()).collect();
        assert_eq!(after.len(), 2);
        assert!(after.iter().all(|p| !before.contains(p)), "{before:?} {after:?}");
        let d = w.get(&DEPLOYMENTS, "dev", "web").unwrap();
        assert_eq!(d["status"]["updatedReplicas"], 2);
        assert_eq!(d["status"]["replicas"], 2);
        assert_eq!(d["status"]["observedGeneration"], d["metadata"]["generation"]);
    }

    #[test]
    fn unready_new_pods_keep_old_pods_serving() {
        let w = world_with_deployment(2);
        for _ in 0..2 {
            reconcile_world(&w, 1.0);
        }
        make_all_ready(&w);
        w.modify(&DEPLOYMENTS, "dev", "web", |d| {
            d["spec"]["template"]["spec"]["containers"][0]["image"] = json!("web:broken");
            Ok(())
        })
        .unwrap();
        for _ in 0..10 {
            reconcile_world(&w, 1.0);
            remove_terminating(&w);
        }
        let ready = w.list(&PODS, Some("dev")).1.iter().filter(|p| is_pod_ready(p)).count();
        assert_eq!(ready, 2, "old pods must keep serving while new ones are not ready");
        let d = w.get(&DEPLOYMENTS, "dev", "web").unwrap();
        assert_eq!(d["status"]["conditions"][1]["reason"], "ReplicaSetUpdated");
    }

    #[test]
    fn template_hash_is_stable_and_sensitive() {
        let a = json!({"spec": {"containers": [{"image": "a"}]}});
        let b = json!({"spec": {"containers": [{"image": "b"}]}});
        assert_eq!(template_hash(&a), template_hash(&a));
        assert_ne!(template_hash(&a), template_hash(&b));
        assert_eq!(template_hash(&a).len(), 10);
    }
}
