//! `prometheus-query`: a PromQL query returns samples — any, or every value within a threshold.

use std::sync::Arc;

use futures::future::BoxFuture;
use serde::Deserialize;

use super::{Built, built};
use crate::sources::prometheus::{PrometheusClient, Sample};
use crate::tasks::engine::{Outcome, TaskIo};
use crate::tasks::env::Env;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    pub query: String,
    /// Every sample must be at least this.
    pub min: Option<f64>,
    /// Every sample must be at most this.
    pub max: Option<f64>,
}

pub fn build(p: Params, env: Arc<Env>) -> Built {
    let plan = format!("query Prometheus for `{}`", p.query);
    built(p, env, run, plan, false, true)
}

/// The skip reason when Prometheus is not configured.
pub fn not_configured() -> Outcome {
    Outcome::Skipped("prometheus.url is not configured".into())
}

fn run<'a>(p: &'a Params, env: &'a Env, io: &'a TaskIo) -> BoxFuture<'a, Outcome> {
    Box::pin(async move {
        let Some(url) = &env.config.prometheus.url else { return not_configured() };
        let client = PrometheusClient::new(env.http.clone(), url);
        match client.query(&p.query).await {
            Ok(samples) => judge(p, &samples, io),
            Err(e) => Outcome::Failed(format!("{url}: {e}")),
        }
    })
}

fn label_text(s: &Sample) -> String {
    let labels: Vec<String> =
        s.labels.iter().map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default())).collect();
    format!("{{{}}}", labels.join(","))
}

fn judge(p: &Params, samples: &[Sample], io: &TaskIo) -> Outcome {
    for s in samples.iter().take(20) {
        io.line(format!("{} {}", label_text(s), s.value));
    }
    if samples.is_empty() {
        return Outcome::Failed(format!(
            "`{}` returned no samples — is the target scraped and the metric exported?",
            p.query
        ));
    }
    let outside: Vec<String> = samples
        .iter()
        // NaN is outside every bound.
        .filter(|s| {
            s.value.is_nan() || p.min.is_some_and(|m| s.value < m) || p.max.is_some_and(|m| s.value > m)
        })
        .map(|s| format!("{} = {}", label_text(s), s.value))
        .collect();
    if outside.is_empty() {
        Outcome::Passed(format!("`{}`: {} samples{}", p.query, samples.len(), bounds(p)))
    } else {
        Outcome::Failed(format!(
            "`{}`: {} outside{}: {}",
            p.query,
            outside.len(),
            bounds(p),
            super::list_some(&outside, 4)
        ))
    }
}

fn bounds(p: &Params) -> String {
    match (p.min, p.max) {
        (Some(a), Some(b)) => format!(" within [{a}, {b}]"),
        (Some(a), None) => format!(" ≥ {a}"),
        (None, Some(b)) => format!(" ≤ {b}"),
        (None, None) => String::new(),
    }
}
