"""k9s v0.50.16, unmodified, against `platdeck sim`: pods across all namespaces, the Argo CD Applications
and PolicyReports views (custom resources, read through the CRDs the sim serves), and a rollout restart."""

from __future__ import annotations

import time

import requests

from harness import SERVICES_NAMESPACE, wait_until

SERVICE = "orders-api"


def k9s_log(session) -> str:
    path = session.home / "state" / "k9s" / "k9s.log"
    return path.read_text(errors="replace") if path.exists() else ""


def command(session, text: str) -> None:
    session.keys(":")
    session.type(text)
    session.keys("Enter")


def test_k9s_browses_pods_applications_policy_reports_and_restarts_a_rollout(sim, peer):
    k9s = peer("k9s", "--kubeconfig", str(sim.kubeconfig), "--all-namespaces", "--command", "pods")
    k9s.wait_for(lambda s: "pods(all)" in s.lower() and f"{SERVICE}-" in s, timeout=90, what="the pods view")
    screen = k9s.screen()
    assert SERVICES_NAMESPACE in screen and "Running" in screen, screen

    command(k9s, "applications")
    screen = k9s.wait_for(lambda s: "applications(all)" in s.lower() and "Synced" in s and "Healthy" in s,
                          what="the Applications view")
    assert "SYNC STATUS" in screen and "kube-prometheus-stack" in screen, screen

    command(k9s, "policyreports")
    screen = k9s.wait_for(lambda s: "policyreports(all)" in s.lower() and "PASS" in s and "FAIL" in s,
                          what="the PolicyReports view")
    assert SERVICES_NAMESPACE in screen, screen

    command(k9s, "deployments")
    k9s.wait_for(lambda s: "deployments(all)" in s.lower() and SERVICE in s, what="the deployments view")
    k9s.keys("/")
    k9s.type(SERVICE)
    k9s.keys("Enter")
    k9s.wait_for(lambda s: SERVICE in s and "loki" not in s, what="the filtered row")
    before = time.time()
    k9s.keys("r")
    k9s.wait_for_text("Confirm Restart", f"Restart deployment {SERVICES_NAMESPACE}/{SERVICE}?", timeout=20)
    # The dialog opens on its FieldManager field; Tab moves to OK.
    k9s.keys("Tab", "Enter")
    k9s.wait_for_text("Restart in progress", timeout=20)
    url = f"{sim.url('kubernetes')}/apis/apps/v1/namespaces/{SERVICES_NAMESPACE}/deployments/{SERVICE}"

    def restarted():
        dep = requests.get(url, timeout=10).json()
        annotations = dep["spec"]["template"]["metadata"].get("annotations") or {}
        return annotations.get("kubectl.kubernetes.io/restartedAt")

    stamp = wait_until(restarted, timeout=30, message="k9s's rollout restart to reach the deployment")
    assert stamp, stamp
    assert time.time() - before < 60

    def rolled_out():
        dep = requests.get(url, timeout=10).json()
        status, want = dep.get("status", {}), dep["spec"]["replicas"]
        return (status.get("observedGeneration") == dep["metadata"]["generation"]
                and status.get("updatedReplicas") == want and status.get("availableReplicas") == want
                and status.get("replicas") == want)

    wait_until(rolled_out, timeout=90, message="the restarted rollout to finish")
    log = k9s_log(k9s)
    assert "Component init failed" not in log, log[-3000:]
