"""Seeds a real control plane with the seed's platform as Helm and Argo CD really leave it.

What the objects look like, and why (each point is something a console joining by name alone gets wrong):

- Services are created, and their Endpoints objects awaited, before any pod exists: see `seed_workloads`.
- Namespaces `argocd`, `observability`, `kyverno` and the services namespace of `assets/scenarios/platform.yaml`
  (`platform-services`), whose services (names, tags, replicas, missing labels) this file reads from there.
- Argo CD itself (`argocd`), installed from its manifests: no Helm labels, no Application.
- The platform apps, installed by Argo CD from Helm charts. Their workloads carry Helm's labels
  (`app.kubernetes.io/instance: <release>`, `app.kubernetes.io/managed-by: Helm`, `helm.sh/chart`) and are
  named by the charts, not after the Application: `loki` (StatefulSet), `loki-gateway`, `loki-canary`
  (DaemonSet), `promtail` (DaemonSet), `kube-prometheus-stack-operator`, `kube-prometheus-stack-grafana`,
  `kube-prometheus-stack-kube-state-metrics`, `kube-prometheus-stack-prometheus-node-exporter` (DaemonSet),
  `kyverno-admission-controller`, `kyverno-background-controller`, `kyverno-cleanup-controller`,
  `kyverno-reports-controller`. Kyverno's workloads have no `app.kubernetes.io/name` at all.
- The Prometheus operator's own StatefulSets (`prometheus-kube-prometheus-stack-prometheus`,
  `alertmanager-kube-prometheus-stack-alertmanager`) are not in any Application: Argo CD tracks the
  `Prometheus` and `Alertmanager` custom resources that produce them (listed in `status.resources`; their
  CRDs are not installed here), and their `app.kubernetes.io/instance` is the operator's, not the app's.
- Argo CD's tracking: the observability apps by annotation `argocd.argoproj.io/tracking-id:
  <app>:<group>/<Kind>:<namespace>/<name>` (Argo CD 3's default), Kyverno and the services by label
  `app.kubernetes.io/instance=<app>` (the 2.x default, kept by clusters that upgraded).
- Applications with `spec` as Argo CD uses it and `status` as its controller writes it: `sync`, `health`,
  `history`, `operationState`, `resources`, `summary.images`, `reconciledAt`. Written by a plain update: the
  Application CRD has no status subresource. Argo CD 3 no longer persists each resource's health in
  `status.resources` (`controller.resource.health.persist` defaults to false; the status says
  `resourceHealthSource: appTree`), so by default the entries carry no `health`; `persist_resource_health`
  seeds the other setting.
- The ClusterPolicy `require-observability-labels` (assets/policies), a CEL ValidatingPolicy equivalent
  (`require-observability-labels-cel`), Kyverno's aggregated `view` role, and PolicyReports as Kyverno 1.19's
  reports controller writes them: one per Deployment, named by its UID, owned by it, `scope` pointing at it,
  results evaluated here from the objects actually created (Kyverno's default resource filters skip the
  `kyverno` namespace).

`seed_platform(api, scale_pods=N)` (or `seed_scale` afterwards) also adds a namespace of Deployments whose
replicas sum to N, each with an Application and a report, for scale runs.
"""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Optional

import yaml

from kubeapi import Api, ApiError, wait_for

REPO_ROOT = Path(__file__).resolve().parents[2]
SCENARIO = REPO_ROOT / "assets" / "scenarios" / "platform.yaml"
POLICY = REPO_ROOT / "assets" / "policies" / "require-observability-labels.yaml"

ARGOCD = "argocd"
OBSERVABILITY = "observability"
KYVERNO = "kyverno"
SCALE_NAMESPACE = "scale-services"
ECR_REGISTRY = "123456789012.dkr.ecr.us-east-1.amazonaws.com"
IN_CLUSTER = "https://kubernetes.default.svc"
TRACKING_ANNOTATION = "argocd.argoproj.io/tracking-id"
INSTANCE = "app.kubernetes.io/instance"
MANAGED_BY = "app.kubernetes.io/managed-by"
# Namespaces Kyverno's default `resourceFilters` leave out of background scans and reports.
UNREPORTED_NAMESPACES = {KYVERNO, "kube-system", "kube-public", "kube-node-lease"}
CEL_POLICY = "require-observability-labels-cel"


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(microsecond=0)


