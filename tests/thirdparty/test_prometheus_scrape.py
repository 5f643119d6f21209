"""The real Prometheus server (Debian package `prometheus`) scrapes the sim's exposition endpoints."""

from __future__ import annotations

import math
import subprocess

import pytest
import requests

from harness import SERVICES_NAMESPACE, running_prometheus, system_tool, wait_until

EXPOSITION_CONTENT_TYPE = "text/plain; version=0.0.4"


def service_names(sim) -> list:
    services = sim.kubectl_json("get", "services", "-n", SERVICES_NAMESPACE)["items"]
    names = sorted(s["metadata"]["name"] for s in services)
    assert len(names) >= 5, names
    return names


def job_for(service: str) -> str:
    return f"service-{SERVICES_NAMESPACE}-{service}"


@pytest.fixture(scope="module")
def services(sim):
    return service_names(sim)


@pytest.fixture(scope="module")
def prometheus(sim, services, tmp_path_factory):
    target = sim.host_port("metrics")
    scrape_configs = [
        {"job_name": "platdeck-sim", "metrics_path": "/metrics", "static_configs": [{"targets": [target]}]}
    ] + [
        {
            "job_name": job_for(svc),
            "metrics_path": f"/metrics/{SERVICES_NAMESPACE}/{svc}",
            "static_configs": [{"targets": [target]}],
        }
        for svc in services
    ]
    with running_prometheus(scrape_configs, tmp_path_factory.mktemp("prometheus")) as url:
        yield url


def query(prom: str, promql: str) -> list:
    response = requests.get(f"{prom}/api/v1/query", params={"query": promql}, timeout=10)
    body = response.json()
    assert response.status_code == 200 and body["status"] == "success", body
    return body["data"]["result"]


# ----------------------------------------------------------------------------------- the exposition itself


def test_all_services_exposition_is_valid_text_format(sim):
    response = requests.get(sim.url("metrics") + "/metrics", timeout=10)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith(EXPOSITION_CONTENT_TYPE), response.headers["Content-Type"]
    assert response.text.endswith("\n")
    assert "# TYPE http_requests_total counter" in response.text
    assert "# TYPE http_request_duration_seconds histogram" in response.text
    promtool = system_tool("promtool", "/usr/bin/promtool")
    lint = subprocess.run([promtool, "check", "metrics"], input=response.text, capture_output=True, text=True,
                          timeout=30)
    assert lint.returncode == 0, f"promtool check metrics (exit {lint.returncode}):\n{lint.stdout}{lint.stderr}"


def test_one_service_exposition(sim, services):
    svc = services[0]
    url = f"{sim.url('metrics')}/metrics/{SERVICES_NAMESPACE}/{svc}"
    # The exposition exists from the service's start; request counters appear with its first requests.
    response = requests.get(url, timeout=10)
    assert response.status_code == 200, response.text[:300]
    assert response.headers["Content-Type"].startswith(EXPOSITION_CONTENT_TYPE)

    def counted():
        text = requests.get(url, timeout=10).text
        samples = [line for line in text.splitlines() if line.startswith("http_requests_total{")]
        if not samples:
            raise AssertionError(text[:500])
        return text

    text = wait_until(counted, timeout=30, interval=0.2, message=f"{svc}'s first counted requests")
    response_text = text
    for other in services[1:]:
        assert f'service="{other}"' not in response_text, f"{other} leaks into the exposition of {svc}"


def test_unknown_service_exposition_is_not_found(sim):
    response = requests.get(f"{sim.url('metrics')}/metrics/{SERVICES_NAMESPACE}/no-such-service", timeout=10)
    assert response.status_code == 404


# ----------------------------------------------------------------------------------- scraped by Prometheus


def test_every_target_is_up(prometheus, services):
    expected_jobs = {"platdeck-sim"} | {job_for(s) for s in services}

    def all_up():
        body = requests.get(f"{prometheus}/api/v1/targets", timeout=10).json()
        targets = body["data"]["activeTargets"]
        health = {t["labels"]["job"]: (t["health"], t["lastError"]) for t in targets}
        if set(health) == expected_jobs and all(h == "up" for h, _ in health.values()):
            return health
        raise AssertionError(f"targets not all up yet: {health}")

    wait_until(all_up, timeout=60, interval=0.5, message="every scrape target to be up")


def test_sum_of_request_counters(prometheus):
    result = wait_until(lambda: query(prometheus, "sum(http_requests_total)"), timeout=30,
                        message="sum(http_requests_total) to have a value")
    assert len(result) == 1
    assert float(result[0]["value"][1]) > 0


def test_request_counters_per_service(prometheus, services):
    svc = services[0]
    result = wait_until(
        lambda: query(prometheus, f'http_requests_total{{job="platdeck-sim",service="{svc}"}}'),
        timeout=30,
        message=f"http_requests_total of {svc} in the all-services job",
    )
    for series in result:
        metric = series["metric"]
        assert metric["namespace"] == SERVICES_NAMESPACE and metric["service"] == svc
        assert {"method", "path", "status"} <= set(metric), metric
    own_job = wait_until(
        lambda: query(prometheus, f'http_requests_total{{job="{job_for(svc)}"}}'),
        timeout=30,
        message=f"http_requests_total scraped from /metrics/{SERVICES_NAMESPACE}/{svc}",
    )
    assert {s["metric"].get("service", svc) for s in own_job} == {svc}


def test_every_service_is_scraped_in_the_all_services_job(prometheus, services):
    def by_service():
        rows = query(prometheus, 'sum by (service) (http_requests_total{job="platdeck-sim"})')
        found = {r["metric"].get("service") for r in rows}
        return found if set(services) <= found else None

    wait_until(by_service, timeout=30, message="a series for every service")


def test_request_duration_histogram(prometheus, services):
    counts = wait_until(lambda: query(prometheus, "http_request_duration_seconds_count"), timeout=30,
                        message="http_request_duration_seconds_count")
    assert counts
    buckets = query(prometheus, 'http_request_duration_seconds_bucket{le="+Inf"}')
    assert buckets, "histogram without a +Inf bucket"

    def quantile():
        rows = query(
            prometheus,
            "histogram_quantile(0.9, sum by (le) (rate(http_request_duration_seconds_bucket[10s])))",
        )
        values = [float(r["value"][1]) for r in rows]
        return values if values and not any(math.isnan(v) for v in values) else None

    values = wait_until(quantile, timeout=60, interval=1, message="a p90 latency from the histogram")
    assert all(0 < v < 60 for v in values), values


def test_request_counters_increase_over_time(prometheus):
    def rate():
        rows = query(prometheus, "sum(rate(http_requests_total[5s]))")
        return rows and float(rows[0]["value"][1]) > 0

    wait_until(rate, timeout=60, interval=1, message="http_requests_total to increase (traffic flowing)")
