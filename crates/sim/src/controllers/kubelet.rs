//! The kubelet: schedules pods onto nodes and walks them through Pending → ContainerCreating →
//! Running → Ready, crash-loops or fails image pulls for broken images, fails readiness during a
//! scripted flap, and removes terminating pods once their containers stop.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};

use super::behaviour::Behaviour;
use super::events::{self, EventKind};
use super::loggen;
use crate::clock::{now_rfc3339, now_unix_nanos};
use crate::logs::PodLogKey;
use crate::manifests::image_tag;
use crate::resources::PODS;
use crate::scenario::{FailureMode, Scenario};
use crate::seed::{IpAllocator, node_name};
use crate::state::Shared;
use crate::world::{Changes, EventType, Obj, WatchEvent, meta_str};

const COMPONENT: &str = "kubelet";
const SCHEDULE_AFTER: Duration = Duration::from_millis(300);
const CREATE_FOR: Duration = Duration::from_millis(1500);
const READY_AFTER: Duration = Duration::from_secs(2);
const CRASH_AFTER: Duration = Duration::from_secs(3);
const TERMINATE_AFTER: Duration = Duration::from_millis(1000);
/// Restart back-off starts at 10 s and doubles; capped low so demos keep moving.
const BACKOFF_CAP: Duration = Duration::from_secs(40);

#[derive(Debug, Clone, Copy, PartialEq)]
enum Stage {
    Unscheduled,
    Creating,
    Running {
        ready: bool,
    },
    /// Waiting before the next start after a crash or failed pull.
    BackOff,
    Terminating,
}

#[derive(Debug)]
struct Runtime {
    namespace: String,
    name: String,
    stage: Stage,
    /// Scenario time of the next transition.
    next_at: Duration,
    restarts: u32,
    started_at: String,
    node: String,
    ip: String,
    last_termination: Option<Value>,
}

struct Kubelet {
    state: Shared,
    scenario: Arc<Scenario>,
    behaviour: Arc<Behaviour>,
    pods: HashMap<String, Runtime>,
    ips: IpAllocator,
    next_node: u32,
    /// A flap was on at the last sync: one more pass lets pods recover when it ends.
    was_flapping: bool,
    /// The resourceVersion the last pass saw the pods at, and the earliest timer.
    last_pods_rv: u64,
    earliest_due: Duration,
    /// Whether a full pass has run (until then there is nothing to follow changes from).
    loaded: bool,
}

pub async fn run(state: Shared, scenario: Arc<Scenario>, behaviour: Arc<Behaviour>) {
    let mut kubelet = Kubelet {
        state: state.clone(),
        scenario,
        behaviour,
        pods: HashMap::new(),
        ips: IpAllocator::default(),
        next_node: 0,
        was_flapping: false,
        last_pods_rv: 0,
        earliest_due: Duration::ZERO,
        loaded: false,
    };
    let mut tick = tokio::time::interval(super::TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => kubelet.sync(),
            _ = state.shutdown.cancelled() => return,
        }
    }
}

/// The status of a pod that has been running and ready for a while (used when seeding).
pub fn ready_status(pod: &Value, node: &str, ip: &str, _index: i64) -> Value {
    let started = now_rfc3339();
    let container = container_name(pod);
    let image = container_image(pod);
    status_json(
        "Running",
        node,
        ip,
        &started,
        true,
        vec![container_status(&container, &image, true, 0, json!({"running": {"startedAt": started}}), None)],
    )
}

fn container_name(pod: &Value) -> String {
    pod.pointer("/spec/containers/0/name").and_then(Value::as_str).unwrap_or("app").to_string()
}

fn container_image(pod: &Value) -> String {
    pod.pointer("/spec/containers/0/image").and_then(Value::as_str).unwrap_or("").to_string()
}

fn container_status(
    name: &str,
    image: &str,
    ready: bool,
    restarts: u32,
    state: Value,
    last: Option<Value>,
) -> Value {
    let running = state.get("running").is_some();
    let mut s = json!({
        "name": name, "image": image, "ready": ready, "restartCount": restarts, "started": running, "state": state,
        "imageID": format!("{}@sha256:{:064x}", image.split(':').next().unwrap_or(image), events::fnv(&[image])),
        "containerID": format!("containerd://{:064x}", events::fnv(&[name, image, &restarts.to_string()])),
    });
    if let Some(last) = last {
        s["lastState"] = last;
    } else {
        s["lastState"] = json!({});
    }
    s
}

