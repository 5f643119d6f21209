//! `argocd-apps`: Argo CD Applications are Synced and Healthy within a time limit. An application
//! that is Degraded with no operation running fails at once: waiting would not heal it.

use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use kube::api::{Api, DynamicObject, ListParams};
use serde::Deserialize;
use serde_json::Value;

use super::{Built, Poll, built, list_some, wait_for};
use crate::tasks::engine::{Outcome, TaskIo, human_duration};
use crate::tasks::env::Env;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// Applications by name; empty = every application deploying into `destination_namespaces`.
    #[serde(default)]
    pub apps: Vec<String>,
    #[serde(default)]
    pub destination_namespaces: Vec<String>,
    /// Namespace of the Application objects (default: `argocd.namespace`).
    pub namespace: Option<String>,
    #[serde(default = "super::default_within", deserialize_with = "within")]
    pub within: Duration,
}

fn within<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    crate::tasks::duration::deserialize_opt(d).map(|o| o.unwrap_or_else(super::default_within))
}

pub fn build(p: Params, env: Arc<Env>) -> Built {
    let which = if p.apps.is_empty() {
        format!("every application deploying into {}", p.destination_namespaces.join(", "))
    } else {
        p.apps.join(", ")
    };
    let plan = format!("wait up to {} for {which} to be Synced and Healthy", human_duration(p.within));
    built(p, env, run, plan, false, false)
}

fn run<'a>(p: &'a Params, env: &'a Env, io: &'a TaskIo) -> BoxFuture<'a, Outcome> {
    Box::pin(async move {
        let client = match env.kube() {
            Ok(c) => c.clone(),
            Err(e) => return Outcome::Failed(e),
        };
        let namespace = p.namespace.clone().unwrap_or_else(|| env.config.argocd.namespace.clone());
        let api: Api<DynamicObject> =
            Api::namespaced_with(client, &namespace, &crate::sources::custom_resources::application());
        wait_for(io, p.within, Duration::from_secs(1), || {
            let api = api.clone();
            let namespace = namespace.clone();
            async move {
                match api.list(&ListParams::default()).await {
                    Ok(list) => judge(
                        p,
                        &namespace,
                        list.items.iter().map(|o| serde_json::to_value(o).unwrap_or_default()).collect(),
                    ),
                    Err(e) => Poll::Wait(format!("cannot list applications in {namespace}: {e}")),
                }
            }
        })
        .await
    })
}

/// One look at the applications.
fn judge(p: &Params, namespace: &str, apps: Vec<Value>) -> Poll {
    let name_of = |a: &Value| a.pointer("/metadata/name").and_then(Value::as_str).unwrap_or("").to_string();
    let wanted: Vec<&Value> = if p.apps.is_empty() {
        apps.iter()
            .filter(|a| {
                let dest = a.pointer("/spec/destination/namespace").and_then(Value::as_str).unwrap_or("");
                p.destination_namespaces.iter().any(|n| n == dest)
            })
            .collect()
    } else {
        apps.iter().filter(|a| p.apps.contains(&name_of(a))).collect()
    };
    let missing: Vec<String> =
        p.apps.iter().filter(|n| !wanted.iter().any(|a| name_of(a) == **n)).cloned().collect();
    if wanted.is_empty() && p.apps.is_empty() {
        return Poll::Done(Outcome::Failed(format!(
            "no Argo CD application in {namespace} deploys into {}",
            p.destination_namespaces.join(", ")
        )));
    }
    let mut broken = Vec::new();
    let mut waiting: Vec<String> = missing.iter().map(|n| format!("{n}: not found in {namespace}")).collect();
    for app in &wanted {
        let name = name_of(app);
        let sync = app.pointer("/status/sync/status").and_then(Value::as_str).unwrap_or("Unknown");
        let health = app.pointer("/status/health/status").and_then(Value::as_str).unwrap_or("Unknown");
        let operating = app.get("operation").is_some_and(|o| !o.is_null())
            || app.pointer("/status/operationState/phase").and_then(Value::as_str) == Some("Running");
        if sync == "Synced" && health == "Healthy" {
            continue;
        }
        let line = format!("{name}: {health}, {sync}{}", detail(app));
        if matches!(health, "Degraded" | "Missing") && !operating {
            broken.push(line);
        } else {
            waiting.push(line);
        }
    }
    if !broken.is_empty() {
        broken.extend(waiting);
        return Poll::Done(Outcome::Failed(broken.join("; ")));
    }
    if waiting.is_empty() {
        let names: Vec<String> = wanted.iter().map(|a| name_of(a)).collect();
        return Poll::Done(Outcome::Passed(format!(
            "{} Synced and Healthy: {}",
            names.len(),
            list_some(&names, 6)
        )));
    }
    Poll::Wait(waiting.join("; "))
}

