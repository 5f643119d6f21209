"""The real control plane itself, judged by the real kubectl: the seeded platform is there and behaves like a
cluster, and the failures a loopback cluster has by design (pod logs, service proxy) look as they will to the
console.

Expected failures, as this control plane answers them (kubectl's own wording; the console must report them
as plainly):

- pod logs: the apiserver dials the kubelet endpoint kwok advertises for the node, 127.0.0.1:10250, where
  nothing listens. `kubectl logs` exits 1 with
      Error from server: Get "https://127.0.0.1:10250/containerLogs/<ns>/<pod>/<container>": dial tcp
      127.0.0.1:10250: connect: connection refused
  (the API answers 500 with that text as the Status message).
- service proxy: the endpoints and EndpointSlice controllers will not publish loopback pod IPs (127.1.x.x:
  `may not be in the loopback range`, FailedToUpdateEndpointSlices events), so a Service has no endpoints and
  `GET /api/v1/namespaces/<ns>/services/<svc>:http/proxy/...` answers 503 at once with the Status message
      no endpoints available for service "<svc>"
  (kubectl: `Error from server (ServiceUnavailable): no endpoints available for service "<svc>"`). The proxy
  resolves the legacy Endpoints object: a Service created after its pods had IPs never gets one, and the proxy
  then answers 404 `services "<svc>" not found` although the Service exists (seed.py avoids this for the
  seeded services by creating Services first).
- a forbidden mutation (the viewer's `kubectl rollout restart`):
      error: failed to patch: deployments.apps "<name>" is forbidden: User "viewer" cannot patch resource
      "deployments" in API group "apps" in the namespace "<ns>"
"""

from __future__ import annotations

import json
import re

import yaml

from kubeapi import wait_for
from seed import seed_scale

SERVICE = "orders-api"


def _pods(kubectl, namespaces):
    out = json.loads(kubectl.run("get", "pods", "-A", "-o", "json").stdout)
    return [p for p in out["items"] if p["metadata"]["namespace"] in namespaces]


def _ready(pod) -> bool:
    conditions = {c["type"]: c["status"] for c in pod.get("status", {}).get("conditions", [])}
    return (pod.get("status", {}).get("phase") == "Running" and conditions.get("Ready") == "True"
            and not pod["metadata"].get("deletionTimestamp"))


def test_kubectl_get_pods_shows_the_seeded_pods_running_and_ready(kubectl, seeded):
    namespaces = set(seeded.namespaces)

    def all_ready():
        pods = _pods(kubectl, namespaces)
        ready = [p for p in pods if _ready(p)]
        return len(ready) == seeded.expected_pods == len(pods)

    wait_for(all_ready, 120, f"{seeded.expected_pods} seeded pods Running and Ready")
    table = kubectl.run("get", "pods", "-A").stdout.splitlines()
    header, rows = table[0].split(), [r.split() for r in table[1:]]
    assert header[:5] == ["NAMESPACE", "NAME", "READY", "STATUS", "RESTARTS"], table[0]
    seeded_rows = [r for r in rows if r[0] in namespaces]
    assert len(seeded_rows) == seeded.expected_pods
    not_running = [r for r in seeded_rows if r[3] != "Running" or r[2] != "1/1"]
    assert not not_running, not_running
    # Every workload is represented, DaemonSets once per node.
    for w in seeded.workloads:
        mine = [r for r in seeded_rows if r[0] == w.namespace and r[1].startswith(w.name + "-")]
        assert len(mine) >= w.expected_pods(seeded.nodes), (w.kind, w.name, mine)


def test_pods_are_scheduled_onto_the_kwok_nodes_with_loopback_ips(kubectl, seeded):
    pods = _pods(kubectl, {seeded.services_namespace})
    assert pods
    nodes = {p["spec"].get("nodeName") for p in pods}
    assert nodes <= {f"kwok-node-{i}" for i in range(seeded.nodes)}, nodes
    assert all(p["status"].get("podIP", "").startswith("127.1.") for p in pods if _ready(p))