def _rfc3339(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def _sha(*parts: str) -> str:
    return hashlib.sha1("/".join(parts).encode()).hexdigest()


# ------------------------------------------------------------------------------------------ the model


@dataclass
class Workload:
    kind: str  # Deployment, StatefulSet or DaemonSet
    name: str
    namespace: str
    image: str
    labels: dict[str, str]
    selector: dict[str, str]
    port: int
    replicas: int = 1
    app: Optional[str] = None  # the Argo CD Application that tracks it
    tracking: Optional[str] = None  # "label" or "annotation"
    pod_labels: Optional[dict[str, str]] = None  # None: the pod template carries the object's labels
    pod_annotations: dict[str, str] = field(default_factory=dict)
    probes: dict[str, Any] = field(default_factory=dict)
    service: Optional[dict[str, Any]] = None  # {"name": ..., "port": ..., "headless": bool}
    uid: Optional[str] = None

    def manifest(self) -> dict:
        labels = dict(self.labels)
        annotations: dict[str, str] = {}
        if self.app and self.tracking == "label":
            labels[INSTANCE] = self.app
        if self.app and self.tracking == "annotation":
            annotations[TRACKING_ANNOTATION] = tracking_id(self.app, "apps", self.kind, self.namespace, self.name)
        container: dict[str, Any] = {
            "name": self.name,
            "image": self.image,
            "imagePullPolicy": "IfNotPresent",
            "ports": [{"name": "http", "containerPort": self.port, "protocol": "TCP"}],
            "resources": {"requests": {"cpu": "50m", "memory": "64Mi"}, "limits": {"memory": "256Mi"}},
        }
        container.update(self.probes)
        template_labels = dict(self.selector)
        template_labels.update(self.labels if self.pod_labels is None else self.pod_labels)
        spec: dict[str, Any] = {
            "selector": {"matchLabels": self.selector},
            "template": {
                "metadata": {"labels": template_labels, "annotations": dict(self.pod_annotations)},
                "spec": {"containers": [container], "terminationGracePeriodSeconds": 30},
            },
        }
        if self.kind != "DaemonSet":
            spec["replicas"] = self.replicas
        if self.kind == "Deployment":
            spec["revisionHistoryLimit"] = 10
            spec["progressDeadlineSeconds"] = 600
            spec["strategy"] = {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}}
        if self.kind == "StatefulSet":
            spec["serviceName"] = (self.service or {}).get("name", self.name)
            spec["podManagementPolicy"] = "Parallel"
        return {
            "apiVersion": "apps/v1",
            "kind": self.kind,
            "metadata": {"name": self.name, "namespace": self.namespace, "labels": labels, "annotations": annotations},
            "spec": spec,
        }

    def service_manifest(self) -> Optional[dict]:
        if not self.service:
            return None
        labels = dict(self.labels)
        annotations: dict[str, str] = {}
        name = self.service["name"]
        if self.app and self.tracking == "label":
            labels[INSTANCE] = self.app
        if self.app and self.tracking == "annotation":
            annotations[TRACKING_ANNOTATION] = tracking_id(self.app, "", "Service", self.namespace, name)
        spec: dict[str, Any] = {
            "type": "ClusterIP",
            "selector": self.selector,
            "ports": [{"name": "http", "port": self.service.get("port", 80), "targetPort": "http",
                       "protocol": "TCP"}],
        }
        if self.service.get("headless"):
            spec["clusterIP"] = "None"
        return {"apiVersion": "v1", "kind": "Service",
                "metadata": {"name": name, "namespace": self.namespace, "labels": labels,
                             "annotations": annotations},
                "spec": spec}

    def expected_pods(self, nodes: int) -> int:
        return nodes if self.kind == "DaemonSet" else self.replicas


@dataclass
class App:
    name: str
    namespace: str  # destination namespace
    source: dict[str, Any]
    revision: str
    source_type: str  # Helm or Directory
    sync_options: list[str]
    # Objects Argo CD tracks that are not workloads here (custom resources, config): (group, version, kind, name).
    extra_resources: list[tuple[str, str, str, str]] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)


@dataclass
class Seeded:
    """What was seeded, for tests to compare against what kubectl and the console show."""

    nodes: int
    workloads: list[Workload]
    apps: list[App]
    services_namespace: str
    scale_namespace: Optional[str] = None
    reports: dict[str, dict] = field(default_factory=dict)  # deployment "ns/name" → PolicyReport
    seconds: float = 0.0

    @property
    def namespaces(self) -> list[str]:
        names = [ARGOCD, OBSERVABILITY, KYVERNO, self.services_namespace]
        return names + ([self.scale_namespace] if self.scale_namespace else [])

    @property
    def expected_pods(self) -> int:
        return sum(w.expected_pods(self.nodes) for w in self.workloads)

    def workload(self, name: str) -> Workload:
        return next(w for w in self.workloads if w.name == name)

    def failing_deployments(self) -> list[str]:
        return sorted(key for key, r in self.reports.items() if r["summary"]["fail"] > 0)


def tracking_id(app: str, group: str, kind: str, namespace: str, name: str) -> str:
    return f"{app}:{group}/{kind}:{namespace}/{name}"


def helm_labels(helm_chart: str, helm_version: str, helm_instance: str, **extra: str) -> dict[str, str]:
    labels = {"helm.sh/chart": helm_chart, INSTANCE: helm_instance, "app.kubernetes.io/version": helm_version,
              MANAGED_BY: "Helm"}
    labels.update(extra)
    return labels


def http_probes(port: Any, liveness: Optional[str], readiness: Optional[str], scheme: str = "HTTP") -> dict:
    probes: dict[str, Any] = {}
    if liveness:
        probes["livenessProbe"] = {"httpGet": {"path": liveness, "port": port, "scheme": scheme},
                                   "initialDelaySeconds": 15, "periodSeconds": 10, "timeoutSeconds": 5,
                                   "failureThreshold": 3, "successThreshold": 1}
    if readiness:
        probes["readinessProbe"] = {"httpGet": {"path": readiness, "port": port, "scheme": scheme},
                                    "initialDelaySeconds": 5, "periodSeconds": 5, "timeoutSeconds": 3,
                                    "failureThreshold": 3, "successThreshold": 1}
    return probes


# ------------------------------------------------------------------------------------ the platform


