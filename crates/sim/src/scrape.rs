//! What a Prometheus in the simulated cluster scrapes: one target per simulated service (as
//! kube-prometheus-stack's ServiceMonitors find them), its `up`, and its metrics labelled `job`,
//! `namespace`, `service` and `instance`. Scraped every 15 s of scenario time into the series history;
//! queries see that history plus a scrape taken as they run.

use std::collections::HashMap;

use serde_json::Value;

use super::controllers::deployments::{is_pod_ready, is_terminating};
use super::promql::{Labels, METRIC_NAME, Matcher, Series, Storage};
use super::resources::{PODS, SERVICES};
use super::series_history::SCRAPE_INTERVAL;
use super::state::{Shared, SimState};

/// One scrape target.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    pub namespace: String,
    pub service: String,
    /// `host:port` the target is scraped at.
    pub instance: String,
    /// Up when the service has pods and every one of them is ready (a crash-looping or unready pod would
    /// fail its scrape).
    pub up: bool,
}

impl Target {
    /// The target labels every series scraped from it carries.
    pub fn labels(&self) -> [(&'static str, &str); 4] {
        [
            ("instance", self.instance.as_str()),
            ("job", self.service.as_str()),
            ("namespace", self.namespace.as_str()),
            ("service", self.service.as_str()),
        ]
    }
}

/// Every simulated service's target, sorted by namespace and service.
pub fn targets(state: &SimState) -> Vec<Target> {
    let services = state.metrics.services();
    // (ready, total) pods per (namespace, app), in one pass over the pods.
    let mut pods: HashMap<(&str, &str), (usize, usize)> = HashMap::new();
    let (_, all_pods) = state.world.list(&PODS, None);
    for pod in &all_pods {
        if is_terminating(pod) {
            continue;
        }
        let namespace = pod.pointer("/metadata/namespace").and_then(Value::as_str).unwrap_or("");
        let app =
            pod.pointer("/metadata/labels/app.kubernetes.io~1name").and_then(Value::as_str).unwrap_or("");
        let entry = pods.entry((namespace, app)).or_default();
        entry.0 += usize::from(is_pod_ready(pod));
        entry.1 += 1;
    }
    services
        .into_iter()
        .map(|(namespace, service)| {
            let port = state
                .world
                .get(&SERVICES, &namespace, &service)
                .and_then(|s| s.pointer("/spec/ports/0/port").and_then(Value::as_u64))
                .unwrap_or(80);
            let (ready, total) =
                pods.get(&(namespace.as_str(), service.as_str())).copied().unwrap_or_default();
            Target {
                instance: format!("{service}.{namespace}.svc:{port}"),
                up: total > 0 && ready == total,
                namespace,
                service,
            }
        })
        .collect()
}

fn labelled(name: &str, target_labels: &[(&str, &str)], own: &[(&str, &str)]) -> Labels {
    let mut labels = Labels::new();
    labels.insert(METRIC_NAME.to_string(), name.to_string());
    for (k, v) in target_labels.iter().chain(own) {
        labels.insert(k.to_string(), v.to_string());
    }
    labels
}

/// Every current sample whose metric name passes `wants`: the services' metrics and each target's `up`.
pub fn scrape(state: &SimState, wants: impl Fn(&str) -> bool) -> Vec<(Labels, f64)> {
    let wants_metrics = super::metrics::FAMILIES.iter().any(|f| {
        ["", "_bucket", "_sum", "_count"].iter().any(|suffix| wants(&format!("{}{suffix}", f.name)))
    });
    if !wants("up") && !wants_metrics {
        return Vec::new();
    }
    let targets = targets(state);
    let mut samples = Vec::new();
    if wants("up") {
        for t in &targets {
            samples.push((labelled("up", &t.labels(), &[]), if t.up { 1.0 } else { 0.0 }));
        }
    }
    if wants_metrics {
        let by_service: HashMap<(&str, &str), &Target> =
            targets.iter().map(|t| ((t.namespace.as_str(), t.service.as_str()), t)).collect();
        state.metrics.visit_samples(|s| {
            if !wants(s.name) {
                return;
            }
            if let Some(t) = by_service.get(&(s.namespace, s.service)) {
                samples.push((labelled(s.name, &t.labels(), s.labels), s.value));
            }
        });
    }
    samples
}

/// Unix seconds, millisecond precision (Prometheus' timestamp resolution).
pub fn now_secs() -> f64 {
    jiff::Timestamp::now().as_millisecond() as f64 / 1000.0
}

/// Scrapes into the series history: once shortly after start (so rates have a first point soon), then
/// every scrape interval of scenario time, until shutdown.
pub async fn run(state: Shared) {
    let first = std::time::Duration::from_secs(1);
    let mut next = tokio::time::Instant::now() + first;
    loop {
        tokio::select! {
            _ = tokio::time::sleep_until(next) => {}
            _ = state.shutdown.cancelled() => return,
        }
        let samples = scrape(&state, |_| true);
        state.history.record(now_secs(), samples);
        next += state.clock.real(SCRAPE_INTERVAL);
    }
}

/// The sim's samples as a query sees them: the history, plus a scrape taken now.
pub struct SimStorage<'a> {
    pub state: &'a SimState,
    pub now: f64,
}

impl Storage for SimStorage<'_> {
    fn select(&self, matchers: &[Matcher], from: f64, to: f64) -> Vec<Series> {
        let name_matchers: Vec<&Matcher> = matchers.iter().filter(|m| m.name == METRIC_NAME).collect();
        let mut by_labels: HashMap<Labels, Vec<(f64, f64)>> = self
            .state
            .history
            .select(matchers, from, to)
            .into_iter()
            .map(|s| (s.labels, s.samples))
            .collect();
        if (from..=to).contains(&self.now) {
            let live = scrape(self.state, |name| name_matchers.iter().all(|m| m.matches_value(name)));
            for (labels, value) in live {
                if matchers.iter().all(|m| m.matches(&labels)) {
                    by_labels.entry(labels).or_default().push((self.now, value));
                }
            }
        }
        by_labels.into_iter().map(|(labels, samples)| Series { labels, samples }).collect()
    }
}
