//! Benchmarks of the simulated platform at scale (DESIGN.md: "sim: list 20k pods through kubectl ≤ 2 s"):
//! - the kubectl-equivalent list of 20,000 pods: `GET /api/v1/pods?limit=500` pages with kubectl's
//!   Table `Accept` header, following `continue` to the end;
//! - the same list as plain JSON (what client libraries and informers ask for);
//! - watch fan-out: 1,000 pod changes delivered to each of 10 concurrent watchers;
//! - the sim's Prometheus at 500 services: one scrape into the history, and instant queries (`up`, a
//!   `rate` summed by service over a full 24-scrape history) through its HTTP API.
//!
//! Also prints the sim's resident memory once 20,000 pods are loaded, and what a full scrape history adds.

// Benchmark set-up failing is a bug in the benchmark: panicking is the right report.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use futures::StreamExt;
use serde_json::{Value, json};

use platdeck_sim::resources::PODS;
use platdeck_sim::scenario::ScenarioSource;
use platdeck_sim::series_history::KEPT_SCRAPES;
use platdeck_sim::world::meta_str;
use platdeck_sim::{SimOptions, SimServer};

const TABLE_ACCEPT: &str = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json";
const PODS_AT_SCALE: u32 = 20_000;

fn resident_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kb: f64 = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0);
    kb / 1024.0
}

fn start(rt: &tokio::runtime::Runtime) -> SimServer {
    let before = resident_mb();
    let started = Instant::now();
    let sim = rt
        .block_on(platdeck_sim::start(SimOptions {
            scenario: ScenarioSource::Builtin("platform".into()),
            scale: Some(format!("pods={PODS_AT_SCALE},apps=500").parse().expect("scale")),
            ..SimOptions::default()
        }))
        .expect("sim starts");
    println!(
        "sim with {} pods: started in {:.2?}, resident memory {:.0} MB (+{:.0} MB for the sim)",
        sim.state.world.count(&PODS),
        started.elapsed(),
        resident_mb(),
        resident_mb() - before
    );
    sim
}

async fn list_all(client: &reqwest::Client, base: &str, table: bool) -> usize {
    let mut token = String::new();
    let mut rows = 0;
    loop {
        let mut url = format!("{base}/api/v1/pods?limit=500");
        if !token.is_empty() {
            url.push_str(&format!("&continue={token}"));
        }
        let mut req = client.get(&url);
        if table {
            req = req.header("accept", TABLE_ACCEPT);
        }
        let page: Value = req.send().await.expect("list").json().await.expect("json");
        rows += page[if table { "rows" } else { "items" }].as_array().map_or(0, Vec::len);
        match page["metadata"]["continue"].as_str() {
            Some(t) if !t.is_empty() => token = t.to_string(),
            _ => return rows,
        }
    }
}

async fn fan_out(sim: &SimServer, watchers: usize, changes: usize) {
    let base = &sim.endpoints.kubernetes;
    let rv = sim.state.world.current_rv();
    let mut readers = Vec::new();
    for _ in 0..watchers {
        let url = format!("{base}/api/v1/namespaces/scale-000/pods?watch=true&resourceVersion={rv}");
        let resp = reqwest::get(url).await.expect("watch");
        readers.push(tokio::spawn(async move {
            let mut body = resp.bytes_stream();
            let mut seen = 0;
            while seen < changes {
                match body.next().await {
                    Some(Ok(chunk)) => seen += chunk.iter().filter(|b| **b == b'\n').count(),
                    _ => break,
                }
            }
            seen
        }));
    }
    let (_, pods) = sim.state.world.list(&PODS, Some("scale-000"));
    for i in 0..changes {
        let pod = &pods[i % pods.len()];
        let _ = sim.state.world.modify(&PODS, meta_str(pod, "namespace"), meta_str(pod, "name"), |p| {
            p["metadata"]["annotations"]["bench/seq"] = json!(format!("{rv}-{i}"));
            Ok(())
        });
    }
    for r in readers {
        assert!(r.await.expect("reader") >= changes);
    }
}

/// Fills the sim's scrape history as 24 scrapes 15 s apart would have, ending now.
fn fill_history(sim: &SimServer) -> usize {
    let now = platdeck_sim::scrape::now_secs();
    for i in (0..KEPT_SCRAPES).rev() {
        let samples = platdeck_sim::scrape::scrape(&sim.state, |_| true);
        sim.state.history.record(now - i as f64 * 15.0, samples);
    }
    sim.state.history.stats().0
}

async fn prometheus_query(client: &reqwest::Client, base: &str, promql: &str) -> usize {
    let url = reqwest::Url::parse_with_params(&format!("{base}/api/v1/query"), [("query", promql)]).unwrap();
    let body: Value = client.get(url).send().await.expect("query").json().await.expect("json");
    assert_eq!(body["status"], "success", "{body}");
    body["data"]["result"].as_array().map_or(0, Vec::len)
}

fn benches(c: &mut Criterion) {
    let rt =
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    let sim = start(&rt);
    let base = sim.endpoints.kubernetes.clone();
    let client = reqwest::Client::new();
    let mut group = c.benchmark_group("sim");
    group.sample_size(10).measurement_time(Duration::from_secs(20));
    group.bench_function("kubectl_get_pods_all_namespaces_20k_table_pages", |b| {
        b.to_async(&rt)
            .iter(|| async { assert!(list_all(&client, &base, true).await >= PODS_AT_SCALE as usize) })
    });
    group.bench_function("list_20k_pods_json_pages", |b| {
        b.to_async(&rt)
            .iter(|| async { assert!(list_all(&client, &base, false).await >= PODS_AT_SCALE as usize) })
    });
    group.bench_function("watch_fan_out_1000_changes_to_10_watchers", |b| {
        b.to_async(&rt).iter(|| fan_out(&sim, 10, 1000))
    });

    let before = resident_mb();
    let series = fill_history(&sim);
    println!(
        "prometheus history: {series} series over {KEPT_SCRAPES} scrapes, +{:.0} MB resident",
        resident_mb() - before
    );
    let prometheus = sim.endpoints.prometheus.clone();
    group.bench_function("prometheus_scrape_500_services_into_history", |b| {
        b.iter(|| {
            let samples = platdeck_sim::scrape::scrape(&sim.state, |_| true);
            sim.state.history.record(platdeck_sim::scrape::now_secs(), samples);
        })
    });
    group.bench_function("prometheus_query_up_500_targets", |b| {
        b.to_async(&rt).iter(|| async { assert!(prometheus_query(&client, &prometheus, "up").await >= 500) })
    });
    group.bench_function("prometheus_query_sum_by_service_rate_5m", |b| {
        let promql = "sum by (service) (rate(http_requests_total[5m]))";
        b.to_async(&rt).iter(|| async { assert!(prometheus_query(&client, &prometheus, promql).await >= 1) })
    });
    group.finish();
    println!("resident memory after the benchmarks: {:.0} MB", resident_mb());
    rt.block_on(sim.shutdown());
}

criterion_group!(sim_benches, benches);
criterion_main!(sim_benches);