fn status_json(
    phase: &str,
    node: &str,
    ip: &str,
    started: &str,
    ready: bool,
    containers: Vec<Value>,
) -> Value {
    let now = now_rfc3339();
    let flag = |b: bool| if b { "True" } else { "False" };
    let running = phase == "Running";
    let mut ready_cond =
        json!({"type": "Ready", "status": flag(ready), "lastProbeTime": null, "lastTransitionTime": now});
    let mut cr_cond = json!({"type": "ContainersReady", "status": flag(ready), "lastProbeTime": null, "lastTransitionTime": now});
    if !ready {
        let names: Vec<&str> = containers.iter().filter_map(|c| c["name"].as_str()).collect();
        let msg = format!("containers with unready status: [{}]", names.join(" "));
        for c in [&mut ready_cond, &mut cr_cond] {
            c["reason"] = json!("ContainersNotReady");
            c["message"] = json!(msg);
        }
    }
    let mut status = json!({
        "phase": phase,
        "conditions": [
            {"type": "PodReadyToStartContainers", "status": flag(running), "lastProbeTime": null, "lastTransitionTime": now},
            {"type": "Initialized", "status": "True", "lastProbeTime": null, "lastTransitionTime": now},
            ready_cond,
            cr_cond,
            {"type": "PodScheduled", "status": "True", "lastProbeTime": null, "lastTransitionTime": now},
        ],
        "hostIP": host_ip(node),
        "startTime": started,
        "containerStatuses": containers,
        "qosClass": "Burstable",
    });
    if !ip.is_empty() {
        status["podIP"] = json!(ip);
        status["podIPs"] = json!([{"ip": ip}]);
    }
    status
}

fn host_ip(node: &str) -> String {
    // ip-10-0-1-23.ec2.internal → 10.0.1.23
    node.strip_prefix("ip-")
        .and_then(|r| r.split('.').next())
        .map(|r| r.replace('-', "."))
        .unwrap_or_default()
}

/// Keeps a condition's lastTransitionTime when its status did not change, so rewrites are no-ops.
fn carry_transitions(old: &Value, new: &mut Value) {
    let Some(old_conds) = old.pointer("/status/conditions").and_then(Value::as_array) else { return };
    let Some(new_conds) = new.get_mut("conditions").and_then(Value::as_array_mut) else { return };
    for c in new_conds {
        if let Some(prev) = old_conds.iter().find(|o| o["type"] == c["type"] && o["status"] == c["status"]) {
            c["lastTransitionTime"] = prev["lastTransitionTime"].clone();
        }
    }
    if let Some(start) = old.pointer("/status/startTime") {
        new["startTime"] = start.clone();
    }
}

impl Kubelet {
    fn now(&self) -> Duration {
        self.state.clock.elapsed()
    }

    /// One pass. Its cost follows what changed: the pods changed since the last pass (from the world's
    /// change feed) and the pods whose timers are due; every pod only while a readiness flap is scripted,
    /// or when history no longer reaches back to the last pass.
    fn sync(&mut self) {
        let now = self.now();
        let flapping = self.behaviour.any_flap(now);
        let current = self.state.world.current_rv();
        let changes = if self.loaded && !flapping && !self.was_flapping {
            self.state.world.changes_since(&PODS, self.last_pods_rv)
        } else {
            Changes::Expired
        };
        match changes {
            Changes::Expired => self.full_pass(now, flapping),
            Changes::Events(events) => {
                // The latest state of each changed pod, once.
                let mut latest: HashMap<&str, &WatchEvent> = HashMap::new();
                for e in &events {
                    latest.insert(meta_str(&e.object, "uid"), e);
                }
                for (uid, e) in latest {
                    if e.kind == EventType::Deleted {
                        self.pods.remove(uid);
                    } else {
                        self.visit(&e.object, now, false);
                    }
                }
                if now >= self.earliest_due {
                    let due: Vec<(String, String)> = self
                        .pods
                        .values()
                        .filter(|rt| rt.next_at <= now)
                        .map(|rt| (rt.namespace.clone(), rt.name.clone()))
                        .collect();
                    for (ns, name) in due {
                        if let Some(pod) = self.state.world.get(&PODS, &ns, &name) {
                            self.visit(&pod, now, false);
                        }
                    }
                    self.earliest_due =
                        self.pods.values().map(|rt| rt.next_at).min().unwrap_or(Duration::MAX);
                }
                self.last_pods_rv = current;
            }
        }
        self.was_flapping = flapping;
    }

