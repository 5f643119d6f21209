//! The task kinds, one file each. A suite names a kind with `kind:` and gives its parameters beside it.

pub mod apply_manifests;
pub mod argocd_apps;
pub mod command;
pub mod ecr_check;
pub mod ecr_ensure;
pub mod grafana_datasources;
pub mod http_check;
pub mod kube_context;
pub mod kyverno;
pub mod loki_query;
pub mod pods_ready;
pub mod policy_compliance;
pub mod prometheus_query;
pub mod prometheus_targets;
pub mod terraform_outputs;
pub mod tools;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;

use super::engine::{Outcome, TaskIo, Work};
use super::env::Env;

/// A kind and its parameters, as a suite gives them.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum KindSpec {
    Tools(tools::Params),
    KubeContext(kube_context::Params),
    ApplyManifests(apply_manifests::Params),
    ArgocdApps(argocd_apps::Params),
    PodsReady(pods_ready::Params),
    Http(http_check::Params),
    GrafanaDatasources(grafana_datasources::Params),
    PrometheusQuery(prometheus_query::Params),
    PrometheusTargets(prometheus_targets::Params),
    LokiQuery(loki_query::Params),
    Kyverno(kyverno::Params),
    PolicyCompliance(policy_compliance::Params),
    EcrEnsure(ecr_ensure::Params),
    EcrCheck(ecr_check::Params),
    TerraformOutputs(terraform_outputs::Params),
    Command(command::Params),
}

/// What a kind contributes to a task.
pub struct Built {
    pub work: Arc<dyn Work>,
    /// What the task would do or change, for `--dry-run`.
    pub plan: String,
    pub mutating: bool,
    /// Whether retrying after a failure makes sense (transient network errors, eventual states).
    pub retryable: bool,
}

impl KindSpec {
    pub fn build(self, env: &Arc<Env>) -> Built {
        let env = env.clone();
        match self {
            KindSpec::Tools(p) => tools::build(p, env),
            KindSpec::KubeContext(p) => kube_context::build(p, env),
            KindSpec::ApplyManifests(p) => apply_manifests::build(p, env),
            KindSpec::ArgocdApps(p) => argocd_apps::build(p, env),
            KindSpec::PodsReady(p) => pods_ready::build(p, env),
            KindSpec::Http(p) => http_check::build(p, env),
            KindSpec::GrafanaDatasources(p) => grafana_datasources::build(p, env),
            KindSpec::PrometheusQuery(p) => prometheus_query::build(p, env),
            KindSpec::PrometheusTargets(p) => prometheus_targets::build(p, env),
            KindSpec::LokiQuery(p) => loki_query::build(p, env),
            KindSpec::Kyverno(p) => kyverno::build(p, env),
            KindSpec::PolicyCompliance(p) => policy_compliance::build(p, env),
            KindSpec::EcrEnsure(p) => ecr_ensure::build(p, env),
            KindSpec::EcrCheck(p) => ecr_check::build(p, env),
            KindSpec::TerraformOutputs(p) => terraform_outputs::build(p, env),
            KindSpec::Command(p) => command::build(p, env),
        }
    }
}

/// One look at an eventual state: done (either way), or not yet (and why, for the output and for the
/// failure message when the wait ends).
pub enum Poll {
    Done(Outcome),
    Wait(String),
}

/// Looks every `interval` until done or `within` has passed; then fails with the last reason.
pub async fn wait_for<F, Fut>(io: &TaskIo, within: Duration, interval: Duration, mut look: F) -> Outcome
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Poll>,
{
    let deadline = tokio::time::Instant::now() + within;
    let mut last = String::new();
    loop {
        match look().await {
            Poll::Done(outcome) => return outcome,
            Poll::Wait(why) => {
                if why != last {
                    io.line(format!("waiting: {why}"));
                    last = why;
                }
            }
        }
        if tokio::time::Instant::now() + interval > deadline {
            return Outcome::Failed(format!(
                "{last} (still after {})",
                super::engine::human_duration(within)
            ));
        }
        if !io.sleep(interval).await {
            return Outcome::Failed(format!("cancelled while waiting: {last}"));
        }
    }
}

/// A task's work from an async closure over its parameters and environment.
pub struct Job<P> {
    pub params: P,
    pub env: Arc<Env>,
    pub run: for<'a> fn(&'a P, &'a Env, &'a TaskIo) -> futures::future::BoxFuture<'a, Outcome>,
}

impl<P: Send + Sync> Work for Job<P> {
    fn run<'a>(&'a self, io: &'a TaskIo) -> futures::future::BoxFuture<'a, Outcome> {
        (self.run)(&self.params, &self.env, io)
    }
}

/// Builds a task from a kind's parameters and its run function.
pub fn built<P: Send + Sync + 'static>(
    params: P,
    env: Arc<Env>,
    run: for<'a> fn(&'a P, &'a Env, &'a TaskIo) -> futures::future::BoxFuture<'a, Outcome>,
    plan: String,
    mutating: bool,
    retryable: bool,
) -> Built {
    Built { work: Arc::new(Job { params, env, run }), plan, mutating, retryable }
}

/// Default wait for eventual states (apps synced, pods ready).
pub fn default_within() -> Duration {
    Duration::from_secs(60)
}

/// `a, b and 3 more`.
pub fn list_some(items: &[String], max: usize) -> String {
    if items.len() <= max {
        return items.join(", ");
    }
    format!("{} and {} more", items[..max].join(", "), items.len() - max)
}