def argocd_workloads() -> list[Workload]:
    version = "v3.5.7"
    image = f"quay.io/argoproj/argocd:{version}"

    def labels(component: str, name: str) -> dict[str, str]:
        return {"app.kubernetes.io/name": name, "app.kubernetes.io/component": component,
                "app.kubernetes.io/part-of": "argocd"}

    out = []
    for kind, name, component, port, probes in (
        ("Deployment", "argocd-server", "server", 8080, http_probes(8080, "/healthz?full=true", "/healthz")),
        ("Deployment", "argocd-repo-server", "repo-server", 8081, http_probes(8084, "/healthz?full=true", "/healthz")),
        ("StatefulSet", "argocd-application-controller", "application-controller", 8082,
         http_probes(8082, None, "/healthz")),
        ("Deployment", "argocd-applicationset-controller", "applicationset-controller", 7000,
         http_probes(8080, None, "/readyz")),
        ("Deployment", "argocd-redis", "redis", 6379, {}),
    ):
        out.append(Workload(
            kind=kind, name=name, namespace=ARGOCD,
            image="public.ecr.aws/docker/library/redis:7.4.2-alpine" if component == "redis" else image,
            labels=labels(component, name), selector={"app.kubernetes.io/name": name}, port=port,
            probes=probes, service={"name": name, "port": port},
        ))
    return out


def observability_workloads() -> list[Workload]:
    loki = helm_labels("loki-6.24.0", "3.3.2", "loki", **{"app.kubernetes.io/name": "loki"})
    loki_select = {"app.kubernetes.io/name": "loki", INSTANCE: "loki"}
    promtail = helm_labels("promtail-6.16.6", "3.3.2", "promtail", **{"app.kubernetes.io/name": "promtail"})
    kps = "kube-prometheus-stack"
    return [
        Workload(kind="StatefulSet", name="loki", namespace=OBSERVABILITY, image="docker.io/grafana/loki:3.3.2",
                 labels=dict(loki, **{"app.kubernetes.io/component": "single-binary"}),
                 selector=dict(loki_select, **{"app.kubernetes.io/component": "single-binary"}),
                 pod_labels=dict(loki, **{"app.kubernetes.io/component": "single-binary",
                                          "app.kubernetes.io/part-of": "memberlist"}), port=3100, app="loki",
                 tracking="annotation", probes=http_probes("http", None, "/ready"),
                 service={"name": "loki-headless", "port": 3100, "headless": True}),
        Workload(kind="Deployment", name="loki-gateway", namespace=OBSERVABILITY,
                 image="docker.io/nginxinc/nginx-unprivileged:1.27-alpine",
                 labels=dict(loki, **{"app.kubernetes.io/component": "gateway"}),
                 selector=dict(loki_select, **{"app.kubernetes.io/component": "gateway"}), port=8080, app="loki",
                 tracking="annotation", probes=http_probes("http", None, "/"),
                 service={"name": "loki-gateway", "port": 80}),
        Workload(kind="DaemonSet", name="loki-canary", namespace=OBSERVABILITY,
                 image="docker.io/grafana/loki-canary:3.3.2",
                 labels=dict(loki, **{"app.kubernetes.io/component": "canary"}),
                 selector=dict(loki_select, **{"app.kubernetes.io/component": "canary"}), port=3500, app="loki",
                 tracking="annotation", probes=http_probes("http", None, "/metrics")),
        Workload(kind="DaemonSet", name="promtail", namespace=OBSERVABILITY, image="docker.io/grafana/promtail:3.3.2",
                 labels=promtail, selector={"app.kubernetes.io/name": "promtail", INSTANCE: "promtail"}, port=3101,
                 app="promtail", tracking="annotation", probes=http_probes("http", None, "/ready")),
        Workload(kind="Deployment", name=f"{kps}-operator", namespace=OBSERVABILITY,
                 image="quay.io/prometheus-operator/prometheus-operator:v0.79.2",
                 labels=helm_labels(f"{kps}-67.9.0", "67.9.0", kps, **{
                     "app": f"{kps}-operator", "app.kubernetes.io/name": f"{kps}-prometheus-operator",
                     "app.kubernetes.io/component": "prometheus-operator", "app.kubernetes.io/part-of": kps,
                     "chart": f"{kps}-67.9.0", "release": kps, "heritage": "Helm"}),
                 selector={"app": f"{kps}-operator", "release": kps}, port=10250, app=kps, tracking="annotation",
                 probes=http_probes("http", "/healthz", "/healthz", scheme="HTTPS"),
                 service={"name": f"{kps}-operator", "port": 443}),
        Workload(kind="Deployment", name=f"{kps}-grafana", namespace=OBSERVABILITY,
                 image="docker.io/grafana/grafana:11.4.0",
                 labels=helm_labels("grafana-8.8.2", "11.4.0", kps, **{"app.kubernetes.io/name": "grafana"}),
                 selector={"app.kubernetes.io/name": "grafana", INSTANCE: kps}, port=3000, app=kps,
                 tracking="annotation", probes=http_probes(3000, "/api/health", "/api/health"),
                 service={"name": f"{kps}-grafana", "port": 80}),
        Workload(kind="Deployment", name=f"{kps}-kube-state-metrics", namespace=OBSERVABILITY,
                 image="registry.k8s.io/kube-state-metrics/kube-state-metrics:v2.14.0",
                 labels=helm_labels("kube-state-metrics-5.28.0", "2.14.0", kps, **{
                     "app.kubernetes.io/name": "kube-state-metrics", "app.kubernetes.io/component": "metrics",
                     "app.kubernetes.io/part-of": "kube-state-metrics", "release": kps}),
                 selector={"app.kubernetes.io/name": "kube-state-metrics", INSTANCE: kps}, port=8080, app=kps,
                 tracking="annotation", probes=http_probes(8080, "/livez", "/readyz"),
                 service={"name": f"{kps}-kube-state-metrics", "port": 8080}),
        Workload(kind="DaemonSet", name=f"{kps}-prometheus-node-exporter", namespace=OBSERVABILITY,
                 image="quay.io/prometheus/node-exporter:v1.8.2",
                 labels=helm_labels("prometheus-node-exporter-4.43.1", "1.8.2", kps, **{
                     "app.kubernetes.io/name": "prometheus-node-exporter", "app.kubernetes.io/component": "metrics",
                     "app.kubernetes.io/part-of": "prometheus-node-exporter", "jobLabel": "node-exporter",
                     "release": kps}),
                 selector={"app.kubernetes.io/name": "prometheus-node-exporter", INSTANCE: kps}, port=9100, app=kps,
                 tracking="annotation", probes=http_probes(9100, "/", "/"),
                 service={"name": f"{kps}-prometheus-node-exporter", "port": 9100}),
        # Made by the Prometheus operator from the Prometheus and Alertmanager resources: not tracked.
        Workload(kind="StatefulSet", name=f"prometheus-{kps}-prometheus", namespace=OBSERVABILITY,
                 image="quay.io/prometheus/prometheus:v3.1.0",
                 labels={INSTANCE: f"{kps}-prometheus", MANAGED_BY: "prometheus-operator",
                         "app.kubernetes.io/name": "prometheus", "app.kubernetes.io/version": "3.1.0",
                         "operator.prometheus.io/name": f"{kps}-prometheus", "operator.prometheus.io/shard": "0",
                         "prometheus": f"{kps}-prometheus"},
                 selector={"app.kubernetes.io/name": "prometheus", INSTANCE: f"{kps}-prometheus",
                           "operator.prometheus.io/name": f"{kps}-prometheus"}, port=9090,
                 probes=http_probes("http", "/-/healthy", "/-/ready"),
                 service={"name": "prometheus-operated", "port": 9090, "headless": True}),
        Workload(kind="StatefulSet", name=f"alertmanager-{kps}-alertmanager", namespace=OBSERVABILITY,
                 image="quay.io/prometheus/alertmanager:v0.28.0",
                 labels={INSTANCE: f"{kps}-alertmanager", MANAGED_BY: "prometheus-operator",
                         "app.kubernetes.io/name": "alertmanager", "app.kubernetes.io/version": "0.28.0",
                         "alertmanager": f"{kps}-alertmanager"},
                 selector={"app.kubernetes.io/name": "alertmanager", INSTANCE: f"{kps}-alertmanager",
                           "alertmanager": f"{kps}-alertmanager"}, port=9093,
                 probes=http_probes("http", "/-/healthy", "/-/ready"),
                 service={"name": "alertmanager-operated", "port": 9093, "headless": True}),
    ]


