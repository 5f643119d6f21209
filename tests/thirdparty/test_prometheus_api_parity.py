"""The sim's Prometheus HTTP API against the real Prometheus server (Debian package `prometheus`) scraping the
same sim: the same queries get the same response shape, result types, label sets and statuses (values may
differ: the two scrape at different moments).

The real server scrapes each simulated service's exposition as a job named after the service, with the
`namespace` and `service` target labels a kube-prometheus-stack ServiceMonitor gives, which is how the sim
labels its own targets.
"""

from __future__ import annotations

import time

import pytest
import requests

from harness import running_prometheus, wait_until


def sim_targets(sim) -> list:
    body = requests.get(sim.url("prometheus") + "/api/v1/targets", timeout=10).json()
    targets = [t["labels"] for t in body["data"]["activeTargets"]]
    assert len(targets) >= 5, targets
    return targets


@pytest.fixture(scope="module")
def real(sim, tmp_path_factory):
    address = sim.host_port("metrics")
    scrape_configs = [
        {
            "job_name": t["service"],
            "metrics_path": f"/metrics/{t['namespace']}/{t['service']}",
            "static_configs": [{"targets": [address], "labels": {"namespace": t["namespace"], "service": t["service"]}}],
        }
        for t in sim_targets(sim)
    ]
    with running_prometheus(scrape_configs, tmp_path_factory.mktemp("prometheus")) as url:
        # Ready to compare once every target has been scraped and a rate has two samples.
        wait_until(lambda: all_up(url, len(scrape_configs)), timeout=60, message="every real target to be up")
        wait_until(lambda: api(url, "/api/v1/query", query="sum(rate(http_requests_total[1m])) > 0")[1]["data"]
                   ["result"], timeout=60, message="a request rate in the real Prometheus")
        yield url


@pytest.fixture(scope="module")
def ours(sim):
    url = sim.url("prometheus")
    wait_until(lambda: api(url, "/api/v1/query", query="sum(rate(http_requests_total[1m])) > 0")[1]["data"]
               ["result"], timeout=60, message="a request rate in the sim")
    return url


def all_up(url: str, count: int) -> bool:
    targets = api(url, "/api/v1/targets")[1]["data"]["activeTargets"]
    return len(targets) == count and all(t["health"] == "up" for t in targets)


def api(url: str, path: str, method: str = "GET", **params) -> tuple:
    if method == "POST":
        response = requests.post(url + path, data=params, timeout=10)
    else:
        response = requests.get(url + path, params=params, timeout=10)
    return response.status_code, response.json()


def both(real: str, ours: str, path: str, method: str = "GET", **params) -> tuple:
    return api(real, path, method, **params), api(ours, path, method, **params)


def shape(body):
    """The response with every sample value and timestamp blanked, label values kept."""
    if isinstance(body, dict):
        return {k: shape(v) for k, v in body.items() if k not in ("value", "values")}
    if isinstance(body, list):
        return [shape(v) for v in body]
    return type(body).__name__


def label_names(result: list) -> set:
    return {tuple(sorted(series["metric"])) for series in result}


def label_values(result: list, name: str) -> set:
    return {series["metric"].get(name) for series in result}


def assert_same_envelope(real_body: dict, our_body: dict) -> None:
    assert set(our_body) == set(real_body) - {"warnings", "infos"}, (real_body, our_body)
    assert our_body["status"] == real_body["status"]
    if real_body["status"] == "success":
        assert set(our_body["data"]) == set(real_body["data"])
        assert our_body["data"]["resultType"] == real_body["data"]["resultType"]


