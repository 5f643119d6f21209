"""`platdeck sim` as a process: its endpoints line, the files it writes, its flags, its signals."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
from urllib.parse import urlparse

import pytest
import requests
import websocket
from kubernetes import client, config, watch
from kubernetes.client.rest import ApiException

from harness import (
    ENDPOINT_KEYS,
    SERVICES_NAMESPACE,
    launch_sim,
    platdeck_bin,
    read_first_line,
    start_sim,
    wait_until,
)

URL_KEYS = ("kubernetes", "loki", "grafana", "metrics", "ecr")


def test_endpoints_line_describes_every_service(sim):
    assert set(ENDPOINT_KEYS) <= set(sim.endpoints)
    ports = set()
    for key in URL_KEYS:
        url = urlparse(sim.endpoints[key])
        assert url.scheme == "http" and url.hostname == "127.0.0.1" and url.port, (key, sim.endpoints[key])
        ports.add(url.port)
        with socket.create_connection(("127.0.0.1", url.port), timeout=2):
            pass
    assert sim.endpoints["ecr_region"] == "us-east-1"
    assert sim.endpoints["ecr_account_id"] == "123456789012"
    assert sim.endpoints["kube_context"] == "platdeck-sim"
    assert sim.endpoints["grafana_token"]


def test_endpoints_and_config_files(tmp_path):
    endpoints_out = tmp_path / "out" / "endpoints.json"
    config_out = tmp_path / "out" / "platdeck.yaml"
    endpoints_out.parent.mkdir()
    running = start_sim(tmp_path / "sim", "--endpoints-out", str(endpoints_out), "--config-out", str(config_out))
    try:
        written = json.loads(wait_until(lambda: endpoints_out.is_file() and endpoints_out.read_text(), timeout=10,
                                        message="the endpoints file"))
        assert written == running.endpoints
        config_text = wait_until(lambda: config_out.is_file() and config_out.read_text(), timeout=10,
                                 message="the config file")
        for key in ("loki", "grafana", "ecr", "prometheus"):
            assert running.endpoints[key].rstrip("/") in config_text, f"{key} endpoint missing from the config"
    finally:
        assert running.stop() == 0, running.stderr_tail()


def test_random_ports_let_two_sims_run_side_by_side(sim_factory):
    first = sim_factory()
    second = sim_factory()
    for key in URL_KEYS:
        assert first.endpoints[key] != second.endpoints[key], key
    assert first.kubectl("get", "namespaces").returncode == 0
    assert second.kubectl("get", "namespaces").returncode == 0


def test_sigint_stops_with_exit_code_zero(tmp_path):
    running = start_sim(tmp_path)
    running.kubectl("get", "pods", "-A")
    assert running.stop(signal.SIGINT) == 0, running.stderr_tail()


def test_sigterm_during_an_open_watch_still_exits_promptly(tmp_path):
    running = start_sim(tmp_path)
    watcher = running.kubectl_popen("get", "pods", "-A", "-w")
    try:
        wait_until(lambda: watcher.stdout.readline(), timeout=30, message="the watch to print")
        assert running.stop(signal.SIGTERM, timeout=10) == 0, running.stderr_tail()
    finally:
        watcher.kill()
        watcher.wait(timeout=10)


def test_incident_scenario_starts(sim_factory):
    running = sim_factory("--scenario", "incident")
    pods = running.kubectl_json("get", "pods", "-A")["items"]
    assert pods
    apps = running.kubectl_json("get", "applications.argoproj.io", "-A")["items"]
    assert apps


def test_scale_option(sim_factory):
    running = sim_factory("--scale", "pods=300,apps=40", startup_timeout=120)
    pods = running.kubectl_json("get", "pods", "-A", timeout=120)["items"]
    assert len(pods) >= 300, len(pods)
    apps = running.kubectl_json("get", "applications.argoproj.io", "-A", timeout=120)["items"]
    assert len(apps) >= 40, len(apps)
    out = running.kubectl("get", "pods", "-A", "--chunk-size=100", "--no-headers", timeout=120).stdout
    assert len([line for line in out.splitlines() if line.strip()]) == len(pods)


def test_speed_option(sim_factory):
    running = sim_factory("--speed", "4")
    assert running.kubectl_json("get", "deployments", "-n", SERVICES_NAMESPACE)["items"]


def test_latency_and_seeded_faults_keep_kubectl_working(sim_factory):
    running = sim_factory("--faults", "latency=10ms..50ms,seed=7")
    assert running.kubectl_json("get", "pods", "-n", SERVICES_NAMESPACE)["items"]


def test_error_rate_fault_answers_some_requests_with_errors(sim_factory):
    running = sim_factory("--faults", "error-rate=0.5,seed=11")
    url = running.url("kubernetes") + f"/api/v1/namespaces/{SERVICES_NAMESPACE}/pods"
    codes = [requests.get(url, timeout=10).status_code for _ in range(40)]
    failures = [c for c in codes if c != 200]
    assert failures and len(failures) < len(codes), codes
    assert set(failures) <= {429, 500, 502, 503, 504}, codes


def test_expire_fault_ends_watches_with_a_410_error_event(sim_factory):
    running = sim_factory("--faults", "expire=1,seed=3")
    base = running.url("kubernetes") + f"/api/v1/namespaces/{SERVICES_NAMESPACE}/pods"
    rv = requests.get(base, timeout=10).json()["metadata"]["resourceVersion"]
    with requests.get(base, params={"watch": "true", "resourceVersion": rv, "timeoutSeconds": "20"},
                      stream=True, timeout=30) as response:
        events = []
        for line in response.iter_lines():
            if line:
                events.append(json.loads(line))
                if events[-1]["type"] == "ERROR":
                    break
    errors = [e for e in events if e["type"] == "ERROR"]
    assert errors, f"no ERROR event with expire=1: {[e['type'] for e in events]}"
    status = errors[0]["object"]
    assert status["kind"] == "Status" and status["code"] == 410 and status["reason"] in {"Expired", "Gone"}


def test_expire_fault_surfaces_as_410_in_the_python_client(sim_factory):
    running = sim_factory("--faults", "expire=1,seed=5")
    configuration = client.Configuration()
    config.load_kube_config(config_file=str(running.kubeconfig), client_configuration=configuration)
    with client.ApiClient(configuration) as api:
        core = client.CoreV1Api(api)
        rv = core.list_namespaced_pod(SERVICES_NAMESPACE, _request_timeout=30).metadata.resource_version
        with pytest.raises(ApiException) as caught:
            for _event in watch.Watch().stream(core.list_namespaced_pod, SERVICES_NAMESPACE, resource_version=rv,
                                               timeout_seconds=20, _request_timeout=40):
                pass
    assert caught.value.status == 410, caught.value


def test_watch_drop_after_cuts_watches_after_n_events(sim_factory):
    running = sim_factory("--faults", "watch-drop-after=3")
    url = running.url("kubernetes") + f"/api/v1/namespaces/{SERVICES_NAMESPACE}/pods"
    pods = requests.get(url, timeout=10).json()["items"]
    assert len(pods) > 3
    events = []
    with requests.get(url, params={"watch": "true", "timeoutSeconds": "30"}, stream=True, timeout=40) as response:
        try:
            for line in response.iter_lines():
                if line:
                    events.append(json.loads(line)["type"])
        except requests.exceptions.RequestException:
            pass  # an abrupt cut is what the fault simulates
    assert len(events) == 3, events


def test_ws_drop_after_closes_loki_tails_after_n_frames(sim_factory):
    running = sim_factory("--faults", "ws-drop-after=2")
    url = requests.Request("GET", running.url("loki") + "/loki/api/v1/tail",
                           params={"query": '{namespace="platform-services"}'}).prepare().url
    url = "ws" + url[len("http"):]
    ws = websocket.create_connection(url, timeout=60)
    frames = 0
    try:
        while True:
            try:
                opcode, _data = ws.recv_data(control_frame=False)
            except websocket.WebSocketConnectionClosedException:
                break
            if opcode == websocket.ABNF.OPCODE_CLOSE:
                break
            if opcode == websocket.ABNF.OPCODE_TEXT:
                frames += 1
            assert frames <= 2, "more frames than ws-drop-after allows"
    finally:
        ws.close()
    assert frames == 2


@pytest.mark.parametrize(
    "args",
    [
        ("--faults", "no-such-fault=1"),
        ("--faults", "error-rate=2"),
        ("--scale", "pods=lots"),
        ("--scenario", "no-such-scenario-or-file"),
    ],
)
def test_bad_arguments_fail_clearly(tmp_path, args):
    proc, stderr_path = launch_sim(tmp_path, *args)
    try:
        code = proc.wait(timeout=30)
    except Exception:
        proc.kill()
        proc.wait(timeout=10)
        raise
    first = read_first_line(proc, 1)
    assert code != 0, f"`platdeck sim {' '.join(args)}` exited 0"
    assert not first.strip(), f"printed endpoints despite bad arguments: {first[:200]!r}"
    message = stderr_path.read_text(errors="replace")
    assert message.strip(), "no error message on stderr"
    assert "panicked" not in message, message


def test_relative_output_paths_give_a_config_that_works_from_anywhere(tmp_path):
    workdir = tmp_path / "sim"
    proc, stderr_path = launch_sim(workdir, "--kubeconfig-out", "out/kubeconfig", "--config-out", "out/platdeck.yaml")
    try:
        assert b"\n" in read_first_line(proc, 90), stderr_path.read_text()
        # Loaded from another directory, the config still finds the kubeconfig the sim wrote.
        status = subprocess.run(
            [platdeck_bin(), "--config", str(workdir / "out" / "platdeck.yaml"), "status", "--format", "json"],
            cwd=str(tmp_path),
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert status.returncode == 0, status.stderr
        assert json.loads(status.stdout)["services"], status.stdout[:500]
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 0, stderr_path.read_text()
