"""The sim's Loki and Grafana HTTP APIs, spoken to as their documented clients do (plain HTTP with requests)."""

from __future__ import annotations

import json
import time
import uuid

import pytest
import requests
import websocket

from harness import SERVICES_NAMESPACE, wait_until

SERVICES_SELECTOR = f'{{namespace="{SERVICES_NAMESPACE}"}}'


def now_ns() -> int:
    return time.time_ns()


def loki_get(sim, path: str, **params) -> dict:
    response = requests.get(f"{sim.url('loki')}{path}", params=params, timeout=15)
    assert response.status_code == 200, (path, params, response.status_code, response.text[:500])
    body = response.json()
    assert body["status"] == "success", body
    return body["data"]


def query_range(sim, query: str, **params) -> list:
    params.setdefault("start", str(now_ns() - 3600 * 10**9))
    params.setdefault("end", str(now_ns() + 10**9))
    data = loki_get(sim, "/loki/api/v1/query_range", query=query, **params)
    assert data["resultType"] == "streams", data.get("resultType")
    return data["result"]


# ----------------------------------------------------------------------------------- Loki


def test_loki_is_ready(sim):
    assert requests.get(f"{sim.url('loki')}/ready", timeout=10).status_code == 200


def test_query_range_returns_json_log_streams(sim):
    streams = wait_until(lambda: query_range(sim, SERVICES_SELECTOR, limit="100"), timeout=30,
                         message="log streams for the services namespace")
    entries = 0
    for stream in streams:
        labels = stream["stream"]
        assert labels["namespace"] == SERVICES_NAMESPACE, labels
        assert "app_kubernetes_io_name" in labels, labels
        stamps = []
        for value in stream["values"]:
            assert isinstance(value[0], str) and value[0].isdigit(), value
            assert isinstance(value[1], str), value
            record = json.loads(value[1])
            assert "level" in record and "msg" in record, record
            stamps.append(int(value[0]))
            entries += 1
        assert stamps == sorted(stamps, reverse=True), "direction=backward (default) must be newest first"
    assert 0 < entries <= 100


def test_query_range_forward_and_limit(sim):
    streams = query_range(sim, SERVICES_SELECTOR, limit="7", direction="forward")
    assert streams
    assert sum(len(s["values"]) for s in streams) <= 7
    for stream in streams:
        stamps = [int(v[0]) for v in stream["values"]]
        assert stamps == sorted(stamps), "direction=forward must be oldest first"


def test_query_range_selects_one_app_and_filters_lines(sim):
    # Platform workloads in other namespaces log too: pick an app of the services' namespace.
    series = wait_until(
        lambda: loki_get(sim, "/loki/api/v1/series", **{"match[]": SERVICES_SELECTOR}),
        timeout=30,
        message="series in the services' namespace",
    )
    apps = {s["app_kubernetes_io_name"] for s in series if "app_kubernetes_io_name" in s}
    assert apps, f"no app_kubernetes_io_name in {series}"
    app = sorted(apps)[0]
    selector = f'{{namespace="{SERVICES_NAMESPACE}",app_kubernetes_io_name="{app}"}}'
    streams = wait_until(lambda: query_range(sim, selector, limit="50"), timeout=30, message=f"logs of {app}")
    assert {s["stream"]["app_kubernetes_io_name"] for s in streams} == {app}
    needle = '"level"'
    filtered = query_range(sim, f"{selector} |= `{needle}`", limit="20")
    lines = [v[1] for s in filtered for v in s["values"]]
    assert lines and all(needle in line for line in lines)
    excluded = query_range(sim, f"{selector} != `{needle}`", limit="20")
    assert not [v for s in excluded for v in s["values"]]


def test_metric_queries(sim):
    query = f'sum by (app_kubernetes_io_name) (count_over_time({SERVICES_SELECTOR}[5m]))'
    instant = loki_get(sim, "/loki/api/v1/query", query=query)
    assert instant["resultType"] == "vector", instant
    assert instant["result"], "no samples"
    for sample in instant["result"]:
        assert set(sample["metric"]) == {"app_kubernetes_io_name"}, sample
        stamp, value = sample["value"]
        assert isinstance(stamp, (int, float)) and isinstance(value, str) and float(value) > 0, sample
    ranged = loki_get(sim, "/loki/api/v1/query_range", query=query, step="60",
                      start=str(now_ns() - 600 * 10**9), end=str(now_ns()))
    assert ranged["resultType"] == "matrix", ranged
    assert ranged["result"] and all(series["values"] for series in ranged["result"])
    for series in ranged["result"]:
        for stamp, value in series["values"]:
            assert isinstance(stamp, (int, float)) and isinstance(value, str)


def test_labels_and_label_values(sim):
    labels = loki_get(sim, "/loki/api/v1/labels")
    assert {"namespace", "app_kubernetes_io_name"} <= set(labels), labels
    namespaces = loki_get(sim, "/loki/api/v1/label/namespace/values")
    assert SERVICES_NAMESPACE in namespaces, namespaces


