//! `grafana-datasources`: Grafana has the datasources the platform needs (Loki and Prometheus).

use std::sync::Arc;

use futures::future::BoxFuture;
use serde::Deserialize;

use super::{Built, built};
use crate::sources::grafana;
use crate::tasks::engine::{Outcome, TaskIo};
use crate::tasks::env::Env;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// Datasource types that must be present (`loki`, `prometheus`).
    pub types: Vec<String>,
}

pub fn build(p: Params, env: Arc<Env>) -> Built {
    let plan =
        format!("list Grafana's datasources at {}, expect {}", env.config.grafana_url(), p.types.join(", "));
    built(p, env, run, plan, false, true)
}

fn run<'a>(p: &'a Params, env: &'a Env, io: &'a TaskIo) -> BoxFuture<'a, Outcome> {
    Box::pin(async move {
        let token = match env.config.grafana.token.as_ref().map(|t| t.resolve()) {
            None | Some(Ok(None)) => {
                return Outcome::Skipped("grafana.token is not configured (a service-account token)".into());
            }
            Some(Err(e)) => return Outcome::Failed(e.to_string()),
            Some(Ok(Some(token))) => token,
        };
        let base = env.config.grafana_url();
        let list = match grafana::datasources(&env.http, &base, &token).await {
            Ok(list) => list,
            Err(e) => return Outcome::Failed(format!("{base}: {e}")),
        };
        for ds in &list {
            io.line(format!("{} ({}, uid {}) → {}", ds.name, ds.kind, ds.uid, ds.url));
        }
        let missing: Vec<&String> =
            p.types.iter().filter(|t| !list.iter().any(|ds| ds.kind == **t)).collect();
        if missing.is_empty() {
            let names: Vec<String> = list.iter().map(|d| format!("{} ({})", d.name, d.kind)).collect();
            Outcome::Passed(format!("datasources present: {}", names.join(", ")))
        } else {
            let missing: Vec<&str> = missing.iter().map(|s| s.as_str()).collect();
            Outcome::Failed(format!(
                "Grafana at {base} has no {} datasource — provision it (kube-prometheus-stack additionalDataSources)",
                missing.join(" or ")
            ))
        }
    })
}