def test_applications_have_the_status_argo_cd_writes(kubectl, seeded):
    apps = json.loads(kubectl.run("get", "applications.argoproj.io", "-n", "argocd", "-o", "json").stdout)["items"]
    by_name = {a["metadata"]["name"]: a for a in apps}
    assert set(by_name) == {a.name for a in seeded.apps}
    for expected in seeded.apps:
        status = by_name[expected.name].get("status") or {}
        assert status.get("sync", {}).get("status") == "Synced", (expected.name, status.get("sync"))
        assert status["sync"]["revision"] == expected.revision
        assert status.get("health", {}).get("status") == "Healthy"
        history = status.get("history") or []
        assert history and all({"id", "revision", "source", "deployedAt", "deployStartedAt"} <= set(h)
                               for h in history), history
        assert history[-1]["revision"] == expected.revision
        op = status.get("operationState") or {}
        assert op.get("phase") == "Succeeded" and op.get("message") and op.get("startedAt") and op.get("finishedAt")
        assert op["syncResult"]["revision"] == expected.revision
        resources = status.get("resources") or []
        assert resources, expected.name
        assert all({"version", "kind", "name", "status"} <= set(r) for r in resources), resources
        # Argo CD 3 keeps per-resource health in its app tree, not in the CR.
        assert status.get("resourceHealthSource") == "appTree"
        assert not any("health" in r for r in resources)
    # The tracked workloads are listed under their chart names, not the app's.
    kps = {r["name"] for r in by_name["kube-prometheus-stack"]["status"]["resources"] if r["kind"] == "Deployment"}
    assert "kube-prometheus-stack-operator" in kps and "kube-prometheus-stack" not in kps
    table = kubectl.run("get", "applications.argoproj.io", "-n", "argocd").stdout.splitlines()
    assert table[0].split() == ["NAME", "SYNC", "STATUS", "HEALTH", "STATUS"], table[0]
    assert all(line.split()[1:] == ["Synced", "Healthy"] for line in table[1:]), table


def test_tracking_labels_and_annotations_are_as_argo_cd_leaves_them(kubectl, seeded):
    operator = json.loads(kubectl.run("get", "deployment", "kube-prometheus-stack-operator", "-n", "observability",
                                      "-o", "json").stdout)
    meta = operator["metadata"]
    assert meta["annotations"]["argocd.argoproj.io/tracking-id"] == (
        "kube-prometheus-stack:apps/Deployment:observability/kube-prometheus-stack-operator")
    assert meta["labels"]["app.kubernetes.io/managed-by"] == "Helm"
    admission = json.loads(kubectl.run("get", "deployment", "kyverno-admission-controller", "-n", "kyverno",
                                       "-o", "json").stdout)
    assert admission["metadata"]["labels"]["app.kubernetes.io/instance"] == "kyverno"
    assert "app.kubernetes.io/name" not in admission["metadata"]["labels"]
    service = json.loads(kubectl.run("get", "deployment", SERVICE, "-n", seeded.services_namespace,
                                     "-o", "json").stdout)
    assert service["metadata"]["labels"]["app.kubernetes.io/instance"] == SERVICE
    probes = service["spec"]["template"]["spec"]["containers"][0]
    assert probes["livenessProbe"]["httpGet"] == {"path": "/health", "port": 3000, "scheme": "HTTP"}
    assert probes["readinessProbe"]["httpGet"]["path"] == "/ready"


def test_policy_reports_are_named_by_uid_and_one_service_fails(kubectl, seeded):
    out = json.loads(kubectl.run("get", "policyreports.wgpolicyk8s.io", "-n", seeded.services_namespace,
                                 "-o", "json").stdout)["items"]
    deployments = json.loads(kubectl.run("get", "deployments", "-n", seeded.services_namespace,
                                         "-o", "json").stdout)["items"]
    uids = {d["metadata"]["uid"]: d["metadata"]["name"] for d in deployments}
    assert {r["metadata"]["name"] for r in out} == set(uids)
    failing = []
    for report in out:
        name = uids[report["metadata"]["name"]]
        assert report["scope"]["name"] == name and report["scope"]["kind"] == "Deployment"
        assert report["metadata"]["ownerReferences"][0]["uid"] == report["metadata"]["name"]
        assert all(r["source"] in ("kyverno", "KyvernoValidatingPolicy") for r in report["results"])
        if report["summary"]["fail"]:
            failing.append(name)
    assert failing == ["notifications-worker"], failing
    # kubectl prints the CRD's columns (kind, name, pass, fail, ...).
    table = kubectl.run("get", "policyreports.wgpolicyk8s.io", "-n", seeded.services_namespace).stdout.splitlines()
    assert table[0].split()[:5] == ["NAME", "KIND", "NAME", "PASS", "FAIL"], table[0]
    row = next(line.split() for line in table[1:] if " notifications-worker " in f" {line} ")
    assert int(row[4]) > 0, row


def test_kubectl_get_clusterpolicy_prints_kyvernos_deprecation_warning(kubectl, seeded, control_plane):
    crd = yaml.safe_load((control_plane.cache / "crds" / "kyverno-kyverno.io_clusterpolicies.yaml").read_text())
    v1 = next(v for v in crd["spec"]["versions"] if v["name"] == "v1")
    assert v1.get("deprecated") is True and v1.get("deprecationWarning"), v1.keys()
    proc = kubectl.run("get", "clusterpolicy")
    assert "require-observability-labels" in proc.stdout
    # kubectl prints the apiserver's Warning header as is, on stderr, before the table.
    assert proc.stderr.strip() == f"Warning: {v1['deprecationWarning']}", proc.stderr


