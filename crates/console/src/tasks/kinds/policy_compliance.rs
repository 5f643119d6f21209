//! `policy-compliance`: the deployments matching a selector (the golden-path services) have no failing
//! Kyverno results in their PolicyReports.

use std::sync::Arc;

use futures::future::BoxFuture;
use k8s_openapi::api::apps::v1::Deployment;
use kube::api::{Api, DynamicObject, ListParams};
use serde::Deserialize;
use serde_json::Value;

use super::{Built, built, list_some};
use crate::sources::custom_resources;
use crate::tasks::engine::{Outcome, TaskIo};
use crate::tasks::env::Env;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    pub namespace: String,
    #[serde(default)]
    pub selector: String,
    /// Only these policies count; empty = all.
    #[serde(default)]
    pub policies: Vec<String>,
}

pub fn build(p: Params, env: Arc<Env>) -> Built {
    let plan = format!("read the PolicyReports of deployments in {} matching {}", p.namespace, p.selector);
    built(p, env, run, plan, false, true)
}

fn run<'a>(p: &'a Params, env: &'a Env, io: &'a TaskIo) -> BoxFuture<'a, Outcome> {
    Box::pin(async move {
        let client = match env.kube() {
            Ok(c) => c.clone(),
            Err(e) => return Outcome::Failed(e),
        };
        let deployments: Api<Deployment> = Api::namespaced(client.clone(), &p.namespace);
        let deployments = match deployments.list(&ListParams::default().labels(&p.selector)).await {
            Ok(l) => l.items,
            Err(e) => return Outcome::Failed(format!("cannot list deployments in {}: {e}", p.namespace)),
        };
        if deployments.is_empty() {
            return Outcome::Failed(format!("no deployment in {} matches {}", p.namespace, p.selector));
        }
        let reports: Api<DynamicObject> =
            Api::namespaced_with(client, &p.namespace, &custom_resources::policy_report());
        let reports: Vec<Value> = match reports.list(&ListParams::default()).await {
            Ok(l) => l.items.iter().map(|r| serde_json::to_value(r).unwrap_or_default()).collect(),
            Err(e) => return Outcome::Failed(format!("cannot list PolicyReports in {}: {e}", p.namespace)),
        };
        let mut violations = Vec::new();
        let mut names = Vec::new();
        for d in &deployments {
            let name = d.metadata.name.clone().unwrap_or_default();
            let uid = d.metadata.uid.clone().unwrap_or_default();
            let found = failures(p, &reports, &name, &uid);
            io.line(format!(
                "{name}: {}",
                if found.is_empty() { "compliant".to_string() } else { found.join("; ") }
            ));
            violations.extend(found.into_iter().map(|f| format!("{name} violates {f}")));
            names.push(name);
        }
        if violations.is_empty() {
            Outcome::Passed(format!("{} deployments comply: {}", names.len(), list_some(&names, 6)))
        } else {
            Outcome::Failed(violations.join("; "))
        }
    })
}

/// `policy/rule — message` for each failing result about this deployment.
fn failures(p: &Params, reports: &[Value], name: &str, uid: &str) -> Vec<String> {
    reports
        .iter()
        .filter(|r| {
            let scope = &r["scope"];
            scope["uid"] == uid || (scope["kind"] == "Deployment" && scope["name"] == name)
        })
        .flat_map(|r| r["results"].as_array().cloned().unwrap_or_default())
        .filter(|result| result["result"] == "fail")
        .filter(|result| {
            p.policies.is_empty() || p.policies.iter().any(|pol| result["policy"] == pol.as_str())
        })
        .map(|result| {
            format!(
                "{}/{} — {}",
                result["policy"].as_str().unwrap_or("?"),
                result["rule"].as_str().unwrap_or("?"),
                result["message"].as_str().unwrap_or("").trim()
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn failing_results_of_the_deployment_are_named() {
        let p = Params { namespace: "ns".into(), selector: String::new(), policies: vec![] };
        let reports = vec![json!({"scope": {"kind": "Deployment", "name": "users", "uid": "u1"},
            "results": [{"policy": "require-observability-labels", "rule": "check-recommended-labels", "result": "fail", "message": "labels should be set"},
                        {"policy": "require-observability-labels", "rule": "require-liveness-probe", "result": "pass"}]})];
        assert_eq!(
            failures(&p, &reports, "users", "u1"),
            ["require-observability-labels/check-recommended-labels — labels should be set"]
        );
        assert!(failures(&p, &reports, "other", "u2").is_empty());
    }
}