def kyverno_workloads() -> list[Workload]:
    out = []
    for component, image, replicas in (
        ("admission-controller", "reg.kyverno.io/kyverno/kyverno:v1.19.1", 1),
        ("background-controller", "reg.kyverno.io/kyverno/background-controller:v1.19.1", 1),
        ("cleanup-controller", "reg.kyverno.io/kyverno/cleanup-controller:v1.19.1", 1),
        ("reports-controller", "reg.kyverno.io/kyverno/reports-controller:v1.19.1", 1),
    ):
        selector = {"app.kubernetes.io/component": component, INSTANCE: "kyverno", "app.kubernetes.io/part-of": "kyverno"}
        out.append(Workload(
            kind="Deployment", name=f"kyverno-{component}", namespace=KYVERNO, image=image,
            labels=helm_labels("kyverno-3.9.1", "3.9.1", "kyverno", **selector), selector=selector,
            port=9443, replicas=replicas, app="kyverno", tracking="label",
            probes=http_probes(9443, "/health/liveness", "/health/readiness", scheme="HTTPS"),
            service={"name": f"kyverno-{component}-metrics", "port": 8000}
            if component != "admission-controller" else {"name": "kyverno-svc", "port": 443},
        ))
    return out


def scenario() -> dict:
    return yaml.safe_load(SCENARIO.read_text())


def service_workloads(spec: dict) -> tuple[list[Workload], list[App], str]:
    """The scenario's services as their GitOps `deployment.yaml` declares them (the seed's template)."""
    namespace = next(a["namespace"] for a in spec["apps"] if not a.get("platform"))
    repo = spec["gitops_repo"]
    workloads, apps = [], []
    for app in (a for a in spec["apps"] if not a.get("platform")):
        for w in app["workloads"]:
            name = w["name"]
            port = w.get("port", 3000)
            labels = {"app.kubernetes.io/name": name, "app.kubernetes.io/component": w.get("component", "backend"),
                      "app.kubernetes.io/part-of": "platform-services",
                      "app.kubernetes.io/version": w.get("version", "1.0.0"), MANAGED_BY: "backstage"}
            for omitted in w.get("omit_labels", []):
                labels.pop(omitted, None)
            pod_labels = {k: v for k, v in labels.items() if k != MANAGED_BY}
            image = w["image"]
            image = f"{ECR_REGISTRY}/{image[4:]}" if image.startswith("ecr:") else image
            workloads.append(Workload(
                kind="Deployment", name=name, namespace=app["namespace"], image=f"{image}:{w['tag']}",
                labels=labels, selector={"app.kubernetes.io/name": name}, pod_labels=pod_labels, port=port,
                replicas=w.get("replicas", 1), app=app["name"], tracking="label",
                pod_annotations={"prometheus.io/scrape": "true", "prometheus.io/port": str(port),
                                 "prometheus.io/path": "/metrics"},
                probes=http_probes(port, "/health", "/ready") if w.get("probes", True) else {},
                service={"name": name, "port": 80},
            ))
        apps.append(App(
            name=app["name"], namespace=app["namespace"],
            source={"repoURL": repo, "path": app["path"], "targetRevision": "main"},
            revision=_sha(repo, app["name"]), source_type="Directory", sync_options=["CreateNamespace=true"],
        ))
    return workloads, apps, namespace