    /// Every pod: the first pass, while a flap is scripted, or after history moved past the last pass.
    fn full_pass(&mut self, now: Duration, flapping: bool) {
        let snapshot = self.state.world.snapshot(&PODS);
        let mut seen = std::collections::HashSet::with_capacity(snapshot.objects.len());
        for (_, pod) in snapshot.iter(None, None) {
            seen.insert(meta_str(pod, "uid").to_string());
            self.visit(pod, now, flapping || self.was_flapping);
        }
        self.pods.retain(|uid, _| seen.contains(uid.as_str()));
        self.earliest_due = self.pods.values().map(|rt| rt.next_at).min().unwrap_or(Duration::MAX);
        self.last_pods_rv = snapshot.rv;
        self.loaded = true;
    }

    /// Adopts a pod seen for the first time and moves it on if it has something to do.
    fn visit(&mut self, pod: &Obj, now: Duration, check_steady: bool) {
        let uid = meta_str(pod, "uid");
        if !self.pods.contains_key(uid) {
            let runtime = self.adopt(pod, now);
            self.earliest_due = self.earliest_due.min(runtime.next_at);
            self.pods.insert(uid.to_string(), runtime);
        }
        let steady = self
            .pods
            .get(uid)
            .is_some_and(|rt| rt.next_at == Duration::MAX && rt.stage != Stage::Terminating);
        let terminating = pod.pointer("/metadata/deletionTimestamp").is_some();
        if steady && !terminating && !check_steady {
            return;
        }
        self.step(pod, uid, now);
        if let Some(rt) = self.pods.get(uid) {
            self.earliest_due = self.earliest_due.min(rt.next_at);
        }
    }

    /// Takes over a pod seen for the first time: already running pods (seeded) stay as they are.
    fn adopt(&mut self, pod: &Value, now: Duration) -> Runtime {
        let ready = super::deployments::is_pod_ready(pod);
        let node = pod.pointer("/spec/nodeName").and_then(Value::as_str).unwrap_or("").to_string();
        let (namespace, name) = (meta_str(pod, "namespace").to_string(), meta_str(pod, "name").to_string());
        if ready {
            return Runtime {
                namespace,
                name,
                stage: Stage::Running { ready: true },
                next_at: Duration::MAX,
                restarts: 0,
                started_at: now_rfc3339(),
                ip: pod.pointer("/status/podIP").and_then(Value::as_str).unwrap_or("").to_string(),
                node,
                last_termination: None,
            };
        }
        Runtime {
            namespace,
            name,
            stage: Stage::Unscheduled,
            next_at: now + self.delay(SCHEDULE_AFTER),
            restarts: 0,
            started_at: String::new(),
            node,
            ip: String::new(),
            last_termination: None,
        }
    }

    /// Scenario delays are in scenario time already (the clock runs at `--speed`).
    fn delay(&self, d: Duration) -> Duration {
        d
    }

    fn failure(&self, pod: &Value) -> Option<FailureMode> {
        self.scenario.failure_for(image_tag(&container_image(pod)))
    }

    fn workload(pod: &Value) -> String {
        pod.pointer("/metadata/labels/app.kubernetes.io~1name")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    }

    fn step(&mut self, pod: &Obj, uid: &str, now: Duration) {
        let ns = meta_str(pod, "namespace").to_string();
        let name = meta_str(pod, "name").to_string();
        let terminating = pod.pointer("/metadata/deletionTimestamp").is_some();
        let Some(rt) = self.pods.get_mut(uid) else { return };
        if terminating && rt.stage != Stage::Terminating {
            rt.stage = Stage::Terminating;
            rt.next_at = now + TERMINATE_AFTER;
            let msg = format!("Stopping container {}", container_name(pod));
            events::record(&self.state.world, pod, EventKind::Normal, "Killing", &msg, COMPONENT);
            return;
        }
        // Readiness flaps can start or end at any time for running pods.
        if let Stage::Running { ready } = rt.stage
            && rt.next_at == Duration::MAX
        {
            let should_be_ready = !self.behaviour.readiness_failing(&ns, &Self::workload(pod), now);
            if should_be_ready != ready {
                rt.stage = Stage::Running { ready: should_be_ready };
                if !should_be_ready {
                    events::record(
                        &self.state.world,
                        pod,
                        EventKind::Warning,
                        "Unhealthy",
                        "Readiness probe failed: HTTP probe failed with statuscode: 503",
                        COMPONENT,
                    );
                }
                self.write_running(pod, uid);
            }
            return;
        }
        if now < rt.next_at {
            return;
        }
        match rt.stage {
            Stage::Terminating => {
                if self.state.world.delete(&PODS, &ns, &name, false).is_ok() {
                    self.state.logs.forget_pod(&ns, &name);
                }
                rt.next_at = Duration::MAX;
            }
            Stage::Unscheduled => {
                let node = node_name(self.next_node % self.scenario.nodes.max(1));
                self.next_node += 1;
                rt.node = node.clone();
                rt.stage = Stage::Creating;
                rt.next_at = now + CREATE_FOR;
                let msg = format!("Successfully assigned {ns}/{name} to {node}");
                events::record(
                    &self.state.world,
                    pod,
                    EventKind::Normal,
                    "Scheduled",
                    &msg,
                    "default-scheduler",
                );
                let image = container_image(pod);
                events::record(
                    &self.state.world,
                    pod,
                    EventKind::Normal,
                    "Pulling",
                    &format!("Pulling image \"{image}\""),
                    COMPONENT,
                );
                let status = status_json(
                    "Pending",
                    &node,
                    "",
                    &now_rfc3339(),
                    false,
                    vec![container_status(
                        &container_name(pod),
                        &image,
                        false,
                        0,
                        json!({"waiting": {"reason": "ContainerCreating"}}),
                        None,
                    )],
                );
                self.write(pod, Some(&node), status);
            }
            Stage::Creating | Stage::BackOff => self.start_container(pod, uid, now),
            Stage::Running { .. } => self.container_ran(pod, uid, now),
        }
    }

