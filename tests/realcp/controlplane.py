"""A real Kubernetes control plane on loopback: etcd, kube-apiserver, kube-controller-manager,
kube-scheduler and kwok, built by `scripts/realcp/build` from the Go module proxy.

    with ControlPlane(cache_dir) as cp:          # starts everything, installs the CRDs, creates kwok nodes
        cp.admin_kubeconfig, cp.viewer_kubeconfig  # kubeconfig files (one context each)
        cp.kubeconfig                              # both contexts, `realcp-admin` current

Everything listens on 127.0.0.1 on free ports. Authentication is by static tokens (`--token-auth-file`),
authorization is RBAC:

- `admin` (group `system:masters`): the lane's own setup and the console's read-write runs.
- `viewer` (group `platdeck:viewers`): a read-only operator. Bound to the built-in `view` ClusterRole and
  to `platdeck:platform-viewer` (get/list/watch on nodes and on Argo CD's Applications and AppProjects,
  which `view` does not cover). Kyverno's objects reach `view` through the aggregated ClusterRole its Helm
  chart installs (`kyverno:rbac:view`, created by `seed.py`). The viewer can read pods and their logs but
  cannot patch, restart or delete anything, and cannot use the service proxy (`services/proxy` is not in
  `view`).
- the controller manager, the scheduler and kwok have tokens of their own (`system:kube-scheduler` relies
  on its built-in bindings; the controller manager runs with `--use-service-account-credentials=false` and
  kwok fakes kubelets, so both are in `system:masters`).

The process logs, kubeconfigs and keys stay in the working directory; the etcd data directory is removed
on stop. Run this file directly to get a control plane to point platdeck at:

    python3 tests/realcp/controlplane.py [--seed] [--pods N]
"""

from __future__ import annotations

import argparse
import math
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from kubeapi import Api, condition, wait_for  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parents[2]
BUILD_SCRIPT = REPO_ROOT / "scripts" / "realcp" / "build"
BINARIES = ("etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok")
# kwok's stage files used (from its module's kustomize/stage/{node/fast,node/heartbeat-with-lease,pod/fast}).
KWOK_STAGES = ("node-initialize", "node-heartbeat-with-lease", "pod-ready", "pod-complete", "pod-delete")
FAKE_NODE_ANNOTATION = "kwok.x-k8s.io/node"
SERVICE_CIDR = "10.0.0.0/16"
POD_CIDR = "127.1.0.0/16"
KUBELET_PORT = 10250
COMPONENT_QPS = 300  # client-side rate limit of the controller manager and the scheduler
# The node lifecycle controller marks a node NotReady (and taint-based eviction then removes its pods) when
# its heartbeat is older than this. kwok's heartbeats lapse whenever the apiserver or kwok is busy or
# restarted (at 10k pods a restart alone takes longer than the default 50 s): raised so that the lane
# tests the console, not eviction storms.
NODE_MONITOR_GRACE_PERIOD = "10m"
CRD_FILES = (
    "argocd-application-crd.yaml",
    "argocd-appproject-crd.yaml",
    "kyverno-kyverno.io_clusterpolicies.yaml",
    "kyverno-kyverno.io_policies.yaml",
    "kyverno-wgpolicyk8s.io_policyreports.yaml",
    "kyverno-wgpolicyk8s.io_clusterpolicyreports.yaml",
    "kyverno-policies.kyverno.io_validatingpolicies.yaml",
)
VIEWER_GROUP = "platdeck:viewers"
YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml parses the CRDs ten times faster


class ControlPlaneError(RuntimeError):
    pass


def cache_dir() -> Path:
    """The cache directory of the current versions, as `scripts/realcp/build --print-dir` names it."""
    out = subprocess.run([str(BUILD_SCRIPT), "--print-dir"], check=True, capture_output=True, text=True)
    return Path(out.stdout.strip())


def cache_complete(directory: Path) -> bool:
    """Whether `scripts/realcp/build` finished for `directory` (its stamp is written last)."""
    return subprocess.run([str(BUILD_SCRIPT), "--check"]).returncode == 0 and all(
        (directory / "bin" / name).is_file() for name in BINARIES
    )