def platform_apps(gitops_repo: str) -> list[App]:
    kps = "kube-prometheus-stack"
    return [
        App("loki", OBSERVABILITY, {"repoURL": "https://grafana.github.io/helm-charts", "chart": "loki",
                                    "targetRevision": "6.24.0", "helm": {"valuesObject": {
                                        "deploymentMode": "SingleBinary", "loki": {"storage": {"type": "s3"}}}}},
            "6.24.0", "Helm", ["CreateNamespace=true", "ServerSideApply=true"],
            extra_resources=[("", "v1", "ConfigMap", "loki"), ("", "v1", "ServiceAccount", "loki")]),
        App("promtail", OBSERVABILITY, {"repoURL": "https://grafana.github.io/helm-charts", "chart": "promtail",
                                        "targetRevision": "6.16.6"},
            "6.16.6", "Helm", ["CreateNamespace=true"], extra_resources=[("", "v1", "Secret", "promtail")]),
        App(kps, OBSERVABILITY, {"repoURL": "https://prometheus-community.github.io/helm-charts", "chart": kps,
                                 "targetRevision": "67.9.0"},
            "67.9.0", "Helm", ["CreateNamespace=true", "ServerSideApply=true"],
            extra_resources=[("monitoring.coreos.com", "v1", "Prometheus", f"{kps}-prometheus"),
                             ("monitoring.coreos.com", "v1", "Alertmanager", f"{kps}-alertmanager")]),
        App("kyverno", KYVERNO, {"repoURL": "https://kyverno.github.io/kyverno", "chart": "kyverno",
                                 "targetRevision": "3.9.1"},
            "3.9.1", "Helm", ["CreateNamespace=true", "ServerSideApply=true"]),
        App("kyverno-policies", KYVERNO, {"repoURL": gitops_repo, "path": "platform/kyverno/policies",
                                          "targetRevision": "main"},
            _sha(gitops_repo, "kyverno-policies"), "Directory", [],
            extra_resources=[("kyverno.io", "v1", "ClusterPolicy", "require-observability-labels"),
                             ("policies.kyverno.io", "v1", "ValidatingPolicy", CEL_POLICY)]),
    ]


def scale_workloads(pods: int, per_deployment: int = 50) -> tuple[list[Workload], list[App]]:
    """Deployments in `scale-services` whose replicas sum to `pods`, one Application each."""
    count = math.ceil(pods / per_deployment)
    workloads, apps = [], []
    for i in range(count):
        name = f"scale-svc-{i:04d}"
        replicas = min(per_deployment, pods - i * per_deployment)
        labels = {"app.kubernetes.io/name": name, "app.kubernetes.io/component": "backend",
                  "app.kubernetes.io/part-of": "platform-services", "app.kubernetes.io/version": "1.0.0",
                  MANAGED_BY: "backstage"}
        workloads.append(Workload(
            kind="Deployment", name=name, namespace=SCALE_NAMESPACE,
            image=f"{ECR_REGISTRY}/scale-service:{_sha(name)[:7]}", labels=labels,
            selector={"app.kubernetes.io/name": name}, pod_labels={k: v for k, v in labels.items() if k != MANAGED_BY},
            port=3000, replicas=replicas, app=name, tracking="label", probes=http_probes(3000, "/health", "/ready"),
        ))
        apps.append(App(name, SCALE_NAMESPACE, {"repoURL": "https://github.com/darede-labs/gitops.git",
                                                "path": f"apps/{name}", "targetRevision": "main"},
                        _sha("scale", name), "Directory", ["CreateNamespace=true"]))
    return workloads, apps


# -------------------------------------------------------------------------------------------- writes


def seed_namespaces(api: Api, names: list[str]) -> None:
    for name in names:
        api.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
    # Pods need the namespace's `default` ServiceAccount, which the controller manager creates.
    for name in names:
        wait_for(lambda n=name: api.find("ServiceAccount", "default", n), 60, f"ServiceAccount default in {name}")


def seed_workloads(api: Api, workloads: list[Workload]) -> None:
    """Services first, then the workloads.

    The apiserver's service proxy resolves a Service through its (legacy) Endpoints object. The endpoints
    controller cannot write loopback pod IPs into one, so a Service whose Endpoints object was not created
    before its pods had IPs never gets one, and the proxy answers 404 `services "<name>" not found` for it
    instead of 503 `no endpoints available for service "<name>"`. Waiting for every Endpoints object before
    creating the pods makes the seeded platform answer the 503 a real cluster answers for a service without
    ready endpoints.
    """
    services = [(w, m) for w in workloads if (m := w.service_manifest())]
    for _, manifest in services:
        api.apply(manifest)
    for w, manifest in services:
        name = manifest["metadata"]["name"]
        wait_for(lambda n=name, ns=w.namespace: api.find("Endpoints", n, ns), 60, f"Endpoints {w.namespace}/{name}")
    for w in workloads:
        created = api.apply(w.manifest())
        w.uid = created["metadata"]["uid"]


def application_manifest(app: App) -> dict:
    spec: dict[str, Any] = {
        "project": "default",
        "source": app.source,
        "destination": {"server": IN_CLUSTER, "namespace": app.namespace},
        "syncPolicy": {"automated": {"prune": True, "selfHeal": True}, **(
            {"syncOptions": app.sync_options} if app.sync_options else {})},
    }
    return {"apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
            "metadata": {"name": app.name, "namespace": ARGOCD, "labels": dict(app.labels)}, "spec": spec}


