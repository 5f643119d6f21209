//! `pods-ready`: the pods matching a selector are Ready. A pod crash-looping or unable to pull its
//! image fails the task at once, naming the reason and the image.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, ListParams};
use serde::Deserialize;

use super::{Built, Poll, built, list_some, wait_for};
use crate::tasks::engine::{Outcome, TaskIo, human_duration};
use crate::tasks::env::Env;

/// Waiting reasons that do not heal by waiting.
const STUCK: &[&str] = &[
    "CrashLoopBackOff",
    "ImagePullBackOff",
    "ErrImagePull",
    "CreateContainerConfigError",
    "InvalidImageName",
];

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    pub namespace: String,
    /// Label selector (`key=value,...`); empty = every pod of the namespace.
    #[serde(default)]
    pub selector: String,
    /// At least this many pods must exist.
    #[serde(default = "one")]
    pub min: usize,
    #[serde(default = "super::default_within", deserialize_with = "within")]
    pub within: Duration,
}

fn one() -> usize {
    1
}

fn within<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    crate::tasks::duration::deserialize_opt(d).map(|o| o.unwrap_or_else(super::default_within))
}

pub fn build(p: Params, env: Arc<Env>) -> Built {
    let selector = if p.selector.is_empty() { String::new() } else { format!(" matching {}", p.selector) };
    let plan = format!(
        "wait up to {} for the pods in {}{selector} to be Ready",
        human_duration(p.within),
        p.namespace
    );
    built(p, env, run, plan, false, false)
}

fn run<'a>(p: &'a Params, env: &'a Env, io: &'a TaskIo) -> BoxFuture<'a, Outcome> {
    Box::pin(async move {
        let client = match env.kube() {
            Ok(c) => c.clone(),
            Err(e) => return Outcome::Failed(e),
        };
        let api: Api<Pod> = Api::namespaced(client, &p.namespace);
        let params = ListParams::default().labels(&p.selector);
        wait_for(io, p.within, Duration::from_secs(1), || {
            let api = api.clone();
            let params = params.clone();
            async move {
                match api.list(&params).await {
                    Ok(list) => judge(p, &list.items),
                    Err(e) => Poll::Wait(format!("cannot list pods in {}: {e}", p.namespace)),
                }
            }
        })
        .await
    })
}

#[derive(Default)]
struct Group {
    total: usize,
    ready: usize,
    /// (reason, image, pod, message) of the first stuck container.
    stuck: Option<(String, String, String, String)>,
    /// Why a not-ready pod is not ready yet.
    waiting: Option<String>,
}

