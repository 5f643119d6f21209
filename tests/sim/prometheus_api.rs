//! The sim's Prometheus HTTP API through a plain HTTP client, as the console's Prometheus tasks call it:
//! `up` per service target (down while a service crash-loops), rates from the scrape history,
//! aggregations, comparisons, range queries, targets, and `bad_data` for what it refuses.

use std::collections::BTreeSet;
use std::time::Duration;

use serde_json::Value;

use platdeck_sim::SimOptions;
use platdeck_sim::scenario::ScenarioSource;

use super::harness::{start_sim, start_with, wait_for};

async fn get(base: &str, path: &str, params: &[(&str, &str)]) -> (u16, Value) {
    let url = reqwest::Url::parse_with_params(&format!("{base}{path}"), params).unwrap();
    let response = reqwest::get(url).await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

async fn query(base: &str, promql: &str) -> Vec<Value> {
    let (status, body) = get(base, "/api/v1/query", &[("query", promql)]).await;
    assert_eq!(status, 200, "{promql}: {body}");
    assert_eq!(body["status"], "success");
    assert_eq!(body["data"]["resultType"], "vector", "{promql}: {body}");
    body["data"]["result"].as_array().unwrap().clone()
}

fn value(sample: &Value) -> f64 {
    let pair = sample["value"].as_array().unwrap();
    assert!(pair[0].as_f64().unwrap() > 1.7e9, "a unix timestamp: {sample}");
    pair[1].as_str().unwrap().parse().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn up_targets_and_labels_on_the_healthy_platform() {
    let sim = start_sim("").await;
    let base = sim.endpoints.prometheus.clone();
    let services = sim.state.metrics.services();
    assert!(services.len() >= 5, "{services:?}");

    let up = query(&base, "up").await;
    assert_eq!(up.len(), services.len(), "one target per simulated service");
    for sample in &up {
        let metric = sample["metric"].as_object().unwrap();
        let keys: BTreeSet<&str> = metric.keys().map(String::as_str).collect();
        assert_eq!(keys, BTreeSet::from(["__name__", "instance", "job", "namespace", "service"]), "{sample}");
        assert_eq!(metric["job"], metric["service"], "the ServiceMonitor job label is the service name");
        assert_eq!(value(sample), 1.0, "{sample}");
    }
    let (_, service) = &services[0];
    let by_service = query(&base, "sum by (service) (up)").await;
    assert_eq!(by_service.len(), services.len());
    assert!(by_service.iter().any(|s| s["metric"] == serde_json::json!({"service": service})));
    assert_eq!(query(&base, "count(up == 1)").await.len(), 1);
    assert!(query(&base, "up == 0").await.is_empty());

    let (status, targets) = get(&base, "/api/v1/targets", &[]).await;
    assert_eq!(status, 200);
    let active = targets["data"]["activeTargets"].as_array().unwrap();
    assert_eq!(active.len(), services.len());
    assert!(active.iter().all(|t| t["health"] == "up" && t["lastError"] == ""), "{targets}");
    assert_eq!(targets["data"]["droppedTargets"], serde_json::json!([]));
    let (_, dropped) = get(&base, "/api/v1/targets", &[("state", "dropped")]).await;
    assert_eq!(dropped["data"]["activeTargets"], serde_json::json!([]));

    let (_, labels) = get(&base, "/api/v1/labels", &[]).await;
    let names: Vec<&str> = labels["data"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    for name in ["__name__", "instance", "job", "namespace", "service"] {
        assert!(names.contains(&name), "{names:?}");
    }
    let (_, jobs) = get(&base, "/api/v1/label/job/values", &[]).await;
    assert_eq!(jobs["data"].as_array().unwrap().len(), services.len());
    let (_, series) =
        get(&base, "/api/v1/series", &[("match[]", "up"), ("match[]", "process_start_time_seconds")]).await;
    let series = series["data"].as_array().unwrap();
    assert_eq!(series.len(), 2 * services.len(), "{series:?}");
    assert!(series.iter().all(|s| s["job"].is_string() && s["__name__"].is_string()));
    let (status, missing) = get(&base, "/api/v1/series", &[]).await;
    assert_eq!((status, missing["error"].as_str()), (400, Some("no match[] parameter provided")));
    let (_, build) = get(&base, "/api/v1/status/buildinfo", &[]).await;
    assert!(build["data"]["version"].as_str().unwrap().starts_with('3'));
    for probe in ["/-/ready", "/-/healthy"] {
        let response = reqwest::get(format!("{base}{probe}")).await.unwrap();
        assert_eq!(response.status(), 200, "{probe}");
        assert!(response.text().await.unwrap().starts_with("Prometheus Server is"));
    }
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rates_ranges_and_refusals() {
    let sim = start_sim("").await;
    let base = sim.endpoints.prometheus.clone();
    // Traffic flows from the start; a rate needs the first scrape (1 s in) and a later sample.
    let rates = wait_for("a positive request rate", Duration::from_secs(30), || async {
        let rows = query(&base, "sum by (service) (rate(http_requests_total[5m])) > 0").await;
        (!rows.is_empty()).then_some(rows)
    })
    .await;
    assert!(rates.iter().all(|r| value(r) > 0.0 && r["metric"]["service"].is_string()), "{rates:?}");
    let increase = query(&base, "sum(increase(http_requests_total[5m]))").await;
    assert!(value(&increase[0]) > 0.0);

    // A form body, encoded as a query string is.
    let form = reqwest::Url::parse_with_params("http://form/", [("query", "1 < bool sum(up)")]).unwrap();
    let response = reqwest::Client::new()
        .post(format!("{base}/api/v1/query"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form.query().unwrap().to_string())
        .send()
        .await
        .unwrap();
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["data"]["result"][0]["value"][1], "1", "POST form queries too: {body}");
    let (_, scalar) = get(&base, "/api/v1/query", &[("query", "3.5"), ("time", "1767261600")]).await;
    assert_eq!(scalar["data"], serde_json::json!({"resultType": "scalar", "result": [1767261600, "3.5"]}));

    // Ends just after now, so the last step sees the scrape each query takes.
    let end = jiff::Timestamp::now().as_second() + 1;
    let (start, end) = ((end - 60).to_string(), end.to_string());
    let params = [("query", "sum(up)"), ("start", start.as_str()), ("end", end.as_str()), ("step", "15s")];
    let (status, range) = get(&base, "/api/v1/query_range", &params).await;
    assert_eq!(status, 200, "{range}");
    assert_eq!(range["data"]["resultType"], "matrix");
    let values = range["data"]["result"][0]["values"].as_array().unwrap();
    assert!(!values.is_empty() && values.len() <= 5, "{range}");

    for (promql, says) in [
        ("sum(up", "parse error"),
        ("histogram_quantile(0.9, rate(x[5m]))", "function \"histogram_quantile\""),
        ("up + 1", "arithmetic operator"),
        ("rate(up)", "expected type range vector"),
        ("", "no expression"),
    ] {
        let (status, body) = get(&base, "/api/v1/query", &[("query", promql)]).await;
        assert_eq!(status, 400, "{promql}: {body}");
        assert_eq!(body["status"], "error");
        assert_eq!(body["errorType"], "bad_data");
        let error = body["error"].as_str().unwrap();
        assert!(
            error.starts_with("invalid parameter \"query\": ") && error.contains(says),
            "{promql}: {error}"
        );
    }
    let bad_ranges: [&[(&str, &str)]; 3] = [
        &[("query", "up"), ("start", end.as_str()), ("end", start.as_str()), ("step", "15s")],
        &[("query", "up"), ("start", start.as_str()), ("end", end.as_str()), ("step", "0")],
        &[("query", "up"), ("start", "0"), ("end", end.as_str()), ("step", "1s")],
    ];
    for params in bad_ranges {
        let (status, body) = get(&base, "/api/v1/query_range", params).await;
        assert_eq!((status, body["errorType"].as_str()), (400, Some("bad_data")), "{params:?}: {body}");
    }
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_looping_service_is_down_then_up_again() {
    let sim = start_with(SimOptions {
        scenario: ScenarioSource::Builtin("incident".into()),
        speed: 10.0,
        ..SimOptions::default()
    })
    .await;
    let base = sim.endpoints.prometheus.clone();
    let down = wait_for("payments-api's target to go down", Duration::from_secs(30), || async {
        let rows = query(&base, "up == 0").await;
        rows.iter().any(|r| r["metric"]["service"] == "payments-api").then_some(rows)
    })
    .await;
    assert!(down.iter().all(|r| value(r) == 0.0));
    let (_, targets) = get(&base, "/api/v1/targets", &[("state", "active")]).await;
    let payments = targets["data"]["activeTargets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["labels"]["service"] == "payments-api")
        .cloned()
        .unwrap();
    // The target may have recovered in between at 10× speed; if still down, it says why.
    if payments["health"] == "down" {
        assert!(payments["lastError"].as_str().unwrap().contains("connection refused"), "{payments}");
    }
    // The fix is pushed at 150 s of scenario time (15 s here): every target comes back.
    wait_for("every target up again", Duration::from_secs(60), || async {
        let rows = query(&base, "min(up) == 1").await;
        (!rows.is_empty()).then_some(())
    })
    .await;
    sim.shutdown().await;
}