def application_status(app: App, workloads: list[Workload], persist_resource_health: bool) -> dict:
    """The status Argo CD's application controller writes for a synced, healthy app."""
    now = _now()
    deployed = now - timedelta(minutes=20)
    previous = now - timedelta(days=2)
    resources = []
    for w in workloads:
        entries = [("apps", "v1", w.kind, w.name)]
        if w.service:
            entries.insert(0, ("", "v1", "Service", w.service["name"]))
        for group, version, kind, name in entries:
            resources.append({"group": group, "version": version, "kind": kind, "namespace": app.namespace,
                              "name": name, "status": "Synced"})
    for group, version, kind, name in app.extra_resources:
        namespaced = kind not in ("ClusterPolicy", "ValidatingPolicy")
        resources.append({"group": group, "version": version, "kind": kind,
                          "namespace": app.namespace if namespaced else "", "name": name, "status": "Synced"})
    for r in resources:
        if not r["group"]:
            del r["group"]
        if not r["namespace"]:
            del r["namespace"]
        if persist_resource_health and r["kind"] not in ("ConfigMap", "Secret", "ServiceAccount", "ClusterPolicy",
                                                         "ValidatingPolicy"):
            r["health"] = {"status": "Healthy"}
    resources.sort(key=lambda r: (r.get("group", ""), r["kind"], r.get("namespace", ""), r["name"]))
    destination = {"server": IN_CLUSTER, "namespace": app.namespace}
    previous_revision = _sha(app.revision, "previous") if app.source_type == "Directory" else app.revision
    sync_result_resources = [
        {"group": r.get("group", ""), "version": r["version"], "kind": r["kind"], "namespace": r.get("namespace", ""),
         "name": r["name"], "status": "Synced", "message": f"{r['kind'].lower()}/{r['name']} serverside-applied"
         if "ServerSideApply=true" in app.sync_options else f"{r['kind'].lower()}/{r['name']} configured",
         "hookPhase": "Running", "syncPhase": "Sync"}
        for r in resources
    ]
    status: dict[str, Any] = {
        "controllerNamespace": ARGOCD,
        "health": {"status": "Healthy", "lastTransitionTime": _rfc3339(deployed + timedelta(seconds=40))},
        "history": [
            {"id": 0, "revision": previous_revision, "source": app.source,
             "deployStartedAt": _rfc3339(previous), "deployedAt": _rfc3339(previous + timedelta(seconds=12)),
             "initiatedBy": {"automated": True}},
            {"id": 1, "revision": app.revision, "source": app.source,
             "deployStartedAt": _rfc3339(deployed), "deployedAt": _rfc3339(deployed + timedelta(seconds=9)),
             "initiatedBy": {"automated": True}},
        ],
        "operationState": {
            "operation": {"initiatedBy": {"automated": True}, "retry": {"limit": 5},
                          "sync": {"revision": app.revision, "prune": True,
                                   **({"syncOptions": app.sync_options} if app.sync_options else {})}},
            "phase": "Succeeded",
            "message": "successfully synced (all tasks run)",
            "startedAt": _rfc3339(deployed),
            "finishedAt": _rfc3339(deployed + timedelta(seconds=9)),
            "syncResult": {"revision": app.revision, "source": app.source, "resources": sync_result_resources},
        },
        "reconciledAt": _rfc3339(now - timedelta(seconds=30)),
        "resourceHealthSource": "appTree" if not persist_resource_health else None,
        "resources": resources,
        "sourceType": app.source_type,
        "summary": {"images": sorted({w.image for w in workloads})},
        "sync": {"status": "Synced", "revision": app.revision,
                 "comparedTo": {"source": app.source, "destination": destination}},
    }
    if status["resourceHealthSource"] is None:
        del status["resourceHealthSource"]
    if not status["summary"]["images"]:
        status["summary"] = {}
    return status


def seed_applications(api: Api, apps: list[App], workloads: list[Workload], persist_resource_health: bool) -> None:
    api.apply({"apiVersion": "argoproj.io/v1alpha1", "kind": "AppProject",
               "metadata": {"name": "default", "namespace": ARGOCD},
               "spec": {"sourceRepos": ["*"], "destinations": [{"server": "*", "namespace": "*"}],
                        "clusterResourceWhitelist": [{"group": "*", "kind": "*"}]}})
    for app in apps:
        created = api.apply(application_manifest(app))
        mine = [w for w in workloads if w.app == app.name]
        created["status"] = application_status(app, mine, persist_resource_health)
        # No status subresource on the Application CRD: the controller writes status with a plain update.
        api.update(created)


def cel_policy() -> dict:
    """A ValidatingPolicy with the ClusterPolicy's checks, in CEL (policies.kyverno.io/v1)."""
    return {
        "apiVersion": "policies.kyverno.io/v1",
        "kind": "ValidatingPolicy",
        "metadata": {"name": CEL_POLICY, "annotations": {
            "policies.kyverno.io/title": "Require Observability Labels (CEL)",
            "policies.kyverno.io/category": "Observability", "policies.kyverno.io/severity": "medium"}},
        "spec": {
            "validationActions": ["Audit"],
            "evaluation": {"background": {"enabled": True}},
            "matchConstraints": {"resourceRules": [{"apiGroups": ["apps"], "apiVersions": ["v1"],
                                                    "operations": ["CREATE", "UPDATE"], "resources": ["deployments"]}]},
            "validations": [
                {"expression": "has(object.metadata.labels) && 'app.kubernetes.io/name' in object.metadata.labels",
                 "message": "The label `app.kubernetes.io/name` is required."},
                {"expression": "has(object.metadata.labels) && ['app.kubernetes.io/component', "
                               "'app.kubernetes.io/part-of', 'app.kubernetes.io/version']"
                               ".all(l, l in object.metadata.labels)",
                 "message": "The recommended labels `app.kubernetes.io/component`, `app.kubernetes.io/part-of` "
                            "and `app.kubernetes.io/version` should be set."},
                {"expression": "object.spec.template.spec.containers.all(c, has(c.livenessProbe) && "
                               "has(c.livenessProbe.httpGet) && has(c.readinessProbe) && has(c.readinessProbe.httpGet))",
                 "message": "Every container must define httpGet liveness and readiness probes."},
            ],
        },
    }


