//! `kyverno`: Kyverno's controllers are available, its policies exist and are Ready; the PolicyReport
//! summary is reported (Audit violations are findings, not a failed installation).

use std::collections::BTreeMap;
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
    #[serde(default = "kyverno")]
    pub namespace: String,
    /// ClusterPolicies that must be present and Ready.
    #[serde(default)]
    pub policies: Vec<String>,
}

fn kyverno() -> String {
    "kyverno".into()
}

pub fn build(p: Params, env: Arc<Env>) -> Built {
    let plan = format!(
        "check Kyverno's controllers in {} and policies {} are Ready; summarise PolicyReports",
        p.namespace,
        p.policies.join(", ")
    );
    built(p, env, run, plan, false, true)
}

fn run<'a>(p: &'a Params, env: &'a Env, io: &'a TaskIo) -> BoxFuture<'a, Outcome> {
    Box::pin(async move {
        let client = match env.kube() {
            Ok(c) => c.clone(),
            Err(e) => return Outcome::Failed(e),
        };
        let deployments: Api<Deployment> = Api::namespaced(client.clone(), &p.namespace);
        let list = match deployments.list(&ListParams::default()).await {
            Ok(l) => l.items,
            Err(e) => return Outcome::Failed(format!("cannot list deployments in {}: {e}", p.namespace)),
        };
        if list.is_empty() {
            return Outcome::Failed(format!(
                "Kyverno is not installed: no deployments in namespace {} — sync the kyverno application",
                p.namespace
            ));
        }
        let unavailable: Vec<String> = list
            .iter()
            .filter_map(|d| {
                let want = d.spec.replicas.unwrap_or(1);
                let have = d.status.as_ref().and_then(|s| s.available_replicas).unwrap_or(0);
                (have < want).then(|| {
                    format!("{} {have}/{want} available", d.metadata.name.clone().unwrap_or_default())
                })
            })
            .collect();
        if !unavailable.is_empty() {
            return Outcome::Failed(format!("Kyverno controllers not available: {}", unavailable.join(", ")));
        }
        io.line(format!("{} controllers available in {}", list.len(), p.namespace));
        let policies: Api<DynamicObject> = Api::all_with(client.clone(), &custom_resources::cluster_policy());
        let mut problems = Vec::new();
        for name in &p.policies {
            match policies.get_opt(name).await {
                Ok(Some(policy)) => {
                    let value = serde_json::to_value(&policy).unwrap_or_default();
                    let ready = value
                        .pointer("/status/conditions")
                        .and_then(Value::as_array)
                        .and_then(|cs| cs.iter().find(|c| c["type"] == "Ready"));
                    match ready {
                        Some(c) if c["status"] == "True" => io.line(format!("clusterpolicy/{name} Ready")),
                        Some(c) => problems.push(format!(
                            "clusterpolicy/{name} not Ready: {}",
                            c["message"].as_str().unwrap_or("no message")
                        )),
                        None => problems.push(format!("clusterpolicy/{name} has no Ready condition yet")),
                    }
                }
                Ok(None) => problems.push(format!("clusterpolicy/{name} is missing — sync kyverno-policies")),
                Err(e) => problems.push(format!("cannot read clusterpolicy/{name}: {e}")),
            }
        }
        if !problems.is_empty() {
            return Outcome::Failed(problems.join("; "));
        }
        let reports: Api<DynamicObject> = Api::all_with(client, &custom_resources::policy_report());
        let summary = match reports.list(&ListParams::default()).await {
            Ok(list) => summarise(list.items.iter().map(|r| serde_json::to_value(r).unwrap_or_default())),
            Err(e) => format!("PolicyReports unavailable: {e}"),
        };
        io.line(summary.clone());
        let ready = match p.policies.len() {
            1 => "1 policy Ready".to_string(),
            n => format!("{n} policies Ready"),
        };
        Outcome::Passed(format!("{} controllers available, {ready}; {summary}", list.len()))
    })
}

/// `reports: 40 pass, 3 fail (notifications-worker)`.
fn summarise(reports: impl Iterator<Item = Value>) -> String {
    let mut totals: BTreeMap<&str, u64> = BTreeMap::new();
    let mut failing = Vec::new();
    for report in reports {
        for key in ["pass", "fail", "warn", "error", "skip"] {
            *totals.entry(key).or_default() +=
                report.pointer(&format!("/summary/{key}")).and_then(Value::as_u64).unwrap_or(0);
        }
        if report.pointer("/summary/fail").and_then(Value::as_u64).unwrap_or(0) > 0 {
            let name = report.pointer("/scope/name").and_then(Value::as_str).unwrap_or("?").to_string();
            if !failing.contains(&name) {
                failing.push(name);
            }
        }
    }
    let counts: Vec<String> = ["pass", "fail", "warn", "error", "skip"]
        .iter()
        .filter(|k| totals.get(*k).copied().unwrap_or(0) > 0 || **k == "fail")
        .map(|k| format!("{} {k}", totals.get(*k).copied().unwrap_or(0)))
        .collect();
    let who = if failing.is_empty() { String::new() } else { format!(" ({})", list_some(&failing, 4)) };
    format!("reports: {}{who}", counts.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn summaries_add_up_and_name_failing_resources() {
        let reports = vec![
            json!({"scope": {"name": "a"}, "summary": {"pass": 4, "fail": 0}}),
            json!({"scope": {"name": "worker"}, "summary": {"pass": 1, "fail": 3}}),
        ];
        assert_eq!(summarise(reports.into_iter()), "reports: 5 pass, 3 fail (worker)");
        assert_eq!(summarise(std::iter::empty()), "reports: 0 fail");
    }
}