def free_port() -> int:
    """A port nothing listens on now (bind port 0, read it back, release it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Process:
    name: str
    popen: subprocess.Popen
    log: Path

    def alive(self) -> bool:
        return self.popen.poll() is None

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


class ControlPlane:
    def __init__(self, cache: Path, workdir: Optional[Path] = None, *, nodes: int = 3,
                 pods_per_node: int = 110, keep_workdir: Optional[bool] = None):
        self.cache = Path(cache)
        self.bin = self.cache / "bin"
        for name in BINARIES:
            if not (self.bin / name).is_file():
                raise ControlPlaneError(
                    f"{self.bin / name} is missing: build the control plane with scripts/realcp/build")
        self.nodes = nodes
        self.pods_per_node = pods_per_node
        self.created_workdir = workdir is None
        self.workdir = Path(workdir) if workdir else Path(tempfile.mkdtemp(prefix="platdeck-realcp-"))
        self.keep_workdir = (not self.created_workdir) if keep_workdir is None else keep_workdir
        self.logs = self.workdir / "logs"
        self.processes: list[Process] = []
        self.tokens = {name: secrets.token_hex(16) for name in ("admin", "viewer", "kcm", "scheduler", "kwok")}
        self.ports = {name: free_port() for name in ("etcd", "etcd-peer", "apiserver", "kcm", "scheduler", "kwok")}
        self.server = f"https://127.0.0.1:{self.ports['apiserver']}"
        self.startup_seconds: Optional[float] = None
        self.phases: dict[str, float] = {}  # seconds from start() to the end of each phase
        self.failed = False

    # ------------------------------------------------------------------------------------ files

    @property
    def kubeconfig(self) -> Path:
        return self.workdir / "kubeconfig"

    @property
    def admin_kubeconfig(self) -> Path:
        return self.workdir / "admin.kubeconfig"

    @property
    def viewer_kubeconfig(self) -> Path:
        return self.workdir / "viewer.kubeconfig"

    @property
    def ca_file(self) -> Path:
        # kube-apiserver writes a self-signed certificate, followed by the CA that signed it, here.
        return self.workdir / "apiserver-certs" / "apiserver.crt"

    def api(self, user: str = "admin") -> Api:
        return Api(self.server, self.tokens[user], ca_file=str(self.ca_file) if self.ca_file.exists() else None)

    def _write_kubeconfig(self, path: Path, users: list[str], current: str) -> None:
        cluster = {"server": self.server}
        if self.ca_file.exists():
            cluster["certificate-authority"] = str(self.ca_file)
        else:
            cluster["insecure-skip-tls-verify"] = True
        config = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": "realcp", "cluster": cluster}],
            "users": [{"name": u, "user": {"token": self.tokens[u]}} for u in users],
            "contexts": [{"name": f"realcp-{u}", "context": {"cluster": "realcp", "user": u}} for u in users],
            "current-context": f"realcp-{current}",
            "preferences": {},
        }
        path.write_text(yaml.safe_dump(config, sort_keys=False))
        path.chmod(0o600)

    def _write_files(self) -> None:
        for sub in ("logs", "etcd-data", "apiserver-certs", "kcm-certs", "scheduler-certs"):
            (self.workdir / sub).mkdir(parents=True, exist_ok=True)
        key = self.workdir / "service-account.key"
        subprocess.run(["openssl", "genrsa", "-out", str(key), "2048"], check=True, capture_output=True)
        rows = [
            f'{self.tokens["admin"]},admin,admin-uid,"system:masters"',
            f'{self.tokens["viewer"]},viewer,viewer-uid,"{VIEWER_GROUP}"',
            f'{self.tokens["kcm"]},system:kube-controller-manager,kcm-uid,"system:masters"',
            f'{self.tokens["scheduler"]},system:kube-scheduler,scheduler-uid',
            f'{self.tokens["kwok"]},kwok,kwok-uid,"system:masters"',
        ]
        tokens = self.workdir / "tokens.csv"
        tokens.write_text("\n".join(rows) + "\n")
        tokens.chmod(0o600)

    # ---------------------------------------------------------------------------------- processes

    def _spawn(self, name: str, args: list[str]) -> Process:
        log = self.logs / f"{name}.log"
        with open(log, "ab") as out:
            popen = subprocess.Popen(
                [str(self.bin / name)] + args,
                stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=self.workdir,
                start_new_session=True,  # a Ctrl-C in the terminal reaches pytest, which stops us in order
            )
        process = Process(name, popen, log)
        self.processes.append(process)
        return process

    def _wait(self, process: Process, predicate, timeout: float, what: str) -> None:
        def check():
            if not process.alive():
                raise ControlPlaneError(
                    f"{process.name} exited with {process.popen.returncode} while waiting for {what}; "
                    f"log {process.log}:\n{process.log_tail()}")
            return predicate()

        try:
            wait_for(check, timeout, what)
        except ControlPlaneError:
            raise
        except TimeoutError as exc:
            raise ControlPlaneError(f"{exc}\nlog {process.log}:\n{process.log_tail()}") from None

    @staticmethod
    def _http_ok(url: str) -> bool:
        import requests

        try:
            return requests.get(url, timeout=2, verify=False).status_code == 200
        except requests.RequestException:
            return False

    def _start_etcd(self) -> None:
        client = f"http://127.0.0.1:{self.ports['etcd']}"
        peer = f"http://127.0.0.1:{self.ports['etcd-peer']}"
        etcd = self._spawn("etcd", [
            "--name=node0",
            f"--data-dir={self.workdir / 'etcd-data'}",
            f"--listen-client-urls={client}", f"--advertise-client-urls={client}",
            f"--listen-peer-urls={peer}", f"--initial-advertise-peer-urls={peer}",
            f"--initial-cluster=node0={peer}",
            "--initial-cluster-state=new",
            "--unsafe-no-fsync=true",
            "--log-level=warn",
        ])
        self._wait(etcd, lambda: self._http_ok(f"{client}/health"), 30, "etcd /health")

    def _start_apiserver(self) -> None:
        apiserver = self._spawn("kube-apiserver", [
            f"--etcd-servers=http://127.0.0.1:{self.ports['etcd']}",
            "--bind-address=127.0.0.1",
            "--advertise-address=127.0.0.1",
            f"--secure-port={self.ports['apiserver']}",
            f"--cert-dir={self.workdir / 'apiserver-certs'}",
            f"--service-cluster-ip-range={SERVICE_CIDR}",
            f"--service-account-issuer={self.server}",
            f"--service-account-key-file={self.workdir / 'service-account.key'}",
            f"--service-account-signing-key-file={self.workdir / 'service-account.key'}",
            f"--token-auth-file={self.workdir / 'tokens.csv'}",
            "--authorization-mode=RBAC",
            "--allow-privileged=true",
            "--profiling=false",
        ])
        admin = Api(self.server, self.tokens["admin"])
        self._wait(apiserver, admin.ready, 90, "kube-apiserver /readyz")

    def _component_kubeconfig(self, user: str) -> Path:
        path = self.workdir / f"{user}.component.kubeconfig"
        self._write_kubeconfig(path, [user], user)
        return path

    def _spawn_controllers(self) -> list:
        """Starts the controller manager, the scheduler and kwok; returns the waits for their health."""
        kcm_config = self._component_kubeconfig("kcm")
        kcm = self._spawn("kube-controller-manager", [
            f"--kubeconfig={kcm_config}",
            f"--authentication-kubeconfig={kcm_config}",
            f"--authorization-kubeconfig={kcm_config}",
            "--leader-elect=false",
            "--bind-address=127.0.0.1",
            f"--secure-port={self.ports['kcm']}",
            f"--cert-dir={self.workdir / 'kcm-certs'}",
            "--authorization-always-allow-paths=/healthz,/readyz,/livez,/metrics",
            f"--service-account-private-key-file={self.workdir / 'service-account.key'}",
            f"--root-ca-file={self.ca_file}",
            "--use-service-account-credentials=false",
            f"--service-cluster-ip-range={SERVICE_CIDR}",
            f"--node-monitor-grace-period={NODE_MONITOR_GRACE_PERIOD}",
            # The defaults (20 requests/s, bursts of 30) take minutes to create thousands of pods.
            f"--kube-api-qps={COMPONENT_QPS}", f"--kube-api-burst={2 * COMPONENT_QPS}",
            "--concurrent-replicaset-syncs=10", "--concurrent-deployment-syncs=10",
            "--profiling=false",
        ])
        scheduler_config = self._component_kubeconfig("scheduler")
        scheduler = self._spawn("kube-scheduler", [
            f"--kubeconfig={scheduler_config}",
            f"--authentication-kubeconfig={scheduler_config}",
            f"--authorization-kubeconfig={scheduler_config}",
            "--leader-elect=false",
            "--bind-address=127.0.0.1",
            f"--secure-port={self.ports['scheduler']}",
            f"--cert-dir={self.workdir / 'scheduler-certs'}",
            "--authorization-always-allow-paths=/healthz,/readyz,/livez,/metrics",
            f"--kube-api-qps={COMPONENT_QPS}", f"--kube-api-burst={2 * COMPONENT_QPS}",
            "--profiling=false",
        ])
        stages = self.cache / "kwok-stages"
        kwok = self._spawn("kwok", [
            f"--kubeconfig={self._component_kubeconfig('kwok')}",
            *[f"--config={stages / (stage + '.yaml')}" for stage in KWOK_STAGES],
            "--manage-all-nodes=false",
            f"--manage-nodes-with-annotation-selector={FAKE_NODE_ANNOTATION}=fake",
            f"--cidr={POD_CIDR}",
            "--node-ip=127.0.0.1",
            # The kubelet port a real node advertises; nothing listens on it, so pod logs are refused.
            f"--node-port={KUBELET_PORT}",
            # Heartbeats through Leases, as kubelets do (the node-heartbeat-with-lease stage refreshes the
            # node's conditions only every 10-20 minutes).
            "--node-lease-duration-seconds=40",
            f"--server-address=127.0.0.1:{self.ports['kwok']}",
        ])
        checks = ((kcm, f"https://127.0.0.1:{self.ports['kcm']}/healthz"),
                  (scheduler, f"https://127.0.0.1:{self.ports['scheduler']}/healthz"),
                  (kwok, f"http://127.0.0.1:{self.ports['kwok']}/healthz"))
        return [lambda p=p, url=url: self._wait(p, lambda: self._http_ok(url), 60, f"{p.name} {url}")
                for p, url in checks]

    # ------------------------------------------------------------------------------------- objects

    def _install_crds(self, api: Api) -> None:
        docs = []
        for file in CRD_FILES:
            text = (self.cache / "crds" / file).read_text()
            docs += [d for d in yaml.load_all(text, Loader=YAML_LOADER) if d]
        # Created side by side: the Kyverno CRDs are 1.4 MB each and the apiserver compiles every schema.
        with ThreadPoolExecutor(max_workers=4) as pool:
            list(pool.map(api.apply, docs))
        for doc in docs:
            name = doc["metadata"]["name"]
            wait_for(lambda n=name: condition(api.get("CustomResourceDefinition", n), "Established") == "True",
                     60, f"CRD {name} to be Established")

    def _create_viewer_rbac(self, api: Api) -> None:
        api.apply({
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
            "metadata": {"name": "platdeck:platform-viewer"},
            "rules": [
                {"apiGroups": [""], "resources": ["nodes"], "verbs": ["get", "list", "watch"]},
                {"apiGroups": ["argoproj.io"], "resources": ["applications", "appprojects"],
                 "verbs": ["get", "list", "watch"]},
            ],
        })
        for role in ("view", "platdeck:platform-viewer"):
            api.apply({
                "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
                "metadata": {"name": f"platdeck-viewers:{role}"},
                "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role},
                "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": VIEWER_GROUP}],
            })

    def node_names(self) -> list[str]:
        return [f"kwok-node-{i}" for i in range(self.nodes)]

    def _create_nodes(self, api: Api) -> None:
        zones = ("us-east-1a", "us-east-1b", "us-east-1c")
        # Room for `pods_per_node` pods of the seed's requests (50m CPU, 64Mi): an m5.4xlarge-sized node, bigger
        # for scale runs, so that the scheduler is never what limits them.
        cpu = max(16, math.ceil(self.pods_per_node / 10))
        memory_gi = max(64, math.ceil(self.pods_per_node / 8))
        resources = {"cpu": str(cpu), "memory": f"{memory_gi}Gi", "pods": str(self.pods_per_node),
                     "ephemeral-storage": "100Gi"}
        for i, name in enumerate(self.node_names()):
            api.apply({
                "apiVersion": "v1", "kind": "Node",
                "metadata": {
                    "name": name,
                    "annotations": {FAKE_NODE_ANNOTATION: "fake", "node.alpha.kubernetes.io/ttl": "0"},
                    "labels": {
                        "kubernetes.io/hostname": name, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64",
                        "node.kubernetes.io/instance-type": "m5.4xlarge", "topology.kubernetes.io/zone": zones[i % 3],
                        "type": "kwok",
                    },
                },
                "spec": {},
                "status": {"capacity": resources, "allocatable": resources},
            })
        for name in self.node_names():
            wait_for(lambda n=name: condition(api.get("Node", n), "Ready") == "True", 60, f"node {name} Ready")

    # ------------------------------------------------------------------------------------ lifecycle

    def start(self) -> "ControlPlane":
        started = time.monotonic()

        def phase(name: str) -> None:
            self.phases[name] = round(time.monotonic() - started, 2)

        try:
            self._write_files()
            self._start_etcd()
            phase("etcd")
            self._start_apiserver()
            phase("kube-apiserver")
            for user, path in (("admin", self.admin_kubeconfig), ("viewer", self.viewer_kubeconfig)):
                self._write_kubeconfig(path, [user], user)
            self._write_kubeconfig(self.kubeconfig, ["admin", "viewer"], "admin")
            api = self.api()
            waits = self._spawn_controllers()
            # The CRDs go in while the controllers start.
            self._install_crds(api)
            self._create_viewer_rbac(api)
            phase("CRDs established")
            for wait in waits:
                wait()
            phase("controllers healthy")
            self._create_nodes(api)
            phase("nodes ready")
        except BaseException:
            self.failed = True
            self.stop()
            raise
        self.startup_seconds = time.monotonic() - started
        return self

    def check_alive(self) -> None:
        dead = [p for p in self.processes if not p.alive()]
        if dead:
            self.failed = True
            raise ControlPlaneError("; ".join(
                f"{p.name} exited with {p.popen.returncode} (log {p.log}):\n{p.log_tail()}" for p in dead))

    def stop(self, timeout: float = 15.0) -> None:
        """SIGTERM in reverse start order, SIGKILL after `timeout`; logs stay in the working directory."""
        for process in reversed(self.processes):
            if process.alive():
                process.popen.send_signal(signal.SIGTERM)
                try:
                    process.popen.wait(timeout=timeout)
                except subprocess.TimeoutExpired:
                    process.popen.kill()
                    process.popen.wait(timeout=timeout)
        self.processes.clear()
        shutil.rmtree(self.workdir / "etcd-data", ignore_errors=True)
        if self.created_workdir and not self.keep_workdir and not self.failed:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> "ControlPlane":
        return self.start()

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None:
            self.failed = True
        self.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", action="store_true", help="seed the platform (seed.py)")
    parser.add_argument("--pods", type=int, default=0, help="with --seed: add a scale namespace of N pods")
    parser.add_argument("--nodes", type=int, default=3)
    args = parser.parse_args()
    directory = cache_dir()
    if not cache_complete(directory):
        print(f"control plane not built ({directory}): run scripts/realcp/build", file=sys.stderr)
        return 1
    per_node = max(110, -(-args.pods // args.nodes) + 110)
    cp = ControlPlane(directory, nodes=args.nodes, pods_per_node=per_node, keep_workdir=True)
    cp.start()
    try:
        print(f"control plane ready in {cp.startup_seconds:.1f} s", flush=True)
        if args.seed:
            import seed

            seeded = time.monotonic()
            seed.seed_platform(cp.api(), scale_pods=args.pods)
            print(f"seeded in {time.monotonic() - seeded:.1f} s", flush=True)
        print(f"kubeconfig: {cp.kubeconfig} (contexts realcp-admin, realcp-viewer)")
        print(f"logs:       {cp.logs}")
        print("Ctrl-C stops it", flush=True)
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
        signal.sigwait({signal.SIGINT, signal.SIGTERM})
    except KeyboardInterrupt:
        pass
    finally:
        cp.stop()
        print(f"stopped; logs and kubeconfigs kept in {cp.workdir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