    fn start_container(&mut self, pod: &Obj, uid: &str, now: Duration) {
        let failure = self.failure(pod);
        let image = container_image(pod);
        let container = container_name(pod);
        let Some(rt) = self.pods.get_mut(uid) else { return };
        if rt.ip.is_empty() {
            rt.ip = self.ips.pod();
        }
        if failure == Some(FailureMode::PullError) {
            let backoff = backoff(rt.restarts);
            rt.restarts += 1;
            rt.stage = Stage::BackOff;
            rt.next_at = now + backoff;
            let reason = if rt.restarts == 1 { "ErrImagePull" } else { "ImagePullBackOff" };
            let msg = format!("Failed to pull image \"{image}\": not found");
            events::record(&self.state.world, pod, EventKind::Warning, "Failed", &msg, COMPONENT);
            let (node, ip) = (rt.node.clone(), rt.ip.clone());
            let status = status_json(
                "Pending",
                &node,
                &ip,
                &now_rfc3339(),
                false,
                vec![container_status(
                    &container,
                    &image,
                    false,
                    0,
                    json!({"waiting": {"reason": reason, "message": format!("Back-off pulling image \"{image}\"")}}),
                    None,
                )],
            );
            self.write(pod, None, status);
            return;
        }
        rt.started_at = now_rfc3339();
        let has_probes = pod.pointer("/spec/containers/0/readinessProbe").is_some();
        let crashes = matches!(failure, Some(FailureMode::Crash | FailureMode::Oom));
        if crashes {
            rt.stage = Stage::Running { ready: false };
            rt.next_at = now + CRASH_AFTER;
        } else if has_probes {
            rt.stage = Stage::Running { ready: false };
            rt.next_at = now + READY_AFTER;
        } else {
            rt.stage = Stage::Running { ready: true };
            rt.next_at = Duration::MAX;
        }
        if rt.restarts == 0 {
            events::record(
                &self.state.world,
                pod,
                EventKind::Normal,
                "Pulled",
                &format!("Successfully pulled image \"{image}\""),
                COMPONENT,
            );
        }
        events::record(
            &self.state.world,
            pod,
            EventKind::Normal,
            "Created",
            &format!("Created container: {container}"),
            COMPONENT,
        );
        events::record(
            &self.state.world,
            pod,
            EventKind::Normal,
            "Started",
            &format!("Started container {container}"),
            COMPONENT,
        );
        self.log(pod, &loggen::startup_line(pod));
        self.write_running(pod, uid);
    }