def assert_sample(sample: list) -> None:
    timestamp, value = sample
    assert isinstance(timestamp, (int, float)) and timestamp > 1.7e9, sample
    assert isinstance(value, str), sample
    float(value)


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_up(real, ours, method):
    (real_status, real_body), (our_status, our_body) = both(real, ours, "/api/v1/query", method, query="up")
    assert real_status == our_status == 200
    assert_same_envelope(real_body, our_body)
    real_result, our_result = real_body["data"]["result"], our_body["data"]["result"]
    assert label_names(our_result) == label_names(real_result) == {("__name__", "instance", "job", "namespace", "service")}
    assert label_values(our_result, "service") == label_values(real_result, "service")
    assert label_values(our_result, "job") == label_values(real_result, "job")
    for series in our_result + real_result:
        assert set(series) == {"metric", "value"}
        assert_sample(series["value"])
    assert {s["value"][1] for s in our_result} == {s["value"][1] for s in real_result} == {"1"}


def test_sum_by_service(real, ours):
    (real_status, real_body), (our_status, our_body) = both(real, ours, "/api/v1/query",
                                                           query="sum by (service) (up)")
    assert real_status == our_status == 200
    assert_same_envelope(real_body, our_body)
    real_result, our_result = real_body["data"]["result"], our_body["data"]["result"]
    assert shape(our_result) == shape(real_result), "the same series, in the same order"
    assert label_names(our_result) == {("service",)}


def test_rate(real, ours):
    query = "sum by (service) (rate(http_requests_total[1m]))"

    def same_services():
        (real_status, real_body), (our_status, our_body) = both(real, ours, "/api/v1/query", query=query)
        assert real_status == our_status == 200
        real_result, our_result = real_body["data"]["result"], our_body["data"]["result"]
        # A service's first requests give a rate only once two scrapes saw them: the real server scrapes
        # every second, the sim every 15 s, so the sets agree after the sim's next scrape at the latest.
        if label_values(real_result, "service") != label_values(our_result, "service"):
            raise AssertionError(f"services differ: {real_result} vs {our_result}")
        return real_body, our_body

    real_body, our_body = wait_until(same_services, timeout=40, interval=1, message="the same services to have rates")
    assert_same_envelope(real_body, our_body)
    real_result, our_result = real_body["data"]["result"], our_body["data"]["result"]
    assert label_names(our_result) == label_names(real_result) == {("service",)}
    for series in our_result:
        assert_sample(series["value"])
        assert float(series["value"][1]) >= 0


@pytest.mark.parametrize("query", ["up == 1", "sum(up) > 0", "count(up) >= 1", "1 < bool max(up)"])
def test_comparisons(real, ours, query):
    (real_status, real_body), (our_status, our_body) = both(real, ours, "/api/v1/query", query=query)
    assert real_status == our_status == 200
    assert_same_envelope(real_body, our_body)
    real_result, our_result = real_body["data"]["result"], our_body["data"]["result"]
    assert label_names(our_result) == label_names(real_result), (query, real_result, our_result)
    assert len(our_result) == len(real_result), (query, real_result, our_result)


def test_scalar(real, ours):
    (real_status, real_body), (our_status, our_body) = both(real, ours, "/api/v1/query", query="42",
                                                           time="1767261600")
    assert real_status == our_status == 200
    assert our_body == real_body == {"status": "success",
                                     "data": {"resultType": "scalar", "result": [1767261600, "42"]}}


MALFORMED = [
    "sum by (service) (up",
    "rate(up)",
    "rate()",
    "up{job=}",
    "up{",
    "",
    "sum(up) > bool",
    "1 > 2",
    "up up",
    "sum(x[5m])",
    "sum(up, up)",
    "nosuch(up)",
    '{job=~".*"}',
    "x[5m] > 1",
    "(up)[5m]",
    "5m",
    "up $",
]


@pytest.mark.parametrize("query", MALFORMED)
def test_malformed_query(real, ours, query):
    (real_status, real_body), (our_status, our_body) = both(real, ours, "/api/v1/query", query=query)
    assert real_status == our_status == 400, (real_body, our_body)
    assert set(our_body) == set(real_body) == {"status", "errorType", "error"}
    assert our_body["status"] == real_body["status"] == "error"
    assert our_body["errorType"] == real_body["errorType"] == "bad_data"
    assert our_body["error"] == real_body["error"], "the same message, at the same position"


