"""The APIs other consoles (k9s, kdash, kubetui) rely on, judged by the real kubectl and plain HTTP against
`platdeck sim`, the way a real apiserver answers them: access and rules reviews, CRDs, the common core kinds
with server-side columns, metrics.k8s.io, lists answered from the watch cache, and streaming lists.
"""

from __future__ import annotations

import json
from pathlib import Path

import requests

from harness import SERVICES_NAMESPACE

REPO_ROOT = Path(__file__).resolve().parents[2]
CRDS = {
    "applications.argoproj.io",
    "appprojects.argoproj.io",
    "clusterpolicies.kyverno.io",
    "policies.kyverno.io",
    "validatingpolicies.policies.kyverno.io",
    "policyreports.wgpolicyk8s.io",
    "clusterpolicyreports.wgpolicyk8s.io",
}


def rows(output: str) -> list:
    return [line.split() for line in output.splitlines()[1:] if line.strip()]


def test_can_i_agrees_with_what_the_server_allows(sim):
    assert sim.kubectl("auth", "can-i", "list", "pods", "-A").stdout.strip() == "yes"
    assert sim.kubectl("auth", "can-i", "patch", "deployments", "-n", SERVICES_NAMESPACE).stdout.strip() == "yes"
    # CRDs are served from the real definitions and cannot be changed: the review says so, and so does a write.
    denied = sim.kubectl("auth", "can-i", "delete", "customresourcedefinitions", check=False)
    assert denied.stdout.strip() == "no" and denied.returncode == 1, denied
    write = sim.kubectl("delete", "crd", "policyreports.wgpolicyk8s.io", check=False)
    assert write.returncode != 0 and "forbidden" in write.stderr, write.stderr
    rules = sim.kubectl("auth", "can-i", "--list", "-n", SERVICES_NAMESPACE).stdout
    assert "customresourcedefinitions.apiextensions.k8s.io" in rules, rules
    whoami = sim.kubectl("auth", "whoami", "-o", "json")
    assert json.loads(whoami.stdout)["status"]["userInfo"]["username"].startswith("system:serviceaccount:")


def test_forbidden_resources_are_denied_by_reviews_too(sim_factory):
    forbidding = sim_factory("--faults", "forbid=policyreports+secrets")
    assert forbidding.kubectl("auth", "can-i", "list", "secrets", "-A", check=False).stdout.strip() == "no"
    assert forbidding.kubectl("auth", "can-i", "get", "policyreports.wgpolicyk8s.io", "-n", "x",
                              check=False).stdout.strip() == "no"
    assert forbidding.kubectl("auth", "can-i", "list", "pods", "-A").stdout.strip() == "yes"
    listed = forbidding.kubectl("get", "secrets", "-A", check=False)
    assert listed.returncode != 0 and "forbidden" in listed.stderr.lower(), listed.stderr
    review = requests.post(
        f"{forbidding.url('kubernetes')}/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
        json={"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview", "spec": {}}, timeout=10)
    assert review.status_code == 422 and "exactly one of nonResourceAttributes or resourceAttributes" in review.text


def test_crds_are_the_real_definitions(sim):
    names = set(sim.kubectl("get", "crd", "-o", "name").stdout.replace("customresourcedefinition.apiextensions.k8s.io/", "").split())
    assert names == CRDS
    for name in CRDS:
        served = sim.kubectl_json("get", "crd", name)
        asset = json.loads((REPO_ROOT / "crates" / "sim" / "assets" / "crds" / f"{name}.json").read_text())
        assert served["spec"] == asset["spec"], name
        assert {c["type"]: c["status"] for c in served["status"]["conditions"]}["Established"] == "True"
    # Their columns are what kubectl prints for the custom resources.
    header = sim.kubectl("get", "applications.argoproj.io", "-n", "argocd").stdout.splitlines()[0]
    assert header.split() == ["NAME", "SYNC", "STATUS", "HEALTH", "STATUS"], header
    reports = sim.kubectl("get", "policyreports", "-A").stdout.splitlines()[0].split()
    assert reports[:5] == ["NAMESPACE", "NAME", "KIND", "NAME", "PASS"], reports
    # A deprecated version warns, as Kyverno 1.19's CRD declares.
    policies = sim.kubectl("get", "clusterpolicies.v2beta1.kyverno.io")
    assert "require-observability-labels" in policies.stdout
    assert "kyverno.io/v2beta1 ClusterPolicy is deprecated" in policies.stderr


