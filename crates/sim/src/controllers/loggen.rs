//! Log generators: every running pod of a service writes request logs in the seed's structured JSON
//! format (and each request is counted in its Prometheus metrics); platform pods write their own lines.
//! Lines reach the pod log API and Loki (as Promtail would ship them).

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use rand::{Rng, SeedableRng};
use serde_json::{Value, json};

use super::behaviour::Behaviour;
use super::deployments::is_pod_ready;
use crate::clock::{now_micro_rfc3339, now_unix_nanos};
use crate::logs::{Labels, PodLogKey};
use crate::resources::PODS;
use crate::scenario::{Scenario, Traffic};
use crate::state::Shared;
use crate::world::meta_str;

const PERIOD: Duration = Duration::from_millis(250);
/// Under churn, the list of running pods is rebuilt at most this often.
const RESCAN_AT_MOST: Duration = Duration::from_secs(2);

/// The Loki stream labels Promtail's Kubernetes relabelling gives a pod's lines.
pub fn stream_labels(pod: &Value) -> Labels {
    let mut labels = BTreeMap::new();
    let ns = meta_str(pod, "namespace");
    let app = pod.pointer("/metadata/labels/app.kubernetes.io~1name").and_then(Value::as_str).unwrap_or("");
    labels.insert("namespace".to_string(), ns.to_string());
    labels.insert("pod".to_string(), meta_str(pod, "name").to_string());
    labels.insert("container".to_string(), container(pod));
    labels.insert("app_kubernetes_io_name".to_string(), app.to_string());
    labels.insert("app".to_string(), app.to_string());
    labels.insert("job".to_string(), format!("{ns}/{app}"));
    labels.insert("stream".to_string(), "stdout".to_string());
    if let Some(node) = pod.pointer("/spec/nodeName").and_then(Value::as_str) {
        labels.insert("node_name".to_string(), node.to_string());
    }
    labels
}

fn container(pod: &Value) -> String {
    pod.pointer("/spec/containers/0/name").and_then(Value::as_str).unwrap_or("app").to_string()
}

fn service(pod: &Value) -> String {
    pod.pointer("/metadata/labels/app.kubernetes.io~1name")
        .and_then(Value::as_str)
        .unwrap_or("app")
        .to_string()
}

fn line(pod: &Value, level: &str, msg: &str, extra: Value) -> String {
    let mut entry = json!({
        "level": level,
        "msg": msg,
        "timestamp": now_micro_rfc3339(),
        "hostname": meta_str(pod, "name"),
        "service": service(pod),
    });
    if let (Some(e), Value::Object(x)) = (entry.as_object_mut(), extra) {
        e.extend(x);
    }
    entry.to_string()
}

pub fn startup_line(pod: &Value) -> String {
    let port =
        pod.pointer("/spec/containers/0/ports/0/containerPort").and_then(Value::as_u64).unwrap_or(3000);
    line(pod, "info", &format!("Server listening on port {port}"), json!({"port": port}))
}

pub fn crash_lines(pod: &Value, oom: bool) -> Vec<String> {
    if oom {
        return vec![line(pod, "warn", "Heap usage above 95%", json!({"heap_mb": 251}))];
    }
    vec![
        line(
            pod,
            "error",
            "Unhandled exception: TypeError: Cannot read properties of undefined (reading 'amount')",
            json!({"error": "TypeError", "stack": "TypeError: Cannot read properties of undefined (reading 'amount')\n    at capture (/app/src/payments.js:88:31)"}),
        ),
        line(pod, "fatal", "Process exiting with code 1", json!({"exit_code": 1})),
    ]
}

const USER_AGENTS: &[&str] =
    &["Mozilla/5.0 (X11; Linux x86_64)", "okhttp/4.12.0", "curl/8.11.1", "kube-probe/1.34"];

/// One simulated request: its log line (and its metric sample).
fn request(state: &Shared, pod: &Value, traffic: &Traffic, error_rate: f64, rng: &mut impl Rng) -> String {
    let path_template = traffic
        .paths
        .get(rng.random_range(0..traffic.paths.len().max(1)))
        .cloned()
        .unwrap_or_else(|| "/".into());
    let path = path_template.replace("{id}", &rng.random_range(1000..99999).to_string());
    let probe = path == "/health" || path == "/ready";
    let method = if probe || rng.random_bool(0.7) { "GET" } else { "POST" };
    let failed = !probe && rng.random_bool(error_rate.clamp(0.0, 1.0));
    let status: u16 = if failed {
        *[500u16, 502, 503, 504].get(rng.random_range(0..4)).unwrap_or(&500)
    } else if !probe && rng.random_bool(0.03) {
        404
    } else if method == "POST" {
        201
    } else {
        200
    };
    let duration_ms: f64 =
        if failed { rng.random_range(800.0..5000.0) } else { rng.random_range(2.0..180.0_f64).powf(1.05) };
    let duration_ms = (duration_ms * 10.0).round() / 10.0;
    let ns = meta_str(pod, "namespace");
    state.metrics.record_request(ns, &service(pod), method, &path_template, status, duration_ms / 1000.0);
    let user_agent =
        if probe { "kube-probe/1.34" } else { USER_AGENTS[rng.random_range(0..USER_AGENTS.len() - 1)] };
    let (level, msg) = match status {
        500.. => ("error", "Request failed"),
        400.. => ("warn", "Request completed"),
        _ => ("info", "Request completed"),
    };
    line(
        pod,
        level,
        msg,
        json!({"method": method, "path": path, "status": status, "duration_ms": duration_ms, "user_agent": user_agent}),
    )
}