@pytest.mark.parametrize("query", ["histogram_quantile(0.9, rate(http_requests_total[1m]))", "up + 1", "up offset 1m"])
def test_valid_promql_outside_the_subset_is_refused_by_name(ours, query):
    status, body = api(ours, "/api/v1/query", query=query)
    assert status == 400 and body["errorType"] == "bad_data", body
    assert body["error"].startswith('invalid parameter "query": not supported by the simulated Prometheus: '), body


def test_query_range(real, ours):
    end = time.time()
    params = {"query": "sum by (service) (up)", "start": f"{end - 30:.3f}", "end": f"{end:.3f}", "step": "5s"}
    (real_status, real_body), (our_status, our_body) = both(real, ours, "/api/v1/query_range", **params)
    assert real_status == our_status == 200
    assert_same_envelope(real_body, our_body)
    assert real_body["data"]["resultType"] == "matrix"
    real_result, our_result = real_body["data"]["result"], our_body["data"]["result"]
    assert label_names(our_result) == label_names(real_result) == {("service",)}
    for series in our_result:
        assert set(series) == {"metric", "values"} and series["values"]
        for sample in series["values"]:
            assert_sample(sample)
    params["step"] = "0"
    (real_status, real_body), (our_status, our_body) = both(real, ours, "/api/v1/query_range", **params)
    assert real_status == our_status == 400
    assert our_body["errorType"] == real_body["errorType"] == "bad_data"


def test_targets(real, ours):
    (real_status, real_body), (our_status, our_body) = both(real, ours, "/api/v1/targets")
    assert real_status == our_status == 200
    real_targets, our_targets = real_body["data"]["activeTargets"], our_body["data"]["activeTargets"]
    assert len(our_targets) == len(real_targets)
    real_keys = set().union(*(t.keys() for t in real_targets))
    our_keys = set().union(*(t.keys() for t in our_targets))
    assert {"labels", "scrapeUrl", "health", "lastScrape", "lastError", "scrapePool"} <= real_keys
    assert real_keys <= our_keys, f"the sim lacks {real_keys - our_keys}"
    assert {tuple(sorted(t["labels"])) for t in our_targets} == {tuple(sorted(t["labels"])) for t in real_targets}
    assert {t["labels"]["service"] for t in our_targets} == {t["labels"]["service"] for t in real_targets}
    assert {t["health"] for t in our_targets} == {t["health"] for t in real_targets} == {"up"}
    assert our_body["data"]["droppedTargets"] == real_body["data"]["droppedTargets"] == []


def test_series(real, ours):
    (real_status, real_body), (our_status, our_body) = both(real, ours, "/api/v1/series", **{"match[]": "up"})
    assert real_status == our_status == 200
    assert set(our_body) == set(real_body) == {"status", "data"}
    assert {tuple(sorted(s)) for s in our_body["data"]} == {tuple(sorted(s)) for s in real_body["data"]}
    assert {s["service"] for s in our_body["data"]} == {s["service"] for s in real_body["data"]}
    (real_status, real_body), (our_status, our_body) = both(real, ours, "/api/v1/series")
    assert real_status == our_status == 400
    assert our_body == real_body


@pytest.mark.parametrize("path", ["/-/ready", "/-/healthy"])
def test_probes(real, ours, path):
    real_response = requests.get(real + path, timeout=10)
    our_response = requests.get(ours + path, timeout=10)
    assert real_response.status_code == our_response.status_code == 200
    assert real_response.text == our_response.text


def test_buildinfo_and_labels(real, ours):
    for path in ("/api/v1/status/buildinfo", "/api/v1/labels"):
        (real_status, real_body), (our_status, our_body) = both(real, ours, path)
        assert real_status == our_status == 200
        assert our_body["status"] == real_body["status"] == "success"
        if path.endswith("labels"):
            assert set(real_body["data"]) <= set(our_body["data"]), (real_body, our_body)
        else:
            assert set(our_body["data"]) == set(real_body["data"])