def test_core_kinds_have_plausible_content_and_columns(sim):
    sas = rows(sim.kubectl("get", "serviceaccounts", "-n", SERVICES_NAMESPACE).stdout)
    assert {"default", "orders-api"} <= {r[0] for r in sas}
    cms = sim.kubectl("get", "configmaps", "-n", SERVICES_NAMESPACE).stdout
    assert "kube-root-ca.crt" in cms and "orders-api-config" in cms
    secrets = rows(sim.kubectl("get", "secrets", "-n", SERVICES_NAMESPACE).stdout)
    assert any(r[0] == "orders-api-secrets" and r[1] == "Opaque" and r[2] == "2" for r in secrets), secrets
    ingress = rows(sim.kubectl("get", "ingress", "-n", "observability").stdout)
    assert ingress[0][:3] == ["grafana", "alb", "grafana.platform.example.com"], ingress
    assert rows(sim.kubectl("get", "storageclass").stdout)[0][0] in {"gp2", "gp3", "gp3 (default)"}
    pvcs = rows(sim.kubectl("get", "pvc", "-n", "observability").stdout)
    assert {r[0]: r[1] for r in pvcs}["storage-loki-0"] == "Bound"
    assert rows(sim.kubectl("get", "cronjobs", "-n", "observability").stdout)[0][:2] == ["grafana-backup", "0"]
    assert "Complete" in sim.kubectl("get", "jobs", "-n", "observability").stdout
    assert "ClusterRole/cluster-admin" in sim.kubectl("get", "clusterrolebindings").stdout
    for kind in ("networkpolicies", "statefulsets", "daemonsets", "roles", "rolebindings", "pv"):
        sim.kubectl("get", kind, "-A")


def test_kubectl_top_reads_metrics_that_follow_the_pods(sim):
    nodes = rows(sim.kubectl("top", "nodes").stdout)
    assert nodes and all(r[1].endswith("m") and r[3].endswith("Mi") for r in nodes), nodes
    pods = rows(sim.kubectl("top", "pods", "-n", SERVICES_NAMESPACE).stdout)
    running = rows(sim.kubectl("get", "pods", "-n", SERVICES_NAMESPACE, "--field-selector=status.phase=Running").stdout)
    assert {r[0] for r in pods} <= {r[0] for r in running}
    assert any(r[0].startswith("orders-api-") for r in pods), pods


def _list(base: str, **params) -> dict:
    response = requests.get(f"{base}/api/v1/pods", params=params, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()


def test_resource_version_zero_is_answered_whole_and_pages_share_a_snapshot(sim):
    base = sim.url("kubernetes")
    whole = _list(base)
    cached = _list(base, resourceVersion="0", limit="3")
    assert len(cached["items"]) == len(whole["items"]) and "continue" not in cached["metadata"]
    first = _list(base, limit="3")
    assert len(first["items"]) == 3 and first["metadata"]["remainingItemCount"] == len(whole["items"]) - 3
    token = first["metadata"]["continue"]
    # A change after the first page does not show in the next ones: they read the first page's snapshot.
    victim = whole["items"][-1]["metadata"]
    requests.patch(f"{base}/api/v1/namespaces/{victim['namespace']}/pods/{victim['name']}",
                   json={"metadata": {"labels": {"paged": "later"}}},
                   headers={"Content-Type": "application/merge-patch+json"}, timeout=10).raise_for_status()
    seen = list(first["items"])
    while token:
        page = _list(base, limit="50", **{"continue": token})
        assert page["metadata"]["resourceVersion"] == first["metadata"]["resourceVersion"]
        seen += page["items"]
        token = page["metadata"].get("continue", "")
    last = next(p for p in seen if p["metadata"]["name"] == victim["name"])
    assert "paged" not in (last["metadata"].get("labels") or {})
    bad = requests.get(f"{base}/api/v1/pods", params={"resourceVersion": "0", "resourceVersionMatch": "Exact"}, timeout=10)
    assert bad.status_code == 422, bad.text
    assert 'resourceVersionMatch "exact" is forbidden for resourceVersion "0"' in bad.json()["message"]


def test_streaming_lists_end_their_initial_events_with_a_bookmark(sim):
    base = sim.url("kubernetes")
    expected = {p["metadata"]["name"] for p in _list(base)["items"] if p["metadata"]["namespace"] == SERVICES_NAMESPACE}
    refused = requests.get(f"{base}/api/v1/namespaces/{SERVICES_NAMESPACE}/pods",
                           params={"watch": "true", "sendInitialEvents": "true"}, timeout=10)
    assert refused.status_code == 422, refused.text
    assert "requires setting resourceVersionMatch to NotOlderThan" in refused.json()["message"]
    params = {"watch": "true", "sendInitialEvents": "true", "resourceVersionMatch": "NotOlderThan",
              "allowWatchBookmarks": "true", "timeoutSeconds": "20"}
    added, end = set(), None
    with requests.get(f"{base}/api/v1/namespaces/{SERVICES_NAMESPACE}/pods", params=params, stream=True,
                      timeout=30) as stream:
        for line in stream.iter_lines():
            event = json.loads(line)
            if event["type"] == "ADDED":
                added.add(event["object"]["metadata"]["name"])
            elif event["type"] == "BOOKMARK":
                end = event["object"]["metadata"]
                break
    assert end is not None and end["annotations"] == {"k8s.io/initial-events-end": "true"}
    assert int(end["resourceVersion"]) > 0
    # The platform scenario's pods are steady: the initial events are exactly the pods listed before.
    assert added == expected, (added ^ expected)