def test_series(sim):
    series = loki_get(sim, "/loki/api/v1/series", **{"match[]": SERVICES_SELECTOR})
    assert series and all(s["namespace"] == SERVICES_NAMESPACE for s in series), series[:3]


def test_malformed_logql_is_a_bad_request(sim):
    response = requests.get(
        f"{sim.url('loki')}/loki/api/v1/query_range", params={"query": "{namespace=", "limit": "5"}, timeout=10
    )
    assert response.status_code == 400, (response.status_code, response.text[:300])
    assert sim.alive()


def test_push_then_query_finds_the_line(sim):
    marker = f"thirdparty-push-{uuid.uuid4().hex}"
    line = json.dumps({"level": "info", "msg": marker})
    payload = {
        "streams": [
            {
                "stream": {"namespace": "thirdparty", "app_kubernetes_io_name": "pytest", "job": "pytest"},
                "values": [[str(now_ns()), line]],
            }
        ]
    }
    response = requests.post(f"{sim.url('loki')}/loki/api/v1/push", json=payload, timeout=10)
    assert response.status_code in (200, 204), (response.status_code, response.text[:300])

    def found():
        streams = query_range(sim, '{namespace="thirdparty"}', limit="100")
        return [v for s in streams for v in s["values"] if v[1] == line]

    values = wait_until(found, timeout=30, message="the pushed line to be queryable")
    assert len(values) == 1, "the pushed line came back more than once"
    assert "thirdparty" in loki_get(sim, "/loki/api/v1/label/namespace/values")


def test_push_with_numeric_timestamp_is_rejected(sim):
    payload = {"streams": [{"stream": {"namespace": "thirdparty"}, "values": [[now_ns(), "x"]]}]}
    response = requests.post(f"{sim.url('loki')}/loki/api/v1/push", json=payload, timeout=10)
    assert response.status_code == 400, (response.status_code, response.text[:300])


def tail_url(sim, query: str, **params) -> str:
    encoded = requests.Request("GET", sim.url("loki") + "/loki/api/v1/tail", params={"query": query, **params})
    return "ws" + encoded.prepare().url[len("http"):]


def recv_frame(ws) -> dict:
    frame = json.loads(ws.recv())
    assert isinstance(frame.get("streams"), list), frame
    return frame


def test_tail_streams_history_then_new_lines(sim):
    marker = f"thirdparty-tail-{uuid.uuid4().hex}"
    start = str(now_ns() - 3600 * 10**9)
    ws = websocket.create_connection(tail_url(sim, '{namespace=~"thirdparty-tail|platform-services"}',
                                              start=start, limit="20"), timeout=30)
    try:
        first = recv_frame(ws)
        history = [v for s in first["streams"] for v in s["values"]]
        assert 0 < len(history) <= 20, len(history)
        for stream in first["streams"]:
            assert stream["stream"]["namespace"] in {"platform-services", "thirdparty-tail"}
        line = json.dumps({"level": "warn", "msg": marker})
        payload = {"streams": [{"stream": {"namespace": "thirdparty-tail", "app_kubernetes_io_name": "pytest"},
                                "values": [[str(now_ns()), line]]}]}
        assert requests.post(f"{sim.url('loki')}/loki/api/v1/push", json=payload, timeout=10).status_code in (200, 204)
        deadline = time.monotonic() + 30
        seen = []
        while time.monotonic() < deadline:
            frame = recv_frame(ws)
            seen.extend(v[1] for s in frame["streams"] for v in s["values"])
            if line in seen:
                break
        assert line in seen, f"pushed line not tailed; {len(seen)} other lines arrived"
        assert seen.count(line) == 1
    finally:
        ws.close()


def test_tail_rejects_a_metric_query(sim):
    with pytest.raises(websocket.WebSocketBadStatusException) as caught:
        websocket.create_connection(tail_url(sim, 'rate({namespace="platform-services"}[1m])'), timeout=10)
    assert caught.value.status_code == 400


# ----------------------------------------------------------------------------------- Grafana


def test_grafana_health(sim):
    response = requests.get(f"{sim.url('grafana')}/api/health", timeout=10)
    assert response.status_code == 200
    assert response.json()["database"] == "ok"


def test_grafana_datasources_need_the_token(sim):
    url = f"{sim.url('grafana')}/api/datasources"
    assert requests.get(url, timeout=10).status_code == 401
    wrong = requests.get(url, headers={"Authorization": "Bearer not-the-token"}, timeout=10)
    assert wrong.status_code == 401
    response = requests.get(url, headers={"Authorization": f"Bearer {sim.endpoints['grafana_token']}"}, timeout=10)
    assert response.status_code == 200, response.text[:300]
    sources = response.json()
    types = {s["type"]: s for s in sources}
    assert {"loki", "prometheus"} <= set(types), sources
    for source in sources:
        assert source["uid"] and source["name"] and source["url"], source
    names = {s["name"] for s in sources}
    assert "Loki" in names and "Prometheus" in names, names


def test_grafana_token_never_in_error_bodies(sim):
    token = sim.endpoints["grafana_token"]
    response = requests.get(f"{sim.url('grafana')}/api/datasources", timeout=10)
    assert token not in response.text