def kyverno_view_role() -> dict:
    """The aggregated ClusterRole Kyverno's chart installs so that `view` can read policies and reports."""
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
        "metadata": {"name": "kyverno:rbac:view", "labels": dict(
            helm_labels("kyverno-3.9.1", "3.9.1", "kyverno", **{"app.kubernetes.io/component": "rbac",
                                                                  "app.kubernetes.io/part-of": "kyverno"}),
            **{"rbac.authorization.k8s.io/aggregate-to-view": "true", INSTANCE: "kyverno"})},
        "rules": [
            {"apiGroups": ["kyverno.io"], "resources": ["cleanuppolicies", "clustercleanuppolicies", "policies",
                                                        "clusterpolicies", "policyexceptions", "updaterequests"],
             "verbs": ["get", "list", "watch"]},
            {"apiGroups": ["policies.kyverno.io"], "resources": ["*"], "verbs": ["get", "list", "watch"]},
            {"apiGroups": ["reports.kyverno.io"], "resources": ["ephemeralreports", "clusterephemeralreports"],
             "verbs": ["get", "list", "watch"]},
            {"apiGroups": ["wgpolicyk8s.io"], "resources": ["policyreports", "clusterpolicyreports"],
             "verbs": ["get", "list", "watch"]},
        ],
    }


def seed_policies(api: Api) -> dict:
    policy = yaml.safe_load(POLICY.read_text())
    policy["metadata"].setdefault("labels", {})[INSTANCE] = "kyverno-policies"
    created = api.apply(policy)
    # Kyverno writes the policy's readiness through the status subresource.
    created["status"] = {"conditions": [{"type": "Ready", "status": "True", "reason": "Succeeded",
                                         "message": "Ready", "lastTransitionTime": _rfc3339(_now())}],
                         "ready": True, "rulecount": {"validate": len(policy["spec"]["rules"]), "generate": 0,
                                                      "mutate": 0, "verifyimages": 0},
                         "validatingadmissionpolicy": {"generated": False, "message": ""}}
    api.update(created, subresource="status")
    vpol = cel_policy()
    vpol["metadata"]["labels"] = {INSTANCE: "kyverno-policies"}
    api.apply(vpol)
    api.apply(kyverno_view_role())
    return policy


# ----------------------------------------------------------------------------------------- reports


def _missing_path(obj: Any, pattern: Any, path: str) -> Optional[str]:
    """Where `obj` fails a Kyverno pattern of the kind the policy uses ("?*" = non-empty, "*" = present)."""
    if isinstance(pattern, dict):
        if not isinstance(obj, dict):
            return path
        for key, sub in pattern.items():
            if key not in obj:
                return f"{path}{key}/"
            failed = _missing_path(obj[key], sub, f"{path}{key}/")
            if failed:
                return failed
        return None
    if isinstance(pattern, list):
        if not isinstance(obj, list) or not obj:
            return path
        for i, item in enumerate(obj):
            failed = _missing_path(item, pattern[0], f"{path}{i}/")
            if failed:
                return failed
        return None
    if pattern == "?*":
        return None if obj not in (None, "") else path
    return None if obj is not None else path


def evaluate(policy: dict, deployment: dict) -> list[dict]:
    """Kyverno's background-scan results for one Deployment and the ClusterPolicy."""
    annotations = policy["metadata"].get("annotations", {})
    results = []
    stamp = {"seconds": int(time.time()), "nanos": 0}
    for rule in policy["spec"]["rules"]:
        failed = _missing_path(deployment, rule["validate"]["pattern"], "/")
        message = (f"validation rule '{rule['name']}' passed." if failed is None else
                   f"validation error: {rule['validate']['message'].strip()} rule {rule['name']} failed at path {failed}")
        results.append({
            "category": annotations.get("policies.kyverno.io/category", ""),
            "message": message,
            "policy": policy["metadata"]["name"],
            "properties": {"process": "background scan"},
            "result": "pass" if failed is None else "fail",
            "rule": rule["name"],
            "scored": annotations.get("policies.kyverno.io/scored") != "false",
            "severity": annotations.get("policies.kyverno.io/severity", ""),
            "source": "kyverno",
            "timestamp": stamp,
        })
    return results


def evaluate_cel(deployment: dict) -> dict:
    """The ValidatingPolicy's result (CEL policies report one result, with no rule, per resource)."""
    labels = deployment["metadata"].get("labels", {})
    containers = deployment["spec"]["template"]["spec"]["containers"]
    message = None
    if "app.kubernetes.io/name" not in labels:
        message = cel_policy()["spec"]["validations"][0]["message"]
    elif not all(k in labels for k in ("app.kubernetes.io/component", "app.kubernetes.io/part-of",
                                       "app.kubernetes.io/version")):
        message = cel_policy()["spec"]["validations"][1]["message"]
    elif not all("httpGet" in c.get("livenessProbe", {}) and "httpGet" in c.get("readinessProbe", {})
                 for c in containers):
        message = cel_policy()["spec"]["validations"][2]["message"]
    return {"category": "Observability", "message": message or "success", "policy": CEL_POLICY,
            "properties": {"process": "background scan"}, "result": "fail" if message else "pass",
            "scored": True, "severity": "medium", "source": "KyvernoValidatingPolicy",
            "timestamp": {"seconds": int(time.time()), "nanos": 0}}