/// The health message, the unhealthy resources and the images, for on-call.
fn detail(app: &Value) -> String {
    let mut parts = Vec::new();
    if let Some(m) = app.pointer("/status/health/message").and_then(Value::as_str).filter(|m| !m.is_empty()) {
        parts.push(m.to_string());
    }
    if let Some(resources) = app.pointer("/status/resources").and_then(Value::as_array) {
        for r in resources {
            let h = r.pointer("/health/status").and_then(Value::as_str).unwrap_or("Healthy");
            if h != "Healthy" {
                let msg = r.pointer("/health/message").and_then(Value::as_str).unwrap_or("");
                parts.push(
                    format!(
                        "{}/{} {h} {msg}",
                        r["kind"].as_str().unwrap_or("?"),
                        r["name"].as_str().unwrap_or("?")
                    )
                    .trim_end()
                    .to_string(),
                );
            }
        }
    }
    if let Some(images) = app.pointer("/status/summary/images").and_then(Value::as_array)
        && !images.is_empty()
    {
        let images: Vec<&str> = images.iter().filter_map(Value::as_str).collect();
        parts.push(format!("images {}", images.join(", ")));
    }
    if parts.is_empty() { String::new() } else { format!(" — {}", parts.join("; ")) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn params(apps: &[&str]) -> Params {
        Params {
            apps: apps.iter().map(|s| s.to_string()).collect(),
            destination_namespaces: vec!["svc".into()],
            namespace: None,
            within: Duration::from_secs(1),
        }
    }

    fn app(name: &str, sync: &str, health: &str) -> Value {
        json!({"metadata": {"name": name}, "spec": {"destination": {"namespace": "svc"}},
               "status": {"sync": {"status": sync}, "health": {"status": health, "message": "Deployment \"x\" exceeded its progress deadline"},
                          "summary": {"images": ["r/x:bad"]}}})
    }

    #[test]
    fn degraded_fails_at_once_with_details() {
        let Poll::Done(Outcome::Failed(m)) = judge(
            &params(&[]),
            "argocd",
            vec![app("a", "Synced", "Healthy"), app("x", "Synced", "Degraded")],
        ) else {
            panic!("not failed")
        };
        assert_eq!(
            m,
            "x: Degraded, Synced — Deployment \"x\" exceeded its progress deadline; images r/x:bad"
        );
    }

    #[test]
    fn progressing_and_missing_wait() {
        assert!(
            matches!(judge(&params(&["a", "b"]), "argocd", vec![app("a", "Synced", "Healthy")]), Poll::Wait(w) if w == "b: not found in argocd")
        );
        assert!(matches!(
            judge(&params(&[]), "argocd", vec![app("a", "OutOfSync", "Progressing")]),
            Poll::Wait(_)
        ));
        assert!(matches!(
            judge(&params(&["a"]), "argocd", vec![app("a", "Synced", "Healthy")]),
            Poll::Done(Outcome::Passed(_))
        ));
    }
}