/// Writes request and platform log lines for running pods, within the scenario's line budget.
/// A pod's service name without allocating.
fn service_str(pod: &Value) -> &str {
    pod.get("metadata")
        .and_then(|m| m.get("labels"))
        .and_then(|l| l.get("app.kubernetes.io/name"))
        .and_then(Value::as_str)
        .unwrap_or("app")
}

/// Whether a pod belongs to a Deployment (through its ReplicaSet) and names its service.
fn is_service_pod(pod: &Value) -> bool {
    let owned_by_replicaset = pod
        .get("metadata")
        .and_then(|m| m.get("ownerReferences"))
        .and_then(|o| o.get(0))
        .and_then(|o| o.get("kind"))
        .and_then(Value::as_str)
        == Some("ReplicaSet");
    let named = pod
        .get("metadata")
        .and_then(|m| m.get("labels"))
        .and_then(|l| l.get("app.kubernetes.io/name"))
        .is_some();
    owned_by_replicaset && named
}

/// A running pod that serves traffic, with what the per-tick loop needs already looked up.
struct Emitter {
    pod: Arc<Value>,
    uid: String,
    traffic: Traffic,
    /// Lines owed, carried between ticks so low rates still emit.
    owed: f64,
}

/// The running pods of services with traffic, rebuilt only when pods changed (and at most every
/// couple of seconds under churn): at 20k pods, looking into every pod's JSON each tick would cost a core.
/// Which pods were ready at the last rescan, to tell from the change feed whether another is needed.
#[derive(Default)]
struct Readiness(HashMap<String, bool>);

impl Readiness {
    fn reset(&mut self, pods: &[(String, bool)]) {
        self.0 = pods.iter().cloned().collect();
    }

    /// Whether a pod was added, deleted or changed readiness after `rv`.
    fn changed(&self, world: &crate::world::World, rv: u64) -> bool {
        match world.changes_since(&PODS, rv) {
            crate::world::Changes::Expired => true,
            crate::world::Changes::Events(events) => events.iter().any(|e| {
                e.kind != crate::world::EventType::Modified
                    || self.0.get(meta_str(&e.object, "uid")) != Some(&is_pod_ready(&e.object))
            }),
        }
    }
}

struct Running {
    emitters: Vec<Emitter>,
    /// Lines per second all emitters want together.
    wanted_rps: f64,
    pods_rv: u64,
    built: std::time::Instant,
}