def policy_report(deployment: dict, results: list[dict]) -> dict:
    meta = deployment["metadata"]
    results = sorted(results, key=lambda r: (r["policy"], r.get("rule", ""), r["source"]))
    summary = {k: sum(1 for r in results if r["result"] == k) for k in ("pass", "fail", "warn", "error", "skip")}
    return {
        "apiVersion": "wgpolicyk8s.io/v1alpha2",
        "kind": "PolicyReport",
        "metadata": {"name": meta["uid"], "namespace": meta["namespace"], "labels": {MANAGED_BY: "kyverno"},
                     "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": meta["name"],
                                          "uid": meta["uid"]}]},
        "scope": {"apiVersion": "apps/v1", "kind": "Deployment", "name": meta["name"],
                  "namespace": meta["namespace"], "uid": meta["uid"]},
        "results": results,
        "summary": summary,
    }


def seed_policy_reports(api: Api, policy: dict, workloads: list[Workload]) -> dict[str, dict]:
    reports = {}
    for w in workloads:
        if w.kind != "Deployment" or w.namespace in UNREPORTED_NAMESPACES:
            continue
        deployment = api.get("Deployment", w.name, w.namespace)
        report = policy_report(deployment, evaluate(policy, deployment) + [evaluate_cel(deployment)])
        reports[f"{w.namespace}/{w.name}"] = api.apply(report)
    return reports


# ---------------------------------------------------------------------------------------- waiting


def workload_ready(obj: dict) -> bool:
    status = obj.get("status", {})
    if obj["kind"] == "DaemonSet":
        desired = status.get("desiredNumberScheduled", 0)
        return desired > 0 and status.get("numberReady") == desired and status.get("updatedNumberScheduled") == desired
    wanted = obj["spec"].get("replicas", 1)
    return (status.get("observedGeneration") == obj["metadata"]["generation"]
            and status.get("readyReplicas", 0) == wanted and status.get("updatedReplicas", 0) == wanted
            and status.get("replicas", 0) == wanted)


def wait_until_ready(api: Api, seeded: Seeded, timeout: float = 300) -> None:
    """Until every seeded workload reports all its pods ready (kwok runs them)."""
    kinds = sorted({w.kind for w in seeded.workloads})
    pending: list[str] = []

    def all_ready() -> bool:
        ready = set()
        for namespace in seeded.namespaces:
            for kind in kinds:
                for obj in api.list(kind, namespace):
                    obj["kind"] = kind
                    if workload_ready(obj):
                        ready.add((kind, namespace, obj["metadata"]["name"]))
        pending[:] = [f"{w.kind} {w.namespace}/{w.name}" for w in seeded.workloads
                      if (w.kind, w.namespace, w.name) not in ready]
        return not pending

    try:
        wait_for(all_ready, timeout, "the seeded workloads to be ready", interval=0.5)
    except TimeoutError as exc:
        raise TimeoutError(f"{exc}; not ready: {', '.join(pending[:20])}") from None


# ------------------------------------------------------------------------------------------ all


def seed_platform(api: Api, *, nodes: int = 3, scale_pods: int = 0, scale_per_deployment: int = 50,
                  persist_resource_health: bool = False, wait: bool = True, timeout: float = 300) -> Seeded:
    """The whole platform; with `scale_pods`, also `seed_scale`'s namespace. Waits until every pod is ready."""
    started = time.monotonic()
    spec = scenario()
    services, service_apps, services_ns = service_workloads(spec)
    workloads = argocd_workloads() + observability_workloads() + kyverno_workloads() + services
    apps = platform_apps(spec["gitops_repo"]) + service_apps
    seeded = Seeded(nodes=nodes, workloads=workloads, apps=apps, services_namespace=services_ns)
    seed_namespaces(api, seeded.namespaces)
    seed_workloads(api, workloads)
    policy = seed_policies(api)
    seed_applications(api, apps, workloads, persist_resource_health)
    seeded.reports = seed_policy_reports(api, policy, workloads)
    if scale_pods > 0:
        seed_scale(api, seeded, scale_pods, per_deployment=scale_per_deployment, wait=False)
    if wait:
        wait_until_ready(api, seeded, timeout=timeout)
    seeded.seconds = time.monotonic() - started
    return seeded


def seed_scale(api: Api, seeded: Seeded, pods: int, *, per_deployment: int = 50, wait: bool = True,
               timeout: float = 600) -> list[Workload]:
    """Adds `scale-services`: Deployments whose replicas sum to `pods`, each with its Application and report.

    The nodes must have room: `ControlPlane(pods_per_node=...)` (kwok makes a few hundred pods ready per
    minute on two cores).
    """
    workloads, apps = scale_workloads(pods, per_deployment)
    seeded.scale_namespace = SCALE_NAMESPACE
    seed_namespaces(api, [SCALE_NAMESPACE])
    seed_workloads(api, workloads)
    seed_applications(api, apps, workloads, persist_resource_health=False)
    seeded.reports.update(seed_policy_reports(api, yaml.safe_load(POLICY.read_text()), workloads))
    seeded.workloads += workloads
    seeded.apps += apps
    if wait:
        wait_until_ready(api, seeded, timeout=timeout)
    return workloads


__all__ = ["Seeded", "Workload", "App", "seed_platform", "seed_scale", "wait_until_ready", "ApiError"]