fn judge(p: &Params, pods: &[Pod]) -> Poll {
    let mut groups: BTreeMap<String, Group> = BTreeMap::new();
    for pod in pods {
        let meta = &pod.metadata;
        if meta.deletion_timestamp.is_some() {
            continue;
        }
        let status = pod.status.as_ref();
        if status.and_then(|s| s.phase.as_deref()) == Some("Succeeded") {
            continue;
        }
        let name = meta.name.clone().unwrap_or_default();
        let app = meta
            .labels
            .as_ref()
            .and_then(|l| l.get("app.kubernetes.io/name").or_else(|| l.get("app")))
            .cloned()
            .unwrap_or_else(|| name.clone());
        let group = groups.entry(app).or_default();
        group.total += 1;
        let ready = status
            .and_then(|s| s.conditions.as_ref())
            .is_some_and(|cs| cs.iter().any(|c| c.type_ == "Ready" && c.status == "True"));
        if ready {
            group.ready += 1;
            continue;
        }
        for c in status.and_then(|s| s.container_statuses.as_ref()).into_iter().flatten() {
            let waiting = c.state.as_ref().and_then(|s| s.waiting.as_ref());
            let reason = waiting.and_then(|w| w.reason.clone()).unwrap_or_default();
            if STUCK.contains(&reason.as_str()) && group.stuck.is_none() {
                let message = waiting.and_then(|w| w.message.clone()).unwrap_or_default();
                group.stuck = Some((reason, c.image.clone(), name.clone(), message));
            } else if group.waiting.is_none() {
                let why = if reason.is_empty() { "not ready".to_string() } else { reason };
                group.waiting = Some(format!("{name} {why}"));
            }
        }
        if group.waiting.is_none() {
            let phase = status.and_then(|s| s.phase.clone()).unwrap_or_else(|| "Pending".into());
            group.waiting = Some(format!("{name} {phase}"));
        }
    }
    let total: usize = groups.values().map(|g| g.total).sum();
    let scope =
        if p.selector.is_empty() { p.namespace.clone() } else { format!("{} ({})", p.namespace, p.selector) };
    if total < p.min {
        return Poll::Wait(format!("{total} pods in {scope}, expected at least {}", p.min));
    }
    let mut stuck = Vec::new();
    let mut waiting = Vec::new();
    for (app, g) in &groups {
        if g.ready == g.total {
            continue;
        }
        match &g.stuck {
            Some((reason, image, pod, message)) => {
                let message = if message.is_empty() { String::new() } else { format!(": {message}") };
                stuck.push(format!(
                    "{app}: {}/{} pods ready — {reason} on image {image} (pod {pod}{message})",
                    g.ready, g.total
                ));
            }
            None => waiting.push(format!(
                "{app}: {}/{} pods ready ({})",
                g.ready,
                g.total,
                g.waiting.clone().unwrap_or_default()
            )),
        }
    }
    if !stuck.is_empty() {
        stuck.extend(waiting);
        return Poll::Done(Outcome::Failed(stuck.join("; ")));
    }
    if waiting.is_empty() {
        let apps: Vec<String> = groups.keys().cloned().collect();
        return Poll::Done(Outcome::Passed(format!(
            "{total} pods Ready in {scope}: {}",
            list_some(&apps, 6)
        )));
    }
    Poll::Wait(waiting.join("; "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pod(name: &str, app: &str, ready: bool, waiting: Option<&str>) -> Pod {
        let state = match waiting {
            Some(reason) => {
                json!({"waiting": {"reason": reason, "message": "back-off 40s restarting failed container"}})
            }
            None => json!({"running": {}}),
        };
        serde_json::from_value(json!({
            "metadata": {"name": name, "labels": {"app.kubernetes.io/name": app}},
            "status": {"phase": "Running",
                       "conditions": [{"type": "Ready", "status": if ready {"True"} else {"False"}}],
                       "containerStatuses": [{"name": "c", "image": format!("ecr/{app}:bad"), "imageID": "", "ready": ready,
                                              "restartCount": 3, "state": state}]}
        }))
        .unwrap()
    }

    fn params() -> Params {
        Params { namespace: "svc".into(), selector: String::new(), min: 1, within: Duration::from_secs(1) }
    }

    #[test]
    fn crash_loops_fail_with_the_image() {
        let pods = [
            pod("a-1", "a", true, None),
            pod("p-1", "payments", true, None),
            pod("p-2", "payments", false, Some("CrashLoopBackOff")),
        ];
        let Poll::Done(Outcome::Failed(m)) = judge(&params(), &pods) else { panic!("not failed") };
        assert_eq!(
            m,
            "payments: 1/2 pods ready — CrashLoopBackOff on image ecr/payments:bad (pod p-2: back-off 40s restarting failed container)"
        );
    }

    #[test]
    fn starting_pods_are_waited_for() {
        let pods = [pod("a-1", "a", false, Some("ContainerCreating"))];
        assert!(
            matches!(judge(&params(), &pods), Poll::Wait(w) if w == "a: 0/1 pods ready (a-1 ContainerCreating)")
        );
        assert!(matches!(judge(&params(), &[]), Poll::Wait(_)));
        assert!(matches!(judge(&params(), &[pod("a-1", "a", true, None)]), Poll::Done(Outcome::Passed(_))));
    }
}