    /// A running container's timer fired: it became ready, or (broken image) it crashed.
    fn container_ran(&mut self, pod: &Obj, uid: &str, now: Duration) {
        let failure = self.failure(pod);
        let Some(rt) = self.pods.get_mut(uid) else { return };
        match failure {
            Some(mode @ (FailureMode::Crash | FailureMode::Oom)) => {
                let (reason, code) = if mode == FailureMode::Oom { ("OOMKilled", 137) } else { ("Error", 1) };
                rt.last_termination = Some(json!({"terminated": {"exitCode": code, "reason": reason,
                    "startedAt": rt.started_at, "finishedAt": now_rfc3339(),
                    "containerID": format!("containerd://{:064x}", events::fnv(&[uid, &rt.restarts.to_string()]))}}));
                let wait = backoff(rt.restarts);
                rt.restarts += 1;
                rt.stage = Stage::BackOff;
                rt.next_at = now + wait;
                let container = container_name(pod);
                let msg = format!(
                    "Back-off restarting failed container {container} in pod {}_{}({uid})",
                    meta_str(pod, "name"),
                    meta_str(pod, "namespace")
                );
                for line in loggen::crash_lines(pod, mode == FailureMode::Oom) {
                    self.log(pod, &line);
                }
                events::record(&self.state.world, pod, EventKind::Warning, "BackOff", &msg, COMPONENT);
                self.write_backoff(pod, uid, wait);
            }
            _ => {
                rt.stage = Stage::Running { ready: true };
                rt.next_at = Duration::MAX;
                self.write_running(pod, uid);
            }
        }
    }

    fn log(&self, pod: &Value, line: &str) {
        let key = PodLogKey {
            namespace: meta_str(pod, "namespace").into(),
            pod: meta_str(pod, "name").into(),
            container: container_name(pod),
        };
        self.state.logs.append_pod_line(&key, &loggen::stream_labels(pod), now_unix_nanos(), line);
    }

    fn write_running(&self, pod: &Obj, uid: &str) {
        let Some(rt) = self.pods.get(uid) else { return };
        let Stage::Running { ready } = rt.stage else { return };
        let image = container_image(pod);
        let cs = container_status(
            &container_name(pod),
            &image,
            ready,
            rt.restarts,
            json!({"running": {"startedAt": rt.started_at}}),
            rt.last_termination.clone(),
        );
        let status = status_json("Running", &rt.node, &rt.ip, &rt.started_at, ready, vec![cs]);
        self.write(pod, None, status);
    }

    fn write_backoff(&self, pod: &Obj, uid: &str, wait: Duration) {
        let Some(rt) = self.pods.get(uid) else { return };
        let container = container_name(pod);
        let image = container_image(pod);
        let message = format!(
            "back-off {}s restarting failed container={container} pod={}_{}({uid})",
            wait.as_secs(),
            meta_str(pod, "name"),
            meta_str(pod, "namespace")
        );
        let cs = container_status(
            &container,
            &image,
            false,
            rt.restarts,
            json!({"waiting": {"reason": "CrashLoopBackOff", "message": message}}),
            rt.last_termination.clone(),
        );
        let status = status_json("Running", &rt.node, &rt.ip, &rt.started_at, false, vec![cs]);
        self.write(pod, None, status);
    }

    fn write(&self, pod: &Obj, node: Option<&str>, mut status: Value) {
        carry_transitions(pod, &mut status);
        let result = self.state.world.modify(&PODS, meta_str(pod, "namespace"), meta_str(pod, "name"), |p| {
            if let Some(node) = node {
                p["spec"]["nodeName"] = json!(node);
            }
            p["status"] = status;
            Ok(())
        });
        if let Err(err) = result {
            tracing::debug!(%err, "kubelet status write skipped");
        }
    }
}

/// Restart back-off: 10 s, 20 s, 40 s … capped.
fn backoff(restarts: u32) -> Duration {
    let secs = 10u64.saturating_mul(1u64 << restarts.min(6));
    Duration::from_secs(secs).min(BACKOFF_CAP)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_to_a_cap() {
        assert_eq!(backoff(0), Duration::from_secs(10));
        assert_eq!(backoff(1), Duration::from_secs(20));
        assert_eq!(backoff(5), BACKOFF_CAP);
    }

    #[test]
    fn ready_status_is_ready() {
        let pod = json!({"spec": {"containers": [{"name": "app", "image": "x:1"}]}});
        let s = ready_status(&pod, "ip-10-0-1-10.ec2.internal", "10.0.16.2", 0);
        assert_eq!(s["phase"], "Running");
        assert_eq!(s["hostIP"], "10.0.1.10");
        assert_eq!(s["containerStatuses"][0]["ready"], true);
        let pod_obj = json!({"status": s});
        assert!(crate::controllers::deployments::is_pod_ready(&pod_obj));
    }

    #[test]
    fn unready_pods_say_which_containers() {
        let s = status_json("Running", "n", "", "t", false, vec![json!({"name": "app"})]);
        assert_eq!(s["conditions"][2]["reason"], "ContainersNotReady");
        assert_eq!(s["conditions"][2]["message"], "containers with unready status: [app]");
    }
}
