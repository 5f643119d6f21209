//! `prometheus-targets`: every active scrape target of Prometheus is up.

use std::sync::Arc;

use futures::future::BoxFuture;
use serde::Deserialize;

use super::prometheus_query::not_configured;
use super::{Built, built, list_some};
use crate::sources::prometheus::PrometheusClient;
use crate::tasks::engine::{Outcome, TaskIo};
use crate::tasks::env::Env;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// At least this many active targets.
    #[serde(default = "one")]
    pub min: usize,
}

fn one() -> usize {
    1
}

pub fn build(p: Params, env: Arc<Env>) -> Built {
    built(p, env, run, "list Prometheus's active scrape targets; all must be up".into(), false, true)
}

fn run<'a>(p: &'a Params, env: &'a Env, io: &'a TaskIo) -> BoxFuture<'a, Outcome> {
    Box::pin(async move {
        let Some(url) = &env.config.prometheus.url else { return not_configured() };
        let client = PrometheusClient::new(env.http.clone(), url);
        let targets = match client.active_targets().await {
            Ok(t) => t,
            Err(e) => return Outcome::Failed(format!("{url}: {e}")),
        };
        let mut down = Vec::new();
        for t in &targets {
            io.line(format!("{} {} {}", t.health, t.scrape_pool, t.scrape_url));
            if t.health != "up" {
                let why = if t.last_error.is_empty() { t.health.clone() } else { t.last_error.clone() };
                down.push(format!("{} ({}): {why}", t.scrape_pool, t.scrape_url));
            }
        }
        if targets.len() < p.min {
            return Outcome::Failed(format!("{} active targets, expected at least {}", targets.len(), p.min));
        }
        if down.is_empty() {
            Outcome::Passed(format!("{} targets up", targets.len()))
        } else {
            Outcome::Failed(format!(
                "{} of {} targets not up: {}",
                down.len(),
                targets.len(),
                list_some(&down, 4)
            ))
        }
    })
}
