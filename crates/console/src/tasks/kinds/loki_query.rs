//! `loki-query`: Loki holds at least N lines for a selector in a recent window — proof that the
//! collector ships logs.

use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use serde::Deserialize;
use serde_json::Value;

use super::{Built, built};
use crate::sources::loki::LokiClientConfig;
use crate::tasks::engine::{Outcome, TaskIo, human_duration};
use crate::tasks::env::Env;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// A LogQL log query.
    pub query: String,
    #[serde(default = "one")]
    pub min_lines: usize,
    #[serde(default = "five_minutes", deserialize_with = "window")]
    pub window: Duration,
}

fn one() -> usize {
    1
}

fn five_minutes() -> Duration {
    Duration::from_secs(300)
}

fn window<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    crate::tasks::duration::deserialize_opt(d).map(|o| o.unwrap_or_else(five_minutes))
}

pub fn build(p: Params, env: Arc<Env>) -> Built {
    let plan = format!(
        "query Loki for ≥ {} lines of `{}` in the last {}",
        p.min_lines,
        p.query,
        human_duration(p.window)
    );
    built(p, env, run, plan, false, true)
}

fn run<'a>(p: &'a Params, env: &'a Env, io: &'a TaskIo) -> BoxFuture<'a, Outcome> {
    Box::pin(async move {
        let loki = &env.config.loki;
        let Some(url) = &loki.url else { return Outcome::Skipped("loki.url is not configured".into()) };
        let now = jiff::Timestamp::now();
        let start = now.as_nanosecond() - p.window.as_nanos() as i128;
        let Ok(mut endpoint) =
            url::Url::parse(&format!("{}/loki/api/v1/query_range", url.trim_end_matches('/')))
        else {
            return Outcome::Failed(format!("loki.url `{url}` is not a URL"));
        };
        endpoint.query_pairs_mut().extend_pairs(&[
            ("query", p.query.clone()),
            ("start", start.to_string()),
            ("end", now.as_nanosecond().to_string()),
            ("limit", p.min_lines.max(1).to_string()),
            ("direction", "backward".to_string()),
        ]);
        let headers = match LokiClientConfig::from_config(url.clone(), loki) {
            Ok(client) => client.headers(),
            Err(e) => return Outcome::Failed(e.to_string()),
        };
        let headers = match headers {
            Ok(headers) => headers,
            Err(e) => return Outcome::Failed(e.to_string()),
        };
        let mut request = env.http.get(endpoint);
        for (name, value) in headers {
            request = request.header(name, value);
        }
        let response = match request.send().await {
            Ok(r) => r,
            Err(e) => return Outcome::Failed(format!("Loki at {url} does not answer: {e}")),
        };
        let status = response.status().as_u16();
        let text = response.text().await.unwrap_or_default();
        if status != 200 {
            return Outcome::Failed(format!(
                "Loki answered {status}: {}",
                text.chars().take(200).collect::<String>().trim()
            ));
        }
        let body: Value = serde_json::from_str(&text).unwrap_or_default();
        let lines: Vec<&str> = body
            .pointer("/data/result")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .flat_map(|stream| stream["values"].as_array().into_iter().flatten())
            .filter_map(|v| v.get(1).and_then(Value::as_str))
            .collect();
        if let Some(last) = lines.first() {
            io.line(format!("newest: {}", last.chars().take(200).collect::<String>()));
        }
        if lines.len() >= p.min_lines {
            Outcome::Passed(format!(
                "{} line{} of `{}` in the last {}",
                lines.len(),
                if lines.len() == 1 { "" } else { "s" },
                p.query,
                human_duration(p.window)
            ))
        } else {
            Outcome::Failed(format!(
                "{} lines of `{}` in the last {}, expected at least {} — is Promtail running and shipping to Loki?",
                lines.len(),
                p.query,
                human_duration(p.window),
                p.min_lines
            ))
        }
    })
}
