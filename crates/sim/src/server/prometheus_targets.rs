//! `GET /api/v1/targets`: the simulated services' scrape targets and their health, as kube-prometheus-stack's
//! ServiceMonitors would show them (`state=active|dropped|any`).

use axum::extract::{Query, State};
use axum::response::Response;
use serde::Deserialize;
use serde_json::{Value, json};

use super::prometheus_api::success;
use crate::scrape::{Target, now_secs, targets as scrape_targets};
use crate::series_history::SCRAPE_INTERVAL;
use crate::state::Shared;

#[derive(Debug, Default, Deserialize)]
pub struct TargetParams {
    state: Option<String>,
}

pub async fn targets(State(state): State<Shared>, Query(params): Query<TargetParams>) -> Response {
    let wanted = params.state.as_deref().unwrap_or("any").to_ascii_lowercase();
    let last_scrape = state.history.last_scrape().unwrap_or_else(now_secs);
    let active: Vec<Value> = if wanted == "active" || wanted == "any" {
        scrape_targets(&state).iter().map(|t| active_target(t, last_scrape)).collect()
    } else {
        Vec::new()
    };
    // Every discovered target is kept, so nothing is ever dropped.
    success(json!({"activeTargets": active, "droppedTargets": []}))
}

fn active_target(t: &Target, last_scrape: f64) -> Value {
    let url = format!("http://{}/metrics", t.instance);
    let labels: serde_json::Map<String, Value> =
        t.labels().iter().map(|(k, v)| (k.to_string(), json!(v))).collect();
    let last_error = if t.up {
        String::new()
    } else {
        format!("Get \"{url}\": dial tcp {}: connect: connection refused", t.instance)
    };
    let last_scrape = jiff::Timestamp::from_millisecond((last_scrape * 1000.0) as i64)
        .map(|ts| ts.to_string())
        .unwrap_or_default();
    json!({
        "discoveredLabels": {
            "__address__": t.instance,
            "__metrics_path__": "/metrics",
            "__scheme__": "http",
            "__meta_kubernetes_namespace": t.namespace,
            "__meta_kubernetes_service_name": t.service,
            "job": format!("serviceMonitor/{}/{}/0", t.namespace, t.service),
        },
        "labels": labels,
        "scrapePool": format!("serviceMonitor/{}/{}/0", t.namespace, t.service),
        "scrapeUrl": url,
        "globalUrl": url,
        "lastError": last_error,
        "lastScrape": last_scrape,
        "lastScrapeDuration": 0.002,
        "health": if t.up { "up" } else { "down" },
        "scrapeInterval": format!("{}s", SCRAPE_INTERVAL.as_secs()),
        "scrapeTimeout": "10s",
    })
}
