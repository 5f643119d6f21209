"""The real kubectl and git deliver a new service through GitOps to `platdeck sim`.

A GitOps repository laid out as `platdeck scaffold` writes it (`apps/<name>/deployment.yaml` and
`service.yaml`, the Application manifest in `applications/<name>.yaml`) is committed with git; `kubectl
apply -f` of the Application makes the sim's Argo CD sync it, and kubectl sees it Synced and Healthy,
rolled out, and gone again when the Application is deleted.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from harness import system_tool, wait_until

NAME = "inventory-api"
NAMESPACE = "inventory"
REGISTRY = "123456789012.dkr.ecr.us-east-1.amazonaws.com"
LABELS = f"""    app.kubernetes.io/name: {NAME}
    app.kubernetes.io/component: backend
    app.kubernetes.io/part-of: platform-services
    app.kubernetes.io/version: 0.1.0
    app.kubernetes.io/managed-by: platdeck"""

DEPLOYMENT = f"""apiVersion: apps/v1
kind: Deployment
metadata:
  name: {NAME}
  namespace: {NAMESPACE}
  labels:
{LABELS}
spec:
  replicas: 1
  selector:
    matchLabels:
      app.kubernetes.io/name: {NAME}
  template:
    metadata:
      labels:
{LABELS.replace("    ", "        ")}
      annotations:
        prometheus.io/scrape: "true"
        prometheus.io/port: "3000"
        prometheus.io/path: /metrics
    spec:
      containers:
        - name: {NAME}
          image: {REGISTRY}/{NAME}:latest
          ports: [{{name: http, containerPort: 3000}}]
          livenessProbe: {{httpGet: {{path: /health, port: http}}}}
          readinessProbe: {{httpGet: {{path: /ready, port: http}}}}
"""

SERVICE = f"""apiVersion: v1
kind: Service
metadata:
  name: {NAME}
  namespace: {NAMESPACE}
  labels:
{LABELS}
spec:
  selector:
    app.kubernetes.io/name: {NAME}
  ports: [{{name: http, port: 80, targetPort: http}}]
"""


def application(repo: Path) -> str:
    return f"""apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: {NAME}
  namespace: argocd
  labels: {{app.kubernetes.io/name: {NAME}, app.kubernetes.io/part-of: platform-services}}
spec:
  project: default
  source:
    repoURL: file://{repo}
    targetRevision: main
    path: apps/{NAME}
  destination: {{server: https://kubernetes.default.svc, namespace: {NAMESPACE}}}
  syncPolicy: {{automated: {{prune: true, selfHeal: true}}, syncOptions: [CreateNamespace=true]}}
"""


def table_row(output: str) -> list:
    """The first data row of kubectl's table output, split on whitespace."""
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) >= 2, f"kubectl printed no rows: {output!r}"
    return lines[1].split()


def git(repo: Path, *args: str) -> str:
    cmd = [system_tool("git", "/usr/bin/git"), "-C", str(repo), "-c", "user.name=Platform",
           "-c", "user.email=platform@example.com", *args]
    return subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=30).stdout.strip()


def gitops_repo(root: Path) -> tuple[Path, str]:
    repo = root / "gitops"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    service_dir = repo / "apps" / NAME
    service_dir.mkdir(parents=True)
    (service_dir / "deployment.yaml").write_text(DEPLOYMENT)
    (service_dir / "service.yaml").write_text(SERVICE)
    (repo / "applications").mkdir()
    (repo / "applications" / f"{NAME}.yaml").write_text(application(repo))
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", f"Add {NAME}")
    return repo, git(repo, "rev-parse", "HEAD")


def test_kubectl_apply_of_an_application_syncs_the_service_from_git(sim, tmp_path):
    repo, sha = gitops_repo(tmp_path)
    sim.kubectl("apply", "-f", str(repo / "applications" / f"{NAME}.yaml"))

    def synced_healthy():
        row = table_row(sim.kubectl("get", "applications.argoproj.io", "-n", "argocd", NAME).stdout)
        return row if row[1:3] == ["Synced", "Healthy"] else None

    row = wait_until(synced_healthy, timeout=90, message=f"{NAME} Synced and Healthy")
    assert row[0] == NAME
    app = sim.kubectl_json("get", "applications.argoproj.io", "-n", "argocd", NAME)
    assert app["status"]["sync"]["revision"] == sha
    kinds = sorted(r["kind"] for r in app["status"]["resources"])
    assert kinds == ["Deployment", "Service"]

    sim.kubectl("rollout", "status", f"deployment/{NAME}", "-n", NAMESPACE, "--timeout=60s", timeout=90)
    pods = sim.kubectl_json("get", "pods", "-n", NAMESPACE, "-l", f"app.kubernetes.io/name={NAME}")["items"]
    assert len(pods) == 1
    assert pods[0]["spec"]["containers"][0]["image"] == f"{REGISTRY}/{NAME}:latest"

    sim.kubectl("delete", "applications.argoproj.io", "-n", "argocd", NAME, "--wait=false")
    wait_until(
        lambda: not sim.kubectl_json("get", "deployments", "-n", NAMESPACE)["items"],
        timeout=60,
        message="the deployment to be deleted with its application",
    )
