"""The GitOps side: the deployment, service and Argo CD Application committed to a GitOps repository, the
Application created in the cluster with --demo, and every such mutation guarded, confirmed and audited."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import yaml

from scaffolded import scaffold


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True).stdout.strip()


def gitops_repo(tmp_path: Path) -> Path:
    repo = tmp_path / "gitops"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    return repo


def test_the_service_and_its_application_are_committed_to_the_gitops_repository(tmp_path: Path) -> None:
    repo = gitops_repo(tmp_path)
    result = scaffold("orders", "--template", "go-http", "-n", "shop", "--out", str(tmp_path), "--gitops", str(repo), "--yes")
    assert result.returncode == 0, result.stderr
    assert "GitOps repository" in result.stdout and "on context" in result.stdout, result.stdout
    assert git(tmp_path / "orders", "rev-list", "--count", "HEAD") == "1"
    assert git(tmp_path / "orders", "status", "--porcelain") == ""
    assert git(repo, "ls-files").split() == [
        "applications/orders.yaml",
        "apps/orders/deployment.yaml",
        "apps/orders/service.yaml",
    ]
    assert git(repo, "status", "--porcelain") == ""
    app = yaml.safe_load((repo / "applications" / "orders.yaml").read_text())
    assert app["kind"] == "Application" and app["metadata"]["namespace"] == "argocd"
    assert app["spec"]["source"] == {
        "repoURL": f"file://{repo.resolve()}",
        "targetRevision": "main",
        "path": "apps/orders",
    }
    assert app["spec"]["destination"] == {"server": "https://kubernetes.default.svc", "namespace": "shop"}
    assert app["spec"]["syncPolicy"]["automated"] == {"prune": True, "selfHeal": True}
    deployment = yaml.safe_load((repo / "apps" / "orders" / "deployment.yaml").read_text())
    assert deployment["metadata"]["namespace"] == "shop"


def test_without_a_terminal_the_gitops_commit_needs_yes(tmp_path: Path) -> None:
    repo = gitops_repo(tmp_path)
    result = scaffold("orders", "--template", "node-express", "--out", str(tmp_path), "--gitops", str(repo))
    assert result.returncode != 0 and "pass --yes" in result.stderr, result.stderr
    assert not (tmp_path / "orders").exists() and git(repo, "status", "--porcelain") == ""


def test_read_only_blocks_and_audits(tmp_path: Path) -> None:
    repo = gitops_repo(tmp_path)
    env_state = tmp_path / "state"
    old = os.environ.get("XDG_STATE_HOME")
    os.environ["XDG_STATE_HOME"] = str(env_state)
    try:
        result = subprocess.run(
            [os.environ["PLATDECK_BIN"], "--readonly", "scaffold", "orders", "--template", "go-http",
             "--out", str(tmp_path), "--gitops", str(repo), "--yes"],
            capture_output=True, text=True, timeout=60, env=dict(os.environ, RUST_BACKTRACE="0", NO_COLOR="1"),
        )
    finally:
        if old is None:
            os.environ.pop("XDG_STATE_HOME")
        else:
            os.environ["XDG_STATE_HOME"] = old
    assert result.returncode != 0 and "read-only" in result.stderr, result.stderr
    assert not (tmp_path / "orders").exists() and git(repo, "status", "--porcelain") == ""
    entry = json.loads((env_state / "platdeck" / "audit.jsonl").read_text().splitlines()[-1])
    assert entry["action"] == "scaffold" and entry["result"].startswith("blocked"), entry


def test_demo_creates_the_application_in_the_cluster(tmp_path: Path) -> None:
    result = scaffold("orders", "--template", "python-fastapi", "--out", str(tmp_path), "--demo", "--yes")
    assert result.returncode == 0, result.stderr
    assert "Created application.argoproj.io/orders" in result.stdout, result.stdout
    assert "on context platdeck-sim" in result.stdout


def test_demo_refuses_a_service_that_exists_in_the_cluster(tmp_path: Path) -> None:
    result = scaffold("payments-api", "--template", "node-express", "--out", str(tmp_path), "--demo", "--yes")
    assert result.returncode != 0, result.stdout
    assert "already exists" in result.stderr and "in the cluster" in result.stderr, result.stderr
    assert list(tmp_path.iterdir()) == []