def test_the_viewer_reads_but_may_not_change_anything(kubectl, seeded):
    ns = seeded.services_namespace

    def can_i(*args: str) -> str:
        return kubectl.run("auth", "can-i", *args, context="realcp-viewer", check=False).stdout.strip()

    assert can_i("patch", "deployments", "-n", ns) == "no"
    assert can_i("delete", "pods", "-n", ns) == "no"
    assert can_i("get", "services", "--subresource=proxy", "-n", ns) == "no"
    assert can_i("list", "pods", "-A") == "yes"
    assert can_i("get", "pods", "--subresource=log", "-n", ns) == "yes"
    assert can_i("watch", "applications.argoproj.io", "-n", "argocd") == "yes"
    assert can_i("list", "policyreports.wgpolicyk8s.io", "-A") == "yes"
    assert can_i("list", "clusterpolicies.kyverno.io") == "yes"
    assert can_i("list", "nodes") == "yes"
    proc = kubectl.run("rollout", "restart", f"deployment/{SERVICE}", "-n", ns, context="realcp-viewer", check=False)
    assert proc.returncode != 0
    assert proc.stderr.strip() == (
        f'error: failed to patch: deployments.apps "{SERVICE}" is forbidden: User "viewer" cannot patch resource '
        f'"deployments" in API group "apps" in the namespace "{ns}"'), proc.stderr
    assert kubectl.run("get", "applications.argoproj.io", "-n", "argocd", context="realcp-viewer").returncode == 0


def test_a_rollout_restart_through_kubectl_completes(kubectl, seeded):
    ns, name = seeded.services_namespace, "catalog-api"
    before = json.loads(kubectl.run("get", "deployment", name, "-n", ns, "-o", "json").stdout)
    kubectl.run("rollout", "restart", f"deployment/{name}", "-n", ns)
    kubectl.run("rollout", "status", f"deployment/{name}", "-n", ns, "--timeout=180s", timeout=200)
    after = json.loads(kubectl.run("get", "deployment", name, "-n", ns, "-o", "json").stdout)
    assert after["metadata"]["generation"] > before["metadata"]["generation"]
    assert after["status"]["observedGeneration"] == after["metadata"]["generation"]
    restarted = after["spec"]["template"]["metadata"]["annotations"]["kubectl.kubernetes.io/restartedAt"]

    def restarted_pods_ready():
        current = [p for p in _pods(kubectl, {ns}) if p["metadata"]["labels"].get("app.kubernetes.io/name") == name]
        fresh = [p for p in current if p["metadata"].get("annotations", {}).get(
            "kubectl.kubernetes.io/restartedAt") == restarted and _ready(p)]
        return len(fresh) == after["spec"]["replicas"] == len(current)

    wait_for(restarted_pods_ready, 120, f"{name}'s old pods gone and new ones ready")


def test_pod_logs_fail_with_connection_refused_on_the_kubelet_port(kubectl, seeded):
    proc = kubectl.run("logs", "-n", seeded.services_namespace, f"deployment/{SERVICE}", "--tail=5", check=False)
    assert proc.returncode != 0, proc.stdout
    assert re.search(r'Get "https://127\.0\.0\.1:10250/containerLogs/[^"]+": dial tcp 127\.0\.0\.1:10250: '
                     r"connect: connection refused", proc.stderr), proc.stderr


def test_the_service_proxy_answers_503_no_endpoints(kubectl, seeded, control_plane):
    ns = seeded.services_namespace
    path = f"/api/v1/namespaces/{ns}/services/{SERVICE}:http/proxy/health"
    proc = kubectl.run("get", "--raw", path, check=False)
    assert proc.returncode != 0
    assert proc.stderr.strip() == \
        f'Error from server (ServiceUnavailable): no endpoints available for service "{SERVICE}"', proc.stderr
    api = control_plane.api()
    response = api.session.get(f"{api.server}{path}", timeout=10, verify=api.verify)
    assert response.status_code == 503, response.text
    body = response.json()
    assert body["kind"] == "Status" and body["reason"] == "ServiceUnavailable"
    assert body["message"] == f'no endpoints available for service "{SERVICE}"', body


def test_a_scale_seed_adds_pods_that_kwok_makes_ready(kubectl, seeded, control_plane):
    # Last in this file: it adds a namespace to the session's platform.
    added = seed_scale(control_plane.api(), seeded, 150, per_deployment=25)
    assert len(added) == 6 and sum(w.replicas for w in added) == 150
    pods = _pods(kubectl, {seeded.scale_namespace})
    assert len(pods) == 150 and all(_ready(p) for p in pods)
    apps = json.loads(kubectl.run("get", "applications.argoproj.io", "-n", "argocd", "-o", "json").stdout)["items"]
    assert {w.name for w in added} <= {a["metadata"]["name"] for a in apps}
    reports = json.loads(kubectl.run("get", "policyreports.wgpolicyk8s.io", "-n", seeded.scale_namespace,
                                     "-o", "json").stdout)["items"]
    assert len(reports) == 6 and all(r["summary"]["fail"] == 0 for r in reports)
