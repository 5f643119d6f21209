//! `prometheus-targets`: every active scrape target of Prometheus is up.

use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use serde::Deserialize;

use super::prometheus_query::not_configured;
use super::{Built, Poll, built, list_some, wait_for};
use crate::sources::prometheus::{PrometheusClient, Target};
use crate::tasks::engine::{Outcome, TaskIo};
use crate::tasks::env::Env;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// At least this many active targets.
    #[serde(default = "one")]
    pub min: usize,
    /// How long targets not scraped yet (`unknown`) are waited for.
    #[serde(default = "thirty_seconds", deserialize_with = "within")]
    pub within: Duration,
}

fn thirty_seconds() -> Duration {
    Duration::from_secs(30)
}

fn within<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    crate::tasks::duration::deserialize_opt(d).map(|o| o.unwrap_or_else(thirty_seconds))
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
        // A target not scraped yet is `unknown`: wait for its first scrape before judging.
        wait_for(io, p.within, Duration::from_secs(1), || async {
            match client.active_targets().await {
                Ok(targets) => judge(p, &targets),
                Err(e) => Poll::Done(Outcome::Failed(format!("{url}: {e}"))),
            }
        })
        .await
    })
}

fn judge(p: &Params, targets: &[Target]) -> Poll {
    let unknown: Vec<String> =
        targets.iter().filter(|t| t.health == "unknown").map(|t| t.scrape_url.clone()).collect();
    if !unknown.is_empty() {
        return Poll::Wait(format!("not scraped yet: {}", list_some(&unknown, 4)));
    }
    let down: Vec<String> = targets
        .iter()
        .filter(|t| t.health != "up")
        .map(|t| {
            let why = if t.last_error.is_empty() { t.health.clone() } else { t.last_error.clone() };
            format!("{} ({}): {why}", t.scrape_pool, t.scrape_url)
        })
        .collect();
    if targets.len() < p.min {
        return Poll::Done(Outcome::Failed(format!(
            "{} active targets, expected at least {}",
            targets.len(),
            p.min
        )));
    }
    Poll::Done(if down.is_empty() {
        Outcome::Passed(format!("{} targets up", targets.len()))
    } else {
        Outcome::Failed(format!(
            "{} of {} targets not up: {}",
            down.len(),
            targets.len(),
            list_some(&down, 4)
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(pool: &str, health: &str, error: &str) -> Target {
        Target {
            labels: Default::default(),
            scrape_pool: pool.into(),
            scrape_url: format!("http://{pool}/metrics"),
            health: health.into(),
            last_error: error.into(),
        }
    }

    #[test]
    fn unknown_waits_and_down_is_named() {
        let p = Params { min: 1, within: Duration::from_secs(1) };
        assert!(matches!(judge(&p, &[target("a", "unknown", "")]), Poll::Wait(_)));
        let Poll::Done(Outcome::Failed(m)) =
            judge(&p, &[target("a", "up", ""), target("b", "down", "connection refused")])
        else {
            panic!("not failed")
        };
        assert_eq!(m, "1 of 2 targets not up: b (http://b/metrics): connection refused");
        assert!(matches!(judge(&p, &[target("a", "up", "")]), Poll::Done(Outcome::Passed(_))));
    }
}