/// Writes request and platform log lines for running pods, within the scenario's line budget.
/// The per-tick pass allocates nothing for pods with no line due (at 20k pods most have none).
pub async fn run(state: Shared, scenario: Arc<Scenario>, behaviour: Arc<Behaviour>) {
    // namespace → workload → traffic (None: a system workload that serves none), with borrowed keys.
    let mut traffic: HashMap<String, HashMap<String, Option<Traffic>>> = HashMap::new();
    for a in &scenario.apps {
        for w in &a.workloads {
            let t = w.traffic.clone().unwrap_or(Traffic {
                rps: 0.1,
                error_rate: 0.0,
                paths: vec!["/metrics".into()],
            });
            traffic.entry(a.namespace.clone()).or_default().insert(w.name.clone(), Some(t));
        }
    }
    for sys in &scenario.system {
        for w in &sys.workloads {
            traffic.entry(sys.namespace.clone()).or_default().insert(w.name.clone(), None);
        }
    }
    let unknown_service = Traffic::service_default();
    // Any other pod of a Deployment labelled with its service name is a service too (one deployed
    // through GitOps while the sim runs), with default traffic; its metrics exist from its first pod.
    let traffic_of = |pod: &Value| -> Option<Traffic> {
        let ns = meta_str(pod, "namespace");
        match traffic.get(ns).and_then(|m| m.get(service_str(pod))) {
            Some(known) => known.clone(),
            None if is_service_pod(pod) => {
                state.metrics.register_service(ns, service_str(pod));
                Some(unknown_service.clone())
            }
            None => None,
        }
    };
    let mut tick = tokio::time::interval(PERIOD);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut rng = rand::rngs::StdRng::from_os_rng();
    let mut ready = Readiness::default();
    let mut running = Running {
        emitters: Vec::new(),
        wanted_rps: 0.0,
        pods_rv: u64::MAX,
        built: std::time::Instant::now(),
    };
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = state.shutdown.cancelled() => return,
        }
        let now = state.clock.elapsed();
        let dt = PERIOD.as_secs_f64() * state.clock.speed();
        let pods_rv = state.world.kind_rv(&PODS);
        // Only a pod that comes, goes or changes readiness changes who logs (a heartbeat does not).
        if running.pods_rv != pods_rv
            && (running.pods_rv == u64::MAX
                || (running.built.elapsed() >= RESCAN_AT_MOST
                    && ready.changed(&state.world, running.pods_rv)))
        {
            let mut owed: HashMap<String, f64> =
                running.emitters.drain(..).map(|e| (e.uid, e.owed)).collect();
            let (_, pods) = state.world.list(&PODS, None);
            let pods_ready: Vec<(String, bool)> =
                pods.iter().map(|p| (meta_str(p, "uid").to_string(), is_pod_ready(p))).collect();
            let emitters: Vec<Emitter> = pods
                .into_iter()
                .filter(|p| is_pod_ready(p))
                .filter_map(|pod| {
                    let traffic = traffic_of(&pod)?;
                    let uid = meta_str(&pod, "uid").to_string();
                    let owed = owed.remove(&uid).unwrap_or_else(|| rng.random_range(0.0..1.0));
                    Some(Emitter { pod, uid, traffic, owed })
                })
                .collect();
            let wanted_rps = emitters.iter().map(|e| e.traffic.rps).sum();
            running = Running { emitters, wanted_rps, pods_rv, built: std::time::Instant::now() };
            ready.reset(&pods_ready);
        } else if running.pods_rv != pods_rv && running.built.elapsed() >= RESCAN_AT_MOST {
            // Nothing relevant changed: remember how far the feed was read.
            running.pods_rv = pods_rv;
        }
        // Scale every pod's rate down together when the sim would exceed its line budget.
        let factor = if running.wanted_rps > scenario.log_lines_per_second && running.wanted_rps > 0.0 {
            scenario.log_lines_per_second / running.wanted_rps
        } else {
            1.0
        };
        for e in &mut running.emitters {
            e.owed += e.traffic.rps * dt * factor;
            if e.owed < 1.0 {
                continue;
            }
            let pod = &e.pod;
            let (ns, svc) = (meta_str(pod, "namespace"), service_str(pod));
            let error_rate = behaviour.burst_error_rate(ns, svc, now).unwrap_or(e.traffic.error_rate);
            let key = PodLogKey {
                namespace: ns.to_string(),
                pod: meta_str(pod, "name").to_string(),
                container: container(pod),
            };
            let labels = stream_labels(pod);
            while e.owed >= 1.0 {
                e.owed -= 1.0;
                let text = request(&state, pod, &e.traffic, error_rate, &mut rng);
                state.logs.append_pod_line(&key, &labels, now_unix_nanos(), &text);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod() -> Value {
        json!({"metadata": {"name": "orders-api-abc-x1", "namespace": "platform-services",
            "labels": {"app.kubernetes.io/name": "orders-api"}},
            "spec": {"nodeName": "n1", "containers": [{"name": "orders-api", "ports": [{"containerPort": 3000}]}]}})
    }

    #[test]
    fn labels_follow_promtail_relabelling() {
        let l = stream_labels(&pod());
        assert_eq!(l["namespace"], "platform-services");
        assert_eq!(l["app_kubernetes_io_name"], "orders-api");
        assert_eq!(l["container"], "orders-api");
        assert_eq!(l["node_name"], "n1");
    }

    #[test]
    fn pods_of_labelled_deployments_are_services() {
        let mut p = pod();
        assert!(!is_service_pod(&p));
        p["metadata"]["ownerReferences"] = json!([{"kind": "ReplicaSet", "name": "orders-api-abc"}]);
        assert!(is_service_pod(&p));
        p["metadata"]["labels"] = json!({});
        assert!(!is_service_pod(&p));
    }

    #[test]
    fn lines_are_the_seed_json_format() {
        let v: Value = serde_json::from_str(&startup_line(&pod())).unwrap();
        for key in ["level", "msg", "timestamp", "hostname", "service"] {
            assert!(v.get(key).is_some(), "{key}");
        }
        assert_eq!(v["service"], "orders-api");
        let crash: Value = serde_json::from_str(&crash_lines(&pod(), false)[1]).unwrap();
        assert_eq!(crash["level"], "fatal");
    }
}
